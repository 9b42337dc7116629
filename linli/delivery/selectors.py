"""Reads for door delivery: the eligible list, the orders to deliver, the volunteers on shift,
plans, routes and route sheets. Everything a user sees is scoped through linli.delivery.access."""

from datetime import datetime, timedelta

from django.db.models import Count, Q, Sum
from django.utils import timezone

from linli.delivery import access
from linli.delivery.choices import PlanStatus, Reason
from linli.delivery.constants import DEFAULT_WINDOW_HOURS
from linli.delivery.eligibility import (
    overrides_in_force,
    quarantined_household_ids,
    registry_reasons,
)
from linli.delivery.models import DeliveryPreference, DoorDeliveryOverride, Route, RoutePlan
from linli.places.choices import PlaceKind
from linli.places.models import Household, PublicPlace
from linli.residents.models import Resident
from linli.supplies.choices import OrderStatus
from linli.supplies.models import Order

# ------------------------------------------------------------------ eligibility


def eligible_rows(*, user, community, today=None) -> list[dict]:
    """The households of `community` in `user`'s area that get door delivery, and why: one row
    per household with its members and their reasons, the override in force, and the
    households the registry makes eligible that staff took off (marked `excluded`)."""
    households = Household.objects.filter(access.households_q(user), building__community=community)
    residents = Resident.objects.filter(household__in=households)
    reasons: dict[int, dict[int, list]] = {}
    for hh, rid, reason in registry_reasons(community, today=today, residents=residents):
        reasons.setdefault(hh, {}).setdefault(rid, []).append(Reason(reason))
    quarantined = quarantined_household_ids(community)
    overrides = {
        o.household_id: o
        for o in DoorDeliveryOverride.objects.filter(
            community=community, ended_at__isnull=True, household__in=households
        ).select_related("by")
    }
    ids = set(reasons) | (quarantined & set(households.values_list("pk", flat=True)))
    ids |= set(overrides)
    members = {}
    for r in (
        Resident.objects.active()
        .filter(household_id__in=ids)
        .only("id", "name", "household_id", "birth_date", "phone")
        .order_by("household_id", "id")
    ):
        members.setdefault(r.household_id, []).append(r)
    rows = []
    for household in (
        Household.objects.filter(pk__in=ids)
        .select_related("building__grid", "entrance")
        .order_by("building__grid__number", "building__number", "entrance__number", "room")
    ):
        why = reasons.get(household.pk, {})
        household_reasons = sorted({r for rs in why.values() for r in rs})
        if household.pk in quarantined:
            household_reasons.append(Reason.QUARANTINE)
        override = overrides.get(household.pk)
        if override is not None and override.include:
            household_reasons.append(Reason.STAFF_ADDED)
        rows.append(
            {
                "household": household,
                "members": [
                    {"resident": m, "reasons": why.get(m.pk, [])}
                    for m in members.get(household.pk, [])
                ],
                "reasons": household_reasons,
                "override": override,
                "excluded": override is not None and not override.include,
            }
        )
    return rows


def override_history(*, user, community, limit: int = 100):
    return (
        DoorDeliveryOverride.objects.filter(
            community=community, household__in=Household.objects.filter(access.households_q(user))
        )
        .select_related("household__building", "household__entrance", "by", "ended_by")
        .order_by("-at", "-id")[:limit]
    )


def household_by_address(*, user, community, address: str):
    """A household of the user's area from "building-entrance-room" (1-1-301) or
    "building-room" (1-301)."""
    parts = [p for p in address.replace(" ", "").replace("—", "-").split("-") if p]
    if len(parts) not in (2, 3):
        return None
    qs = Household.objects.filter(
        access.households_q(user),
        building__community=community,
        building__number=parts[0],
        room=parts[-1],
    )
    if len(parts) == 3:
        qs = qs.filter(entrance__number=parts[1] if parts[1].isdigit() else -1)
    found = list(qs.select_related("building", "entrance")[:2])
    return found[0] if len(found) == 1 else None


def eligible_counts(community) -> dict:
    from linli.delivery.eligibility import door_delivery_households

    overrides = overrides_in_force(community)
    return {
        "households": len(door_delivery_households(community)),
        "added": sum(1 for v in overrides.values() if v),
        "removed": sum(1 for v in overrides.values() if not v),
    }


# ------------------------------------------------------------------ planning inputs


def delivery_window(round_) -> tuple[datetime, datetime]:
    """The round's delivery window: door deliveries go out while the pickup points open."""
    start = round_.pickup_starts_at
    return start, start + timedelta(hours=DEFAULT_WINDOW_HOURS)


def delivery_orders(round_):
    """The round's orders to bring to the door: placed, marked for door delivery, with their
    bag count (one bag per package)."""
    return (
        Order.objects.filter(round=round_, door_delivery=True, status=OrderStatus.PLACED)
        .select_related("household__building", "household__entrance")
        .annotate(bags=Sum("lines__quantity"))
        .order_by("household__building__number", "household_id", "pk")
    )


def preferences_for(household_ids) -> dict[int, DeliveryPreference]:
    return {
        p.household_id: p
        for p in DeliveryPreference.objects.filter(household_id__in=list(household_ids))
    }


def start_places(community):
    """Where routes may start: the community's public places, the committee office and the
    pickup points first."""
    order = {PlaceKind.OFFICE: 0, PlaceKind.PICKUP_POINT: 1}
    places = list(PublicPlace.objects.filter(community=community))
    places.sort(key=lambda p: (order.get(p.kind, 2), p.name, p.pk))
    return places


def default_start_place(community):
    places = start_places(community)
    return places[0] if places else None


def workers_on_shift(community, *, count: int | None = None, worker_ids=None, today=None):
    """The approved workers of `community` who take the routes, in the order routes go to
    them: those chosen by name, else volunteers first, then building leaders and the other
    forces, each by fewest hours this week; nobody over their weekly cap (S13)."""
    from linli.workforce.choices import Force, WorkerStatus
    from linli.workforce.models import Worker
    from linli.workforce.selectors import minutes_this_week

    qs = Worker.objects.filter(
        community=community, status=WorkerStatus.APPROVED, user__is_active=True
    ).select_related("user")
    if worker_ids:
        by_id = {w.pk: w for w in qs.filter(pk__in=list(worker_ids))}
        return [by_id[i] for i in worker_ids if i in by_id]
    workers = list(qs)
    minutes = minutes_this_week(workers, today=today)
    rank = {Force.VOLUNTEER: 0, Force.BUILDING_LEADER: 1}
    workers = [w for w in workers if minutes.get(w.pk, 0) < w.weekly_hour_cap * 60]
    workers.sort(key=lambda w: (rank.get(w.force, 2), minutes.get(w.pk, 0), w.pk))
    return workers if count is None else workers[:count]


# ------------------------------------------------------------------ plans and routes


def plans_for(*, user, limit: int = 30):
    staff = access.staff_communities(user)
    routes = Route.objects.filter(access.route_q(user)).values("plan_id")
    return (
        RoutePlan.objects.filter(Q(community__in=staff) | Q(pk__in=routes))
        .select_related("round", "community")
        .annotate(route_count=Count("routes", distinct=True))
        .order_by("-created_at", "-id")[:limit]
    )


def rounds_to_plan(*, user, limit: int = 30):
    """Rounds of the communities `user` plans for, with their door-delivery order counts."""
    from linli.supplies.models import Round

    return (
        Round.objects.filter(community__in=access.staff_communities(user))
        .select_related("community")
        .annotate(
            door_orders=Count(
                "orders",
                filter=Q(orders__door_delivery=True, orders__status=OrderStatus.PLACED),
            )
        )
        .order_by("-pickup_starts_at", "-id")[:limit]
    )


def current_plan(round_):
    return (
        RoutePlan.objects.filter(round=round_)
        .exclude(status__in=[PlanStatus.FAILED, PlanStatus.REPLACED])
        .order_by("-created_at", "-id")
        .first()
    )


def plan_routes(plan, *, user):
    """The routes of `plan` that `user` may open, with their stops."""
    routes = list(
        access.visible_routes(user, plan)
        .select_related("worker", "task")
        .prefetch_related("stops__household__building", "stops__household__entrance")
        .order_by("number")
    )
    for route in routes:
        # The map's colour for the route (linli.css .route-0 … .route-9; no inline styles).
        route.colour_class = f"route-{(route.number - 1) % 10}"
    return routes


def route_stops(route, *, user) -> list[dict]:
    """The stops of a route in walking order, with the household's people and phones where
    `user` may read them (a grid worker: their own area only)."""
    stops = list(
        route.stops.select_related("household__building", "household__entrance", "order")
        .annotate(details=Count("pk", filter=access.stop_details_q(user)))
        .order_by("sequence")
    )
    visible = {s.household_id for s in stops if s.details}
    people: dict[int, list] = {}
    for r in (
        Resident.objects.active()
        .filter(household_id__in=visible)
        .only("id", "name", "phone", "household_id")
        .order_by("household_id", "id")
    ):
        people.setdefault(r.household_id, []).append(r)
    notes = {hh: p.note for hh, p in preferences_for(visible).items() if p.note}
    return [
        {
            "stop": s,
            "details": s.household_id in visible,
            "people": people.get(s.household_id, []),
            "note": notes.get(s.household_id, ""),
        }
        for s in stops
    ]


def plan_summary(plan, routes) -> dict:
    stops = sum(len(r.stops.all()) for r in routes)
    return {
        "routes": len(routes),
        "stops": stops,
        "bags": sum(r.bags for r in routes),
        "distance_km": round(sum(r.distance_m for r in routes) / 1000, 2),
        "unplanned": len(plan.unplanned or []),
        "last_back": max((r.ends_at for r in routes), default=None),
    }


def unplanned_orders(plan, *, user):
    """Orders of the plan that did not fit, limited to the user's area."""
    return (
        Order.objects.filter(pk__in=plan.unplanned or [])
        .filter(household__in=Household.objects.filter(access.households_q(user)))
        .select_related("household__building", "household__entrance")
        .order_by("household__building__number", "household_id")
    )


def local(dt):
    return timezone.localtime(dt) if dt else dt
