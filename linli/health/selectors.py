"""Reads of health records that cross relations. A read of one person's health history is
an audit event (DESIGN.md: every read of sensitive personal information is logged)."""

import datetime as dt

from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.utils import timezone

from linli.core.services import audit_record
from linli.health.access import residents_q
from linli.health.choices import HealthStatus
from linli.health.models import (
    HealthRecord,
    HealthReport,
    HealthStatusChange,
    Quarantine,
    QuarantineExtension,
)
from linli.residents.models import Resident

# Nobody knocks for the dead, or for people in hospital or a quarantine hotel (the hotel's
# and the ward's staff take their temperature).
NOT_ASKED = [HealthStatus.DECEASED, HealthStatus.HOSPITALISED, HealthStatus.CENTRAL_QUARANTINE]


def missing_reports(*, community, date: dt.date, residents=None):
    """Active residents of `community` with no health report on `date` (the deceased and
    people in hospital are not asked), ordered by building and room."""
    base = residents if residents is not None else Resident.objects.all()
    reported = HealthReport.objects.filter(resident=OuterRef("pk"), date=date)
    not_asked = HealthRecord.objects.filter(resident=OuterRef("pk"), status__in=NOT_ASKED)
    return (
        base.active()
        .filter(household__building__community=community)
        .annotate(reported=Exists(reported), not_asked=Exists(not_asked))
        .filter(reported=False, not_asked=False)
        .select_related("household__building")
        .order_by("household__building__number", "household__room", "id")
    )


def missing_by_building(*, user, community, date: dt.date) -> list[dict]:
    """Per building of the user's area: residents, reports in, and missing."""
    area = Resident.objects.filter(residents_q(user, "missing")).active()
    area = area.filter(household__building__community=community)
    reported = HealthReport.objects.filter(resident=OuterRef("pk"), date=date)
    rows = (
        area.annotate(reported=Exists(reported))
        .values("household__building_id", "household__building__number")
        .annotate(total=Count("id"), done=Count("id", filter=Q(reported=True)))
        .order_by("household__building__number")
    )
    return [
        {
            "building_id": r["household__building_id"],
            "building": r["household__building__number"],
            "total": r["total"],
            "reported": r["done"],
            "missing": r["total"] - r["done"],
        }
        for r in rows
    ]


def status_counts(*, user, community) -> dict[str, int]:
    """How many people of the user's area are in each non-healthy status."""
    rows = (
        HealthRecord.objects.filter(
            resident__in=Resident.objects.filter(residents_q(user, "view")).filter(
                household__building__community=community
            )
        )
        .exclude(status=HealthStatus.HEALTHY)
        .values("status")
        .annotate(n=Count("resident_id"))
    )
    return {r["status"]: r["n"] for r in rows}


def people_in_status(*, user, community, status: str):
    return (
        HealthRecord.objects.filter(status=status)
        .filter(
            resident__in=Resident.objects.filter(residents_q(user, "view")).filter(
                household__building__community=community
            )
        )
        .select_related("resident__household__building")
        .order_by("-since")
    )


def quarantines_in_force(*, user, community):
    return (
        Quarantine.objects.filter(released_on__isnull=True)
        .filter(
            resident__in=Resident.objects.filter(residents_q(user, "view")).filter(
                household__building__community=community
            )
        )
        .select_related("resident__household__building")
        .order_by("ends_on", "id")
    )


def health_history(*, user, resident: Resident, reason: str = "") -> dict:
    """A person's whole health record. Audited: who read whose health history, when."""
    audit_record(
        actor=user,
        action="health.history_read",
        target=resident,
        community_id=resident.household.building.community_id,
        detail={"reason": reason} if reason else {},
    )
    record = HealthRecord.objects.filter(resident=resident).first()
    return {
        "status": record.status if record else HealthStatus.HEALTHY,
        "since": record.since if record else None,
        "changes": list(
            HealthStatusChange.objects.filter(resident=resident).select_related("changed_by")
        ),
        "reports": list(HealthReport.objects.filter(resident=resident)[:30]),
        "tests": list(resident.lab_results.all()[:30]),
        "quarantines": list(
            Quarantine.objects.filter(resident=resident).prefetch_related(
                Prefetch("extensions", QuarantineExtension.objects.select_related("by"))
            )
        ),
    }


def quarantined_household_ids(community) -> set[int]:
    """Households of `community` with someone under home quarantine today (they get door
    delivery: issue 5 and proposal S4)."""
    today = timezone.localdate()
    return set(
        Quarantine.objects.filter(
            released_on__isnull=True,
            kind="home",
            starts_on__lte=today,
            resident__household__building__community=community,
        ).values_list("resident__household_id", flat=True)
    )


# ---------------------------------------------------------------------- for the pages
# Added with the health pages (views, API): small reads the pages need, scoped like the rest.


def report_deadline(day: dt.date) -> dt.datetime:
    """The hour after which a missing daily report becomes a check-on task."""
    from django.conf import settings

    return timezone.make_aware(dt.datetime.combine(day, dt.time(settings.LINLI_HEALTH_REPORT_HOUR)))


def people_to_report(*, user, date: dt.date, building_id=None, resident_id=None) -> list:
    """Active residents `user` may report for (their own household, or the people of their
    area in one building), each with `.day_report`: their report of `date` or None. The
    deceased and people in hospital are not asked, as in `missing_reports`."""
    not_asked = HealthRecord.objects.filter(resident=OuterRef("pk"), status__in=NOT_ASKED)
    people = Resident.objects.filter(residents_q(user, "report")).active()
    if building_id is not None:
        people = people.filter(household__building_id=building_id)
    if resident_id is not None:
        people = people.filter(pk=resident_id)
    people = list(
        people.annotate(not_asked=Exists(not_asked))
        .filter(not_asked=False)
        .select_related("household__building", "household__entrance")
        .order_by("household__entrance__number", "household__room", "id")
    )
    reports = {
        r.resident_id: r
        for r in HealthReport.objects.filter(
            resident__in=[p.pk for p in people], date=date
        ).select_related("reported_by")
    }
    for person in people:
        person.day_report = reports.get(person.pk)
    return people


def building_in_area(*, user, action: str, building_id):
    """The building if it lies in `user`'s area for `action`, else None."""
    from linli.accounts.access import scope_q
    from linli.health.access import health_scope
    from linli.places.models import Building
    from linli.residents.access import PATHS

    q = scope_q(health_scope(user, action), **PATHS["building"])
    return Building.objects.filter(q, pk=building_id).select_related("community").first()


def resident_allows(*, user, resident: Resident, action: str) -> bool:
    """Whether `user` may `action` this person's health (to show a form or not)."""
    return Resident.objects.filter(residents_q(user, action), pk=resident.pk).exists()


def quarantine_in_area(*, user, pk, action: str) -> Quarantine:
    """A quarantine whose person `user` may `action`; 404 outside their area, else 403."""
    from django.http import Http404

    from linli.health.access import access_resident

    quarantine = Quarantine.objects.filter(pk=pk).only("resident_id").first()
    if quarantine is None:
        raise Http404
    resident = access_resident(user, quarantine.resident_id, action=action)
    quarantine = Quarantine.objects.get(pk=pk)
    quarantine.resident = resident
    return quarantine


def missing_in_area(*, user, community, date: dt.date) -> dict[int, list]:
    """The people of the user's area with no report on `date`, by building id (names for
    the missing list; no health data)."""
    people = missing_reports(
        community=community,
        date=date,
        residents=Resident.objects.filter(residents_q(user, "missing")),
    ).select_related("household__entrance")
    by_building: dict[int, list] = {}
    for person in people:
        by_building.setdefault(person.household.building_id, []).append(person)
    return by_building
