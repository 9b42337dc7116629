"""The one roster of every force: list and filters, adding a worker (with their login and
role), editing (the role follows), and the API's list and filters."""

import pytest
from django.test import Client

from linli.accounts.access import user_roles, user_scope
from linli.accounts.choices import Role
from linli.accounts.models import RoleGrant, User
from linli.core.models import AuditEvent
from linli.testing import make_user
from linli.workforce.models import Worker
from linli.workforce.tests.test_access import api_client


def names(response):
    return sorted(w["name"] for w in response.json()["items"])


def test_the_roster_filters_by_force_status_skill_grid_and_search(world, crew, as_user):
    client = as_user("cadre")
    page = client.get("/workforce/").content.decode()
    for name in ("李强", "张伟", "grid_a", "staff", "volunteer"):
        assert name in page
    assert "李强" not in client.get("/workforce/?force=staff").content.decode()
    pending = client.get("/workforce/?status=pending").content.decode()
    assert "张伟" in pending and "李强" not in pending
    medical = client.get("/workforce/?skill=medical").content.decode()
    assert "李强" in medical and "张伟" not in medical
    found = client.get("/workforce/?q=校友会").content.decode()
    assert "李强" in found and "张伟" not in found
    # Grid: the grid worked in, else the home building's grid (李强 lives in A2, grid A).
    grid_a = client.get(f"/workforce/?grid={world.grid_a.pk}").content.decode()
    assert "李强" in grid_a and "grid_a" in grid_a and "张伟" in grid_a
    assert "李强" not in client.get(f"/workforce/?grid={world.grid_b.pk}").content.decode()


def test_the_roster_page_costs_a_fixed_number_of_queries(
    world, crew, as_user, django_assert_max_num_queries
):
    client = as_user("staff")
    client.get("/workforce/")  # warm up
    for i in range(20):
        from linli.workforce.testing import make_worker

        make_worker(
            make_user(f"extra{i}"), "cadre", world.community, home_building=world.building_b1
        )
    with django_assert_max_num_queries(11):  # +1: the menu's unread-notification count
        response = client.get("/workforce/")
    assert response.status_code == 200


def test_staff_add_a_worker_with_a_new_login_and_role(world, as_user):
    client = as_user("staff")
    response = client.post(
        "/workforce/new/",
        {
            "username": "wang_gw",
            "force": "grid_worker",
            "name": "王网格",
            "phone": "13800001111",
            "grid": world.grid_b.pk,
            "skills": ["dialect"],
            "availability": ["mon-am", "mon-pm"],
        },
    )
    assert response.status_code == 201
    html = response.content.decode()
    worker = Worker.objects.get(name="王网格")
    assert worker.status == "approved" and worker.weekly_hour_cap == 40
    assert worker.availability == ["mon-am", "mon-pm"]
    user = worker.user
    assert user.username == "wang_gw"
    # The initial password is on this page, once, and it works.
    password = html.split('<code class="big">')[2].split("</code>")[0]
    assert len(password) == 10 and user.check_password(password)
    assert password not in str(AuditEvent.objects.get(action="worker.create").detail)
    scope = user_scope(user, {Role.GRID_WORKER})
    assert scope.grids == {world.grid_b.pk} and not scope.communities
    # The new grid worker reads the roster now.
    fresh = Client()
    assert fresh.login(username="wang_gw", password=password)
    assert fresh.get("/workforce/").status_code == 200


def test_staff_link_an_existing_login_and_grant_the_matching_role(world, as_user):
    make_user("leader_b")
    response = as_user("staff").post(
        "/workforce/new/",
        {
            "existing_username": "leader_b",
            "force": "building_leader",
            "name": "楼栋长",
            "phone": "13800002222",
            "home_building": "3",
        },
    )
    assert response.status_code == 201
    assert "Initial password" not in response.content.decode()
    grant = RoleGrant.objects.get(user__username="leader_b")
    assert (grant.role, grant.building_id) == ("building_leader", world.building_b1.pk)
    assert Worker.objects.get(user__username="leader_b").weekly_hour_cap == 15


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"force": "grid_worker"}, "Grid worked in"),
        ({"force": "building_leader"}, "Home building"),
        ({"home_building": "99"}, "No such building"),
        ({"username": "staff"}, "already taken"),
        ({"username": "", "existing_username": "volunteer"}, "already on a roster"),
        ({"username": "", "existing_username": "nobody"}, "No account"),
        ({"weekly_hour_cap": "100"}, "Weekly hour cap"),
    ],
)
def test_adding_a_worker_names_what_is_wrong(world, crew, as_user, changes, field):
    data = {"username": "newbie", "force": "cadre", "name": "新人", "phone": "13800003333"}
    data.update(changes)
    before = (Worker.objects.count(), User.objects.count(), RoleGrant.objects.count())
    response = as_user("staff").post("/workforce/new/", data)
    assert response.status_code == 200
    assert field in response.content.decode()
    assert (Worker.objects.count(), User.objects.count(), RoleGrant.objects.count()) == before


def test_a_volunteer_added_by_staff_still_waits_for_screening(world, as_user):
    as_user("staff").post(
        "/workforce/new/",
        {"username": "vol_new", "force": "volunteer", "name": "新志愿者", "phone": "13800004444"},
    )
    worker = Worker.objects.get(name="新志愿者")
    assert worker.status == "pending" and worker.weekly_hour_cap == 20
    assert not RoleGrant.objects.filter(user=worker.user).exists()


def test_editing_moves_the_role_with_the_force_and_area(world, crew, as_user):
    worker = crew["grid_a"]
    user = worker.user
    from linli.accounts.services import grant_role

    grant_role(user=user, role=Role.GRID_WORKER, grid=world.grid_a)  # as the personas hold
    response = as_user("staff").post(
        f"/workforce/{worker.pk}/edit/",
        {
            "force": "grid_worker",
            "name": "grid_a",
            "phone": worker.phone,
            "grid": world.grid_b.pk,
            "weekly_hour_cap": "45",
        },
    )
    assert response.status_code == 302
    worker.refresh_from_db()
    assert worker.grid == world.grid_b and worker.weekly_hour_cap == 45
    user = User.objects.get(pk=user.pk)
    assert user_scope(user, {Role.GRID_WORKER}).grids == {world.grid_b.pk}
    event = AuditEvent.objects.get(action="worker.update")
    assert event.detail["before"]["grid"] == world.grid_a.pk
    assert event.detail["after"]["grid"] == world.grid_b.pk
    # Becoming a cadre: the grid role goes, the cadre role comes.
    as_user("staff").post(
        f"/workforce/{worker.pk}/edit/",
        {"force": "cadre", "name": "grid_a", "phone": worker.phone, "organisation": "区民政局"},
    )
    user = User.objects.get(pk=user.pk)
    assert Role.CADRE in user_roles(user) and Role.GRID_WORKER not in user_roles(user)


def test_the_detail_page_shows_load_availability_and_tasks(world, crew, as_user):
    from linli.taskpool.services import task_claim, task_create

    li = crew["li"]
    li.availability = ["sat-ev"]
    li.save()
    task, _m = task_create(
        actor=world.user("staff"),
        kind="delivery",
        title="Eggs for 3-2-501",
        building=world.building_b1,
    )
    task_claim(actor=li.user, worker=li, task=task)
    html = as_user("staff").get(f"/workforce/{li.pk}/").content.decode()
    assert "Eggs for 3-2-501" in html
    assert 'title="Sat Evening">✓' in html and 'title="Sat Morning">✓' not in html
    assert "Medical" in html and "Building 2" in html
    # A grid worker of grid A does not read the titles of grid B's tasks.
    assert "Eggs for 3-2-501" not in as_user("grid_a").get(f"/workforce/{li.pk}/").content.decode()


# ------------------------------------------------------------------ API


def test_the_api_lists_and_filters_the_roster(world, crew):
    client = api_client(world.user("grid_b"))
    assert names(client.get("/api/v1/workers")) == sorted(
        ["grid_a", "staff", "volunteer", "李强", "张伟"]
    )
    assert names(client.get("/api/v1/workers?force=staff")) == ["staff"]
    assert names(client.get("/api/v1/workers?status=pending")) == ["张伟"]
    assert names(client.get("/api/v1/workers?skill=driving")) == ["volunteer"]
    assert names(client.get("/api/v1/workers?skill=heavy_lifting")) == ["李强"]
    bad = client.get("/api/v1/workers?skill=flying")
    assert bad.status_code == 422 and "skill" in bad.json()["error"]["fields"]
    one = client.get(f"/api/v1/workers/{crew['li'].pk}").json()
    assert one["skills"] == ["medical", "heavy_lifting"] and one["can_take_tasks"] is True
    assert one["home_building"] == "2" and one["minutes_this_week"] == 0
    assert client.get("/api/v1/workers/999999").status_code == 404


def test_the_api_is_scoped_to_the_users_communities(world, crew):
    from linli.accounts.services import grant_role
    from linli.places.models import Community

    other = Community.objects.create(name="别的社区", code="other")
    user = make_user("other_cadre")
    grant_role(user=user, role=Role.CADRE, community=other)
    client = api_client(user)
    assert client.get("/api/v1/workers").json()["count"] == 0
    assert client.get(f"/api/v1/workers/{crew['li'].pk}").status_code == 404
    assert api_client(world.user("supervisor")).get("/api/v1/workers").json()["count"] == 5
