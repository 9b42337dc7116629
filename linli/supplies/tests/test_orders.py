"""Ordering pages: a resident on a phone, a building leader or worker for a household of their
area; changing and cancelling before close; every refusal reserves nothing."""

import re

import pytest

from linli.accounts.models import User
from linli.places.services import household_get_or_create
from linli.supplies import services
from linli.supplies.choices import OrderStatus, Payment, RoundStatus
from linli.supplies.models import Order, RoundItem
from linli.supplies.testing import close_round, make_round
from linli.testing import make_user


@pytest.fixture
def round_(world):
    return make_round(world)


def items(round_):
    return (
        RoundItem.objects.get(round=round_, package__name="蔬菜包"),
        RoundItem.objects.get(round=round_, package__name="鸡蛋"),
    )


def stock(round_):
    return [i.stock for i in items(round_)]


def form_key(page: str) -> str:
    return re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)


def post_order(client, round_, *, veg=0, eggs=0, payment="cash", household=None, key=None):
    url = f"/supplies/rounds/{round_.pk}/order/"
    if household:
        url += f"?household={household.pk}"
    key = key or form_key(client.get(url).content.decode())
    veg_item, egg_item = items(round_)
    data = {
        f"qty_{veg_item.pk}": veg,
        f"qty_{egg_item.pk}": eggs,
        "payment": payment,
        "idempotency_key": key,
    }
    if household:
        data["household"] = household.pk
    return client.post(url, data)


def test_a_resident_sees_the_open_round_and_orders_on_the_phone_page(world, as_user, round_):
    client = as_user("resident")
    home = client.get("/supplies/").content.decode()
    assert round_.title in home and f"/supplies/rounds/{round_.pk}/order/" in home
    page = client.get(f"/supplies/rounds/{round_.pk}/order/").content.decode()
    assert 'type="number"' in page and 'max="2"' in page  # steppers are number inputs
    assert "¥25.00" in page  # the subsidised price
    assert 'name="payment" value="online"' in page and 'value="subsidised"' in page

    response = post_order(client, round_, veg=2, eggs=1, payment="subsidised")
    order = Order.objects.get()
    assert response.status_code == 302 and response.url == f"/supplies/orders/{order.pk}/"
    assert order.household == world.residents["zhang"].household
    assert order.payment == Payment.SUBSIDISED and order.total_fen == 2 * 2500 + 1800
    assert {line.item.package.name: line.quantity for line in order.lines.all()} == {
        "蔬菜包": 2,
        "鸡蛋": 1,
    }
    assert stock(round_) == [48, 19]
    detail = client.get(response.url).content.decode()
    assert order.pickup_code in detail and "¥68.00" in detail
    assert "set when the round closes" in detail


def test_a_double_tap_on_the_same_form_places_one_order(world, as_user, round_):
    client = as_user("resident")
    key = form_key(client.get(f"/supplies/rounds/{round_.pk}/order/").content.decode())
    first = post_order(client, round_, veg=1, key=key)
    second = post_order(client, round_, veg=1, key=key)
    assert first.status_code == second.status_code == 302
    assert first.url == second.url
    assert Order.objects.count() == 1 and stock(round_) == [49, 20]


def test_two_renders_give_two_different_keys(world, as_user, round_):
    client = as_user("resident")
    url = f"/supplies/rounds/{round_.pk}/order/"
    assert form_key(client.get(url).content.decode()) != form_key(client.get(url).content.decode())


@pytest.mark.parametrize(
    ("veg", "eggs", "status", "message"),
    [
        (3, 0, 400, "Ensure this value is less than or equal to 2."),  # per-package limit
        (0, 0, 400, "Choose at least one package."),
    ],
)
def test_refusals_on_the_order_page_reserve_nothing(
    world, as_user, round_, veg, eggs, status, message
):
    response = post_order(as_user("resident"), round_, veg=veg, eggs=eggs)
    assert response.status_code == status
    assert message in response.content.decode()
    assert not Order.objects.exists() and stock(round_) == [50, 20]


def test_over_the_household_limit_is_refused(world, as_user):
    round_ = make_round(world, household_limit=2)
    response = post_order(as_user("resident"), round_, veg=2, eggs=1)
    assert response.status_code == 400
    assert "At most 2 packages per household in this round." in response.content.decode()
    assert not Order.objects.exists() and stock(round_) == [50, 20]


def test_out_of_stock_is_refused_and_the_other_package_is_not_reserved(world, as_user, round_):
    RoundItem.objects.filter(round=round_, package__name="鸡蛋").update(stock=0)
    response = post_order(as_user("resident"), round_, veg=2, eggs=1)
    assert response.status_code == 409
    assert "鸡蛋 is sold out" in response.content.decode()
    assert not Order.objects.exists() and stock(round_) == [50, 0]


def test_a_closed_round_takes_no_orders(world, as_user, round_):
    close_round(round_)
    client = as_user("resident")
    page = client.get(f"/supplies/rounds/{round_.pk}/order/").content.decode()
    assert "not open for orders" in page and "Place the order" not in page
    response = client.post(f"/supplies/rounds/{round_.pk}/order/", {"payment": "cash"})
    assert response.status_code == 409
    assert not Order.objects.exists()
    assert round_.title not in client.get("/supplies/").content.decode()


def test_the_resident_changes_then_cancels_before_close(world, as_user, round_):
    client = as_user("resident")
    post_order(client, round_, veg=2, eggs=1)
    order = Order.objects.get()
    page = client.get(f"/supplies/rounds/{round_.pk}/order/").content.decode()
    assert f"changing order #{order.pk}" in page and 'value="2"' in page
    response = post_order(client, round_, veg=1, eggs=0, payment="online")
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.total_fen == 2500 and order.payment == Payment.ONLINE
    assert stock(round_) == [49, 20]
    assert Order.objects.count() == 1

    response = client.post(f"/supplies/orders/{order.pk}/cancel/")
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED and stock(round_) == [50, 20]
    # Cancelled: a new order may be placed.
    assert post_order(client, round_, veg=1).status_code == 302
    assert Order.objects.filter(status=OrderStatus.PLACED).count() == 1


def test_after_close_the_order_can_no_longer_be_changed_or_cancelled(world, as_user, round_):
    client = as_user("resident")
    post_order(client, round_, veg=1)
    order = Order.objects.get()
    close_round(round_)
    detail = client.get(f"/supplies/orders/{order.pk}/").content.decode()
    assert "Cancel the order" not in detail and "Change the order" not in detail
    response = client.get(f"/supplies/rounds/{round_.pk}/order/")
    assert response.status_code == 302 and response.url == f"/supplies/orders/{order.pk}/"
    assert client.post(f"/supplies/orders/{order.pk}/cancel/").status_code == 409
    order.refresh_from_db()
    assert order.status == OrderStatus.PLACED and stock(round_) == [49, 20]
    # Community staff still can: the packed bag goes back on the shelf.
    services.order_cancel(actor=world.user("staff"), order=order)
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED and stock(round_) == [50, 20]


def test_changing_to_a_package_that_only_the_old_order_held_works(world, as_user):
    """The change moves the reservation by its net difference: giving back one of the last
    vegetable bundles and taking another stays possible when none are left."""
    round_ = make_round(world)
    veg, eggs = items(round_)
    order, _ = services.order_place(
        actor=None, round_=round_, household=world.residents["zhang"].household, lines={veg.pk: 2}
    )
    RoundItem.objects.filter(pk=veg.pk).update(stock=0)
    services.order_change(actor=None, order=order, lines={veg.pk: 1, eggs.pk: 1})
    assert stock(round_) == [1, 19]


# ---------------------------------------------------------------- ordering for others


def test_the_building_leader_orders_for_a_household_of_their_building(world, as_user, round_):
    client = as_user("leader_a1")
    page = client.get(f"/supplies/rounds/{round_.pk}/for/").content.decode()
    assert f"?building={world.building_a1.pk}" in page
    assert f"?building={world.building_a2.pk}" not in page  # not their building
    household = world.residents["zhang"].household
    rooms = client.get(f"/supplies/rounds/{round_.pk}/for/?building={world.building_a1.pk}")
    assert f"?household={household.pk}" in rooms.content.decode()
    form = client.get(f"/supplies/rounds/{round_.pk}/order/?household={household.pk}")
    assert "Ordering for" in form.content.decode()
    response = post_order(client, round_, veg=1, household=household)
    order = Order.objects.get()
    assert response.status_code == 302
    assert order.household == household and order.placed_by == world.user("leader_a1")
    # The leader sees the code to pass it on; the room now shows it is ordered.
    assert order.pickup_code in client.get(response.url).content.decode()
    rooms = client.get(f"/supplies/rounds/{round_.pk}/for/?building={world.building_a1.pk}")
    assert f"/supplies/orders/{order.pk}/" in rooms.content.decode()


def test_a_leader_cannot_order_outside_their_building(world, as_user, round_):
    client = as_user("leader_a1")
    wang = world.residents["wang"].household  # building A2
    url = f"/supplies/rounds/{round_.pk}/for/?building={wang.building_id}"
    assert client.get(url).status_code == 404
    assert client.get(f"/supplies/rounds/{round_.pk}/order/?household={wang.pk}").status_code == 404
    veg, _eggs = items(round_)
    response = client.post(
        f"/supplies/rounds/{round_.pk}/order/",
        {"household": wang.pk, f"qty_{veg.pk}": 1, "payment": "cash"},
    )
    assert response.status_code == 404
    assert not Order.objects.exists() and stock(round_) == [50, 20]


def test_a_grid_worker_orders_in_their_grid_only(world, as_user, round_):
    wang = world.residents["wang"].household  # A2, grid A
    assert post_order(as_user("grid_a"), round_, veg=1, household=wang).status_code == 302
    zhang = world.residents["zhang"].household
    url = f"/supplies/rounds/{round_.pk}/order/?household={zhang.pk}"
    assert as_user("grid_b").get(url).status_code == 404
    assert Order.objects.count() == 1


def test_a_household_outside_the_round_is_refused_with_the_reason(world, as_user, round_):
    chen = world.residents["chen"].household  # building B1, not in the round
    response = post_order(as_user("staff"), round_, veg=1, household=chen)
    assert response.status_code == 400
    assert "Building 3 is not part of this round." in response.content.decode()
    assert not Order.objects.exists()


@pytest.mark.parametrize("name", ["volunteer", "property", "supervisor"])
def test_those_who_do_not_order_for_others_cannot(world, as_user, round_, name):
    client = as_user(name)
    zhang = world.residents["zhang"].household
    assert client.get(f"/supplies/rounds/{round_.pk}/for/").status_code == 404
    url = f"/supplies/rounds/{round_.pk}/order/?household={zhang.pk}"
    assert client.get(url).status_code == 404


# ---------------------------------------------------------------- the order page


@pytest.fixture
def order(world, round_):
    veg, _eggs = items(round_)
    order, _ = services.order_place(
        actor=world.user("resident"),
        round_=round_,
        household=world.residents["zhang"].household,
        lines={veg.pk: 1},
    )
    return order


def test_staff_and_supervisors_read_an_order_but_only_those_who_order_see_the_code(
    world, as_user, order
):
    for name in ("staff", "grid_a", "resident", "leader_a1"):
        page = as_user(name).get(f"/supplies/orders/{order.pk}/").content.decode()
        assert order.pickup_code in page, name
    page = as_user("supervisor").get(f"/supplies/orders/{order.pk}/")
    assert page.status_code == 200 and order.pickup_code not in page.content.decode()


@pytest.mark.parametrize("name", ["outsider", "volunteer", "grid_b", "neighbour"])
def test_others_do_not_see_or_cancel_the_order(world, as_user, order, name, client):
    if name == "neighbour":
        user = make_user("chen", resident=world.residents["chen"])
        client.force_login(user)
    else:
        client = as_user(name)
    if name in ("volunteer", "grid_b"):
        # Workers of the community may read orders only through their roles' areas.
        response = client.get(f"/supplies/orders/{order.pk}/")
        assert response.status_code == 404 or order.pickup_code not in response.content.decode()
    else:
        assert client.get(f"/supplies/orders/{order.pk}/").status_code == 404
    assert client.post(f"/supplies/orders/{order.pk}/cancel/").status_code == 404
    order.refresh_from_db()
    assert order.status == OrderStatus.PLACED


def test_the_order_page_shows_slot_point_and_qr_when_set(world, as_user, order):
    from datetime import datetime

    from django.utils import timezone

    from linli.supplies.models import PickupPoint

    point = PickupPoint.objects.create(community=world.community, name="2号门", x=1, y=1)
    slot = datetime(2026, 12, 1, 10, 15, tzinfo=timezone.get_current_timezone())
    Order.objects.filter(pk=order.pk).update(pickup_point=point, slot_start=slot)

    page = as_user("resident").get(f"/supplies/orders/{order.pk}/").content.decode()
    assert "12-01 10:15–10:30" in page and "2号门" in page
    assert f"<title>Pickup code {order.pickup_code}</title>" in page  # the QR code
    home = as_user("resident").get("/supplies/").content.decode()
    assert "12-01 10:15" in home


def test_a_second_login_of_the_same_household_sees_the_order(world, client, order):
    wife = make_user("lifang", resident=world.residents["zhang_wife"])
    client.force_login(wife)
    assert order.pickup_code in client.get(f"/supplies/orders/{order.pk}/").content.decode()
    assert User.objects.filter(resident__household=order.household).count() == 2


def test_home_is_not_for_outsiders(world, as_user):
    assert as_user("outsider").get("/supplies/").status_code == 404
    assert as_user("staff").get("/supplies/").status_code == 200


def test_the_order_page_lists_a_new_household_in_the_building(world, as_user, round_):
    new = household_get_or_create(building=world.building_a1, entrance=2, room="101")
    page = as_user("leader_a1").get(
        f"/supplies/rounds/{round_.pk}/for/?building={world.building_a1.pk}"
    )
    assert f"?household={new.pk}" in page.content.decode()


def test_a_draft_round_is_not_offered_to_residents(world, as_user):
    round_ = make_round(world, status=RoundStatus.DRAFT)
    assert round_.title not in as_user("resident").get("/supplies/").content.decode()
    assert as_user("resident").get(f"/supplies/rounds/{round_.pk}/order/").status_code == 404
