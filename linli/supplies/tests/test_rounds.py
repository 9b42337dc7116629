"""Order rounds: creating and opening them (the supplier's screening gate), and the staff pages."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from linli.core.errors import ApplicationError, Conflict
from linli.core.models import AuditEvent
from linli.supplies import services, views
from linli.supplies.choices import RoundStatus
from linli.supplies.models import Round, RoundItem, SupplierStaff
from linli.supplies.testing import close_round, make_package, make_round, make_supplier


def _times(**shift):
    now = timezone.now()
    times = {
        "opens_at": now,
        "closes_at": now + timedelta(hours=6),
        "pickup_starts_at": now + timedelta(hours=8),
    }
    return {k: times[k] + shift.get(k, timedelta()) for k in times}


def create(world, supplier, *, items=None, buildings=None, **kwargs):
    package = make_package(supplier, price_fen=3000, subsidised=2400)
    return services.round_create(
        actor=world.user("staff"),
        supplier=supplier,
        title=kwargs.pop("title", "团购"),
        buildings=[world.building_a1] if buildings is None else buildings,
        items=[services.ItemSpec(package=package, stock=10)] if items is None else items,
        **{**_times(), **kwargs},
    )


def test_a_round_offers_the_subsidised_price_and_starts_as_a_draft(world):
    round_ = create(world, make_supplier(world.community))
    item = RoundItem.objects.get(round=round_)
    assert round_.status == RoundStatus.DRAFT
    assert item.price_fen == 2400 and item.stock == 10 and item.per_household == 2
    assert list(round_.buildings.all()) == [world.building_a1]
    assert AuditEvent.objects.filter(action="round.create", target_id=str(round_.pk)).exists()


def test_an_unscreened_supplier_cannot_be_scheduled_and_the_reason_names_the_person(world):
    supplier = make_supplier(world.community, staff=("王强",), tested_hours_ago=50)
    with pytest.raises(Conflict) as exc:
        create(world, supplier)
    assert exc.value.code == "supplier_not_screened"
    assert "王强: last negative test" in exc.value.message
    assert exc.value.fields["supplier"][0].endswith("older than 48 h")
    assert not Round.objects.exists()


@pytest.mark.parametrize(
    ("shift", "field"),
    [
        ({"closes_at": -timedelta(hours=7)}, "closes_at"),  # closes before it opens
        ({"pickup_starts_at": -timedelta(hours=3)}, "pickup_starts_at"),  # pickup before close
    ],
)
def test_times_out_of_order_are_refused(world, shift, field):
    with pytest.raises(ApplicationError) as exc:
        create(world, make_supplier(world.community), **_times(**shift))
    assert field in exc.value.fields
    assert not Round.objects.exists()


def test_a_round_needs_buildings_and_packages_of_its_own_supplier(world):
    supplier = make_supplier(world.community)
    other = make_package(make_supplier(world.community, name="别家"), "别家的肉")
    with pytest.raises(ApplicationError) as exc:
        create(world, supplier, buildings=[], items=[services.ItemSpec(package=other, stock=5)])
    assert "buildings" in exc.value.fields
    assert "别家的肉 is not in this supplier's catalogue." in exc.value.fields["items"]
    with pytest.raises(ApplicationError) as exc:
        create(world, supplier, items=[])
    assert "items" in exc.value.fields
    assert not Round.objects.exists()


def test_opening_checks_the_staff_again(world):
    supplier = make_supplier(world.community, staff=("王强",))
    round_ = create(world, supplier)
    SupplierStaff.objects.filter(supplier=supplier).update(
        tested_at=timezone.now() - timedelta(hours=49)
    )
    with pytest.raises(Conflict) as exc:
        services.round_open(actor=world.user("staff"), round_=round_)
    assert "王强" in exc.value.message
    round_.refresh_from_db()
    assert round_.status == RoundStatus.DRAFT
    SupplierStaff.objects.filter(supplier=supplier).update(tested_at=timezone.now())
    services.round_open(actor=world.user("staff"), round_=round_)
    round_.refresh_from_db()
    assert round_.status == RoundStatus.OPEN
    assert services.round_is_open(round_)
    with pytest.raises(Conflict):  # only a draft opens
        services.round_open(actor=world.user("staff"), round_=round_)


# ---------------------------------------------------------------- pages


def _form(world, supplier, packages, **extra):
    local = {k: timezone.localtime(v).strftime("%Y-%m-%dT%H:%M") for k, v in _times().items()}
    data = {
        "supplier": supplier.pk,
        "title": "十二月第一批",
        **local,
        "slot_minutes": 15,
        "slot_capacity": 10,
        "household_limit": 4,
    }
    for p in packages:
        data[f"stock_{p.pk}"] = ""
        data[f"limit_{p.pk}"] = 2
    data.update(extra)
    return data


def test_staff_creates_a_round_by_grid_and_building_then_opens_it(world, as_user):
    supplier = make_supplier(world.community)
    veg, eggs = make_package(supplier, "蔬菜包"), make_package(supplier, "鸡蛋", kind="eggs")
    client = as_user("staff")
    assert "惠民超市" in client.get("/supplies/rounds/new/").content.decode()
    page = client.get(f"/supplies/rounds/new/?supplier={supplier.pk}").content.decode()
    assert "蔬菜包" in page and 'type="datetime-local"' in page
    assert re.search(r'name="opens_at" value="\d{4}-\d\d-\d\dT\d\d:00"', page)  # prefilled
    data = _form(
        world,
        supplier,
        [veg, eggs],
        grids=[world.grid_b.pk],
        buildings=[world.building_a2.pk],
        **{f"stock_{veg.pk}": 100, f"limit_{eggs.pk}": 1},
    )
    response = client.post("/supplies/rounds/new/", data)
    round_ = Round.objects.get()
    assert response.status_code == 302 and response.url == f"/supplies/rounds/{round_.pk}/"
    assert set(round_.buildings.all()) == {world.building_a2, world.building_b1}
    assert [(i.package, i.stock) for i in round_.items.all()] == [(veg, 100)]  # eggs: no stock
    assert round_.household_limit == 4 and round_.status == RoundStatus.DRAFT

    response = client.post(f"/supplies/rounds/{round_.pk}/open/")
    assert response.status_code == 302
    round_.refresh_from_db()
    assert round_.status == RoundStatus.OPEN
    page = client.get(f"/supplies/rounds/{round_.pk}/").content.decode()
    assert "accepting orders" in page and "蔬菜包" in page


def test_every_building_at_once(world, as_user):
    supplier = make_supplier(world.community)
    veg = make_package(supplier)
    data = _form(world, supplier, [veg], all_buildings="on", **{f"stock_{veg.pk}": 10})
    assert as_user("staff").post("/supplies/rounds/new/", data).status_code == 302
    assert Round.objects.get().buildings.count() == 3


def test_the_round_form_shows_the_screening_refusal(world, as_user):
    supplier = make_supplier(world.community, staff=("王强",), tested_hours_ago=None)
    veg = make_package(supplier)
    client = as_user("staff")
    page = client.get("/supplies/rounds/new/").content.decode()
    assert "王强: no test recorded" in page
    response = client.post(
        "/supplies/rounds/new/",
        _form(world, supplier, [veg], all_buildings="on", **{f"stock_{veg.pk}": 10}),
    )
    assert response.status_code == 409
    assert "王强: no test recorded" in response.content.decode()
    assert not Round.objects.exists()


def test_the_round_form_refuses_a_round_without_buildings_or_packages(world, as_user):
    supplier = make_supplier(world.community)
    veg = make_package(supplier)
    response = as_user("staff").post("/supplies/rounds/new/", _form(world, supplier, [veg]))
    assert response.status_code == 400
    page = response.content.decode()
    assert "Choose at least one building." in page and "Offer at least one package" in page
    assert not Round.objects.exists()


def test_the_round_page_shows_orders_stock_left_and_a_draft_shows_why_it_cannot_open(
    world, as_user
):
    round_ = make_round(world)
    veg = round_.items.get(package__name="蔬菜包")
    services.order_place(
        actor=world.user("resident"),
        round_=round_,
        household=world.residents["zhang"].household,
        lines={veg.pk: 2},
    )
    client = as_user("staff")
    page = client.get(f"/supplies/rounds/{round_.pk}/").content.decode()
    assert "1-1-301" in page and "蔬菜包 ×2" in page
    assert ">48<" in page.replace(" ", "")  # stock left of 50
    listing = client.get("/supplies/rounds/").content.decode()
    assert round_.title in listing and "Open for orders" in listing

    draft = make_round(world, status=RoundStatus.DRAFT, title="草稿")
    SupplierStaff.objects.update(tested_at=None, test_result="")
    page = client.get(f"/supplies/rounds/{draft.pk}/").content.decode()
    assert "王强: no test recorded" in page and "Open for orders</button>" not in page


def test_the_round_list_query_count_does_not_grow(world, as_user, django_assert_max_num_queries):
    client = as_user("staff")
    supplier = make_supplier(world.community)
    make_round(world, supplier=supplier)
    with django_assert_max_num_queries(12) as before:
        client.get("/supplies/rounds/")
    for i in range(4):
        make_round(world, supplier=supplier, title=f"第{i}批")
    with django_assert_max_num_queries(12) as after:
        client.get("/supplies/rounds/")
    assert len(after.captured_queries) == len(before.captured_queries)


@pytest.mark.parametrize("name", ["grid_a", "cadre", "supervisor", "leader_a1", "volunteer"])
def test_only_staff_create_open_or_close_rounds(world, as_user, name):
    round_ = make_round(world, status=RoundStatus.DRAFT)
    client = as_user(name)
    assert client.get("/supplies/rounds/new/").status_code == 403
    assert client.post(f"/supplies/rounds/{round_.pk}/open/").status_code == 403
    assert client.post(f"/supplies/rounds/{round_.pk}/close/").status_code == 403
    round_.refresh_from_db()
    assert round_.status == RoundStatus.DRAFT


def test_outsiders_and_other_residents_do_not_see_a_round(world, as_user):
    round_ = make_round(world, buildings=[world.building_b1])
    for name in ("outsider", "resident"):  # the resident lives in A1
        assert as_user(name).get(f"/supplies/rounds/{round_.pk}/").status_code == 404
        assert as_user(name).get(f"/supplies/rounds/{round_.pk}/order/").status_code == 404


def test_a_resident_opening_a_round_page_goes_to_the_order_page(world, as_user):
    round_ = make_round(world)
    response = as_user("resident").get(f"/supplies/rounds/{round_.pk}/")
    assert response.status_code == 302 and response.url == f"/supplies/rounds/{round_.pk}/order/"
    assert as_user("resident").get("/supplies/rounds/").status_code == 404


def test_the_close_button_calls_the_pickup_module(world, as_user, monkeypatch):
    round_ = make_round(world)
    calls = []

    def round_close(*, actor, round_):
        calls.append((actor.username, round_.pk))
        Round.objects.filter(pk=round_.pk).update(status=RoundStatus.CLOSED)

    monkeypatch.setattr(views.pickup, "round_close", round_close)
    client = as_user("staff")
    page = client.get(f"/supplies/rounds/{round_.pk}/").content.decode()
    assert "Close the round" in page and f"/pickup/rounds/{round_.pk}/packing/" not in page
    response = client.post(f"/supplies/rounds/{round_.pk}/close/")
    assert response.status_code == 302
    assert calls == [("staff", round_.pk)]
    page = client.get(f"/supplies/rounds/{round_.pk}/").content.decode()
    assert "Purchase list" in page and "Close the round" not in page
    assert f"/pickup/rounds/{round_.pk}/packing/" in page
    assert f"/pickup/rounds/{round_.pk}/purchase/" in page


def test_closing_without_a_pickup_plan_says_why(world, as_user):
    round_ = make_round(world)
    response = as_user("staff").post(f"/supplies/rounds/{round_.pk}/close/")
    assert response.status_code == 400
    assert "Plan the pickup points first" in response.content.decode()
    round_.refresh_from_db()
    assert round_.status == RoundStatus.OPEN


def test_a_closed_round_is_no_longer_accepting(world, as_user):
    round_ = make_round(world)
    close_round(round_)
    assert not services.round_is_open(round_)
    page = as_user("staff").get(f"/supplies/rounds/{round_.pk}/").content.decode()
    assert "accepting orders" not in page


def test_the_admin_shows_rounds_orders_and_suppliers(world, as_user):
    round_ = make_round(world)
    veg = round_.items.get(package__name="蔬菜包")
    order, _ = services.order_place(
        actor=None, round_=round_, household=world.residents["zhang"].household, lines={veg.pk: 1}
    )
    client = as_user("admin")
    for url in (
        "/admin/supplies/round/",
        f"/admin/supplies/round/{round_.pk}/change/",
        "/admin/supplies/order/",
        f"/admin/supplies/order/{order.pk}/change/",
        f"/admin/supplies/supplier/{round_.supplier_id}/change/",
        "/admin/supplies/idempotentresponse/",
        "/admin/notices/notification/",
    ):
        assert client.get(url).status_code == 200, url
