"""Every write to psychological support: screenings, cases, sessions, referrals, flags, groups.

A screening that shows thoughts of self-harm (PHQ-9 item 9 above 0) is an emergency whatever
the total: an urgent counselling task due within the hour, the counsellors of the community
told in the app, and the crisis hotline shown to the person at once (the page does that from
the returned outcome). Moderate or worse opens a case, or raises the risk of the open one.
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.accounts.choices import Role
from linli.accounts.models import RoleGrant
from linli.care import scoring
from linli.care.choices import (
    FOLLOW_UP_DAYS,
    Audience,
    CaseStatus,
    Instrument,
    Outcome,
    Referral,
    Risk,
    ScreeningSource,
    SessionMode,
)
from linli.care.models import (
    CareCase,
    CareSession,
    GroupAttendance,
    GroupSession,
    PriorityFlag,
    Screening,
)
from linli.core.crypto import encrypt
from linli.core.errors import ApplicationError, Conflict
from linli.core.services import audit_record
from linli.core.services import user_or_none as _user
from linli.notices.choices import Channel
from linli.notices.services import notify
from linli.residents.models import Resident
from linli.taskpool.choices import Priority, Source, TaskKind
from linli.taskpool.models import Task
from linli.taskpool.services import task_create

RISK_ORDER = {Risk.LOW: 0, Risk.MODERATE: 1, Risk.HIGH: 2}
URGENT_WITHIN = dt.timedelta(hours=1)


def _community_id(resident: Resident) -> int:
    return resident.household.building.community_id


def _invalid(field: str, message: str) -> ApplicationError:
    return ApplicationError(_("Please correct the marked fields."), fields={field: [message]})


def _reason(text: str, field: str = "reason") -> str:
    text = (text or "").strip()
    if not text:
        raise _invalid(field, _("is required"))
    if len(text) > 300:
        raise _invalid(field, _("must be at most %(n)d characters") % {"n": 300})
    return text


# ------------------------------------------------------------------------- screening


@dataclass
class ScreeningOutcome:
    screening: Screening
    case: CareCase | None
    urgent: bool  # self-harm: show the hotline now
    hotline: str


def _scoring_error(exc: scoring.ScoringError) -> ApplicationError:
    messages = {
        "instrument": _("must be PHQ-9 or GAD-7"),
        "answers": _("every question needs an answer"),
    }
    field = exc.field.split(".")[0]
    return _invalid(exc.field, messages.get(field, _("must be 0, 1, 2 or 3")))


@transaction.atomic
def screening_submit(
    *, actor, resident: Resident, instrument: str, answers, source: str = ScreeningSource.SELF
) -> ScreeningOutcome:
    """Score and keep one questionnaire, then act on it (see the module docstring)."""
    try:
        result = scoring.score(instrument, answers)
    except scoring.ScoringError as exc:
        raise _scoring_error(exc) from None
    if source not in ScreeningSource.values:
        raise _invalid("source", _("must be self or counsellor"))
    now = timezone.now()
    screening = Screening.objects.create(
        resident=resident,
        instrument=instrument,
        answers=list(answers),
        total=result.total,
        band=result.band,
        self_harm=result.self_harm,
        risk=result.risk,
        source=source,
        by=_user(actor),
        at=now,
    )
    # The band is sensitive, so the audit keeps the fact, not the answers.
    audit_record(
        actor=actor,
        action="care.screening",
        target=resident,
        community_id=_community_id(resident),
        detail={"instrument": instrument, "screening": screening.pk},
    )
    case = None
    if result.risk != Risk.LOW:
        label = Instrument(instrument).label
        case = _open_or_raise(
            actor=actor,
            resident=resident,
            risk=result.risk,
            reason=_("%(instrument)s screening: %(total)d")
            % {"instrument": label, "total": result.total},
        )
        screening.case = case
        screening.save(update_fields=["case"])
    if result.self_harm:
        _self_harm_alert(actor=actor, resident=resident, case=case, now=now)
    elif case is not None:
        _counselling_task(
            actor=actor,
            resident=resident,
            title=_("Counselling call: %(name)s") % {"name": resident.name},
            priority=Priority.HIGH if result.risk == Risk.HIGH else Priority.NORMAL,
            due_at=now + dt.timedelta(days=FOLLOW_UP_DAYS[result.risk]),
        )
    return ScreeningOutcome(
        screening=screening,
        case=case,
        urgent=result.self_harm,
        hotline=settings.LINLI_CRISIS_HOTLINE,
    )


def _self_harm_alert(*, actor, resident, case, now) -> None:
    task = _counselling_task(
        actor=actor,
        resident=resident,
        # Task titles are seen by everyone who works the area: they say THAT a call is due,
        # never why (the screening stays on the case, for the counsellors).
        title=_("Urgent counselling call: %(name)s") % {"name": resident.name},
        priority=Priority.URGENT,
        due_at=now + URGENT_WITHIN,
    )
    community_id = _community_id(resident)
    counsellors = {case.counsellor} if case is not None and case.counsellor_id else set()
    if not counsellors:
        counsellors = {
            grant.user
            for grant in RoleGrant.objects.filter(
                role=Role.COUNSELLOR, community_id=community_id, user__is_active=True
            ).select_related("user")
        }
    # In-app notices are rows written in this transaction (nothing leaves before commit);
    # the note names no answers.
    for user in counsellors:
        notify(
            channel=Channel.IN_APP,
            user=user,
            title=_("Urgent counselling call"),
            body=_("%(name)s needs a call within the hour: task #%(task)d.")
            % {"name": resident.name, "task": task.pk},
        )


def _counselling_task(*, actor, resident, title, priority, due_at):
    task, merged = task_create(
        actor=actor,
        kind=TaskKind.COUNSELLING,
        title=title[:120],
        source=Source.MODULE,
        resident=resident,
        priority=priority,
        due_at=due_at,
    )
    if merged and priority == Priority.URGENT and task.title != title[:120]:
        # The live call became urgent (its priority and due time moved already): its title
        # must say so too, or whoever scans the pool reads the old, calmer one.
        Task.objects.filter(pk=task.pk).update(title=title[:120])
        task.title = title[:120]
    return task


# ------------------------------------------------------------------------- cases


def _next_due(risk: str, *, today: dt.date | None = None) -> dt.date:
    return (today or timezone.localdate()) + dt.timedelta(days=FOLLOW_UP_DAYS[risk])


def _open_or_raise(*, actor, resident, risk, reason) -> CareCase:
    """The person's open case with its risk raised to `risk` if lower, or a new case."""
    case = CareCase.objects.select_for_update().filter(resident=resident, status="open").first()
    if case is None:
        return case_open(actor=actor, resident=resident, risk=risk, reason=reason)
    if RISK_ORDER[risk] > RISK_ORDER[case.risk]:
        case = case_set_risk(actor=actor, case=case, risk=risk)
    return case


@transaction.atomic
def case_open(*, actor, resident: Resident, risk: str, reason: str, counsellor=None) -> CareCase:
    if risk not in Risk.values:
        raise _invalid("risk", _("must be high, moderate or low"))
    reason = _reason(reason)
    try:
        with transaction.atomic():
            case = CareCase.objects.create(
                resident=resident,
                counsellor=counsellor,
                risk=risk,
                reason=reason,
                follow_up_days=FOLLOW_UP_DAYS[risk],
                next_due=timezone.localdate(),  # first contact today
                opened_by=_user(actor),
                opened_at=timezone.now(),
            )
    except IntegrityError:
        raise Conflict(
            _("%(name)s already has an open support case.") % {"name": resident.name},
            code="case_open",
        ) from None
    audit_record(
        actor=actor,
        action="care.case_open",
        target=case,
        community_id=_community_id(resident),
        detail={"risk": risk},
    )
    return case


def _require_open(case: CareCase) -> None:
    if case.status != CaseStatus.OPEN:
        raise Conflict(_("This case is closed."), code="case_closed")


@transaction.atomic
def case_assign(*, actor, case: CareCase, counsellor) -> CareCase:
    case = CareCase.objects.select_for_update().get(pk=case.pk)
    _require_open(case)
    community_id = _community_id(case.resident)
    if not RoleGrant.objects.filter(
        user=counsellor, role=Role.COUNSELLOR, community_id=community_id
    ).exists():
        raise _invalid("counsellor", _("is not a counsellor of this community"))
    case.counsellor = counsellor
    case.save(update_fields=["counsellor"])
    audit_record(
        actor=actor,
        action="care.case_assign",
        target=case,
        community_id=community_id,
        detail={"counsellor": counsellor.pk},
    )
    return case


@transaction.atomic
def case_set_risk(*, actor, case: CareCase, risk: str) -> CareCase:
    if risk not in Risk.values:
        raise _invalid("risk", _("must be high, moderate or low"))
    case = CareCase.objects.select_for_update().get(pk=case.pk)
    _require_open(case)
    before = case.risk
    case.risk = risk
    case.follow_up_days = FOLLOW_UP_DAYS[risk]
    # A higher risk brings the next call forward, never back.
    case.next_due = min(case.next_due or _next_due(risk), _next_due(risk))
    case.save(update_fields=["risk", "follow_up_days", "next_due"])
    audit_record(
        actor=actor,
        action="care.case_risk",
        target=case,
        community_id=_community_id(case.resident),
        detail={"from": before, "to": risk},
    )
    return case


@transaction.atomic
def session_record(
    *, actor, case: CareCase, mode: str, minutes: int, notes: str = "", at=None
) -> CareSession:
    """A conversation held: the notes are encrypted before they are stored, and the next
    follow-up is due one follow-up period later."""
    case = CareCase.objects.select_for_update().get(pk=case.pk)
    _require_open(case)
    errors = {}
    if mode not in SessionMode.values:
        errors["mode"] = [_("must be phone, video or visit")]
    if not isinstance(minutes, int) or not 1 <= minutes <= 480:
        errors["minutes"] = [_("must be 1 to 480")]
    at = at or timezone.now()
    if at > timezone.now() + dt.timedelta(minutes=5):
        errors["at"] = [_("cannot be in the future")]
    if len(notes or "") > 10_000:
        errors["notes"] = [_("must be at most %(n)d characters") % {"n": 10_000}]
    if errors:
        raise ApplicationError(_("Please correct the marked fields."), fields=errors)
    session = CareSession.objects.create(
        case=case,
        at=at,
        mode=mode,
        minutes=minutes,
        notes_encrypted=encrypt(notes.strip()) if notes and notes.strip() else "",
        counsellor=_user(actor),
    )
    case.next_due = _next_due(case.risk, today=timezone.localdate(at))
    case.save(update_fields=["next_due"])
    audit_record(
        actor=actor,
        action="care.session",
        target=case,
        community_id=_community_id(case.resident),
        detail={"session": session.pk, "mode": mode, "minutes": minutes},
    )
    return session


@transaction.atomic
def case_refer(*, actor, case: CareCase, referral: str, note: str = "") -> CareCase:
    if referral not in Referral.values:
        raise _invalid("referral", _("must be a psychiatric service, a hotline or other"))
    case = CareCase.objects.select_for_update().get(pk=case.pk)
    _require_open(case)
    case.referral = referral
    case.referral_note = (note or "").strip()[:300]
    case.save(update_fields=["referral", "referral_note"])
    audit_record(
        actor=actor,
        action="care.case_refer",
        target=case,
        community_id=_community_id(case.resident),
        detail={"referral": referral},
    )
    return case


@transaction.atomic
def case_close(*, actor, case: CareCase, outcome: str) -> CareCase:
    if outcome not in Outcome.values:
        raise _invalid("outcome", _("must be one of the outcomes"))
    case = CareCase.objects.select_for_update().get(pk=case.pk)
    _require_open(case)
    case.status = CaseStatus.CLOSED
    case.outcome = outcome
    case.closed_at = timezone.now()
    case.next_due = None
    case.save(update_fields=["status", "outcome", "closed_at", "next_due"])
    audit_record(
        actor=actor,
        action="care.case_close",
        target=case,
        community_id=_community_id(case.resident),
        detail={"outcome": outcome},
    )
    return case


def followups_due(*, today: dt.date | None = None, community=None) -> int:
    """The daily round (`manage.py care_daily`): every open case whose follow-up is due puts a
    counselling task in the pool, assigned to the case's counsellor when they are on the
    roster (a live task absorbs the repeat). Until a session is recorded the case stays due."""
    today = today or timezone.localdate()
    made = 0
    due = CareCase.objects.filter(status=CaseStatus.OPEN, next_due__lte=today)
    if community is not None:
        due = due.filter(resident__household__building__community=community)
    for case in due.select_related("resident__household__building", "counsellor"):
        with transaction.atomic():
            task, merged = task_create(
                actor=None,
                kind=TaskKind.COUNSELLING,
                title=(_("Counselling follow-up: %(name)s") % {"name": case.resident.name})[:120],
                source=Source.PLAN,
                resident=case.resident,
                priority=Priority.HIGH if case.risk == Risk.HIGH else Priority.NORMAL,
                due_at=timezone.make_aware(dt.datetime.combine(today, dt.time(18))),
            )
            if not merged and case.counsellor_id:
                _assign_to_counsellor(task, case.counsellor)
        made += not merged
    return made


def _assign_to_counsellor(task, user) -> None:
    """Give the follow-up to the case's counsellor if they can take it; otherwise it stays
    open in the pool for any counsellor (a refusal here is not an error of the round)."""
    from linli.taskpool.services import task_assign
    from linli.workforce.selectors import worker_for

    worker = worker_for(user)
    if worker is None:
        return
    try:
        with transaction.atomic():
            task_assign(actor=None, task=task, worker=worker)
    except ApplicationError:
        pass


# ------------------------------------------------------------------------- the list, groups


@transaction.atomic
def priority_flag_add(*, actor, resident: Resident, reason: str) -> PriorityFlag:
    reason = _reason(reason)
    try:
        with transaction.atomic():
            flag = PriorityFlag.objects.create(
                resident=resident, reason=reason, added_by=_user(actor)
            )
    except IntegrityError:
        raise Conflict(
            _("%(name)s is already on the list.") % {"name": resident.name}, code="flagged"
        ) from None
    audit_record(
        actor=actor,
        action="care.flag",
        target=resident,
        community_id=_community_id(resident),
    )
    return flag


@transaction.atomic
def priority_flag_end(*, actor, flag: PriorityFlag) -> PriorityFlag:
    if flag.ended_at is None:
        flag.ended_at = timezone.now()
        flag.save(update_fields=["ended_at"])
    return flag


@transaction.atomic
def group_session_create(
    *, actor, community, title: str, audience: str, at, mode: str, residents=()
) -> GroupSession:
    errors = {}
    title = (title or "").strip()
    if not title:
        errors["title"] = [_("is required")]
    if audience not in Audience.values:
        errors["audience"] = [_("must be one of the groups")]
    if mode not in SessionMode.values:
        errors["mode"] = [_("must be phone, video or visit")]
    if errors:
        raise ApplicationError(_("Please correct the marked fields."), fields=errors)
    group = GroupSession.objects.create(
        community=community,
        title=title[:120],
        audience=audience,
        at=at,
        mode=mode,
        counsellor=_user(actor),
    )
    GroupAttendance.objects.bulk_create(
        [GroupAttendance(session=group, resident=r) for r in residents], ignore_conflicts=True
    )
    return group


@transaction.atomic
def attendance_mark(*, actor, group: GroupSession, attended_ids) -> int:
    """Mark who came (the rest of the invited did not)."""
    attended_ids = set(attended_ids)
    rows = list(GroupAttendance.objects.filter(session=group))
    for row in rows:
        row.attended = row.resident_id in attended_ids
    GroupAttendance.objects.bulk_update(rows, ["attended"])
    return sum(row.attended for row in rows)
