"""/api/v1: POST /rounds/{id}/delivery-plan (the rounds router calls our plain function),
the job's progress, and GET /delivery/plans/{id}."""

import pytest

from linli.core.errors import ApplicationError
from linli.delivery.api import DeliveryPlanIn, delivery_plan_options
from linli.delivery.choices import PlanStatus
from linli.delivery.models import RoutePlan
from linli.delivery.services import delivery_plan_for_round

pytestmark = pytest.mark.django_db


def test_rounds_router_starts_the_job_and_the_plan_is_read_back(
    world, office, volunteers, door_orders, as_user, django_capture_on_commit_callbacks
):
    round_, orders = door_orders
    client = as_user("staff")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/api/v1/rounds/{round_.pk}/delivery-plan",
            {"volunteers": 2, "seconds": 1, "start_place_id": office.pk},
            content_type="application/json",
        )
    assert response.status_code == 202, response.content
    job = client.get(f"/api/v1/jobs/{response.json()['job_id']}").json()
    assert job["status"] == "done" and job["kind"] == "delivery.plan"
    plan_id = job["result"]["plan_id"]
    body = client.get(f"/api/v1/delivery/plans/{plan_id}").json()
    assert body["status"] == PlanStatus.DONE and body["start"]["name"] == office.name
    stops = [s["order_id"] for r in body["routes"] for s in r["stops"]]
    assert sorted(stops) == sorted(o.pk for o in orders)
    assert all(r["task_id"] for r in body["routes"])


def test_only_staff_start_a_plan_by_api(world, office, volunteers, door_orders, as_user):
    round_, _orders = door_orders
    for name in ["grid_a", "volunteer", "resident", "supervisor"]:
        response = as_user(name).post(
            f"/api/v1/rounds/{round_.pk}/delivery-plan", {}, content_type="application/json"
        )
        assert response.status_code in (403, 404), name
        assert "error" in response.json()
    assert not RoutePlan.objects.exists()


def test_plain_function_names_the_plan_on_the_job_from_the_start(
    world, office, volunteers, door_orders
):
    round_, _orders = door_orders
    options = delivery_plan_options(round_, DeliveryPlanIn(volunteers=1, seconds=1))
    job = delivery_plan_for_round(actor=world.user("staff"), round_=round_, **options)
    plan = RoutePlan.objects.get()
    assert job.result["plan_id"] == plan.pk and plan.status == PlanStatus.QUEUED
    assert plan.worker_ids and len(plan.worker_ids) == 1


def test_options_refuse_a_start_place_of_another_community(world, door_orders):
    round_, _orders = door_orders
    with pytest.raises(ApplicationError) as exc:
        delivery_plan_options(round_, DeliveryPlanIn(start_place_id=99999))
    assert "start_place_id" in exc.value.fields
