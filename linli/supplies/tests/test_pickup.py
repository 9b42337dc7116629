"""Pickup points, round close with staggered slots, contact-free check-off and no-shows."""

import io
import math
from collections import Counter
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from linli.core.errors import ApplicationError, Conflict, PermissionDenied
from linli.core.models import AuditEvent, Job, JobStatus
from linli.places.choices import PlaceKind
from linli.places.models import PublicPlace
from linli.places.services import household_get_or_create
from linli.supplies import pickup, services
from linli.supplies.choices import OrderStatus, PlanMethod, RoundStatus
from linli.supplies.models import Order, PickupPlan, PickupPoint, Round
from linli.supplies.testing import make_package, make_round, make_supplier
from linli.taskpool.models import Task
from linli.workforce.testing import make_worker

# ------------------------------------------------------------------------ helpers


def gate(world, x=100, y=40, name="南门"):
    return PublicPlace.objects.create(
        community=world.community, kind=PlaceKind.GATE, name=name, x=x, y=y
    )


def run_plan(world, *, k=1, actor="staff", **kwargs):
    """Start a plan and run its job in-process, as the db_worker would; the plan made."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        job = pickup.pickup_plan_start(
            actor=world.user(actor), community=world.community, k=k, **kwargs
        )
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.message
    return PickupPlan.objects.get(pk=job.result["plan_id"])


def add_households(building, n, *, entrance=1, first_room=100):
    return [
        household_get_or_create(building=building, entrance=entrance, room=str(first_room + i))
        for i in range(n)
    ]


def big_round(world, **kwargs):
    supplier = make_supplier(world.community)
    items = [(make_package(supplier, "蔬菜包", price_fen=3000), 500, 2)]
    return make_round(world, supplier=supplier, items=items, **kwargs)


def place_orders(world, round_, households, quantity=1):
    item = round_.items.get()
    return [
        services.order_place(
            actor=world.user("staff"), round_=round_, household=h, lines={item.pk: quantity}
        )[0]
        for h in households
    ]


@pytest.fixture
def closed(world):
    """A round over A1 and A2, one point at the gate, an order from each of the two
    households, closed: slots and codes given out."""
    gate(world)
    run_plan(world, k=1, pinned=[f"place:{PublicPlace.objects.get().pk}"])
    round_ = big_round(world)
    households = [world.residents["zhang"].household, world.residents["wang"].household]
    # 王秀英 (88, living alone) would get door delivery; her neighbour collects for her here.
    from linli.delivery.services import override_set

    override_set(
        actor=world.user("staff"), household=households[1], include=False, reason="邻居代取"
    )
    orders = place_orders(world, round_, households)
    pickup.round_close(actor=world.user("staff"), round_=round_)
    round_.refresh_from_db()
    for o in orders:
        o.refresh_from_db()
    return round_, orders


@pytest.fixture
def volunteer(world):
    make_worker(world.user("volunteer"))
    return world.user("volunteer")


# ------------------------------------------------------------------------ planning


def test_a_plan_assigns_every_building_to_its_nearest_chosen_point(world):
    g = gate(world)
    plan = run_plan(world, k=2)
    assignments = list(plan.assignments.select_related("building", "point"))
    assert len(assignments) == 3 and plan.method == PlanMethod.EXACT and plan.gap == 0
    points = {a.point for a in assignments}
    assert len(points) == 2
    households = {"1": 1, "2": 1, "3": 2}  # A1, A2, B1 in the test world
    for a in assignments:
        nearest = min(math.dist((a.building.x, a.building.y), (p.x, p.y)) for p in points)
        assert a.distance_m == pytest.approx(nearest)
    cost = sum(households[a.building.number] * a.distance_m for a in assignments)
    assert plan.cost == pytest.approx(cost)
    # Candidates: the gate and each building's entrance area. B1 (2 households, far east) is
    # best served at its own door; A1 and A2 share the gate or one of their doors.
    assert any(p.building_id == world.building_b1.pk for p in points)
    assert PickupPoint.objects.filter(community=world.community).count() == 2
    assert AuditEvent.objects.filter(action="pickup.plan", target_id=str(plan.pk)).exists()
    assert g.pk  # the gate was a candidate


def test_pinned_and_forbidden_places_are_respected(world):
    g = gate(world, x=390, y=290, name="北门")  # far from everybody
    plan = run_plan(
        world, k=2, pinned=[f"place:{g.pk}"], forbidden=[f"building:{world.building_b1.pk}"]
    )
    points = {a.point for a in plan.assignments.select_related("point")}
    assert any(p.place_id == g.pk for p in points)
    assert not any(p.building_id == world.building_b1.pk for p in points)
    assert plan.pinned == [f"place:{g.pk}"]


def test_a_capacity_limits_the_households_a_point_serves(world):
    add_households(world.building_a1, 5)  # A1: 6 households, A2: 1, B1: 2
    plan = run_plan(world, k=2, capacity=6, forbidden=[f"building:{world.building_b1.pk}"])
    load = Counter()
    for a in plan.assignments.all():
        load[a.point_id] += {"1": 6, "2": 1, "3": 2}[a.building.number]
    assert max(load.values()) <= 6
    assert set(PickupPoint.objects.values_list("capacity", flat=True)) == {6}


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"k": 9}, "k"),  # only 3 candidates
        ({"k": "x"}, "k"),
        ({"k": 1, "capacity": 2}, "capacity"),  # 4 households, one point of 2
        ({"k": 1, "pinned": ["place:999"]}, "pinned"),
    ],
)
def test_settings_that_cannot_be_planned_are_refused_at_once(world, kwargs, field):
    with pytest.raises(ApplicationError) as exc:
        pickup.pickup_plan_start(actor=world.user("staff"), community=world.community, **kwargs)
    assert field in exc.value.fields
    assert not Job.objects.exists()


@pytest.mark.parametrize("name", ["grid_a", "volunteer", "resident", "outsider"])
def test_only_community_staff_plan_pickup_points(world, name):
    with pytest.raises(PermissionDenied):
        pickup.pickup_plan_start(actor=world.user(name), community=world.community, k=1)


def test_the_plan_page_runs_a_job_and_shows_the_site_plan(world, as_user):
    gate(world)
    client = as_user("staff")
    page = client.get("/pickup/plan/")
    assert page.status_code == 200 and b'name="pin"' in page.content
    with TestCase.captureOnCommitCallbacks(execute=True):
        started = client.post("/pickup/plan/", {"k": "2", "community": world.community.pk})
    assert started.status_code == 302 and "/pickup/plan/jobs/" in started["Location"]
    done = client.get(started["Location"])
    plan = PickupPlan.objects.get()
    assert done.status_code == 302 and done["Location"] == f"/pickup/plans/{plan.pk}/"
    shown = client.get(done["Location"])
    assert shown.status_code == 200
    assert b"<svg" in shown.content and b"<line" in shown.content
    assert b"Exact (HiGHS)" in shown.content


def test_the_plan_page_shows_what_to_correct(world, as_user):
    page = as_user("staff").post("/pickup/plan/", {"k": "7", "community": world.community.pk})
    assert page.status_code == 400
    assert b"choose at most that many points" in page.content


@pytest.mark.parametrize("name", ["volunteer", "resident", "outsider"])
def test_others_cannot_open_the_planning_pages(world, as_user, name):
    plan = run_plan(world, k=1)
    client = as_user(name)
    assert client.get("/pickup/plan/").status_code == 404
    assert client.get(f"/pickup/plans/{plan.pk}/").status_code == 404


def test_a_failed_job_says_why(world, as_user):
    # The settings were fine when checked, then the places changed before the job ran.
    g = gate(world)
    job = pickup.pickup_plan_start(
        actor=world.user("staff"), community=world.community, k=1, pinned=[f"place:{g.pk}"]
    )
    g.delete()
    pickup.pickup_plan_run(job_id=job.pk, actor_id=world.user("staff").pk)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "not on the site plan" in job.message
    page = as_user("staff").get(f"/pickup/plan/jobs/{job.pk}/")
    assert page.status_code == 200 and b"not on the site plan" in page.content


def test_planning_for_a_round_covers_its_buildings_and_the_round_takes_the_plan(world):
    round_ = big_round(world)  # A1 and A2
    with TestCase.captureOnCommitCallbacks(execute=True):
        job = pickup.pickup_plan_for_round(actor=world.user("staff"), round_=round_)
    job.refresh_from_db()
    round_.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert round_.pickup_plan_id == job.result["plan_id"]
    plan = round_.pickup_plan
    assert plan.k == 1  # the default: one point per 8 buildings
    assert set(plan.assignments.values_list("building_id", flat=True)) == {
        world.building_a1.pk,
        world.building_a2.pk,
    }


# ------------------------------------------------------------------------ closing and slots


def test_closing_gives_each_order_its_point_and_a_slot_within_capacity(world):
    gate(world)
    round_ = big_round(world)
    Round.objects.filter(pk=round_.pk).update(slot_capacity=10, slot_minutes=15)
    round_.refresh_from_db()
    run_plan(world, k=1, pinned=[f"place:{PublicPlace.objects.get().pk}"])
    a1 = [world.residents["zhang"].household, *add_households(world.building_a1, 23)]
    a2 = [world.residents["wang"].household, *add_households(world.building_a2, 3, first_room=500)]
    orders = place_orders(world, round_, a1 + a2)
    door = orders[5]
    Order.objects.filter(pk=door.pk).update(door_delivery=True)
    pickup.round_close(actor=world.user("staff"), round_=round_)
    round_.refresh_from_db()
    assert round_.status == RoundStatus.CLOSED and round_.closed_at is not None
    orders = list(Order.objects.filter(round=round_).select_related("household"))
    point = PickupPoint.objects.get()
    assert all(o.pickup_point_id == point.pk for o in orders)
    door = next(o for o in orders if o.door_delivery)
    assert door.slot_start is None
    slotted = [o for o in orders if not o.door_delivery]
    per_slot = Counter((o.pickup_point_id, o.slot_start) for o in slotted)
    assert max(per_slot.values()) <= 10
    for o in slotted:
        offset = (o.slot_start - round_.pickup_starts_at).total_seconds() / 60
        assert offset >= 0 and offset % 15 == 0
    by_building = {}
    for o in slotted:
        by_building.setdefault(o.household.building_id, set()).add(o.slot_start)
    assert len(by_building[world.building_a2.pk]) == 1  # 4 households: together
    assert len(by_building[world.building_a1.pk]) == 3  # 23 households: as few slots as can be
    assert AuditEvent.objects.filter(action="round.close", target_id=str(round_.pk)).exists()


def test_a_building_the_plan_does_not_know_goes_to_the_nearest_point(world):
    round_ = big_round(world, buildings=[world.building_a1])
    with TestCase.captureOnCommitCallbacks(execute=True):
        pickup.pickup_plan_for_round(actor=world.user("staff"), round_=round_, k=1)
    round_.buildings.add(world.building_b1)
    (order,) = place_orders(world, round_, [world.residents["chen"].household])
    pickup.round_close(actor=world.user("staff"), round_=round_)
    order.refresh_from_db()
    assert order.pickup_point.building_id == world.building_a1.pk
    assert order.slot_start == round_.pickup_starts_at


def test_closing_needs_a_plan_staff_and_an_open_round(world):
    round_ = big_round(world)
    with pytest.raises(ApplicationError) as exc:
        pickup.round_close(actor=world.user("staff"), round_=round_)
    assert exc.value.code == "no_pickup_plan"
    run_plan(world, k=1)
    with pytest.raises(PermissionDenied):
        pickup.round_close(actor=world.user("volunteer"), round_=round_)
    pickup.round_close(actor=world.user("staff"), round_=round_)
    with pytest.raises(Conflict):
        pickup.round_close(actor=world.user("staff"), round_=round_)


def test_a_closed_round_keeps_its_plan(world, closed):
    round_, _orders = closed
    with pytest.raises(Conflict):
        pickup.pickup_plan_for_round(actor=world.user("staff"), round_=round_, k=1)


# ------------------------------------------------------------------------ contact-free pickup


def test_the_qr_code_holds_the_round_and_code_and_reads_back(world, closed):
    round_, (order, _other) = closed
    svg = pickup.order_qr_svg(order)
    assert svg.startswith("<svg") and 'class="qr"' in svg
    assert pickup.parse_code(pickup.qr_payload(order)) == (round_.pk, order.pickup_code)
    assert pickup.parse_code(" 12 34 56 ") == (None, "123456")
    with pytest.raises(ApplicationError) as exc:
        pickup.parse_code("12345")
    assert exc.value.code == "bad_code"


def test_a_worker_on_the_roster_hands_an_order_over_once(world, closed, volunteer):
    round_, (order, _other) = closed
    done = pickup.pickup_collect(actor=volunteer, round_=round_, text=order.pickup_code)
    assert done.status == OrderStatus.COLLECTED
    order.refresh_from_db()
    assert order.status == OrderStatus.COLLECTED and order.collected_by == volunteer
    with pytest.raises(ApplicationError) as exc:
        pickup.pickup_collect(actor=volunteer, round_=round_, text=pickup.qr_payload(order))
    assert exc.value.code == "already_collected" and exc.value.status == 409


def test_refusals_name_the_reason(world, closed, volunteer):
    round_, (order, other) = closed
    Order.objects.filter(pk=other.pk).update(status=OrderStatus.CANCELLED)
    unused = next(c for c in (f"{n:06d}" for n in range(10**6)) if c != order.pickup_code)
    cases = [
        (unused, "unknown_code"),
        (other.pickup_code, "cancelled"),
        (f"{pickup.QR_PREFIX}:{round_.pk + 1}:{order.pickup_code}", "other_round"),
    ]
    for text, code in cases:
        with pytest.raises(ApplicationError) as exc:
            pickup.pickup_collect(actor=volunteer, round_=round_, text=text)
        assert exc.value.code == code, text
    elsewhere = PickupPoint.objects.create(community=world.community, name="别处", x=1, y=1)
    with pytest.raises(ApplicationError) as exc:
        pickup.pickup_collect(
            actor=volunteer, round_=round_, text=order.pickup_code, point=elsewhere
        )
    assert exc.value.code == "other_point"
    order.refresh_from_db()
    assert order.status == OrderStatus.PLACED


def test_a_code_of_another_round_under_way_is_named(world, closed, volunteer):
    round_, (order, _other) = closed
    second = big_round(world, title="第二批团购")
    (later,) = place_orders(world, second, [world.residents["zhang"].household])
    pickup.round_close(actor=world.user("staff"), round_=second)
    if later.pickup_code == order.pickup_code:
        pytest.skip("the two rounds drew the same code")
    with pytest.raises(ApplicationError) as exc:
        pickup.pickup_collect(actor=volunteer, round_=round_, text=later.pickup_code)
    assert exc.value.code == "other_round" and "第二批团购" in exc.value.message


def test_an_open_round_is_not_handed_out_yet(world, volunteer):
    run_plan(world, k=1)
    round_ = big_round(world)
    (order,) = place_orders(world, round_, [world.residents["zhang"].household])
    with pytest.raises(ApplicationError) as exc:
        pickup.pickup_collect(actor=volunteer, round_=round_, text=order.pickup_code)
    assert exc.value.code == "round_not_ready"


@pytest.mark.parametrize("name", ["volunteer", "resident", "outsider"])
def test_only_screened_workers_on_the_roster_check_off(world, closed, name):
    # The volunteer persona holds the role but is not on the roster here.
    round_, (order, _other) = closed
    with pytest.raises(PermissionDenied):
        pickup.pickup_collect(actor=world.user(name), round_=round_, text=order.pickup_code)


def test_a_pending_volunteer_cannot_check_off(world, closed):
    from linli.workforce.choices import WorkerStatus

    round_, (order, _other) = closed
    make_worker(world.user("volunteer"), status=WorkerStatus.PENDING)
    with pytest.raises(PermissionDenied):
        pickup.pickup_collect(actor=world.user("volunteer"), round_=round_, text=order.pickup_code)


def test_the_point_page_looks_up_and_hands_over(world, closed, volunteer, as_user):
    round_, (order, _other) = closed
    url = f"/pickup/rounds/{round_.pk}/points/{order.pickup_point_id}/"
    client = as_user("volunteer")
    page = client.get(url)
    assert page.status_code == 200 and b'name="code"' in page.content
    looked = client.post(url, {"code": pickup.qr_payload(order), "action": "lookup"})
    assert looked.status_code == 200
    assert order.household.address.encode() in looked.content
    assert "蔬菜包".encode() in looked.content and b'value="collect"' in looked.content
    order.refresh_from_db()
    assert order.status == OrderStatus.PLACED  # looking up changes nothing
    handed = client.post(url, {"code": order.pickup_code, "action": "collect"})
    assert handed.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.COLLECTED
    again = client.post(url, {"code": order.pickup_code, "action": "lookup"})
    assert again.status_code == 409 and b"already handed over" in again.content


@pytest.mark.parametrize(("name", "status"), [("volunteer", 403), ("outsider", 404)])
def test_the_point_page_is_for_workers_on_shift(world, closed, as_user, name, status):
    round_, (order, _other) = closed
    url = f"/pickup/rounds/{round_.pk}/points/{order.pickup_point_id}/"
    assert as_user(name).get(url).status_code == status


# ------------------------------------------------------------------------ no-shows


def test_orders_not_collected_after_the_slot_become_check_on_visits_once(world, closed, volunteer):
    round_, (order, other) = closed
    pickup.pickup_collect(actor=volunteer, round_=round_, text=other.pickup_code)
    end = order.slot_start + timedelta(minutes=round_.slot_minutes)
    assert pickup.pickups_mark_no_shows(round_=round_, now=end) == 0  # still in the grace
    later = end + timedelta(minutes=pickup.GRACE_MINUTES + 1)
    assert pickup.pickups_mark_no_shows(round_=round_, now=later) == 1
    order.refresh_from_db()
    assert order.status == OrderStatus.NO_SHOW
    task = Task.objects.get()
    assert task.kind == "check_visit" and task.household_id == order.household_id
    assert task.source == "module"
    assert pickup.pickups_mark_no_shows(round_=round_, now=later) == 0
    assert Task.objects.count() == 1
    # The resident turns up late after all: the bag is still theirs.
    pickup.pickup_collect(actor=volunteer, round_=round_, text=order.pickup_code)
    order.refresh_from_db()
    assert order.status == OrderStatus.COLLECTED


def test_the_command_marks_no_shows_in_every_round_under_way(world, closed):
    round_, _orders = closed
    Round.objects.filter(pk=round_.pk).update(pickup_starts_at=timezone.now() - timedelta(hours=3))
    Order.objects.filter(round=round_).update(slot_start=timezone.now() - timedelta(hours=3))
    out = io.StringIO()
    call_command("pickup_no_shows", stdout=out)
    assert "marked 2 no-show(s)" in out.getvalue()
    assert Task.objects.filter(kind="check_visit").count() == 2


# ------------------------------------------------------------------------ lists


def test_the_purchase_list_totals_each_package(world, closed):
    round_, (order, other) = closed
    another = big_round(world, buildings=[world.building_b1], title="另一批")
    (extra,) = place_orders(world, another, [world.residents["chen"].household])
    rows = pickup.purchase_list(round_)
    assert [(r["name"], r["quantity"], r["amount_fen"]) for r in rows] == [("蔬菜包", 2, 6000)]
    Order.objects.filter(pk=other.pk).update(status=OrderStatus.CANCELLED)
    assert pickup.purchase_list(round_)[0]["quantity"] == 1
    assert extra.round_id != round_.pk


def test_the_packing_list_groups_by_point_and_slot(world, as_user, closed):
    round_, orders = closed
    (entry,) = pickup.packing_list(round_)
    assert entry["point"].name == "南门" and entry["orders"] == 2
    (slot,) = entry["slots"]
    assert slot["start"] == round_.pickup_starts_at and slot["households"] == 2
    page = as_user("staff").get(f"/pickup/rounds/{round_.pk}/packing/")
    assert page.status_code == 200
    for o in orders:
        assert o.pickup_code.encode() in page.content


def test_the_lists_download_as_excel_and_the_export_is_audited(world, as_user, closed):
    round_, orders = closed
    client = as_user("staff")
    packing = client.get(f"/pickup/rounds/{round_.pk}/packing/?format=xlsx")
    book = load_workbook(io.BytesIO(packing.content))
    assert book.sheetnames == ["南门"]
    codes = {row[2] for row in book["南门"].iter_rows(min_row=2, values_only=True)}
    assert codes == {o.pickup_code for o in orders}
    purchase = client.get(f"/pickup/rounds/{round_.pk}/purchase/?format=xlsx")
    sheet = load_workbook(io.BytesIO(purchase.content)).active
    assert [c.value for c in sheet[3]][:3] == ["蔬菜包", "白菜 土豆 萝卜", 2]
    assert AuditEvent.objects.filter(action="round.export").count() == 2


def test_the_packing_page_makes_a_fixed_number_of_queries(world, as_user, closed):
    round_, _orders = closed
    client = as_user("staff")
    client.get(f"/pickup/rounds/{round_.pk}/packing/")  # warm the session and caches
    with CaptureQueriesContext(connection) as few:
        client.get(f"/pickup/rounds/{round_.pk}/packing/")
    more = add_households(world.building_a1, 12)
    Round.objects.filter(pk=round_.pk).update(status=RoundStatus.OPEN)
    place_orders(world, round_, more)
    with CaptureQueriesContext(connection) as many:
        client.get(f"/pickup/rounds/{round_.pk}/packing/")
    assert len(many) == len(few)


@pytest.mark.parametrize(("name", "status"), [("volunteer", 403), ("resident", 404)])
def test_the_lists_are_for_community_workers(world, as_user, closed, name, status):
    round_, _orders = closed
    client = as_user(name)
    assert client.get(f"/pickup/rounds/{round_.pk}/purchase/").status_code == status
    assert client.get(f"/pickup/rounds/{round_.pk}/packing/?format=xlsx").status_code == status


def test_the_round_page_shows_points_and_the_close_button(world, as_user):
    run_plan(world, k=1)
    round_ = big_round(world)
    client = as_user("staff")
    page = client.get(f"/pickup/rounds/{round_.pk}/")
    assert page.status_code == 200 and f"/pickup/rounds/{round_.pk}/close/".encode() in page.content
    closed = client.post(f"/pickup/rounds/{round_.pk}/close/")
    assert closed.status_code == 302
    round_.refresh_from_db()
    assert round_.status == RoundStatus.CLOSED
    assert as_user("outsider").get(f"/pickup/rounds/{round_.pk}/").status_code == 404


@pytest.mark.parametrize("name", ["admin", "supervisor"])
def test_admins_and_supervisors_read_the_round_and_its_lists(world, as_user, closed, name):
    round_, _orders = closed
    client = as_user(name)
    assert client.get("/pickup/").status_code == 200
    assert client.get(f"/pickup/rounds/{round_.pk}/").status_code == 200
    assert client.get(f"/pickup/rounds/{round_.pk}/packing/").status_code == 200
    assert client.get(f"/pickup/plans/{round_.pickup_plan_id}/").status_code == 200


def test_closing_gives_door_delivery_to_the_eligible_and_tells_every_household(
    world, django_capture_on_commit_callbacks
):
    from linli.notices.models import Notification

    gate(world)
    run_plan(world, k=1, pinned=[f"place:{PublicPlace.objects.get().pk}"])
    round_ = big_round(world)
    zhang, wang = world.residents["zhang"].household, world.residents["wang"].household
    place_orders(world, round_, [zhang, wang])
    with django_capture_on_commit_callbacks(execute=True):
        pickup.round_close(actor=world.user("staff"), round_=round_)
    at_door = Order.objects.get(household=wang)
    collects = Order.objects.get(household=zhang)
    assert at_door.door_delivery and at_door.slot_start is None
    assert not collects.door_delivery and collects.slot_start is not None
    # 张伟 has a login (the resident persona): he is told his point, slot and code in the app.
    note = Notification.objects.get(user=world.user("resident"))
    assert collects.pickup_code in note.body
