"""Every write to health records: daily reports, test results, status changes, quarantine.

A status moves only along `TRANSITIONS`; a refused move answers with the rule it breaks. The
current status lives in one HealthRecord row per person, changed with a conditional UPDATE on
the status it had, so two workers changing the same person at once cannot both win on a stale
view (the loser is told the status moved meanwhile). Each change writes its history row and an
audit event in the same transaction; the tasks it causes join the one task pool.
"""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.core.errors import ApplicationError, Conflict
from linli.core.services import audit_record
from linli.core.services import user_or_none as _user
from linli.health.choices import (
    QUARANTINE_KIND_STATE,
    QUARANTINE_STATES,
    TRANSITIONS,
    ChangeSource,
    HealthStatus,
    LabKind,
    LabOutcome,
    QuarantineKind,
    ReportSource,
    Symptom,
)
from linli.health.constants import MAX_CELSIUS, MAX_EXTENSION_DAYS, MIN_CELSIUS
from linli.health.models import (
    HealthRecord,
    HealthReport,
    HealthStatusChange,
    LabResult,
    Quarantine,
    QuarantineExtension,
)
from linli.residents.choices import Tag
from linli.residents.models import Resident, ResidentTag
from linli.taskpool.choices import Priority, Source, TaskKind
from linli.taskpool.services import task_create

S = HealthStatus


def _community_id(resident: Resident) -> int:
    return resident.household.building.community_id


def _fields_error(field: str, message: str) -> ApplicationError:
    return ApplicationError(_("Please correct the marked fields."), fields={field: [message]})


# ------------------------------------------------------------------------- status


def current_status(resident: Resident) -> str:
    record = HealthRecord.objects.filter(resident=resident).only("status").first()
    return record.status if record else S.HEALTHY


def transition_refusal(from_status: str, to_status: str) -> str:
    """The rule a refused move breaks, in words a worker understands."""
    allowed = TRANSITIONS[from_status]
    if not allowed:
        return _("%(from)s is final: the status cannot change any more.") % {
            "from": S(from_status).label
        }
    names = ", ".join(str(S(s).label) for s in S.values if s in allowed)
    return _("From %(from)s the status can only move to: %(allowed)s.") % {
        "from": S(from_status).label,
        "allowed": names,
    }


@transaction.atomic
def status_change(
    *,
    actor,
    resident: Resident,
    to_status: str,
    reason: str,
    source: str = ChangeSource.MANUAL,
    expected: str | None = None,
    quarantine_location: str = "",
    quarantine_days: int | None = None,
) -> HealthStatusChange:
    """Move `resident` to `to_status`, for `reason`. `expected` is the status the actor saw:
    if it has moved meanwhile the change is refused rather than applied to a record the actor
    has not seen. Entering a quarantine state starts a quarantine; leaving one ends it; a
    death marks the rest of the household bereaved."""
    reason = (reason or "").strip()
    if to_status not in S.values:
        raise _fields_error("to_status", _("must be one of the health statuses"))
    if not reason:
        raise _fields_error("reason", _("is required: say why the status changes"))
    if len(reason) > 300:
        raise _fields_error("reason", _("must be at most %(n)d characters") % {"n": 300})
    now = timezone.now()
    record, _created = HealthRecord.objects.select_for_update().get_or_create(
        resident=resident, defaults={"status": S.HEALTHY, "since": now}
    )
    before = record.status
    if expected is not None and expected != before:
        raise Conflict(
            _("The status changed to %(now)s meanwhile; look again before changing it.")
            % {"now": S(before).label},
            code="status_moved",
        )
    if to_status == before:
        raise Conflict(
            _("The status already is %(status)s.") % {"status": S(before).label},
            code="same_status",
        )
    if to_status not in TRANSITIONS[before]:
        raise Conflict(transition_refusal(before, to_status), code="bad_transition")
    if (
        HealthRecord.objects.filter(resident=resident, status=before).update(
            status=to_status, since=now, updated_at=now
        )
        != 1
    ):
        raise Conflict(_("The status changed meanwhile; please try again."), code="status_moved")
    change = HealthStatusChange.objects.create(
        resident=resident,
        from_status=before,
        to_status=to_status,
        reason=reason,
        source=source,
        changed_by=_user(actor),
        changed_at=now,
    )
    audit_record(
        actor=actor,
        action="health.status_change",
        target=resident,
        community_id=_community_id(resident),
        detail={"from": before, "to": to_status, "reason": reason, "source": source},
    )
    _after_change(
        actor=actor,
        resident=resident,
        before=before,
        after=to_status,
        reason=reason,
        location=quarantine_location,
        days=quarantine_days,
    )
    return change


def _after_change(*, actor, resident, before, after, reason, location, days) -> None:
    active = Quarantine.objects.filter(resident=resident, released_on__isnull=True).first()
    if active is not None and after not in QUARANTINE_STATES:
        _end_quarantine(
            actor=actor,
            quarantine=active,
            note=_("status changed to %(status)s") % {"status": S(after).label},
        )
        active = None
    if after in QUARANTINE_STATES:
        kind = QuarantineKind.HOME if after == S.HOME_QUARANTINE else QuarantineKind.CENTRAL
        if active is not None:  # home to centralised or back: the same period goes on
            active.kind = kind
            active.location = location or active.location
            active.save(update_fields=["kind", "location"])
        else:
            _open_quarantine(
                actor=actor,
                resident=resident,
                kind=kind,
                reason=reason,
                days=days,
                location=location,
            )
    if after == S.DECEASED:
        _mark_bereaved(resident)
    if after in {S.SYMPTOMATIC, S.SUSPECTED, S.CONFIRMED}:
        _check_visit(
            actor=actor,
            resident=resident,
            title=_("Health check: %(name)s is %(status)s")
            % {"name": resident.name, "status": S(after).label},
            note=reason,
            priority=Priority.URGENT if after == S.CONFIRMED else Priority.HIGH,
        )


def _mark_bereaved(resident: Resident) -> None:
    """Proposal S7: the families of the dead need care; the care module looks for this tag."""
    others = Resident.objects.active().filter(household_id=resident.household_id)
    others = others.exclude(pk=resident.pk).values_list("pk", flat=True)
    ResidentTag.objects.bulk_create(
        [ResidentTag(resident_id=pk, tag=Tag.BEREAVED) for pk in others], ignore_conflicts=True
    )


def _check_visit(*, actor, resident, title, note="", priority=Priority.HIGH, due_at=None):
    task, _merged = task_create(
        actor=actor,
        kind=TaskKind.CHECK_VISIT,
        title=title[:120],
        source=Source.MODULE,
        resident=resident,
        priority=priority,
        due_at=due_at,
        note=note,
    )
    return task


# ------------------------------------------------------------------------- quarantine


def _quarantine_days(days) -> int:
    if days is None:
        return settings.LINLI_QUARANTINE_DAYS
    if not isinstance(days, int) or not 1 <= days <= 60:
        raise _fields_error("days", _("must be a whole number of days from 1 to 60"))
    return days


def _open_quarantine(*, actor, resident, kind, reason, days, location, starts_on=None):
    days = _quarantine_days(days)
    starts_on = starts_on or timezone.localdate()
    try:
        with transaction.atomic():
            quarantine = Quarantine.objects.create(
                resident=resident,
                kind=kind,
                location=location[:120],
                reason=reason[:300],
                starts_on=starts_on,
                ends_on=starts_on + dt.timedelta(days=days),
                started_by=_user(actor),
            )
    except IntegrityError as exc:
        raise Conflict(
            _("%(name)s is already under quarantine.") % {"name": resident.name},
            code="already_quarantined",
        ) from exc
    audit_record(
        actor=actor,
        action="health.quarantine_start",
        target=resident,
        community_id=_community_id(resident),
        detail={"kind": kind, "starts_on": str(starts_on), "ends_on": str(quarantine.ends_on)},
    )
    quarantine_followup(actor=actor, quarantine=quarantine, today=starts_on)
    return quarantine


@transaction.atomic
def quarantine_start(
    *,
    actor,
    resident: Resident,
    kind: str,
    reason: str,
    days: int | None = None,
    location: str = "",
) -> Quarantine:
    """Put a person under home or centralised quarantine: the status moves (so the rules
    apply) and the quarantine with its first follow-up task is created with it."""
    if kind not in QuarantineKind.values:
        raise _fields_error("kind", _("must be home or centralised"))
    _quarantine_days(days)
    status_change(
        actor=actor,
        resident=resident,
        to_status=QUARANTINE_KIND_STATE[kind],
        reason=reason,
        source=ChangeSource.QUARANTINE,
        quarantine_location=location,
        quarantine_days=days,
    )
    return Quarantine.objects.get(resident=resident, released_on__isnull=True)


@transaction.atomic
def quarantine_extend(*, actor, quarantine: Quarantine, days: int, reason: str) -> Quarantine:
    reason = (reason or "").strip()
    if not reason:
        raise _fields_error("reason", _("is required: say why the quarantine is extended"))
    if not isinstance(days, int) or not 1 <= days <= MAX_EXTENSION_DAYS:
        raise _fields_error(
            "days", _("must be a whole number of days from 1 to %(n)d") % {"n": MAX_EXTENSION_DAYS}
        )
    quarantine = Quarantine.objects.select_for_update().get(pk=quarantine.pk)
    if not quarantine.in_force:
        raise Conflict(_("This quarantine has ended; start a new one instead."))
    old_end = quarantine.ends_on
    quarantine.ends_on = old_end + dt.timedelta(days=days)
    quarantine.save(update_fields=["ends_on"])
    QuarantineExtension.objects.create(
        quarantine=quarantine,
        old_end=old_end,
        new_end=quarantine.ends_on,
        reason=reason[:300],
        by=_user(actor),
    )
    audit_record(
        actor=actor,
        action="health.quarantine_extend",
        target=quarantine.resident,
        community_id=_community_id(quarantine.resident),
        detail={"old_end": str(old_end), "new_end": str(quarantine.ends_on), "reason": reason},
    )
    return quarantine


def _end_quarantine(*, actor, quarantine: Quarantine, note: str) -> None:
    quarantine.released_on = timezone.localdate()
    quarantine.released_by = _user(actor)
    quarantine.release_note = note[:300]
    quarantine.save(update_fields=["released_on", "released_by", "release_note"])


@transaction.atomic
def quarantine_release(*, actor, quarantine: Quarantine, note: str = "") -> Quarantine:
    """End a quarantine: the person is healthy again (recovered if they had been a case)."""
    quarantine = Quarantine.objects.select_for_update().get(pk=quarantine.pk)
    if not quarantine.in_force:
        raise Conflict(_("This quarantine has already ended."))
    resident = quarantine.resident
    was_case = HealthStatusChange.objects.filter(
        resident=resident, to_status__in=[S.CONFIRMED, S.HOSPITALISED]
    ).exists()
    status_change(
        actor=actor,
        resident=resident,
        to_status=S.RECOVERED if was_case else S.HEALTHY,
        reason=note.strip() or _("released from quarantine"),
        source=ChangeSource.QUARANTINE,
    )
    if note.strip():  # the status change closed it with a generic note; keep the worker's
        Quarantine.objects.filter(pk=quarantine.pk).update(release_note=note.strip()[:300])
    quarantine.refresh_from_db()
    return quarantine


def quarantine_followup(*, actor, quarantine: Quarantine, today: dt.date) -> None:
    """Today's check-on task for a person in quarantine (temperature, needs, mood). A live
    follow-up task absorbs the next day's request rather than piling up duplicates."""
    day = (today - quarantine.starts_on).days + 1
    total = (quarantine.ends_on - quarantine.starts_on).days
    end_of_day = timezone.make_aware(dt.datetime.combine(today, dt.time(20, 0)))
    _check_visit(
        actor=actor,
        resident=quarantine.resident,
        title=_("Quarantine follow-up, day %(day)d of %(total)d: %(name)s")
        % {"day": day, "total": total, "name": quarantine.resident.name},
        note=_("Ask about temperature, symptoms, food, medicine and mood."),
        priority=Priority.NORMAL,
        due_at=end_of_day,
    )


def quarantines_daily(*, today: dt.date | None = None) -> dict:
    """The daily round (cron, `manage.py health_daily`): one follow-up task per quarantine in
    force; a check-on task for each quarantine past its planned end, to release or extend."""
    today = today or timezone.localdate()
    followups = due = 0
    quarantines = Quarantine.objects.filter(released_on__isnull=True, starts_on__lte=today)
    for quarantine in quarantines.select_related("resident__household__building"):
        with transaction.atomic():
            if quarantine.ends_on <= today:
                _check_visit(
                    actor=None,
                    resident=quarantine.resident,
                    title=_("Quarantine ends: release or extend %(name)s")
                    % {"name": quarantine.resident.name},
                    priority=Priority.HIGH,
                )
                due += 1
            else:
                quarantine_followup(actor=None, quarantine=quarantine, today=today)
                followups += 1
    return {"followups": followups, "ending": due}


# ------------------------------------------------------------------------- daily reports


def parse_temperature(value) -> Decimal:
    try:
        temperature = Decimal(str(value).strip().replace("，", ".").replace(",", "."))
    except (InvalidOperation, ValueError):
        raise _fields_error("temperature", _("must be a number such as 36.5")) from None
    if not temperature.is_finite() or not MIN_CELSIUS <= temperature <= MAX_CELSIUS:
        raise _fields_error(
            "temperature",
            _("must be between %(low)s and %(high)s °C")
            % {"low": MIN_CELSIUS, "high": MAX_CELSIUS},
        )
    return temperature.quantize(Decimal("0.1"))


def clean_symptoms(values) -> list[str]:
    values = list(dict.fromkeys(values or []))
    unknown = [v for v in values if v not in Symptom.values]
    if unknown:
        raise _fields_error(
            "symptoms", _("unknown symptom: %(names)s") % {"names": ", ".join(map(str, unknown))}
        )
    return [s for s in Symptom.values if s in values]  # the fixed list's order


@transaction.atomic
def report_submit(
    *,
    actor,
    resident: Resident,
    temperature,
    symptoms=(),
    note: str = "",
    date: dt.date | None = None,
) -> tuple[HealthReport, bool]:
    """Record today's report for `resident`. Sending it again the same day (a retry, a
    correction) updates the one report. A fever or a symptom puts a check-on visit in the pool
    and moves a healthy person to "symptomatic". Returns (report, created)."""
    temperature = parse_temperature(temperature)
    symptoms = clean_symptoms(symptoms)
    note = (note or "").strip()
    if len(note) > 300:
        raise _fields_error("note", _("must be at most %(n)d characters") % {"n": 300})
    today = timezone.localdate()
    date = date or today
    if date > today or date < today - dt.timedelta(days=7):
        raise _fields_error("date", _("must be today or one of the last seven days"))
    if current_status(resident) == S.DECEASED:
        raise Conflict(_("%(name)s is recorded as deceased.") % {"name": resident.name})
    own = getattr(actor, "resident_id", None) is not None and (
        actor.resident.household_id == resident.household_id
    )
    report, created = HealthReport.objects.update_or_create(
        resident=resident,
        date=date,
        defaults={
            "temperature": temperature,
            "symptoms": symptoms,
            "note": note,
            "source": ReportSource.SELF if own else ReportSource.WORKER,
            "reported_by": _user(actor),
            "reported_at": timezone.now(),
        },
    )
    if report.unwell:
        _report_unwell(actor=actor, resident=resident, report=report)
    return report, created


def _report_unwell(*, actor, resident: Resident, report: HealthReport) -> None:
    what = [f"{report.temperature} °C"] + [str(Symptom(s).label) for s in report.symptoms]
    summary = ", ".join(what)
    if current_status(resident) == S.HEALTHY:
        status_change(
            actor=actor,
            resident=resident,
            to_status=S.SYMPTOMATIC,
            reason=_("daily report: %(what)s") % {"what": summary},
            source=ChangeSource.REPORT,
        )  # the change itself puts the check-on visit in the pool
    else:
        _check_visit(
            actor=actor,
            resident=resident,
            title=_("Unwell in daily report: %(name)s") % {"name": resident.name},
            note=summary,
        )


# ------------------------------------------------------------------------- tests


def _clean_lab(*, kind, outcome, sampled_on, place) -> dict:
    errors = {}
    if kind not in LabKind.values:
        errors["kind"] = [_("must be PCR or antigen")]
    if outcome not in LabOutcome.values:
        errors["outcome"] = [_("must be negative, positive or inconclusive")]
    if not isinstance(sampled_on, dt.date):
        errors["sampled_on"] = [_("must be a date")]
    elif sampled_on > timezone.localdate():
        errors["sampled_on"] = [_("cannot be in the future")]
    if len(place or "") > 100:
        errors["place"] = [_("must be at most %(n)d characters") % {"n": 100}]
    if errors:
        raise ApplicationError(_("Please correct the marked fields."), fields=errors)
    return {"kind": kind, "outcome": outcome, "sampled_on": sampled_on, "place": place or ""}


@transaction.atomic
def lab_result_record(
    *,
    actor,
    resident: Resident,
    kind: str,
    outcome: str,
    sampled_on,
    place: str = "",
    imported: bool = False,
) -> tuple[LabResult, bool]:
    """Record one test (the same person, kind, day and place again updates it). A positive
    result makes a healthy or watched person a suspected case and sends an urgent visit."""
    values = _clean_lab(kind=kind, outcome=outcome, sampled_on=sampled_on, place=place)
    before = (
        LabResult.objects.filter(
            resident=resident,
            kind=values["kind"],
            sampled_on=values["sampled_on"],
            place=values["place"],
        )
        .values_list("outcome", flat=True)
        .first()
    )
    result, created = LabResult.objects.update_or_create(
        resident=resident,
        kind=values["kind"],
        sampled_on=values["sampled_on"],
        place=values["place"],
        defaults={"outcome": values["outcome"], "recorded_by": _user(actor), "imported": imported},
    )
    audit_record(
        actor=actor,
        action="health.lab_result",
        target=resident,
        community_id=_community_id(resident),
        detail={"kind": kind, "outcome": outcome, "sampled_on": str(values["sampled_on"])},
    )
    # A positive result acts once: importing the same laboratory sheet again changes nothing.
    if values["outcome"] == LabOutcome.POSITIVE and before != LabOutcome.POSITIVE:
        status = current_status(resident)
        reason = _("positive %(kind)s test on %(date)s") % {
            "kind": LabKind(kind).label,
            "date": values["sampled_on"],
        }
        if S.SUSPECTED in TRANSITIONS[status]:
            status_change(
                actor=actor,
                resident=resident,
                to_status=S.SUSPECTED,
                reason=reason,
                source=ChangeSource.TEST,
            )
        else:
            _check_visit(
                actor=actor,
                resident=resident,
                title=_("Positive test: %(name)s") % {"name": resident.name},
                note=reason,
                priority=Priority.URGENT,
            )
    return result, created


# ------------------------------------------------------------------------- missing reports


def missing_report_tasks(*, community, today: dt.date | None = None, now=None) -> int:
    """After the reporting hour, everyone in `community` with no report today becomes a
    check-on visit (one task per household: the worker knocks once for the whole family)."""
    from linli.health.selectors import missing_reports

    now = now or timezone.now()
    today = today or timezone.localdate(now)
    deadline = timezone.make_aware(
        dt.datetime.combine(today, dt.time(settings.LINLI_HEALTH_REPORT_HOUR))
    )
    if now < deadline:
        return 0
    households: dict[int, list[Resident]] = {}
    for resident in missing_reports(community=community, date=today):
        households.setdefault(resident.household_id, []).append(resident)
    created = 0
    for members in households.values():
        names = "、".join(r.name for r in members[:5]) + ("…" if len(members) > 5 else "")
        with transaction.atomic():
            _task, merged = task_create(
                actor=None,
                kind=TaskKind.CHECK_VISIT,
                title=_("No health report today: %(names)s") % {"names": names},
                source=Source.SYSTEM,
                household=members[0].household,
                priority=Priority.NORMAL,
                note=str(today),
            )
        created += not merged
    return created
