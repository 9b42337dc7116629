"""The demo's suppliers, catalogue and group-purchase rounds on their own: no database."""

from collections import Counter
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from linli.demo import engine, groupbuy, roster
from linli.supplies import choices
from linli.supplies.choices import PackageKind, Payment, SupplierKind

TODAY = date(2026, 3, 1)
TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 1, 10, 37, tzinfo=TZ)  # pickup of the earlier round is under way
NIGHT = datetime(2026, 3, 1, 22, 5, tzinfo=TZ)  # it starts tomorrow at eight


@pytest.fixture(scope="module")
def full():
    plan = engine.generate(seed=2020, today=TODAY)
    work = roster.generate_work(plan, seed=2020, now=NOW)
    home = plan.people[roster.resident1_person(plan)].household
    shop = groupbuy.generate_shop(plan, work, seed=2020, now=NOW, logins={home: "resident1"})
    return plan, work, shop, home


def small(seed=7, now=NOW):
    plan = engine.generate(seed=seed, households=300, today=TODAY)
    work = roster.generate_work(plan, seed=seed, now=now)
    return groupbuy.generate_shop(plan, work, seed=seed, now=now)


def test_choice_values_stay_in_step_with_the_supplies_app(full):
    _plan, _work, shop, _home = full
    assert {s.kind for s in shop.suppliers} <= set(SupplierKind.values)
    assert {p.kind for p in shop.packages} <= set(PackageKind.values)
    assert {p.result for s in shop.suppliers for p in s.staff} <= set(choices.TestResult.values)
    assert {o.payment for r in shop.rounds for o in r.orders} == set(Payment.values)
    assert set(groupbuy.PER_HOUSEHOLD) == set(PackageKind.values) - {PackageKind.OTHER}


def test_the_catalogue_has_every_kind_with_prices_in_fen(full):
    _plan, _work, shop, _home = full
    supermarket = [p for p in shop.packages if p.supplier == groupbuy.SUPERMARKET]
    assert {p.kind for p in supermarket} == set(groupbuy.PER_HOUSEHOLD)
    for p in shop.packages:
        assert isinstance(p.price_fen, int) and p.price_fen > 0
        assert p.subsidised_price_fen is None or 0 < p.subsidised_price_fen < p.price_fen
    # Meat and eggs at the government-subsidised price (S8), and residents pay that.
    subsidised = {p.kind for p in shop.packages if p.subsidised_price_fen}
    assert subsidised == {"meat", "eggs"}
    meat = next(p for p in supermarket if p.kind == "meat")
    assert meat.resident_price_fen == meat.subsidised_price_fen


def test_the_delivery_staff_of_the_round_suppliers_tested_negative_recently(full):
    _plan, _work, shop, _home = full
    for index in (groupbuy.SUPERMARKET, groupbuy.FARM):
        staff = shop.suppliers[index].staff
        assert len(staff) >= 3
        for person in staff:
            assert person.result == "negative"
            assert timedelta(hours=2) <= NOW - person.tested_at <= timedelta(hours=27)
    # The pharmacy's only delivery man is overdue for a test: the S4 gate turns it away.
    (stale,) = shop.suppliers[groupbuy.PHARMACY].staff
    assert NOW - stale.tested_at > timedelta(hours=48)
    rounds = {r.supplier for r in shop.rounds}
    assert groupbuy.PHARMACY not in rounds


def test_most_households_order_within_every_limit(full):
    plan, _work, shop, _home = full
    households = len(plan.households)
    for round_ in shop.rounds:
        live = [o for o in round_.orders if o.cancelled is None]
        assert 0.75 * households <= len(live) <= 0.85 * households, round_.key
        assert 0 < len(round_.orders) - len(live) <= 0.03 * households  # a few cancelled
        assert len({o.household for o in round_.orders}) == len(round_.orders)  # one each
        for order in round_.orders:
            assert order.lines and order.packages <= round_.household_limit
            for item, quantity in order.lines.items():
                assert 1 <= quantity <= round_.items[item].per_household
            assert round_.opens <= order.created <= min(round_.closes, NOW)
            if order.cancelled:
                assert order.created <= order.cancelled <= min(round_.closes, NOW)
        assert [o.created for o in round_.orders] == sorted(o.created for o in round_.orders)


def test_stock_is_what_was_offered_less_what_live_orders_hold(full):
    _plan, _work, shop, _home = full
    for round_ in shop.rounds:
        held = Counter()
        for order in round_.orders:
            if order.cancelled is None:
                held.update(order.lines)
        for i, item in enumerate(round_.items):
            assert item.ordered == held[i]
            assert item.stock == item.initial - held[i] >= 0
    # In the open round the subsidised pork sold out; nothing else did.
    open_round = shop.round("open")
    kinds = {shop.packages[item.package].kind: item.stock for item in open_round.items}
    assert kinds["meat"] == 0
    assert all(stock > 0 for kind, stock in kinds.items() if kind != "meat")


def test_pickup_codes_are_six_digits_and_unique_in_each_round(full):
    _plan, _work, shop, _home = full
    for round_ in shop.rounds:
        codes = [o.code for o in round_.orders]
        assert all(len(c) == 6 and c.isdigit() for c in codes)
        assert len(set(codes)) == len(codes)


def test_what_a_household_orders_fits_who_lives_there(full):
    plan, _work, shop, _home = full
    ages: dict[int, list[int]] = {}
    for person in plan.people:
        ages.setdefault(person.household, []).append(person.age(TODAY))
    for round_ in shop.rounds:
        kinds = {i: shop.packages[item.package].kind for i, item in enumerate(round_.items)}
        for order in round_.orders:
            ordered = {kinds[i] for i in order.lines}
            if "infant" in ordered:
                assert min(ages[order.household]) < 3
            if "elderly" in ordered:
                assert max(ages[order.household]) >= 75


def test_households_without_a_mobile_order_through_their_leader_or_grid_worker(full):
    plan, work, shop, home = full
    mobile = {p.household for p in plan.people if p.phone.startswith("1")}
    usernames = {w.username for w in work.workers}
    for round_ in shop.rounds:
        for order in round_.orders:
            if order.household == home:
                assert order.placed_by == "resident1"
            elif order.household in mobile:
                assert order.placed_by is None  # on their own phone (no login in the demo)
            else:
                assert order.placed_by in usernames
                assert order.placed_by.startswith(("leader", "grid"))
    assert any(o.placed_by and o.placed_by.startswith("leader") for o in shop.round("open").orders)


def test_resident1_orders_in_both_rounds_and_has_not_collected_yet(full):
    _plan, _work, shop, home = full
    for round_ in shop.rounds:
        (order,) = [o for o in round_.orders if o.household == home]
        assert order.cancelled is None
    assert not next(o for o in shop.round("closed").orders if o.household == home).shows_up


def test_the_rounds_times_by_day(full):
    _plan, _work, shop, _home = full
    closed, open_ = shop.round("closed"), shop.round("open")
    assert closed.opens < closed.closes < closed.closed < NOW
    assert closed.closed.date() == TODAY - timedelta(days=1)
    # In the daytime the earlier round's pickup started on the quarter hour before last.
    assert closed.pickup_starts == datetime(2026, 3, 1, 10, 15, tzinfo=TZ)
    assert open_.opens < NOW < open_.closes
    assert open_.closes.date() == TODAY + timedelta(days=1)
    assert open_.pickup_starts > open_.closes
    # At night it starts at eight the next morning.
    night = small(now=NIGHT).round("closed")
    assert night.pickup_starts == datetime(2026, 3, 2, 8, 0, tzinfo=TZ)
    early = small(now=datetime(2026, 3, 1, 6, 50, tzinfo=TZ)).round("closed")
    assert early.pickup_starts == datetime(2026, 3, 1, 8, 0, tzinfo=TZ)


def test_pickup_point_count_is_about_one_per_dozen_buildings():
    assert groupbuy.pickup_point_count(200) == 16
    assert groupbuy.pickup_point_count(9) == 3
    assert groupbuy.pickup_point_count(2) == 2
    assert groupbuy.pickup_point_count(1000) == 20


def test_staff_decisions_and_preferred_times(full):
    plan, _work, shop, _home = full
    assert {o.include for o in shop.overrides} == {True, False}
    for override in shop.overrides:
        assert plan.buildings[plan.households[override.household].building].grid == 1
        assert override.reason
    assert shop.preferences
    start = shop.round("closed").pickup_starts
    for pref in shop.preferences:
        assert pref.earliest < pref.latest
        assert pref.earliest >= (start + timedelta(hours=1)).time()
    assert small(now=NIGHT).preferences  # a small demo has one too


def test_the_same_seed_and_time_give_the_same_shop_and_another_seed_another():
    first, again = small(), small()
    assert first == again
    other = small(seed=8)
    assert [o.code for o in other.round("open").orders] != [
        o.code for o in first.round("open").orders
    ]
    # When the demo is loaded changes the times, not who ordered what or their codes.
    later = small(now=NOW + timedelta(hours=3, minutes=11))

    def orders(shop):
        return sorted(
            (o.household, o.code, tuple(sorted(o.lines.items())), o.payment, o.cancelled is None)
            for r in shop.rounds
            for o in r.orders
        )

    assert orders(later) == orders(first)
    assert later.round("open").opens == first.round("open").opens
    assert time(8) <= first.round("closed").pickup_starts.time() <= time(18)
