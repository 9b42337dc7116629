"""Who sees what. Route sheets hold names and phones of vulnerable households: only staff and
grid workers of the area and the route's own volunteer; a grid worker sees names only for the
doors in their own grid. Everyone else gets 404 (they cannot learn a route exists)."""

import pytest
from django.test import Client

from linli.core.models import AuditEvent
from linli.delivery.models import DoorDeliveryOverride
from linli.delivery.services import route_plan_request

pytestmark = pytest.mark.django_db

NOBODY = ["cadre", "leader_a1", "property", "resident", "supervisor", "outsider"]


@pytest.fixture
def plan(world, office, volunteers, door_orders, django_capture_on_commit_callbacks):
    """One route through all three doors (A1, A2 in grid A; B1 in grid B), for `volunteer`."""
    round_, _orders = door_orders
    with django_capture_on_commit_callbacks(execute=True):
        plan = route_plan_request(
            actor=world.user("staff"), round_=round_, worker_ids=[volunteers[0].pk], seconds=1
        )
    plan.refresh_from_db()
    assert plan.routes.count() == 1
    return plan


def test_route_sheet_for_staff_and_the_routes_volunteer(world, plan, as_user):
    route = plan.routes.get()
    for name in ["staff", "volunteer"]:
        page = as_user(name).get(f"/delivery/routes/{route.pk}/")
        assert page.status_code == 200, name
        text = page.content.decode()
        for key in ["zhang", "wang", "chen"]:
            assert world.residents[key].name in text, (name, key)
        assert world.residents["zhang"].phone in text
        assert "<svg" in text and "@media print" not in text  # print rules live in linli.css


def test_grid_workers_see_names_of_their_own_grid_only(world, plan, as_user):
    route = plan.routes.get()
    page_a = as_user("grid_a").get(f"/delivery/routes/{route.pk}/").content.decode()
    assert world.residents["zhang"].name in page_a and world.residents["wang"].name in page_a
    assert world.residents["chen"].name not in page_a
    assert "outside your area" in page_a
    page_b = as_user("grid_b").get(f"/delivery/routes/{route.pk}/").content.decode()
    assert world.residents["chen"].name in page_b
    assert world.residents["zhang"].name not in page_b


@pytest.mark.parametrize("name", [*NOBODY, "volunteer2"])
def test_route_sheet_and_plan_are_hidden_from_everyone_else(world, plan, as_user, name):
    route = plan.routes.get()
    client = as_user(name) if name != "volunteer2" else _login("volunteer2")
    assert client.get(f"/delivery/routes/{route.pk}/").status_code == 404
    assert client.get(f"/delivery/plans/{plan.pk}/").status_code == 404
    response = client.get(f"/api/v1/delivery/plans/{plan.pk}")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def _login(username):
    from linli.accounts.models import User

    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def test_anonymous_is_sent_to_log_in(plan):
    route = plan.routes.get()
    assert Client().get(f"/delivery/routes/{route.pk}/").status_code == 302
    assert Client().get(f"/api/v1/delivery/plans/{plan.pk}").status_code == 401


def test_plan_page_shows_routes_and_map(world, plan, as_user):
    page = as_user("staff").get(f"/delivery/plans/{plan.pk}/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "<polyline" in text and "Route 1" in text
    # The plan page itself carries no names (it is the overview; names are on the sheets).
    assert world.residents["zhang"].name not in text


def test_api_plan_masks_names_outside_the_readers_area(world, plan, as_user):
    staff = as_user("staff").get(f"/api/v1/delivery/plans/{plan.pk}").json()
    (route,) = staff["routes"]
    assert [s["sequence"] for s in route["stops"]] == [1, 2, 3]
    assert all(s["details"] and s["people"] for s in route["stops"])
    grid_b = as_user("grid_b").get(f"/api/v1/delivery/plans/{plan.pk}").json()
    by_household = {s["household_id"]: s for s in grid_b["routes"][0]["stops"]}
    chen = by_household[world.residents["chen"].household_id]
    zhang = by_household[world.residents["zhang"].household_id]
    assert chen["details"] and chen["people"][0]["name"] == world.residents["chen"].name
    assert not zhang["details"] and zhang["people"] == []


def test_only_staff_plan_routes(world, office, volunteers, door_orders, as_user):
    round_, _orders = door_orders
    for name in ["grid_a", "volunteer", "cadre"]:
        assert as_user(name).get(f"/delivery/rounds/{round_.pk}/plan/").status_code in (403, 404)
    page = as_user("staff").get(f"/delivery/rounds/{round_.pk}/plan/")
    assert page.status_code == 200 and "3</b>" in page.content.decode()


def test_staff_plan_from_the_page_and_watch_the_job(
    world, office, volunteers, door_orders, as_user, django_capture_on_commit_callbacks
):
    round_, _orders = door_orders
    form = {
        "volunteers": "2",
        "shift_minutes": "120",
        "mode": "walk",
        "start_place": str(office.pk),
        "window_start": "2030-01-01T09:00",
        "window_end": "2030-01-01T12:00",
        "seconds": "1",
    }
    client = as_user("staff")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/delivery/rounds/{round_.pk}/plan/", form)
    assert response.status_code == 302
    plan_url = response["Location"]
    page = client.get(plan_url).content.decode()
    assert "Route 1" in page and "<svg" in page


def test_eligible_list_by_persona(world, as_user):
    staff = as_user("staff").get("/delivery/eligible/")
    assert staff.status_code == 200
    text = staff.content.decode()
    assert world.residents["wang"].name in text and "Aged 70+ and living alone" in text
    grid_b = as_user("grid_b").get("/delivery/eligible/").content.decode()
    assert world.residents["wang"].name not in grid_b  # Wang lives in grid A
    for name in NOBODY + ["volunteer"]:
        assert as_user(name).get("/delivery/eligible/").status_code in (403, 404), name


def test_overrides_from_the_page_need_staff_and_a_reason(world, as_user):
    chen_home = world.residents["chen"].household
    body = {
        "community": world.community.pk,
        "address": f"3-2-{chen_home.room}",
        "include": "1",
        "reason": "",
    }
    as_user("staff").post("/delivery/overrides/", body)
    assert not DoorDeliveryOverride.objects.exists()  # no reason, nothing recorded
    assert (
        as_user("grid_b").post("/delivery/overrides/", {**body, "reason": "x"}).status_code == 403
    )
    assert not DoorDeliveryOverride.objects.exists()
    response = as_user("staff").post("/delivery/overrides/", {**body, "reason": "hip surgery"})
    assert response.status_code == 302
    override = DoorDeliveryOverride.objects.get()
    assert override.include and override.reason == "hip surgery"
    assert override.by == world.user("staff")
    assert AuditEvent.objects.filter(action="delivery.override_set").count() == 1
    listed = as_user("staff").get("/delivery/eligible/").content.decode()
    assert world.residents["chen"].name in listed and "hip surgery" in listed


def test_residents_set_their_own_preferred_time_only(world, as_user):
    own = world.residents["zhang"].household_id
    other = world.residents["chen"].household_id
    client = as_user("resident")
    response = client.post(
        f"/delivery/households/{own}/preference/", {"earliest": "10:00", "latest": "11:00"}
    )
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="delivery.preference_set").count() == 1
    assert client.get(f"/delivery/households/{other}/preference/").status_code == 404
    bad = client.post(
        f"/delivery/households/{own}/preference/", {"earliest": "11:00", "latest": "10:00"}
    )
    assert bad.status_code == 200 and "must be later" in bad.content.decode()


def test_index_lists_rounds_for_staff_and_refuses_others(world, door_orders, as_user):
    round_, _orders = door_orders
    page = as_user("staff").get("/delivery/")
    assert (
        page.status_code == 200 and f"/delivery/rounds/{round_.pk}/plan/" in page.content.decode()
    )
    assert as_user("grid_a").get("/delivery/").status_code == 200  # the eligible list link
    for name in ["resident", "outsider", "property", "supervisor"]:
        assert as_user(name).get("/delivery/").status_code == 403, name


def test_ending_an_override_is_for_staff_only(world, as_user):
    from linli.delivery.services import override_set

    override = override_set(
        actor=world.user("staff"),
        household=world.residents["chen"].household,
        include=True,
        reason="surgery",
    )
    url = f"/delivery/overrides/{override.pk}/end/"
    assert as_user("grid_b").post(url, {"end_reason": "ok"}).status_code == 404
    as_user("staff").post(url, {"end_reason": ""})
    override.refresh_from_db()
    assert override.ended_at is None  # no reason, still in force
    as_user("staff").post(url, {"end_reason": "recovered"})
    override.refresh_from_db()
    assert override.ended_at is not None and override.end_reason == "recovered"


def test_a_queued_plan_shows_its_progress_to_whoever_started_it(
    world, office, volunteers, door_orders, as_user
):
    round_, _orders = door_orders
    plan = route_plan_request(actor=world.user("staff"), round_=round_, seconds=1)
    page = as_user("staff").get(f"/delivery/plans/{plan.pk}/").content.decode()
    assert "data-poll" in page and f"/jobs/{plan.job_id}" in page
