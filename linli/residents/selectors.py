"""Reads of the registry that cross relations. Every one is scoped through `restrict`."""

import re
from datetime import date

from django.db.models import Case, Count, F, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from linli.places.models import Building, Grid, Household
from linli.residents.access import registry_q
from linli.residents.choices import Tag
from linli.residents.models import Resident, ResidentTag

ADDRESS_RE = re.compile(
    r"^(?P<building>\w+?)[-栋号](?:(?P<entrance>\d+)[-单元]+)?(?P<room>\d+)室?$"
)


def years_ago(today: date, years: int) -> date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def household_size_subquery():
    return Coalesce(
        Subquery(
            Resident.objects.active()
            .filter(household_id=OuterRef("household_id"))
            .order_by()
            .values("household_id")
            .annotate(n=Count("id"))
            .values("n")[:1],
            output_field=IntegerField(),
        ),
        Value(0),
    )


def tag_q(tag: str, *, today: date | None = None) -> Q:
    """Residents in a special group; derived groups are computed, never stored."""
    today = today or timezone.localdate()
    if tag == Tag.AGED_60:
        return Q(birth_date__lte=years_ago(today, 60))
    if tag == Tag.INFANT:
        return Q(birth_date__gt=years_ago(today, 3))
    if tag == Tag.LIVING_ALONE:
        single = (
            Resident.objects.active()
            .order_by()
            .values("household_id")
            .annotate(n=Count("id"))
            .filter(n=1)
            .values("household_id")
        )
        return Q(household_id__in=single)
    return Q(pk__in=ResidentTag.objects.filter(tag=tag).values("resident_id"))


def search_q(q: str) -> Q:
    """Name, pinyin or initials (张伟, zhangwei, zw), phone, last 4 of the ID, or an address
    such as 12-1-301 (building-entrance-room) or 12-301."""
    q = q.strip()
    if not q:
        return Q()
    if match := ADDRESS_RE.match(q.replace(" ", "")):
        cond = Q(household__building__number=match["building"], household__room=match["room"])
        if match["entrance"]:
            cond &= Q(household__entrance__number=match["entrance"])
        return cond
    if q.isdigit() or (len(q) == 4 and q[:3].isdigit() and q[3] in "xX"):
        cond = Q(phone__contains=q)
        if len(q) == 4:
            cond |= Q(id_last4=q.upper())
        return cond
    if q.isascii():
        key = q.lower().replace(" ", "")
        return Q(name_pinyin__startswith=key) | Q(name_initials__startswith=key)
    return Q(name__contains=q)


def resident_list(
    *,
    user,
    q: str = "",
    grid: int | None = None,
    building: int | None = None,
    tag: str | list[str] | None = None,
    verified: bool | None = None,
):
    """Residents `user` may see, filtered; several tags mean all of them (aged 60+ AND living
    alone). A search that spells a name exactly (zw, zhangwei) lists those names first."""
    qs = Resident.objects.restrict(user, "view").active()
    order = ["household__building__grid__number", "household__building_id", "household_id", "id"]
    if q:
        qs = qs.filter(search_q(q))
        key = q.strip().lower().replace(" ", "")
        exact = Q(name=q.strip()) | (
            Q(name_initials=key) | Q(name_pinyin=key) if key.isascii() else Q()
        )
        qs = qs.annotate(exact=Case(When(exact, then=Value(0)), default=Value(1)))
        order.insert(0, "exact")
    if grid:
        qs = qs.filter(household__building__grid_id=grid)
    if building:
        qs = qs.filter(household__building_id=building)
    for one in [tag] if isinstance(tag, str) else tag or []:
        qs = qs.filter(tag_q(one))
    if verified is not None:
        qs = qs.filter(verified_at__isnull=not verified)
    return (
        qs.select_related("household__building__grid", "household__entrance")
        .prefetch_related("tags")
        .annotate(household_size=household_size_subquery())
        .order_by(*order)
    )


def derived_tags(resident: Resident, *, household_size: int, today: date | None = None) -> list:
    today = today or timezone.localdate()
    tags = []
    if resident.birth_date <= years_ago(today, 60):
        tags.append(Tag.AGED_60)
    if resident.birth_date > years_ago(today, 3):
        tags.append(Tag.INFANT)
    if household_size == 1:
        tags.append(Tag.LIVING_ALONE)
    return tags


def resident_tags(resident: Resident, *, household_size: int) -> list:
    """All special groups of a resident, derived first, as Tag members (for labels)."""
    recorded = [Tag(t.tag) for t in resident.tags.all()]
    return [Tag(t) for t in derived_tags(resident, household_size=household_size)] + recorded


def grids_visible(user):
    return Grid.objects.filter(registry_q(user, "view", "grid")).select_related("community")


def buildings_visible(user):
    return Building.objects.filter(registry_q(user, "view", "building")).select_related("grid")


def registry_summary(*, user) -> dict:
    """Figures for the home dashboard: people by grid, special groups, verification."""
    today = timezone.localdate()
    residents = Resident.objects.restrict(user, "view").active()
    by_grid = list(
        residents.values(
            grid_id=F("household__building__grid_id"),
            grid_name=F("household__building__grid__name"),
        )
        .annotate(
            people=Count("id"),
            households=Count("household_id", distinct=True),
            verified=Count("id", filter=Q(verified_at__isnull=False)),
            aged=Count("id", filter=tag_q(Tag.AGED_60, today=today)),
        )
        .order_by("grid_id")
    )
    for row in by_grid:
        row["verified_pct"] = round(100 * row["verified"] / row["people"]) if row["people"] else 0
    groups = []
    for tag in Tag:
        groups.append({"tag": tag, "count": residents.filter(tag_q(tag, today=today)).count()})
    elderly_alone = residents.filter(
        tag_q(Tag.AGED_60, today=today) & tag_q(Tag.LIVING_ALONE)
    ).count()
    total = sum(r["people"] for r in by_grid)
    verified = sum(r["verified"] for r in by_grid)
    return {
        "total": total,
        "households": sum(r["households"] for r in by_grid),
        "verified": verified,
        "verified_pct": round(100 * verified / total) if total else 0,
        "by_grid": by_grid,
        "groups": groups,
        "elderly_alone": elderly_alone,
    }


def building_coverage(*, user, grid: int | None = None) -> list[dict]:
    """Verified share per building (for the coverage table and the site plan)."""
    residents = Resident.objects.restrict(user, "view").active()
    if grid:
        residents = residents.filter(household__building__grid_id=grid)
    rows = (
        residents.values(
            building_id=F("household__building_id"),
            number=F("household__building__number"),
            grid_number=F("household__building__grid__number"),
            x=F("household__building__x"),
            y=F("household__building__y"),
        )
        .annotate(people=Count("id"), verified=Count("id", filter=Q(verified_at__isnull=False)))
        .order_by("grid_number", "building_id")
    )
    out = []
    for row in rows:
        row["verified_pct"] = round(100 * row["verified"] / row["people"]) if row["people"] else 0
        out.append(row)
    return out


def household_members(household: Household):
    return (
        household.residents.active()
        .prefetch_related("tags")
        .annotate(household_size=household_size_subquery())
        .order_by("id")
    )


def building_households(building: Building):
    """Households of a building with their members, for the building view."""
    return (
        Household.objects.filter(building=building)
        .select_related("entrance")
        .annotate(people=Count("residents", filter=Q(residents__moved_out_on__isnull=True)))
        .order_by("entrance__number", "floor", "room")
    )
