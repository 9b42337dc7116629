"""Every write of door delivery: overrides of who gets it, preferred times, and route plans.

Planning runs in the background (it searches for up to a minute or two): `route_plan_request`
checks the inputs and queues the job; `route_plan_solve` runs the engine with visible progress
and then, in one transaction, saves the routes and turns each into ONE task in the pool,
assigned to its volunteer. A new plan for the same round replaces the previous one: its route
tasks that nobody has started are cancelled; if one is under way, the new plan is refused.
"""

import math
from datetime import datetime, time, timedelta
from functools import partial

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.core.errors import ApplicationError, Conflict
from linli.core.models import Job
from linli.core.services import audit_record, job_create, job_finish, job_progress
from linli.core.services import user_or_none as _user
from linli.delivery import engine, selectors
from linli.delivery.choices import Mode, PlanStatus
from linli.delivery.constants import (
    CAPACITY_BAGS,
    DEFAULT_SECONDS,
    DEFAULT_SHIFT_MINUTES,
    DETOUR,
    MAX_SECONDS,
    MAX_VOLUNTEERS,
    SERVICE_SECONDS,
    SPEED_MPS,
    STAIRS_SECONDS_PER_FLOOR,
    STALL_ITERATIONS,
)
from linli.delivery.models import (
    DeliveryPreference,
    DoorDeliveryOverride,
    Route,
    RoutePlan,
    RouteStop,
)
from linli.taskpool.choices import LIVE, Priority, Source, Status, TaskKind

# ------------------------------------------------------------------ overrides


def _reason(reason: str, field: str = "reason") -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(
            _("Please say why: the reason is kept on record."), fields={field: [_("is required")]}
        )
    if len(reason) > 300:
        raise ApplicationError(
            _("Please correct the marked fields."),
            fields={field: [_("must be at most %(n)d characters") % {"n": 300}]},
        )
    return reason


@transaction.atomic
def override_set(*, actor, household, include: bool, reason: str) -> DoorDeliveryOverride:
    """Add `household` to door delivery (include) or take it off, against the registry's rule,
    with a reason. Ends the override in force for the household, if any."""
    reason = _reason(reason)
    community_id = household.building.community_id
    now = timezone.now()
    previous = (
        DoorDeliveryOverride.objects.select_for_update()
        .filter(household=household, ended_at__isnull=True)
        .first()
    )
    if previous is not None:
        previous.ended_at, previous.ended_by = now, _user(actor)
        previous.end_reason = _("replaced: %(reason)s") % {"reason": reason}
        previous.end_reason = previous.end_reason[:300]
        previous.save(update_fields=["ended_at", "ended_by", "end_reason"])
    override = DoorDeliveryOverride.objects.create(
        community_id=community_id,
        household=household,
        include=include,
        reason=reason,
        by=_user(actor),
    )
    audit_record(
        actor=actor,
        action="delivery.override_set",
        target=household,
        community_id=community_id,
        detail={
            "include": include,
            "reason": reason,
            "override": override.pk,
            "replaces": previous.pk if previous else None,
        },
    )
    return override


@transaction.atomic
def override_end(*, actor, override: DoorDeliveryOverride, reason: str) -> DoorDeliveryOverride:
    """Take an override back: the household follows the registry's rule again."""
    reason = _reason(reason, "end_reason")
    ended = DoorDeliveryOverride.objects.filter(pk=override.pk, ended_at__isnull=True).update(
        ended_at=timezone.now(), ended_by=_user(actor), end_reason=reason
    )
    if not ended:
        raise Conflict(_("This override has already ended."))
    override.refresh_from_db()
    audit_record(
        actor=actor,
        action="delivery.override_end",
        target=override.household,
        community_id=override.community_id,
        detail={"override": override.pk, "include": override.include, "reason": reason},
    )
    return override


# ------------------------------------------------------------------ preferred times


@transaction.atomic
def preference_set(*, actor, household, earliest: time, latest: time, note: str = ""):
    if earliest is None or latest is None or latest <= earliest:
        raise ApplicationError(
            _("Please correct the marked fields."),
            fields={"latest": [_("must be later than the start")]},
        )
    pref, _created = DeliveryPreference.objects.update_or_create(
        household=household,
        defaults={
            "earliest": earliest,
            "latest": latest,
            "note": (note or "").strip()[:200],
            "updated_by": _user(actor),
        },
    )
    audit_record(
        actor=actor,
        action="delivery.preference_set",
        target=household,
        community_id=household.building.community_id,
        detail={"earliest": f"{earliest:%H:%M}", "latest": f"{latest:%H:%M}"},
    )
    return pref


@transaction.atomic
def preference_clear(*, actor, household) -> None:
    if DeliveryPreference.objects.filter(household=household).delete()[0]:
        audit_record(
            actor=actor,
            action="delivery.preference_clear",
            target=household,
            community_id=household.building.community_id,
        )


# ------------------------------------------------------------------ planning


def _live_route_tasks(round_):
    from linli.taskpool.models import Task

    task_ids = Route.objects.filter(
        plan__round=round_, plan__status=PlanStatus.DONE, task__isnull=False
    ).values("task_id")
    return Task.objects.filter(pk__in=task_ids, status__in=LIVE)


def _refuse_if_under_way(round_) -> None:
    busy = list(
        _live_route_tasks(round_)
        .filter(status__in=[Status.ACCEPTED, Status.IN_PROGRESS])
        .values_list("pk", flat=True)
    )
    if busy:
        raise Conflict(
            _(
                "Routes of the current plan are under way (tasks %(ids)s): finish or cancel them "
                "before planning again."
            )
            % {"ids": ", ".join(f"#{pk}" for pk in busy)},
            code="routes_under_way",
        )


@transaction.atomic
def route_plan_request(
    *,
    actor,
    round_,
    volunteers: int | None = None,
    shift_minutes: int | None = None,
    capacity: int | None = None,
    mode: str = Mode.WALK,
    start_place=None,
    window_start: datetime | None = None,
    window_end: datetime | None = None,
    seconds: int | None = None,
    worker_ids: list[int] | None = None,
    language: str | None = None,
) -> RoutePlan:
    """Check the inputs of "Plan door-delivery routes" for `round_` and queue the job."""
    community = round_.community
    default_start, default_end = selectors.delivery_window(round_)
    # Whole seconds: the engine plans in seconds from the window's start.
    window_start = (window_start or default_start).replace(microsecond=0)
    window_end = (window_end or default_end).replace(microsecond=0)
    shift_minutes = shift_minutes or DEFAULT_SHIFT_MINUTES
    seconds = seconds or DEFAULT_SECONDS
    errors: dict[str, list] = {}
    if mode not in Mode.values:
        errors["mode"] = [_("must be walking or cycling")]
        mode = Mode.WALK
    capacity = capacity or CAPACITY_BAGS[mode]
    if not 1 <= capacity <= 50:
        errors["capacity"] = [_("must be 1 to 50 bags")]
    if not 30 <= shift_minutes <= 12 * 60:
        errors["shift_minutes"] = [_("must be 30 minutes to 12 hours")]
    if not 1 <= seconds <= MAX_SECONDS:
        errors["seconds"] = [_("must be 1 to %(n)d seconds") % {"n": MAX_SECONDS}]
    if window_end <= window_start:
        errors["window_end"] = [_("must be later than the start")]
    if volunteers is not None and not 1 <= volunteers <= MAX_VOLUNTEERS:
        errors["volunteers"] = [_("must be 1 to %(n)d") % {"n": MAX_VOLUNTEERS}]
    if start_place is None:
        start_place = selectors.default_start_place(community)
    if start_place is None:
        errors["start_place"] = [
            _("the community has no public place to start from: add the committee office")
        ]
    elif start_place.community_id != community.pk:
        errors["start_place"] = [_("is not in this community")]
    if errors:
        raise ApplicationError(_("Please correct the marked fields."), fields=errors)

    orders = list(selectors.delivery_orders(round_))
    if not orders:
        raise ApplicationError(
            _(
                "This round has no door-delivery orders to plan: orders are marked for door "
                "delivery when the round closes."
            ),
            code="nothing_to_plan",
        )
    if worker_ids:
        workers = selectors.workers_on_shift(community, worker_ids=worker_ids)
        missing = sorted(set(worker_ids) - {w.pk for w in workers})
        if missing:
            raise ApplicationError(
                _("Please correct the marked fields."),
                fields={
                    "workers": [
                        _("not approved workers of this community: %(ids)s")
                        % {"ids": ", ".join(map(str, missing))}
                    ]
                },
            )
    else:
        wanted = volunteers or max(1, math.ceil(len(orders) / 8))
        workers = selectors.workers_on_shift(community, count=wanted)
        if volunteers and len(workers) < volunteers:
            raise ApplicationError(
                _("Only %(n)d approved workers of the community are free (under their weekly cap).")
                % {"n": len(workers)},
                fields={"volunteers": [_("at most %(n)d") % {"n": len(workers)}]},
            )
    if not workers:
        raise ApplicationError(
            _("No approved worker of the community is free to deliver: approve volunteers first."),
            code="no_workers",
        )
    _refuse_if_under_way(round_)

    job = job_create(
        kind="delivery.plan", created_by=_user(actor), community_id=community.pk, total=seconds
    )
    plan = RoutePlan.objects.create(
        round=round_,
        community=community,
        created_by=_user(actor),
        job=job,
        start_place=start_place,
        start_x=start_place.x,
        start_y=start_place.y,
        mode=mode,
        speed_mps=SPEED_MPS[mode],
        capacity=capacity,
        shift_minutes=shift_minutes,
        window_start=window_start,
        window_end=window_end,
        seconds=seconds,
        worker_ids=[w.pk for w in workers],
        orders=len(orders),
    )
    # The plan is known from the start, so whoever watches the job can open it.
    job.result = {"plan_id": plan.pk, "url": reverse("delivery:plan", args=[plan.pk])}
    job.save(update_fields=["result"])
    audit_record(
        actor=actor,
        action="delivery.plan_request",
        target=plan,
        community_id=community.pk,
        detail={
            "round": round_.pk,
            "orders": len(orders),
            "workers": plan.worker_ids,
            "mode": mode,
            "capacity": capacity,
            "shift_minutes": shift_minutes,
            "seconds": seconds,
        },
    )
    from linli.delivery.tasks import plan_routes

    transaction.on_commit(partial(plan_routes.enqueue, plan.pk, language))
    return plan


def delivery_plan_for_round(*, actor, round_, language: str | None = None, **options) -> Job:
    """POST /api/v1/rounds/{id}/delivery-plan (the rounds router checks that `actor` plans for
    the round's community): queue "Plan door-delivery routes" with `options` (the keyword
    arguments of `route_plan_request`, all optional) and return the job to watch; its result
    names the plan from the start."""
    from django.utils.translation import get_language

    plan = route_plan_request(
        actor=actor, round_=round_, language=language or get_language(), **options
    )
    return plan.job


def service_seconds(household) -> int:
    """Time at a door: the hand-over, plus the stairs where the building has no lift."""
    stairs = 0 if household.building.has_lift else max(0, household.floor - 1)
    return SERVICE_SECONDS + STAIRS_SECONDS_PER_FLOOR * stairs


def household_window(pref, start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """A preferred time of day, kept inside the delivery window; the whole window when the
    preference falls outside it."""
    if pref is None:
        return start, end
    tz = timezone.get_current_timezone()
    day = timezone.localtime(start).date()
    early = max(start, datetime.combine(day, pref.earliest, tzinfo=tz))
    late = min(end, datetime.combine(day, pref.latest, tzinfo=tz))
    return (early, late) if late > early else (start, end)


def build_problem(plan: RoutePlan, orders, workers) -> tuple[engine.Problem, dict]:
    """The engine's plain input from the plan: seconds from the window's start, metres on the
    site plan. Returns the problem and each order's window (for the route sheet)."""
    t0 = plan.window_start
    prefs = selectors.preferences_for(o.household_id for o in orders)
    windows, stops = {}, []
    for order in orders:
        early, late = household_window(
            prefs.get(order.household_id), plan.window_start, plan.window_end
        )
        windows[order.pk] = (early, late)
        building = order.household.building
        stops.append(
            engine.Stop(
                key=order.pk,
                x=building.x,
                y=building.y,
                demand=max(1, int(order.bags or 1)),
                earliest=(early - t0).total_seconds(),
                latest=(late - t0).total_seconds(),
                service=service_seconds(order.household),
            )
        )
    vehicles = [
        engine.Vehicle(key=w.pk, capacity=plan.capacity, shift=plan.shift_minutes * 60)
        for w in workers
    ]
    problem = engine.Problem(
        depot_x=plan.start_x,
        depot_y=plan.start_y,
        stops=stops,
        vehicles=vehicles,
        speed=plan.speed_mps,
        detour=DETOUR,
        precision=1,
        reload=True,
        optional=True,
    )
    return problem, windows


def route_plan_solve(*, plan_id: int) -> RoutePlan | None:
    """The background job: solve, then save routes and tasks in one transaction."""
    plan = RoutePlan.objects.select_related("round", "community", "start_place", "job").get(
        pk=plan_id
    )
    if plan.status != PlanStatus.QUEUED:
        return None
    job = plan.job or job_create(kind="delivery.plan", community_id=plan.community_id)
    RoutePlan.objects.filter(pk=plan.pk).update(status=PlanStatus.RUNNING)
    orders = list(selectors.delivery_orders(plan.round))
    workers = selectors.workers_on_shift(plan.community, worker_ids=plan.worker_ids)
    if not orders or not workers:
        _fail(plan, job, _("Nothing to plan: no door-delivery orders or no volunteers left."))
        return plan
    job_progress(job, done=0, total=plan.seconds, message=_("Planning routes…"))
    problem, windows = build_problem(plan, orders, workers)

    def progress(elapsed, limit):
        job_progress(
            job,
            done=int(elapsed),
            message=_("Searching for shorter routes: %(s)d of %(limit)d s")
            % {"s": elapsed, "limit": limit},
        )

    result = engine.solve(
        problem, seconds=plan.seconds, stall=STALL_ITERATIONS, progress=progress, seed=plan.pk
    )
    try:
        with transaction.atomic():
            _save(plan, result, orders, workers, windows)
    except ApplicationError as exc:
        _fail(plan, job, exc.message)
        return plan
    plan.refresh_from_db()
    message = _("%(r)d routes for %(o)d orders.") % {"r": len(result.routes), "o": len(orders)}
    if plan.unplanned:
        message += " " + _("%(n)d orders did not fit: add volunteers or lengthen the shift.") % {
            "n": len(plan.unplanned)
        }
    job_finish(
        job,
        result={
            "plan_id": plan.pk,
            "url": reverse("delivery:plan", args=[plan.pk]),
            "routes": len(result.routes),
            "orders": len(orders),
            "unplanned": plan.unplanned,
            "distance_m": plan.distance_m,
            "seconds": round(result.seconds, 2),
        },
        message=message,
    )
    return plan


def _fail(plan, job, message: str) -> None:
    RoutePlan.objects.filter(pk=plan.pk).update(status=PlanStatus.FAILED, message=message[:500])
    job_finish(job, failed=True, message=message, result={"plan_id": plan.pk})


def route_plan_crashed(*, plan_id: int, exc: Exception) -> None:
    plan = RoutePlan.objects.select_related("job").filter(pk=plan_id).first()
    if plan is None:
        return
    job = plan.job or job_create(kind="delivery.plan", community_id=plan.community_id)
    _fail(plan, job, _("Planning failed: %(error)s") % {"error": exc})


def _save(plan: RoutePlan, result: engine.Plan, orders, workers, windows) -> None:
    from linli.taskpool.services import task_assign, task_cancel

    # The rounds' previous plan gives way: its route tasks that nobody started are cancelled.
    _refuse_if_under_way(plan.round)
    for task in _live_route_tasks(plan.round):
        task_cancel(
            actor=plan.created_by,
            task=task,
            reason=_("replaced by door-delivery plan #%(id)d") % {"id": plan.pk},
        )
    RoutePlan.objects.filter(round=plan.round, status=PlanStatus.DONE).update(
        status=PlanStatus.REPLACED
    )

    t0 = plan.window_start
    by_order = {o.pk: o for o in orders}
    by_worker = {w.pk: w for w in workers}
    routes = sorted(result.routes, key=lambda r: plan.worker_ids.index(r.vehicle))
    for number, planned in enumerate(routes, start=1):
        worker = by_worker[planned.vehicle]
        route = Route.objects.create(
            plan=plan,
            number=number,
            worker=worker,
            distance_m=planned.distance,
            starts_at=t0 + timedelta(seconds=planned.start),
            ends_at=t0 + timedelta(seconds=planned.end),
            bags=planned.load,
            trips=planned.trips,
        )
        stops = []
        for sequence, stop in enumerate(planned.stops, start=1):
            order = by_order[stop.key]
            early, late = windows[order.pk]
            stops.append(
                RouteStop(
                    plan=plan,
                    route=route,
                    sequence=sequence,
                    trip=stop.trip,
                    order=order,
                    household=order.household,
                    bags=max(1, int(order.bags or 1)),
                    arrives_at=t0 + timedelta(seconds=stop.arrival),
                    window_start=early,
                    window_end=late,
                )
            )
        RouteStop.objects.bulk_create(stops)
        task = _route_task(plan, route, stops)
        route.task = task
        route.save(update_fields=["task"])
        task_assign(
            actor=plan.created_by,
            task=task,
            worker=worker,
            note=_("door-delivery plan #%(id)d") % {"id": plan.pk},
        )
    RoutePlan.objects.filter(pk=plan.pk).update(
        status=PlanStatus.DONE,
        distance_m=result.distance,
        solve_seconds=result.seconds,
        unplanned=list(result.unplanned),
        message="",
    )
    audit_record(
        actor=plan.created_by,
        action="delivery.plan_done",
        target=plan,
        community_id=plan.community_id,
        detail={
            "routes": len(routes),
            "distance_m": result.distance,
            "unplanned": list(result.unplanned),
        },
    )


def _route_target(plan: RoutePlan, stops: list[RouteStop]) -> dict:
    """The task's target. The pool keeps one live task per kind and target (problem P2), so
    routes starting at one place cannot all target it: a route targets its first household
    that has no live delivery task of its own, else the first such building, else the start
    place. Each household is on one route only, so route tasks never merge with each other,
    and a resident's own delivery request stays a task of its own."""
    from linli.taskpool.models import Task

    candidates = [({"household": s.household}, f"household:{s.household_id}") for s in stops]
    candidates += [
        ({"building": s.household.building}, f"building:{s.household.building_id}") for s in stops
    ]
    if plan.start_place is not None:
        candidates.append(({"place": plan.start_place}, f"place:{plan.start_place_id}"))
    taken = set(
        Task.objects.filter(
            community_id=plan.community_id,
            kind=TaskKind.DELIVERY,
            status__in=LIVE,
            target_key__in=[key for _t, key in candidates],
        ).values_list("target_key", flat=True)
    )
    for target, key in candidates:
        if key not in taken:
            return target
    raise Conflict(
        _("Every door of a route already has a live delivery task; finish those first."),
        code="targets_taken",
    )


def _route_description(plan: RoutePlan, route: Route, stops: list[RouteStop]) -> str:
    def hm(dt):
        return timezone.localtime(dt).strftime("%H:%M")

    head = _(
        "%(round)s. Start at %(start)s at %(leave)s, back by %(back)s. %(bags)d bags, "
        "%(n)d doors, %(trips)d trips, %(km).1f km."
    ) % {
        "round": plan.round.title,
        "start": plan.start_place.name if plan.start_place else "",
        "leave": hm(route.starts_at),
        "back": hm(route.ends_at),
        "bags": route.bags,
        "n": len(stops),
        "trips": route.trips,
        "km": route.distance_m / 1000,
    }
    sheet = _("Route sheet with names and phones: %(url)s") % {
        "url": reverse("delivery:route", args=[route.pk])
    }
    # Addresses only: names and phones stay on the route sheet, which checks who reads it.
    lines = [head]
    for s in stops:
        lines.append(
            _("%(seq)d. %(address)s · %(bags)d bags · %(from)s-%(until)s (trip %(trip)d)")
            % {
                "seq": s.sequence,
                "address": str(s.household),
                "bags": s.bags,
                "from": hm(s.window_start),
                "until": hm(s.window_end),
                "trip": s.trip,
            }
        )
    body, budget = [], 2000 - len(sheet) - 80
    for line in lines:
        if sum(len(x) + 1 for x in body) + len(line) > budget:
            body.append(_("… and more: see the route sheet."))
            break
        body.append(line)
    return "\n".join([*body, sheet])


def _route_task(plan: RoutePlan, route: Route, stops: list[RouteStop]):
    from linli.taskpool.services import task_create

    title = _("Door delivery route %(n)d · %(round)s") % {
        "n": route.number,
        "round": plan.round.title,
    }
    minutes = max(5, math.ceil((route.ends_at - route.starts_at).total_seconds() / 60))
    task, merged = task_create(
        actor=plan.created_by,
        kind=TaskKind.DELIVERY,
        title=title[:120],
        source=Source.MODULE,
        description=_route_description(plan, route, stops),
        priority=Priority.HIGH,
        due_at=route.ends_at,
        estimated_minutes=min(minutes, 600),
        note=_("door-delivery plan #%(id)d") % {"id": plan.pk},
        **_route_target(plan, stops),
    )
    if merged:  # a task for the same target appeared a moment ago: plan again
        raise Conflict(_("The task pool changed while saving the routes; please plan again."))
    return task


def route_task_completed(*, task) -> int:
    """The route's volunteer marked the route done: its stops' orders were brought to the door.
    Returns how many orders were marked delivered (placed ones only: a household that was
    out and collected later keeps its own state)."""
    from linli.supplies.choices import OrderStatus
    from linli.supplies.models import Order

    route = Route.objects.filter(task=task).first()
    if route is None:
        return 0
    order_ids = list(route.stops.values_list("order_id", flat=True))
    return Order.objects.filter(pk__in=order_ids, status=OrderStatus.PLACED).update(
        status=OrderStatus.DELIVERED, collected_at=task.done_at or timezone.now()
    )
