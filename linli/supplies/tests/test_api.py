"""/api/v1/rounds, /api/v1/orders and /api/v1/jobs: shapes, access per persona, and every
refusal with its status, code and reason — and nothing reserved."""

import pytest
from django.test import Client, RequestFactory

from linli.accounts.services import token_issue
from linli.core.services import job_create
from linli.supplies.choices import OrderStatus, RoundStatus
from linli.supplies.models import Order, RoundItem
from linli.supplies.testing import close_round, make_round


def api(user) -> Client:
    raw, _token = token_issue(
        request=RequestFactory().post("/"), username=user.username, password="test-pass-1234"
    )
    return Client(headers={"Authorization": f"Bearer {raw}"})


@pytest.fixture
def round_(world):
    return make_round(world)


def items(round_):
    veg = RoundItem.objects.get(round=round_, package__name="蔬菜包")
    eggs = RoundItem.objects.get(round=round_, package__name="鸡蛋")
    return veg, eggs


def stock(round_):
    return [i.stock for i in items(round_)]


def place(client, round_, household, lines, *, key=None, payment="cash"):
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(
        f"/api/v1/rounds/{round_.pk}/orders",
        {"household_id": household.pk, "lines": lines, "payment": payment},
        content_type="application/json",
        headers=headers,
    )


def error(response):
    return response.json()["error"]


# ---------------------------------------------------------------- rounds


def test_a_resident_lists_the_open_rounds_for_their_household(world, round_):
    make_round(world, buildings=[world.building_b1], title="B栋团购")  # not their building
    make_round(world, status=RoundStatus.DRAFT, title="草稿")
    body = api(world.user("resident")).get("/api/v1/rounds").json()
    assert body["count"] == 1
    (only,) = body["items"]
    assert only["id"] == round_.pk and only["accepting"] is True
    assert set(only) == {
        "id",
        "title",
        "community_id",
        "supplier",
        "status",
        "accepting",
        "opens_at",
        "closes_at",
        "pickup_starts_at",
        "slot_minutes",
        "household_limit",
    }


def test_staff_list_every_round_of_their_community_and_filter_by_status(world, round_):
    make_round(world, status=RoundStatus.DRAFT, title="草稿")
    client = api(world.user("staff"))
    assert client.get("/api/v1/rounds").json()["count"] == 2
    drafts = client.get("/api/v1/rounds?status=draft").json()
    assert [r["title"] for r in drafts["items"]] == ["草稿"]


def test_an_outsider_sees_no_round(world, round_):
    client = api(world.user("outsider"))
    assert client.get("/api/v1/rounds").json()["count"] == 0
    response = client.get(f"/api/v1/rounds/{round_.pk}")
    assert response.status_code == 404 and error(response)["code"] == "not_found"


def test_one_round_has_its_buildings_and_items(world, round_):
    body = api(world.user("resident")).get(f"/api/v1/rounds/{round_.pk}").json()
    veg, eggs = items(round_)
    assert body["building_ids"] == sorted([world.building_a1.pk, world.building_a2.pk])
    shown = {
        i["id"]: (i["name"], i["price_fen"], i["stock"], i["per_household"]) for i in body["items"]
    }
    assert shown == {
        veg.pk: ("蔬菜包", 2500, 50, 2),
        eggs.pk: ("鸡蛋", 1800, 20, 1),
    }


# ---------------------------------------------------------------- placing


def test_a_resident_places_an_order(world, round_):
    veg, eggs = items(round_)
    household = world.residents["zhang"].household
    response = place(api(world.user("resident")), round_, household, {veg.pk: 2, eggs.pk: 1})
    assert response.status_code == 201
    body = response.json()
    order = Order.objects.get()
    assert body["id"] == order.pk and body["household_id"] == household.pk
    assert body["status"] == "placed" and body["total_fen"] == 6800
    assert body["household"] == "1-1-301" and len(body["pickup_code"]) == 6
    assert sorted((line["item_id"], line["quantity"]) for line in body["lines"]) == [
        (veg.pk, 2),
        (eggs.pk, 1),
    ]
    assert body["slot_start"] is None and body["pickup_point"] is None
    assert stock(round_) == [48, 19]


@pytest.mark.parametrize(
    ("lines", "status", "code", "words"),
    [
        ({"veg": 3}, 400, "over_limit", "at most 2 per household"),
        ({"veg": 2, "eggs": 1, "limit": 2}, 400, "over_limit", "At most 2 packages per household"),
        ({"eggs": 1, "soldout": True}, 409, "out_of_stock", "鸡蛋 is sold out"),
        ({}, 400, "empty_order", "Choose at least one package."),
        ({"veg": 0}, 400, "invalid", "at least 1"),
        ({"other": 1}, 400, "invalid", "is not offered in this round"),
    ],
)
def test_refusals_say_why_and_reserve_nothing(world, lines, status, code, words):
    round_ = make_round(world, household_limit=lines.pop("limit", 5))
    veg, eggs = items(round_)
    if lines.pop("soldout", False):
        RoundItem.objects.filter(pk=eggs.pk).update(stock=0)
    ids = {"veg": veg.pk, "eggs": eggs.pk, "other": 999999}
    before = stock(round_)
    response = place(
        api(world.user("resident")),
        round_,
        world.residents["zhang"].household,
        {ids[k]: q for k, q in lines.items()} | ({veg.pk: 1} if code == "out_of_stock" else {}),
    )
    assert response.status_code == status
    assert error(response)["code"] == code
    assert words in error(response)["message"]
    assert not Order.objects.exists() and stock(round_) == before


def test_a_closed_round_is_refused_with_409(world, round_):
    close_round(round_)
    veg, _ = items(round_)
    response = place(
        api(world.user("resident")), round_, world.residents["zhang"].household, {veg.pk: 1}
    )
    assert response.status_code == 409 and error(response)["code"] == "round_closed"
    assert "not open for orders" in error(response)["message"]
    assert not Order.objects.exists() and stock(round_) == [50, 20]


def test_a_household_outside_the_round_is_refused_with_400(world, round_):
    veg, _ = items(round_)
    chen = world.residents["chen"].household
    response = place(api(world.user("staff")), round_, chen, {veg.pk: 1})
    assert response.status_code == 400 and error(response)["code"] == "not_in_round"
    assert error(response)["fields"] == {"household_id": ["Building 3 is not part of this round."]}
    assert not Order.objects.exists()


@pytest.mark.parametrize("name", ["grid_b", "volunteer", "property", "supervisor", "outsider"])
def test_someone_not_allowed_to_order_for_the_household_gets_404(world, round_, name):
    veg, _ = items(round_)
    response = place(api(world.user(name)), round_, world.residents["zhang"].household, {veg.pk: 1})
    assert response.status_code == 404 and error(response)["code"] == "not_found"
    assert not Order.objects.exists() and stock(round_) == [50, 20]


@pytest.mark.parametrize("name", ["leader_a1", "grid_a", "cadre", "staff"])
def test_workers_of_the_area_order_for_the_household(world, round_, name):
    veg, _ = items(round_)
    response = place(api(world.user(name)), round_, world.residents["zhang"].household, {veg.pk: 1})
    assert response.status_code == 201
    assert Order.objects.get().placed_by == world.user(name)


def test_a_second_order_for_the_same_household_is_refused(world, round_):
    veg, _ = items(round_)
    household = world.residents["zhang"].household
    client = api(world.user("resident"))
    assert place(client, round_, household, {veg.pk: 1}).status_code == 201
    response = place(api(world.user("leader_a1")), round_, household, {veg.pk: 1})
    assert response.status_code == 409 and error(response)["code"] == "already_ordered"
    assert Order.objects.count() == 1 and stock(round_) == [49, 20]


def test_bad_input_names_the_field(world, round_):
    response = api(world.user("resident")).post(
        f"/api/v1/rounds/{round_.pk}/orders",
        {"household_id": "x", "lines": {}, "payment": "bitcoin"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert {"household_id", "payment"} <= set(error(response)["fields"])


def test_unauthenticated_is_401(world, round_):
    assert Client().get("/api/v1/rounds").status_code == 401


# ---------------------------------------------------------------- one order


@pytest.fixture
def order_id(world, round_):
    veg, _ = items(round_)
    household = world.residents["zhang"].household
    return place(api(world.user("resident")), round_, household, {veg.pk: 2}).json()["id"]


def test_reading_an_order_shows_the_code_only_to_those_who_order(world, order_id):
    body = api(world.user("resident")).get(f"/api/v1/orders/{order_id}").json()
    assert body["pickup_code"] and body["status"] == "placed"
    body = api(world.user("supervisor")).get(f"/api/v1/orders/{order_id}").json()
    assert body["pickup_code"] is None and body["total_fen"] == 5000
    for name in ("outsider", "grid_b", "volunteer"):
        assert api(world.user(name)).get(f"/api/v1/orders/{order_id}").status_code == 404


def test_patch_changes_the_lines_and_a_refusal_keeps_the_old_ones(world, round_, order_id):
    veg, eggs = items(round_)
    client = api(world.user("resident"))
    response = client.patch(
        f"/api/v1/orders/{order_id}",
        {"lines": {veg.pk: 1, eggs.pk: 1}, "payment": "online"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["total_fen"] == 4300 and response.json()["payment"] == "online"
    assert stock(round_) == [49, 19]
    RoundItem.objects.filter(pk=veg.pk).update(stock=0)
    response = client.patch(
        f"/api/v1/orders/{order_id}", {"lines": {veg.pk: 2}}, content_type="application/json"
    )
    assert response.status_code == 409 and error(response)["code"] == "out_of_stock"
    assert stock(round_) == [0, 19]
    order = Order.objects.get()
    assert {line.item_id: line.quantity for line in order.lines.all()} == {veg.pk: 1, eggs.pk: 1}


def test_patch_and_cancel_are_refused_to_readers(world, round_, order_id):
    veg, _ = items(round_)
    for name in ("supervisor", "grid_b"):
        client = api(world.user(name))
        response = client.patch(
            f"/api/v1/orders/{order_id}", {"lines": {veg.pk: 1}}, content_type="application/json"
        )
        assert response.status_code == 404
        assert client.post(f"/api/v1/orders/{order_id}/cancel").status_code == 404
    assert Order.objects.get().status == OrderStatus.PLACED and stock(round_) == [48, 20]


def test_cancel_releases_the_stock_once(world, round_, order_id):
    client = api(world.user("leader_a1"))
    response = client.post(f"/api/v1/orders/{order_id}/cancel")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert stock(round_) == [50, 20]
    again = client.post(f"/api/v1/orders/{order_id}/cancel")
    assert again.status_code == 409 and error(again)["code"] == "bad_state"
    assert stock(round_) == [50, 20]


def test_after_close_changes_are_refused(world, round_, order_id):
    close_round(round_)
    veg, _ = items(round_)
    client = api(world.user("resident"))
    response = client.patch(
        f"/api/v1/orders/{order_id}", {"lines": {veg.pk: 1}}, content_type="application/json"
    )
    assert response.status_code == 409 and error(response)["code"] == "round_closed"
    assert client.post(f"/api/v1/orders/{order_id}/cancel").status_code == 409
    assert stock(round_) == [48, 20]


# ---------------------------------------------------------------- jobs


def test_a_job_is_shown_to_its_creator_only(world):
    job = job_create(kind="pickup_plan", created_by=world.user("staff"), total=10)
    body = api(world.user("staff")).get(f"/api/v1/jobs/{job.pk}").json()
    assert body == {
        "id": job.pk,
        "kind": "pickup_plan",
        "status": "queued",
        "done": 0,
        "total": 10,
        "percent": 0,
        "message": "",
        "finished": False,
        "result": {},
    }
    assert api(world.user("grid_a")).get(f"/api/v1/jobs/{job.pk}").status_code == 404
    assert api(world.user("admin")).get(f"/api/v1/jobs/{job.pk}").status_code == 200


def test_the_openapi_schema_lists_the_endpoints(world):
    paths = api(world.user("staff")).get("/api/v1/openapi.json").json()["paths"]
    assert {
        "/api/v1/rounds",
        "/api/v1/rounds/{round_id}",
        "/api/v1/rounds/{round_id}/orders",
        "/api/v1/orders/{order_id}",
        "/api/v1/orders/{order_id}/cancel",
        "/api/v1/jobs/{job_id}",
    } <= set(paths)
    parameters = paths["/api/v1/rounds/{round_id}/orders"]["post"]["parameters"]
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in parameters)


# ---------------------------------------------------------------- background plans


def test_staff_plan_the_rounds_pickup_points_in_the_background(
    world, round_, django_capture_on_commit_callbacks
):
    client = api(world.user("staff"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/api/v1/rounds/{round_.pk}/pickup-plan", {"k": 1}, content_type="application/json"
        )
    assert response.status_code == 202
    job = client.get(f"/api/v1/jobs/{response.json()['job_id']}").json()
    assert job["finished"] is True and job["status"] == "done"
    assert job["result"]["params"]["round_id"] == round_.pk and job["result"]["plan_id"]
    # Without a body (as `curl -X POST` sends it) the defaults apply.
    with django_capture_on_commit_callbacks(execute=True):
        again = client.generic("POST", f"/api/v1/rounds/{round_.pk}/pickup-plan")
    assert again.status_code == 202 and again.json()["job_id"] != job["id"]


def test_staff_plan_door_delivery_routes_in_the_background(world, round_, monkeypatch):
    from linli.core.services import job_create
    from linli.supplies import api as supplies_api

    calls = []

    def fake(*, actor, round_, **options):
        calls.append((actor.username, round_.pk, options))
        return job_create(kind="delivery.plan", created_by=actor)

    monkeypatch.setattr(supplies_api, "delivery_plan_for_round", fake)
    response = api(world.user("staff")).post(
        f"/api/v1/rounds/{round_.pk}/delivery-plan",
        {"volunteers": 3, "mode": "cycle", "seconds": 5},
        content_type="application/json",
    )
    assert response.status_code == 202 and response.json()["job_id"]
    assert calls == [("staff", round_.pk, {"volunteers": 3, "mode": "cycle", "seconds": 5})]


def test_the_delivery_plan_refusal_names_the_field(world, round_):
    response = api(world.user("staff")).post(
        f"/api/v1/rounds/{round_.pk}/delivery-plan", {}, content_type="application/json"
    )
    assert response.status_code == 400  # the test community has no place to start from
    assert error(response)["fields"]


@pytest.mark.parametrize(
    ("name", "status"), [("grid_a", 403), ("leader_a1", 403), ("outsider", 404)]
)
def test_only_staff_start_plans(world, round_, name, status):
    client = api(world.user(name))
    for plan in ("pickup-plan", "delivery-plan"):
        response = client.post(
            f"/api/v1/rounds/{round_.pk}/{plan}", content_type="application/json"
        )
        assert response.status_code == status, plan
