"""/api/v1/tracing: start a run (202, a job), read it back with its contacts, confirm and
dismiss a contact; refused outside the area."""

import pytest
from django.test import Client
from django.utils import timezone

from linli.health.choices import HealthStatus
from linli.health.models import HealthRecord
from linli.places.models import Building, Community, Grid
from linli.places.services import household_get_or_create
from linli.residents.services import resident_create
from linli.tracing.choices import Review, RunStatus
from linli.tracing.models import TraceContact, TracingRun
from linli.tracing.tests.test_runs import at, build_scene

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(world):
    return build_scene(world)


def _start(client, world, **extra):
    body = {
        "index_resident_ids": [world.residents["zhang"].pk],
        "period_start": at(0, 0, days_ago=3).isoformat(),
        "period_end": timezone.now().isoformat(),
        **extra,
    }
    return client.post("/api/v1/tracing/runs", body, content_type="application/json")


def test_start_read_back_and_confirm_a_run(
    world,
    scene,
    as_user,
    django_capture_on_commit_callbacks,
):
    client = as_user("doctor")
    with django_capture_on_commit_callbacks(execute=True):
        response = _start(client, world, second_hop=True, buffer_minutes=15)
    assert response.status_code == 202, response.content
    started = response.json()
    assert started["job_id"] and started["url"] == f"/tracing/runs/{started['run_id']}"
    run = client.get(f"/api/v1/tracing/runs/{started['run_id']}").json()
    assert run["status"] == RunStatus.DONE and run["progress"]["percent"] == 100
    by_name = {c["name"]: c for c in run["contacts"]}
    wang = by_name[world.residents["wang"].name]
    assert wang["hop"] == 1 and wang["place"] == "便民超市" and wang["overlap_seconds"] == 600
    assert by_name[world.residents["chen"].name]["hop"] == 2

    confirm = client.post(
        f"/api/v1/tracing/contacts/{wang['id']}/confirm", {}, content_type="application/json"
    )
    assert confirm.status_code == 200 and confirm.json()["status_changed"]
    assert HealthRecord.objects.get(resident=world.residents["wang"]).status == (
        HealthStatus.CLOSE_CONTACT
    )
    again = client.post(
        f"/api/v1/tracing/contacts/{wang['id']}/confirm", {}, content_type="application/json"
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_reviewed"

    single = by_name[world.residents["single"].name]
    missing_note = client.post(
        f"/api/v1/tracing/contacts/{single['id']}/dismiss", {}, content_type="application/json"
    )
    assert missing_note.status_code == 422 and "note" in missing_note.json()["error"]["fields"]
    dismissed = client.post(
        f"/api/v1/tracing/contacts/{single['id']}/dismiss",
        {"note": "a baby in a pram outside"},
        content_type="application/json",
    )
    assert dismissed.status_code == 200 and dismissed.json()["review"] == Review.DISMISSED


def test_run_needs_index_cases_and_a_sensible_period(world, scene, as_user):
    client = as_user("staff")
    empty = client.post(
        "/api/v1/tracing/runs", {"index_resident_ids": []}, content_type="application/json"
    )
    assert empty.status_code == 422 and "index_resident_ids" in empty.json()["error"]["fields"]
    backwards = _start(
        client,
        world,
        period_start=timezone.now().isoformat(),
        period_end=at(0, 0, days_ago=3).isoformat(),
    )
    assert backwards.status_code == 400 and "period_end" in backwards.json()["error"]["fields"]
    assert not TracingRun.objects.exists()


def test_api_is_refused_outside_the_area(world, scene, as_user):
    # Someone of another community: not found for this community's staff.
    other = Community.objects.create(name="别的社区", code="other")
    grid = Grid.objects.create(community=other, number=1, name="一")
    building = Building.objects.create(community=other, grid=grid, number="9", x=1, y=1)
    home = household_get_or_create(building=building, entrance=1, room="101")
    from datetime import date

    from linli.residents.idnumber import make_id_number

    stranger = resident_create(
        actor=None,
        household=home,
        values={"name": "外人", "id_number": make_id_number("420106", date(1990, 1, 1), 77)},
    )
    staff = as_user("staff")
    response = staff.post(
        "/api/v1/tracing/runs",
        {"index_resident_ids": [stranger.pk]},
        content_type="application/json",
    )
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert staff.get("/api/v1/tracing/runs/999999").status_code == 404

    run = TracingRun.objects.create(
        community=world.community, period_start=at(0, 0, 3), period_end=at(0, 0, 0)
    )
    contact = TraceContact.objects.create(
        run=run,
        resident=world.residents["wang"],
        source=world.residents["zhang"],
        kind="place",
        exposure_at=at(10),
        proposed_status=HealthStatus.CLOSE_CONTACT,
    )
    for name in ["grid_a", "volunteer", "resident", "outsider", "supervisor"]:
        client = as_user(name)
        assert _start(client, world).status_code in (403, 404), name
        assert client.get(f"/api/v1/tracing/runs/{run.pk}").status_code == 404, name
        confirm = client.post(
            f"/api/v1/tracing/contacts/{contact.pk}/confirm", {}, content_type="application/json"
        )
        assert confirm.status_code == 404, name
    assert Client().get(f"/api/v1/tracing/runs/{run.pk}").status_code == 401
    contact.refresh_from_db()
    assert contact.review == Review.PENDING and TracingRun.objects.count() == 1
