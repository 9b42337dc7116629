"""`manage.py seed_demo` loads food and supplies (issue 4) on a small community (300
households): suppliers and their screening, the catalogue, the pickup-point plan, the round
being collected (points, slots, codes, door delivery, routes as pool tasks) and the round open
for orders; and the apps' own services work on what it loaded.

The demo is loaded at the real time of day (its rounds are around now), so nothing here assumes
that pickup has or has not started yet."""

from collections import Counter
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Sum
from django.test import override_settings
from django.utils import timezone, translation

from linli.accounts.models import User
from linli.core.errors import Conflict
from linli.core.models import AuditEvent, Job
from linli.delivery.eligibility import door_delivery_households
from linli.delivery.models import (
    DeliveryPreference,
    DoorDeliveryOverride,
    Route,
    RoutePlan,
    RouteStop,
)
from linli.demo import groupbuy, services
from linli.notices.choices import Channel
from linli.notices.models import Notification
from linli.notices.services import household_phone
from linli.places.models import Building, Community, Household
from linli.supplies import pickup
from linli.supplies.choices import OrderStatus, RoundStatus
from linli.supplies.models import (
    Order,
    OrderLine,
    Package,
    PickupPlan,
    PickupPoint,
    Round,
    RoundItem,
    Supplier,
    SupplierStaff,
)
from linli.supplies.services import (
    ItemSpec,
    order_place,
    round_create,
    round_is_open,
    supplier_check,
)
from linli.taskpool.choices import Status, TaskKind
from linli.workforce.choices import Force, WorkerStatus
from linli.workforce.models import Worker

AS_OF = date(2026, 3, 1)
SMALL = 300


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def seed(**options) -> str:
    out = StringIO()
    call_command("seed_demo", households=SMALL, as_of=AS_OF, stdout=out, **options)
    return out.getvalue()


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """Load the demo once for the module, in a transaction rolled back at its end; each test
    runs in a savepoint inside it (pytest-django's `db`), so none sees another's changes."""
    fast = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), transaction.atomic():
        with translation.override("en"), fast:
            out = seed()
        yield out
        transaction.set_rollback(True)


@pytest.fixture
def demo(seeded, db):
    return Community.objects.get(code="xinmin-road")


def the_round(status) -> Round:
    return Round.objects.select_related("supplier", "pickup_plan").get(status=status)


def resident1_household():
    return User.objects.get(username="resident1").resident.household


def test_suppliers_are_screened_and_the_stale_one_is_turned_away(demo):
    suppliers = {s.kind: s for s in Supplier.objects.filter(community=demo)}
    assert set(suppliers) == {"supermarket", "farm", "pharmacy"}
    now = timezone.now()
    for kind in ("supermarket", "farm"):
        assert supplier_check(suppliers[kind]) == []
        staff = list(suppliers[kind].staff.all())
        assert len(staff) >= 3
        for person in staff:
            assert person.test_result == "negative"
            assert timedelta(0) < now - person.tested_at < timedelta(hours=30)
    pharmacy = suppliers["pharmacy"]
    person = SupplierStaff.objects.get(supplier=pharmacy)
    (reason,) = supplier_check(pharmacy)
    assert person.name in reason
    assert timezone.localtime(person.tested_at).strftime("%Y-%m-%d") in reason
    # And it cannot be scheduled for a round, with that reason (proposal S4).
    with pytest.raises(Conflict) as refused:
        round_create(
            actor=User.objects.get(username="staff1"),
            supplier=pharmacy,
            title="药品代购",
            buildings=Building.objects.filter(community=demo),
            opens_at=now,
            closes_at=now + timedelta(days=1),
            pickup_starts_at=now + timedelta(days=1, hours=1),
            items=[ItemSpec(package=pharmacy.packages.get(), stock=10)],
        )
    assert refused.value.code == "supplier_not_screened"
    assert person.name in refused.value.message


def test_the_catalogue_is_priced_in_fen_with_subsidised_meat_and_eggs(demo):
    packages = Package.objects.filter(supplier__community=demo)
    assert packages.count() == 12
    supermarket = packages.filter(supplier__kind="supermarket")
    assert set(supermarket.values_list("kind", flat=True)) == {
        "vegetables",
        "meat",
        "eggs",
        "rice_oil",
        "infant",
        "elderly",
        "medicine",
    }
    subsidised = packages.filter(subsidised_price_fen__isnull=False)
    assert set(subsidised.values_list("kind", flat=True)) == {"meat", "eggs"}
    assert all(p.subsidised_price_fen < p.price_fen for p in subsidised)
    # Residents pay the subsidised price (S8).
    for item in RoundItem.objects.filter(package__in=subsidised):
        assert item.price_fen == item.package.subsidised_price_fen


def test_the_pickup_plan_is_exact_and_gives_each_building_its_nearest_point(demo):
    plan = PickupPlan.objects.get(community=demo)
    buildings = list(Building.objects.filter(community=demo))
    assert plan.k == groupbuy.pickup_point_count(len(buildings))
    assert (plan.method, plan.gap) == ("exact", 0)
    assignments = list(plan.assignments.select_related("building", "point"))
    assert {a.building_id for a in assignments} == {b.pk for b in buildings}
    points = {a.point for a in assignments}
    assert len(points) == plan.k == PickupPoint.objects.filter(community=demo).count()
    for a in assignments:
        nearest = min(
            ((p.x - a.building.x) ** 2 + (p.y - a.building.y) ** 2) ** 0.5 for p in points
        )
        assert a.distance_m == pytest.approx(nearest)
    households = Counter(
        Household.objects.filter(building__community=demo).values_list("building", flat=True)
    )
    assert plan.cost == pytest.approx(
        sum(households[a.building_id] * a.distance_m for a in assignments)
    )
    assert set(Round.objects.values_list("pickup_plan", flat=True)) == {plan.pk}


def test_the_open_round_has_orders_from_most_households_and_exact_stock(demo):
    round_ = the_round(RoundStatus.OPEN)
    assert round_is_open(round_)
    assert round_.buildings.count() == Building.objects.filter(community=demo).count()
    households = Household.objects.filter(building__community=demo).count()
    live = round_.orders.filter(status=OrderStatus.PLACED)
    assert 0.75 * households <= live.count() <= 0.85 * households
    assert (
        round_.orders.exclude(status__in=[OrderStatus.PLACED, OrderStatus.CANCELLED]).count() == 0
    )
    assert not live.filter(pickup_point__isnull=False).exists()  # given out at the close
    # The stock offered (what round_create recorded) less what the live orders hold.
    offered = AuditEvent.objects.get(action="round.create", target_id=str(round_.pk)).detail
    held = dict(
        OrderLine.objects.filter(order__in=live)
        .values_list("item__package")
        .annotate(n=Sum("quantity"))
        .values_list("item__package", "n")
    )
    items = list(round_.items.select_related("package"))
    assert len(items) == 7
    for item in items:
        assert item.stock == offered["items"][str(item.package_id)] - held.get(item.package_id, 0)
        assert item.stock >= 0
    assert [i.package.kind for i in items if i.stock == 0] == ["meat"]
    for order in live.prefetch_related("lines")[:100]:
        assert order.total_fen == sum(line.quantity * line.price_fen for line in order.lines.all())
        assert sum(line.quantity for line in order.lines.all()) <= round_.household_limit
    codes = list(round_.orders.values_list("pickup_code", flat=True))
    assert len(set(codes)) == len(codes) and all(len(c) == 6 and c.isdigit() for c in codes)
    mine = live.get(household=resident1_household())
    assert mine.placed_by.username == "resident1"
    assert live.filter(placed_by__username__startswith="leader").exists()  # ordered for them


def test_ordering_in_the_open_round_works_on_the_demo(demo):
    round_ = the_round(RoundStatus.OPEN)
    items = {i.package.kind: i for i in round_.items.select_related("package")}
    first, second = (
        Household.objects.filter(building__community=demo)
        .exclude(pk__in=round_.orders.values("household"))
        .order_by("pk")[:2]
    )
    staff1 = User.objects.get(username="staff1")
    # The subsidised pork sold out: refused, and nothing of the order is reserved.
    eggs = items["eggs"].stock
    with pytest.raises(Conflict) as sold_out:
        order_place(
            actor=staff1,
            round_=round_,
            household=first,
            lines={items["eggs"].pk: 1, items["meat"].pk: 1},
        )
    assert sold_out.value.code == "out_of_stock"
    items["eggs"].refresh_from_db()
    assert items["eggs"].stock == eggs
    assert not round_.orders.filter(household=first).exists()
    vegetables = items["vegetables"].stock
    order, created = order_place(
        actor=staff1,
        round_=round_,
        household=second,
        lines={items["vegetables"].pk: 1},
        idempotency_key="demo-test-1",
    )
    assert (
        created
        and not round_.orders.filter(pickup_code=order.pickup_code).exclude(pk=order.pk).exists()
    )
    items["vegetables"].refresh_from_db()
    assert items["vegetables"].stock == vegetables - 1
    with pytest.raises(Conflict) as twice:
        order_place(
            actor=User.objects.get(username="resident1"),
            round_=round_,
            household=resident1_household(),
            lines={items["eggs"].pk: 1},
        )
    assert twice.value.code == "already_ordered"


def test_the_round_being_collected_has_points_slots_and_codes(demo):
    round_ = the_round(RoundStatus.CLOSED)
    assert round_.closes_at < round_.closed_at < timezone.now()
    assert round_.closes_at <= round_.pickup_starts_at
    point_of = dict(round_.pickup_plan.assignments.values_list("building", "point"))
    live = list(
        round_.orders.exclude(status=OrderStatus.CANCELLED).select_related(
            "household__building", "household__entrance"
        )
    )
    households = Household.objects.filter(building__community=demo).count()
    assert 0.7 * households <= len(live) <= 0.85 * households
    step = timedelta(minutes=round_.slot_minutes)
    per_slot = Counter()
    building_slots: dict[int, set] = {}
    for order in live:
        assert order.pickup_point_id == point_of[order.household.building_id]
        assert len(order.pickup_code) == 6 and order.pickup_code.isdigit()
        if order.door_delivery:
            assert order.slot_start is None and order.status == OrderStatus.PLACED
            continue
        offset = order.slot_start - round_.pickup_starts_at
        assert offset >= timedelta(0) and offset % step == timedelta(0)
        per_slot[(order.pickup_point_id, order.slot_start)] += 1
        building_slots.setdefault(order.household.building_id, set()).add(order.slot_start)
    # No more than the slot's capacity at a point at once (10 per 15 minutes), and staggered
    # by building: a building that fits in one slot comes down together.
    assert max(per_slot.values()) <= round_.slot_capacity
    collecting = Counter(o.household.building_id for o in live if not o.door_delivery)
    for building, slots in building_slots.items():
        needed = -(-collecting[building] // round_.slot_capacity)
        assert len(slots) == needed, building
    codes = [o.pickup_code for o in round_.orders.all()]
    assert len(set(codes)) == len(codes)


def test_door_delivery_follows_the_registry_rule_and_the_staff_overrides(demo):
    round_ = the_round(RoundStatus.CLOSED)
    eligible = door_delivery_households(demo, today=AS_OF)
    live = round_.orders.exclude(status=OrderStatus.CANCELLED)
    assert set(live.filter(door_delivery=True).values_list("household", flat=True)) == (
        set(live.values_list("household", flat=True)) & eligible
    )
    assert 0 < live.filter(door_delivery=True).count() < 0.2 * live.count()
    overrides = {o.include: o for o in DoorDeliveryOverride.objects.filter(community=demo)}
    assert set(overrides) == {True, False}
    assert overrides[True].household_id in eligible and overrides[True].reason
    assert overrides[False].household_id not in eligible and overrides[False].reason
    assert DeliveryPreference.objects.filter(household__building__community=demo).exists()


def test_collected_orders_were_handed_over_in_their_slot_by_a_volunteer(demo):
    round_ = the_round(RoundStatus.CLOSED)
    volunteers = set(
        Worker.objects.filter(force=Force.VOLUNTEER, status=WorkerStatus.APPROVED).values_list(
            "user", flat=True
        )
    )
    step = timedelta(minutes=round_.slot_minutes)
    now = timezone.now()
    for order in round_.orders.filter(status=OrderStatus.COLLECTED):
        assert order.slot_start <= order.collected_at < order.slot_start + step
        assert order.collected_at <= now and order.collected_by_id in volunteers
    assert not round_.orders.filter(status=OrderStatus.PLACED, collected_at__isnull=False).exists()
    # Nobody's slot is so long past that they would count as not collected yet.
    assert pickup.pickups_mark_no_shows(round_=round_) == 0


def test_volunteer1_hands_over_resident1s_bag_at_their_point(demo):
    round_ = the_round(RoundStatus.CLOSED)
    order = round_.orders.get(household=resident1_household())
    assert order.status == OrderStatus.PLACED and order.slot_start and not order.door_delivery
    volunteer1 = User.objects.get(username="volunteer1")
    done = pickup.pickup_collect(
        actor=volunteer1, round_=round_, text=pickup.qr_payload(order), point=order.pickup_point
    )
    assert (done.pk, done.status) == (order.pk, OrderStatus.COLLECTED)
    order.refresh_from_db()
    assert order.collected_by == volunteer1


def test_every_household_was_told_its_point_slot_and_code(demo):
    round_ = the_round(RoundStatus.CLOSED)
    live = round_.orders.exclude(status=OrderStatus.CANCELLED).select_related(
        "household", "pickup_point"
    )
    texts = {
        n.household_id: n
        for n in Notification.objects.filter(
            channel=Channel.SMS, household__building__community=demo
        )
    }
    phones = 0
    for order in live:
        phone = household_phone(order.household)
        if not phone:
            assert order.household_id not in texts
            continue
        phones += 1
        text = texts[order.household_id]
        assert text.phone == phone and order.pickup_code in text.body
        assert text.sent_at == round_.closed_at + timedelta(minutes=1)
        if not order.door_delivery:
            assert order.pickup_point.name in text.body
    assert len(texts) == phones > 0.9 * live.count()
    resident1 = User.objects.get(username="resident1")
    mine = round_.orders.get(household=resident1.resident.household)
    (notice,) = Notification.objects.filter(user=resident1, channel=Channel.IN_APP)
    assert mine.pickup_code in notice.body and notice.unread


def test_door_deliveries_are_routed_and_each_route_is_one_assigned_task(demo):
    round_ = the_round(RoundStatus.CLOSED)
    plan = RoutePlan.objects.get(round=round_)
    assert plan.status == "done" and plan.unplanned == []
    door = set(
        round_.orders.filter(door_delivery=True, status=OrderStatus.PLACED).values_list(
            "pk", flat=True
        )
    )
    stops = list(RouteStop.objects.filter(plan=plan).values_list("order", flat=True))
    assert sorted(stops) == sorted(door) and plan.orders == len(door)
    routes = list(
        Route.objects.filter(plan=plan).select_related("task", "worker").prefetch_related("stops")
    )
    assert routes
    for route in routes:
        task = route.task
        assert (task.kind, task.status, task.assignee) == (
            TaskKind.DELIVERY,
            Status.ASSIGNED,
            route.worker,
        )
        assert route.worker.status == WorkerStatus.APPROVED
        route_stops = list(route.stops.all())
        assert [s.sequence for s in route_stops] == list(range(1, len(route_stops) + 1))
        assert route.bags == sum(s.bags for s in route_stops)
        for stop in route_stops:
            assert stop.window_start <= stop.arrives_at <= stop.window_end
            assert plan.window_start <= stop.window_start < stop.window_end <= plan.window_end
    # A household's preferred time narrows its window on the route.
    preferred = set(DeliveryPreference.objects.values_list("household", flat=True))
    narrowed = RouteStop.objects.filter(plan=plan, household__in=preferred)
    for stop in narrowed:
        assert stop.window_end - stop.window_start < plan.window_end - plan.window_start
    assert Job.objects.get(pk=plan.job_id).status == "done"


def test_the_summary_and_the_command_report_the_supplies(demo, seeded):
    detail = AuditEvent.objects.get(action="demo.seed").detail
    assert detail["suppliers"] == 3 and detail["packages"] == 12
    assert (
        detail["open_round_orders"]
        == the_round(RoundStatus.OPEN).orders.filter(status=OrderStatus.PLACED).count()
    )
    closed = the_round(RoundStatus.CLOSED)
    assert detail["closed_round_orders"] == closed.orders.exclude(status="cancelled").count()
    assert detail["door_deliveries"] == closed.orders.filter(door_delivery=True).count()
    assert detail["routes"] == Route.objects.count()
    assert detail["collected"] == closed.orders.filter(status=OrderStatus.COLLECTED).count()
    assert f"{detail['open_round_orders']} orders" in seeded
    assert f"in {detail['routes']} routes" in seeded


def test_the_same_seed_gives_the_same_orders_after_a_reset(demo):
    def fingerprint():
        rows = []
        for order in Order.objects.select_related(
            "round", "household__building", "household__entrance", "pickup_point"
        ).prefetch_related("lines__item__package"):
            rows.append(
                (
                    order.round.title,
                    str(order.household),
                    order.pickup_code,
                    order.status == OrderStatus.CANCELLED,
                    order.payment,
                    tuple(sorted((x.item.package.name, x.quantity) for x in order.lines.all())),
                    order.door_delivery,
                    order.pickup_point.name if order.pickup_point else "",
                    order.slot_start - order.round.pickup_starts_at if order.slot_start else None,
                )
            )
        return sorted(rows)

    before = fingerprint()
    seed(reset=True)
    assert fingerprint() == before


def test_a_reset_removes_the_supplies_and_the_routes(demo):
    assert services.demo_reset()
    for model in (
        Supplier,
        SupplierStaff,
        Package,
        Round,
        RoundItem,
        Order,
        OrderLine,
        PickupPlan,
        PickupPoint,
        RoutePlan,
        Route,
        RouteStop,
        Notification,
        DoorDeliveryOverride,
        DeliveryPreference,
        Job,
    ):
        assert not model.objects.exists(), model.__name__
