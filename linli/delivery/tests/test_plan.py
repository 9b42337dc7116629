"""Plan door-delivery routes: the background job, routes and stops, one task per route in the
pool assigned to its volunteer, replanning, and the inputs refused."""

import pytest

from linli.core.errors import ApplicationError, Conflict
from linli.core.models import AuditEvent, JobStatus
from linli.delivery.choices import PlanStatus
from linli.delivery.models import DeliveryPreference, RoutePlan, RouteStop
from linli.delivery.services import route_plan_request, service_seconds
from linli.supplies.models import Order
from linli.taskpool.choices import Source, Status, TaskKind
from linli.taskpool.models import Task
from linli.taskpool.services import task_accept, task_create

pytestmark = pytest.mark.django_db


def plan_for(world, round_, capture, **kwargs) -> RoutePlan:
    kwargs.setdefault("seconds", 1)
    with capture(execute=True):
        plan = route_plan_request(actor=world.user("staff"), round_=round_, **kwargs)
    plan.refresh_from_db()
    return plan


def test_each_route_becomes_one_task_assigned_to_its_volunteer(
    world, office, volunteers, door_orders, django_capture_on_commit_callbacks
):
    round_, orders = door_orders
    # Two bags per order and two per trip: with two volunteers, every door is a trip of its own.
    plan = plan_for(world, round_, django_capture_on_commit_callbacks, volunteers=2, capacity=2)
    assert plan.status == PlanStatus.DONE, plan.message
    assert plan.job.status == JobStatus.DONE and plan.job.result["plan_id"] == plan.pk
    routes = list(plan.routes.select_related("task", "worker").prefetch_related("stops"))
    assert 1 <= len(routes) <= 2
    visited = [s.order_id for r in routes for s in r.stops.all()]
    assert sorted(visited) == sorted(o.pk for o in orders)  # every door once
    assert plan.unplanned == []
    for route in routes:
        task = route.task
        assert task.kind == TaskKind.DELIVERY and task.source == Source.MODULE
        assert task.status == Status.ASSIGNED and task.assignee == route.worker
        assert route.worker in volunteers
        assert f"Door delivery route {route.number}" in task.title
        # The stop order is in the description, by address, without names or phones.
        stops = list(route.stops.order_by("sequence"))
        positions = [task.description.index(f"{s.sequence}. {s.household}") for s in stops]
        assert positions == sorted(positions)
        assert "张伟" not in task.description and "13800000011" not in task.description
        assert f"/delivery/routes/{route.pk}/" in task.description
        assert all(s.bags == 2 for s in stops) and route.bags == 2 * len(stops)
        assert route.trips == len(stops)  # capacity 2: back to the start after each door
    assert AuditEvent.objects.filter(action="delivery.plan_done", target_id=str(plan.pk)).exists()
    # Orders that collect at the pickup point are not on any route.
    collected = Order.objects.filter(round=round_, door_delivery=False).get()
    assert not RouteStop.objects.filter(order=collected).exists()


def test_times_respect_windows_and_preferences(
    world, office, volunteers, door_orders, django_capture_on_commit_callbacks
):
    round_, orders = door_orders
    from datetime import time

    from django.utils import timezone

    wang_home = world.residents["wang"].household
    start = timezone.localtime(round_.pickup_starts_at)
    # Wang would like it in the last hour of the window.
    late = (start.hour + 2) % 24
    DeliveryPreference.objects.create(
        household=wang_home, earliest=time(late, 0), latest=time(late, 59)
    )
    plan = plan_for(
        world, round_, django_capture_on_commit_callbacks, worker_ids=[volunteers[0].pk]
    )
    stops = list(RouteStop.objects.filter(plan=plan).select_related("household__building"))
    assert len(stops) == 3
    for stop in stops:
        assert stop.window_start <= stop.arrives_at <= stop.window_end
    wang = next(s for s in stops if s.household_id == wang_home.pk)
    assert timezone.localtime(wang.window_start).hour == late
    assert timezone.localtime(wang.arrives_at).hour == late
    route = plan.routes.get()
    assert route.ends_at - route.starts_at <= timezone.timedelta(minutes=plan.shift_minutes)


def test_stairs_take_time_where_there_is_no_lift(world):
    home = world.residents["zhang"].household  # room 301: third floor, no lift
    home.floor = 3
    assert service_seconds(home) > service_seconds(world.residents["wang"].household)


def test_a_new_plan_replaces_the_old_one_and_cancels_its_tasks(
    world, office, volunteers, door_orders, django_capture_on_commit_callbacks
):
    round_, _orders = door_orders
    first = plan_for(world, round_, django_capture_on_commit_callbacks, volunteers=1)
    old_tasks = [r.task_id for r in first.routes.all()]
    second = plan_for(world, round_, django_capture_on_commit_callbacks, volunteers=1)
    first.refresh_from_db()
    assert first.status == PlanStatus.REPLACED and second.status == PlanStatus.DONE
    assert set(Task.objects.filter(pk__in=old_tasks).values_list("status", flat=True)) == {
        Status.CANCELLED
    }
    assert all(r.task.status == Status.ASSIGNED for r in second.routes.all())


def test_replanning_is_refused_while_a_route_is_under_way(
    world, office, volunteers, door_orders, django_capture_on_commit_callbacks
):
    round_, _orders = door_orders
    first = plan_for(world, round_, django_capture_on_commit_callbacks, volunteers=1)
    route = first.routes.get()
    task_accept(actor=route.worker.user, worker=route.worker, task=route.task)
    with pytest.raises(Conflict) as exc:
        plan_for(world, round_, django_capture_on_commit_callbacks, volunteers=1)
    assert exc.value.code == "routes_under_way"
    assert RoutePlan.objects.count() == 1


def test_a_household_with_its_own_delivery_task_keeps_it(
    world, office, volunteers, door_orders, django_capture_on_commit_callbacks
):
    # A resident's own request for a delivery at home is not swallowed by a route task.
    round_, _orders = door_orders
    homes = [o.household for o in _orders]
    own = [
        task_create(actor=world.user("staff"), kind=TaskKind.DELIVERY, title="药", household=h)[0]
        for h in homes
    ]
    plan = plan_for(world, round_, django_capture_on_commit_callbacks, volunteers=1)
    route = plan.routes.get()
    assert route.task_id not in {t.pk for t in own}
    assert route.task.household_id is None and route.task.building_id is not None
    assert Task.objects.filter(pk__in=[t.pk for t in own], status=Status.OPEN).count() == 3


def test_nothing_to_plan_and_bad_inputs_are_refused(
    world, office, volunteers, door_orders, django_capture_on_commit_callbacks
):
    round_, _orders = door_orders
    with pytest.raises(ApplicationError) as exc:
        route_plan_request(
            actor=world.user("staff"), round_=round_, shift_minutes=5, capacity=0, seconds=999
        )
    assert {"shift_minutes", "seconds"} <= set(exc.value.fields)
    with pytest.raises(ApplicationError) as exc:
        route_plan_request(actor=world.user("staff"), round_=round_, volunteers=3)
    assert "volunteers" in exc.value.fields  # only two approved volunteers
    Order.objects.update(door_delivery=False)
    with pytest.raises(ApplicationError) as exc:
        route_plan_request(actor=world.user("staff"), round_=round_)
    assert exc.value.code == "nothing_to_plan"
    assert not RoutePlan.objects.exists()


def test_orders_that_do_not_fit_are_listed(
    world, office, volunteers, door_orders, django_capture_on_commit_callbacks
):
    round_, orders = door_orders
    # A 30-minute shift, one bag per trip... and a window that closes before anyone can arrive.
    from datetime import timedelta

    plan = plan_for(
        world,
        round_,
        django_capture_on_commit_callbacks,
        volunteers=1,
        window_start=round_.pickup_starts_at,
        window_end=round_.pickup_starts_at + timedelta(seconds=20),
    )
    assert plan.status == PlanStatus.DONE
    assert sorted(plan.unplanned) == sorted(o.pk for o in orders)
    assert "did not fit" in plan.job.message


def test_finishing_a_route_marks_its_orders_delivered(
    world, office, volunteers, door_orders, django_capture_on_commit_callbacks
):
    from linli.supplies.choices import OrderStatus
    from linli.taskpool import services as tasks

    round_, orders = door_orders
    plan = plan_for(world, round_, django_capture_on_commit_callbacks, volunteers=1, capacity=10)
    route = plan.routes.select_related("task", "worker").get()
    task = route.task
    tasks.task_accept(actor=route.worker.user, worker=route.worker, task=task)
    tasks.task_complete(actor=route.worker.user, worker=route.worker, task=task, note="送完了")
    on_route = [s.order_id for s in route.stops.all()]
    assert set(Order.objects.filter(pk__in=on_route).values_list("status", flat=True)) == {
        OrderStatus.DELIVERED
    }
    assert (
        Order.objects.filter(round=round_, door_delivery=False).get().status == OrderStatus.PLACED
    )
