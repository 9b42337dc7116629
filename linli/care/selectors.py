"""Reads for psychological support: the priority list with its reasons, a case's notes
(audited), and the figures (aggregates only, small counts suppressed)."""

import datetime as dt
from collections import defaultdict

from django.db.models import Count, Q
from django.http import Http404
from django.utils import timezone

from linli.accounts.choices import Role
from linli.accounts.models import User
from linli.care import access
from linli.care.access import residents_q
from linli.care.choices import CaseStatus, PriorityReason
from linli.care.models import CareCase, CareSession, PriorityFlag, Screening
from linli.core.crypto import decrypt
from linli.core.services import audit_record
from linli.health.choices import HealthStatus
from linli.health.models import HealthRecord, Quarantine
from linli.residents.choices import Tag
from linli.residents.models import Resident
from linli.residents.selectors import search_q, tag_q

# How far back a screening at moderate or worse keeps a person on the list.
SCREENED_DAYS = 30
# Figures below this are shown as "fewer than 5": a small count can name a person (issue 7).
SUPPRESS_BELOW = 5


def priority_list(*, user, community, today: dt.date | None = None) -> list[dict]:
    """Everyone of the user's area who should be offered support, each with every reason:
    [{"resident": Resident, "reasons": [PriorityReason, ...], "notes": {reason: text},
      "case": CareCase or None}], most reasons first. Computed from today's records, so it is
    fresh each day without a job."""
    today = today or timezone.localdate()
    area = Resident.objects.filter(residents_q(user, "priority")).active()
    area = area.filter(household__building__community=community)
    reasons: dict[int, dict] = defaultdict(dict)

    def add(ids, reason, note=""):
        for pk in ids:
            reasons[pk].setdefault(reason, note)

    add(
        HealthRecord.objects.filter(
            resident__in=area,
            status__in=[HealthStatus.CONFIRMED, HealthStatus.SUSPECTED, HealthStatus.HOSPITALISED],
        ).values_list("resident_id", flat=True),
        PriorityReason.CASE,
    )
    add(
        Quarantine.objects.filter(resident__in=area, released_on__isnull=True).values_list(
            "resident_id", flat=True
        ),
        PriorityReason.QUARANTINE,
    )
    add(
        area.filter(tag_q(Tag.BEREAVED, today=today)).values_list("pk", flat=True),
        PriorityReason.BEREAVED,
    )
    add(
        area.filter(
            tag_q(Tag.LIVING_ALONE, today=today) & tag_q(Tag.AGED_60, today=today)
        ).values_list("pk", flat=True),
        PriorityReason.ALONE,
    )
    since = timezone.now() - dt.timedelta(days=SCREENED_DAYS)
    add(
        Screening.objects.filter(resident__in=area, at__gte=since)
        .filter(Q(risk__in=["moderate", "high"]))
        .values_list("resident_id", flat=True),
        PriorityReason.SCREENED,
    )
    for flag in PriorityFlag.objects.filter(resident__in=area, ended_at__isnull=True):
        add([flag.resident_id], PriorityReason.STAFF, flag.reason)
    add(_workers_over_cap(area, community, today), PriorityReason.WORKER)

    people = area.filter(pk__in=list(reasons)).select_related("household__building")
    cases = {
        c.resident_id: c
        for c in CareCase.objects.filter(
            resident__in=list(reasons), status=CaseStatus.OPEN
        ).select_related("counsellor")
    }
    order = list(PriorityReason.values)
    rows = [
        {
            "resident": r,
            "reasons": sorted(reasons[r.pk], key=order.index),
            "notes": {k: v for k, v in reasons[r.pk].items() if v},
            "case": cases.get(r.pk),
        }
        for r in people
    ]
    rows.sort(
        key=lambda row: (-len(row["reasons"]), order.index(row["reasons"][0]), row["resident"].pk)
    )
    return rows


def _workers_over_cap(area, community, today) -> list[int]:
    """Residents of the area who work on the community's roster and are over their weekly
    hour cap (worker care, S13)."""
    from linli.workforce.selectors import care_overview

    over = care_overview(community_id=community.pk, today=today)["over_cap"]
    ids = {w.resident_id for w in over if w.resident_id}
    return list(area.filter(pk__in=ids).values_list("pk", flat=True))


def has_support(resident_ids) -> set[int]:
    """Which of these residents have an open case: all a grid worker may know."""
    return set(
        CareCase.objects.filter(resident__in=resident_ids, status=CaseStatus.OPEN).values_list(
            "resident_id", flat=True
        )
    )


def session_notes(*, user, session: CareSession) -> str:
    """The notes of one session, decrypted. Audited: who read whose counselling notes."""
    audit_record(
        actor=user,
        action="care.notes_read",
        target=session.case,
        community_id=session.case.resident.household.building.community_id,
        detail={"session": session.pk},
    )
    return decrypt(session.notes_encrypted) if session.notes_encrypted else ""


def _suppress(n: int):
    return n if n == 0 or n >= SUPPRESS_BELOW else f"<{SUPPRESS_BELOW}"


def figures(*, communities, weeks: int = 6, today: dt.date | None = None) -> dict:
    """Aggregates for the supervisor: screenings by band per week, open cases by risk, and
    follow-ups on time. No person appears; counts under SUPPRESS_BELOW are suppressed."""
    today = today or timezone.localdate()
    start = today - dt.timedelta(days=7 * weeks - 1)
    in_area = Q(resident__household__building__community__in=communities)
    by_week: dict = defaultdict(lambda: defaultdict(int))
    rows = Screening.objects.filter(in_area, at__date__gte=start).values_list(
        "at", "instrument", "band"
    )
    for at, instrument, band in rows:
        week = timezone.localdate(at) - dt.timedelta(days=timezone.localdate(at).weekday())
        by_week[(week, instrument)][band] += 1
    screenings = [
        {
            "week": week,
            "instrument": instrument,
            "bands": {b: _suppress(n) for b, n in bands.items()},
        }
        for (week, instrument), bands in sorted(by_week.items())
    ]
    open_cases = CareCase.objects.filter(in_area, status=CaseStatus.OPEN)
    by_risk = {
        r["risk"]: _suppress(r["n"]) for r in open_cases.values("risk").annotate(n=Count("id"))
    }
    due = open_cases.filter(next_due__isnull=False)
    late = due.filter(next_due__lt=today).count()
    on_time = due.count() - late
    return {
        "screenings": screenings,
        "open_by_risk": by_risk,
        "follow_ups_on_time": _suppress(on_time),
        "follow_ups_late": _suppress(late),
        "suppress_below": SUPPRESS_BELOW,
    }


# ------------------------------------------------------------------ reads the pages share
# (the pages and linli/care/api.py list the same things through these)

SEARCH_LIMIT = 20


def area_people(user, action: str):
    """The people of the user's area for `action`, still living here."""
    return Resident.objects.filter(access.residents_q(user, action)).active()


def people_search(user, action: str, q: str, *, community=None) -> list:
    q = (q or "").strip()
    if not q:
        return []
    people = area_people(user, action).filter(search_q(q))
    if community is not None:
        people = people.filter(household__building__community=community)
    return list(
        people.select_related("household__building", "household__entrance").order_by("name", "pk")[
            :SEARCH_LIMIT
        ]
    )


def area_community(user, action: str, community_id=None):
    """The community asked for if the user works `action` there, else their first one."""
    communities = access.communities_for(user, action).order_by("pk")
    community = communities.filter(pk=community_id).first() if community_id else communities.first()
    if community is None:
        raise Http404
    return community


def open_cases(user, *, mine: bool = False):
    """The open cases of the user's area, the most pressing follow-up first."""
    cases = CareCase.objects.filter(
        status=CaseStatus.OPEN, resident__in=area_people(user, "cases").values("pk")
    )
    if mine:
        # Mine, and nobody's yet: an urgent case opened by a screening has no counsellor until
        # one takes it, and must not hide behind the "all" filter.
        cases = cases.filter(Q(counsellor=user) | Q(counsellor__isnull=True))
    return cases.select_related(
        "resident__household__building", "resident__household__entrance", "counsellor"
    ).order_by("next_due", "-opened_at", "pk")


def counsellors_of(community_id: int) -> list:
    return list(
        User.objects.filter(
            is_active=True, grants__role=Role.COUNSELLOR, grants__community_id=community_id
        )
        .distinct()
        .order_by("username")
    )


def screening_for(user, pk):
    """A screening the user may see: a worker's of their area; a resident's (household scope)
    only those they filled in themselves, so one family member's answers stay theirs."""
    screening = (
        Screening.objects.filter(pk=pk, resident__in=area_people(user, "screen").values("pk"))
        .select_related("resident", "case__counsellor")
        .first()
    )
    if screening is None:
        raise Http404
    if access.scope(user, "screen").household_only and screening.by_id != user.pk:
        raise Http404
    return screening
