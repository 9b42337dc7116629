"""Reads of check-ins, trajectories and tracing runs. A read of a person's trajectory is an
audit event (issue 5, "Privacy": every read of a person's trajectory is audited)."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils import timezone

from linli.core.services import audit_record
from linli.health.access import communities_for, residents_q
from linli.health.choices import HealthStatus
from linli.health.models import HealthRecord, HealthStatusChange
from linli.places.models import PublicPlace
from linli.residents.models import Resident
from linli.residents.selectors import search_q
from linli.tracing.choices import Review
from linli.tracing.models import CheckIn, DirectContact, TraceContact, TracingRun
from linli.tracing.services import LOOKBACK_DAYS, OPEN_VISIT_HOURS, default_stay

SEARCH_LIMIT = 20
# Who a new run suggests as its index cases.
INDEX_STATUSES = (HealthStatus.CONFIRMED, HealthStatus.SUSPECTED, HealthStatus.HOSPITALISED)


@dataclass
class Visit:
    """One check-in as the trajectory shows it: the exit recorded, or inferred."""

    checkin: CheckIn
    left_at: dt.datetime
    inferred: bool

    @property
    def place(self):
        return self.checkin.place

    @property
    def entered_at(self):
        return self.checkin.entered_at

    @property
    def minutes(self) -> int:
        return round((self.left_at - self.checkin.entered_at).total_seconds() / 60)


def visit(checkin: CheckIn) -> Visit:
    if checkin.left_at is not None:
        return Visit(checkin, checkin.left_at, False)
    return Visit(checkin, checkin.entered_at + default_stay(), True)


# ------------------------------------------------------------------------- places


def places_for(*, user, action: str = "record_checkin"):
    return (
        PublicPlace.objects.filter(community__in=communities_for(user, action))
        .select_related("community", "grid")
        .order_by("community_id", "kind", "name", "id")
    )


def open_visits(residents, *, place=None, at=None) -> list[Visit]:
    """The visits `residents` are taken to be on now (no exit, entered in the last
    OPEN_VISIT_HOURS), at `place` if given."""
    at = at or timezone.now()
    visits = CheckIn.objects.filter(
        resident__in=list(residents),
        left_at__isnull=True,
        entered_at__lte=at,
        entered_at__gte=at - dt.timedelta(hours=OPEN_VISIT_HOURS),
    )
    if place is not None:
        visits = visits.filter(place=place)
    return [visit(c) for c in visits.select_related("place", "resident").order_by("entered_at")]


def place_today(*, user, place, today: dt.date | None = None) -> list[Visit]:
    """Today's entries at `place` of the residents the user records for, latest first."""
    today = today or timezone.localdate()
    start = timezone.make_aware(dt.datetime.combine(today, dt.time.min))
    checkins = (
        CheckIn.objects.filter(
            place=place,
            entered_at__gte=start,
            entered_at__lt=start + dt.timedelta(days=1),
        )
        .filter(resident__in=Resident.objects.filter(residents_q(user, "record_checkin")))
        .select_related("resident__household__building", "resident__household__entrance")
        .select_related("recorded_by", "place")
        .order_by("-entered_at", "-id")
    )
    return [visit(c) for c in checkins]


def record_search(*, user, community, q: str) -> list[Resident]:
    """Residents of `community` the user may record entries for, by name, pinyin, phone or
    the last four characters of the ID number."""
    if not (q or "").strip():
        return []
    return list(
        Resident.objects.active()
        .filter(residents_q(user, "record_checkin"))
        .filter(household__building__community=community)
        .filter(search_q(q))
        .select_related("household__building", "household__entrance")
        .order_by("name", "id")[:SEARCH_LIMIT]
    )


def trace_search(*, user, community, q: str) -> list[Resident]:
    """Residents of `community` whose trajectory the user may read, by name, phone or ID."""
    if not (q or "").strip():
        return []
    return list(
        Resident.objects.active()
        .filter(residents_q(user, "trace"))
        .filter(household__building__community=community)
        .filter(search_q(q))
        .select_related("household__building", "household__entrance")
        .order_by("name", "id")[:SEARCH_LIMIT]
    )


# ------------------------------------------------------------------------- trajectory


def trajectory(*, user, resident: Resident, since: dt.datetime, until: dt.datetime) -> dict:
    """Where `resident` was between `since` and `until`: the check-ins (exit recorded or
    inferred from the default stay), grouped by day, and the recorded direct contacts.
    Audited: who read whose whereabouts, when, for which period."""
    audit_record(
        actor=user,
        action="tracing.trajectory_read",
        target=resident,
        community_id=resident.household.building.community_id,
        detail={"from": since.isoformat(), "until": until.isoformat()},
    )
    checkins = (
        CheckIn.objects.filter(resident=resident, entered_at__gte=since, entered_at__lt=until)
        .select_related("place", "recorded_by")
        .order_by("entered_at", "id")
    )
    visits = [visit(c) for c in checkins]
    days: dict[dt.date, list[Visit]] = {}
    for v in visits:
        days.setdefault(timezone.localdate(v.entered_at), []).append(v)
    contacts = (
        DirectContact.objects.filter(Q(resident=resident) | Q(other=resident))
        .filter(at__gte=since, at__lt=until)
        .select_related("resident", "other", "recorded_by")
        .order_by("at", "id")
    )
    places: dict[int, dict] = {}
    for v in visits:
        p = v.place
        entry = places.setdefault(p.pk, {"place": p, "visits": 0, "first": v.entered_at})
        entry["visits"] += 1
    return {
        "visits": visits,
        "days": sorted(days.items()),
        "contacts": [
            {
                "contact": c,
                "person": c.other if c.resident_id == resident.pk else c.resident,
            }
            for c in contacts
        ],
        "places": sorted(places.values(), key=lambda e: e["first"]),
    }


# ------------------------------------------------------------------------- runs


def runs_for(*, user):
    return (
        TracingRun.objects.filter(community__in=communities_for(user, "trace"))
        .select_related("community", "created_by", "job")
        .annotate(
            pending=Count("contacts", filter=Q(contacts__review=Review.PENDING), distinct=True),
            index_count=Count("index_cases", distinct=True),
        )
        .order_by("-created_at", "-id")
    )


def suggested_index_cases(*, user, community) -> list[Resident]:
    """People of the community the user may trace who are a case now (confirmed, suspected,
    in hospital) or became one within the lookback: a new run starts from them. A confirmed
    case moves on to hospital, or dies, within days; their contacts still matter."""
    since = timezone.now() - dt.timedelta(days=LOOKBACK_DAYS)
    now_cases = HealthRecord.objects.filter(status__in=INDEX_STATUSES).values("resident_id")
    recent = HealthStatusChange.objects.filter(
        to_status__in=[HealthStatus.CONFIRMED, HealthStatus.SUSPECTED], changed_at__gte=since
    ).values("resident_id")
    return list(
        Resident.objects.filter(residents_q(user, "trace"))
        .filter(Q(pk__in=now_cases) | Q(pk__in=recent))
        .filter(household__building__community=community)
        .select_related("household__building", "health")
        .order_by("name", "id")
    )


def residents_by_ids(*, user, community, ids) -> list[Resident]:
    return list(
        Resident.objects.filter(residents_q(user, "trace"), pk__in=list(ids))
        .filter(household__building__community=community)
        .select_related("household__building")
        .order_by("name", "id")
    )


def run_opened(*, user, run: TracingRun) -> None:
    """A finished run names people and where they were: opening it is an audited read."""
    audit_record(actor=user, action="tracing.run_read", target=run, community_id=run.community_id)


def run_contacts(run: TracingRun, *, review: str | None = None):
    contacts = TraceContact.objects.filter(run=run).select_related(
        "resident__household__building",
        "resident__household__entrance",
        "resident__health",
        "source",
        "place",
        "reviewed_by",
    )
    if review:
        contacts = contacts.filter(review=review)
    return contacts.order_by("hop", "exposure_at", "id")


def run_graph_contacts(run: TracingRun, *, limit: int) -> list[TraceContact]:
    """The contacts the graph draws: close ones first, the earliest exposed first."""
    return list(
        TraceContact.objects.filter(run=run)
        .select_related("resident", "place")
        .only("resident__name", "place__name", "source_id", "hop", "kind", "exposure_at")
        .order_by("hop", "exposure_at", "id")[:limit]
    )


def run_review_counts(run: TracingRun) -> dict:
    rows = TraceContact.objects.filter(run=run).values("review", "hop").annotate(n=Count("id"))
    counts = {"total": 0, "hop1_pending": 0}
    for r in rows:
        counts[r["review"]] = counts.get(r["review"], 0) + r["n"]
        counts["total"] += r["n"]
        if r["review"] == Review.PENDING and r["hop"] == 1:
            counts["hop1_pending"] += r["n"]
    return counts


def run_index_cases(run: TracingRun) -> list[Resident]:
    return list(run.index_cases.select_related("household__building").order_by("name", "id"))
