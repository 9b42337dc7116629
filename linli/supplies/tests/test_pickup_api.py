"""/api/v1/pickups: collect by code (the one error shape), plans as background jobs, and the
rounds router's POST /api/v1/rounds/{id}/pickup-plan through pickup_plan_for_round."""

import json

import pytest
from django.test import Client, RequestFactory, TestCase

from linli.accounts.services import token_issue
from linli.supplies import pickup
from linli.supplies.choices import OrderStatus
from linli.supplies.models import Order, PickupPlan
from linli.supplies.tests.test_pickup import big_round, closed, gate, volunteer  # noqa: F401
from linli.testing import PASSWORD


def api(user):
    raw, _token = token_issue(
        request=RequestFactory().post("/"), username=user.username, password=PASSWORD
    )
    return Client(headers={"Authorization": f"Bearer {raw}"})


def post(client, url, body=None):
    return client.post(url, json.dumps(body or {}), content_type="application/json")


def test_a_worker_on_the_roster_collects_by_code(world, closed, volunteer):  # noqa: F811
    round_, (order, _other) = closed
    client = api(volunteer)
    answer = post(client, f"/api/v1/pickups/{order.pickup_code}/collect")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["order_id"] == order.pk and body["status"] == OrderStatus.COLLECTED
    assert body["point"] == "南门" and body["lines"] == [{"package": "蔬菜包", "quantity": 1}]
    again = post(client, f"/api/v1/pickups/{order.pickup_code}/collect", {"round_id": round_.pk})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_collected"
    assert "code" in again.json()["error"]["fields"]


def test_the_qr_text_works_as_the_code(world, closed, volunteer):  # noqa: F811
    _round, (order, _other) = closed
    answer = post(api(volunteer), f"/api/v1/pickups/{pickup.qr_payload(order)}/collect")
    assert answer.status_code == 200
    order.refresh_from_db()
    assert order.status == OrderStatus.COLLECTED


def test_refusals_use_the_error_shape(world, closed, volunteer):  # noqa: F811
    round_, (order, other) = closed
    Order.objects.filter(pk=other.pk).update(status=OrderStatus.CANCELLED)
    client = api(volunteer)
    unused = "000000" if order.pickup_code != "000000" else "000001"
    cases = [
        (unused, {}, 404, "not_found"),
        ("12ab", {}, 400, "bad_code"),
        (other.pickup_code, {"round_id": round_.pk}, 409, "cancelled"),
        (order.pickup_code, {"round_id": round_.pk + 100}, 404, "not_found"),
    ]
    for code, body, status, error in cases:
        answer = post(client, f"/api/v1/pickups/{code}/collect", body)
        assert answer.status_code == status, (code, answer.content)
        if error != "not_found":
            assert answer.json()["error"]["code"] == error
    order.refresh_from_db()
    assert order.status == OrderStatus.PLACED


@pytest.mark.parametrize(("name", "status"), [("volunteer", 403), ("outsider", 403)])
def test_collecting_needs_a_worker_on_the_roster(world, closed, name, status):  # noqa: F811
    _round, (order, _other) = closed
    answer = post(api(world.user(name)), f"/api/v1/pickups/{order.pickup_code}/collect")
    assert answer.status_code == status
    assert answer.json()["error"]["code"] in {"not_on_shift", "forbidden"}


def test_staff_plan_through_the_api_and_read_the_plan(world):
    g = gate(world)
    client = api(world.user("staff"))
    candidates = client.get("/api/v1/pickups/candidates").json()
    assert {c["key"] for c in candidates} >= {f"place:{g.pk}", f"building:{world.building_a1.pk}"}
    with TestCase.captureOnCommitCallbacks(execute=True):
        started = post(client, "/api/v1/pickups/plans", {"k": 2, "pinned": [f"place:{g.pk}"]})
    assert started.status_code == 202, started.content
    job = client.get(f"/api/v1/jobs/{started.json()['job_id']}").json()
    assert job["status"] == "done"
    plan = client.get(f"/api/v1/pickups/plans/{job['result']['plan_id']}").json()
    assert plan["k"] == 2 and plan["method"] == "exact" and plan["gap"] == 0
    assert plan["households"] == 4
    assert sum(len(p["buildings"]) for p in plan["points"]) == 3
    assert (
        api(world.user("volunteer")).get(f"/api/v1/pickups/plans/{plan['id']}").status_code == 404
    )


def test_a_plan_that_cannot_be_made_is_refused_with_the_field(world):
    answer = post(api(world.user("staff")), "/api/v1/pickups/plans", {"k": 9})
    assert answer.status_code == 400
    assert "k" in answer.json()["error"]["fields"]
    denied = post(api(world.user("grid_a")), "/api/v1/pickups/plans", {"k": 1})
    assert denied.status_code == 404


def test_the_rounds_router_plans_the_rounds_points(world):
    round_ = big_round(world)
    client = api(world.user("staff"))
    with TestCase.captureOnCommitCallbacks(execute=True):
        answer = post(client, f"/api/v1/rounds/{round_.pk}/pickup-plan")
    assert answer.status_code == 202, answer.content
    round_.refresh_from_db()
    assert round_.pickup_plan == PickupPlan.objects.get()
    denied = post(api(world.user("volunteer")), f"/api/v1/rounds/{round_.pk}/pickup-plan")
    assert denied.status_code in (403, 404)
