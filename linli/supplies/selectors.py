"""Reads of suppliers, rounds and orders, scoped by linli.supplies.access."""

from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from linli.accounts.access import user_communities
from linli.places.models import Building, Household
from linli.supplies import access
from linli.supplies.choices import OrderStatus, RoundStatus
from linli.supplies.models import Order, OrderLine, Package, Round, RoundItem, Supplier
from linli.supplies.services import supplier_check

LIVE = ~Q(status=OrderStatus.CANCELLED)


def supplier_list(*, user):
    """Suppliers of the communities the user reads, with their staff and package counts."""
    communities = user_communities(user, access.READ | access.PLAN)
    return (
        Supplier.objects.filter(community__in=communities)
        .select_related("community")
        .prefetch_related("staff")
        .annotate(package_count=Count("packages", filter=Q(packages__active=True), distinct=True))
        .order_by("community__name", "name")
    )


def supplier_screening(supplier: Supplier, at=None) -> dict:
    """The supplier's screening at `at`: its reasons (empty = may be scheduled) and staff."""
    at = at or timezone.now()
    return {
        "reasons": supplier_check(supplier, at),
        "staff": list(supplier.staff.all().order_by("-active", "name")),
    }


def catalogue(supplier: Supplier):
    return Package.objects.filter(supplier=supplier).order_by("-active", "kind", "name")


def round_list(*, user, status: str | None = None):
    """Rounds the user sees, newest first, each with its count of live orders."""
    qs = Round.objects.filter(access.rounds_q(user))
    if status:
        qs = qs.filter(status=status)
    live_count = (
        Order.objects.filter(LIVE, round=OuterRef("pk"))
        .order_by()
        .values("round")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        qs.select_related("supplier", "community")
        .annotate(
            order_count=Coalesce(Subquery(live_count, output_field=IntegerField()), 0),
            building_count=Count("buildings", distinct=True),
        )
        .order_by("-opens_at", "-pk")
    )


def round_items(round_: Round) -> list[RoundItem]:
    """The round's packages with `ordered` (in live orders) and `initial` (stock at the start)."""
    items = list(
        RoundItem.objects.filter(round=round_)
        .select_related("package")
        .annotate(
            ordered=Coalesce(
                Sum("lines__quantity", filter=~Q(lines__order__status=OrderStatus.CANCELLED)), 0
            )
        )
        .order_by("package__kind", "package__name")
    )
    for item in items:
        item.initial = item.stock + item.ordered
    return items


def round_figures(round_: Round) -> dict:
    """Households covered, live orders, how many have been collected, and money ordered."""
    orders = Order.objects.filter(LIVE, round=round_).aggregate(
        orders=Count("pk"),
        collected=Count("pk", filter=Q(status=OrderStatus.COLLECTED)),
        door=Count("pk", filter=Q(door_delivery=True)),
        total_fen=Coalesce(Sum("total_fen"), 0),
    )
    households = Household.objects.filter(building__in=round_.buildings.all()).count()
    return {"households": households, **orders}


def rounds_open_for_household(household, at=None):
    """Rounds open for orders now that cover `household`'s building."""
    at = at or timezone.now()
    return (
        Round.objects.filter(
            status=RoundStatus.OPEN,
            opens_at__lte=at,
            closes_at__gt=at,
            buildings=household.building_id,
        )
        .select_related("supplier")
        .order_by("closes_at")
    )


def live_order(round_: Round, household) -> Order | None:
    return Order.objects.filter(LIVE, round=round_, household=household).first()


def household_orders(household):
    """A household's orders, newest round first."""
    return (
        Order.objects.filter(household=household)
        .select_related("round__supplier", "pickup_point")
        .order_by("-round__opens_at", "-pk")
    )


def order_lines(order: Order) -> list[OrderLine]:
    return list(
        order.lines.select_related("item__package").order_by("item__package__kind", "item_id")
    )


def order_buildings(*, user, round_: Round) -> list[Building]:
    """The round's buildings in which `user` may order for a household, each with
    `household_count` and `ordered` (households with a live order)."""
    orderable = Household.objects.filter(access.households_orderable_q(user))
    buildings = list(
        Building.objects.filter(pk__in=round_.buildings.values("pk"))
        .filter(pk__in=orderable.values("building_id"))
        .annotate(household_count=Count("households", distinct=True))
        .order_by("grid__number", "number")
    )
    ordered = dict(
        Order.objects.filter(LIVE, round=round_, household__building__in=buildings)
        .values_list("household__building")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for b in buildings:
        b.ordered = ordered.get(b.pk, 0)
    return buildings


def order_households(*, user, round_: Round, building: Building):
    """Households of `building` the user may order for, each with `order_id` (its live order
    in the round, or None), ordered by entrance and room."""
    live = Order.objects.filter(LIVE, round=round_, household=OuterRef("pk")).values("pk")[:1]
    return (
        Household.objects.filter(access.households_orderable_q(user), building=building)
        .select_related("entrance", "building")
        .annotate(order_id=Subquery(live))
        .order_by("entrance__number", "floor", "room")
    )


def round_orders(round_: Round, *, user):
    """The round's orders in the user's area, for the round page's table."""
    return (
        Order.objects.filter(access.order_read_q(user), round=round_)
        .select_related("household__building", "household__entrance", "pickup_point")
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.select_related("item__package"))
        )
        .order_by("household__building__number", "household__entrance__number", "household__room")
    )
