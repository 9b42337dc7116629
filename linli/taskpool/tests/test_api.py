"""/api/v1/tasks: the same rules as the pages, with 409/403 and the error shape."""

import pytest
from django.test import Client

from linli.accounts.services import token_issue
from linli.taskpool.choices import Status
from linli.taskpool.models import Task
from linli.workforce.choices import Force, Skill, WorkerStatus
from linli.workforce.models import Worker


def api(user):
    from django.test import RequestFactory

    raw, _token = token_issue(
        request=RequestFactory().post("/"), username=user.username, password="test-pass-1234"
    )
    return Client(headers={"Authorization": f"Bearer {raw}"})


def roster(world, name, force=Force.VOLUNTEER, **extra):
    return Worker.objects.create(
        user=world.user(name),
        community=world.community,
        force=force,
        name=name,
        phone="13900000001",
        home_building=world.building_a1,
        **extra,
    )


def create(client, **body):
    return client.post("/api/v1/tasks", body, content_type="application/json")


@pytest.fixture
def staff(world):
    return api(world.user("staff"))


def test_create_then_a_duplicate_joins_it(world, staff):
    wang = world.residents["wang"]
    first = create(staff, kind="check_visit", title="看望", resident_id=wang.pk, priority=3)
    assert first.status_code == 201 and first.json()["merged"] is False
    again = create(staff, kind="check_visit", title="再看望", resident_id=wang.pk, priority=1)
    assert again.status_code == 200 and again.json()["merged"] is True
    task = Task.objects.get()
    assert task.requests.count() == 2 and task.priority == 1  # the more urgent request wins


def test_create_refuses_a_missing_target_naming_the_field(world, staff):
    response = create(staff, kind="delivery", title="送菜")
    assert response.status_code == 400
    assert "target" in response.json()["error"]["fields"]


def test_create_refuses_grid_b_worker_for_grid_a(world):
    client = api(world.user("grid_b"))
    response = create(client, kind="delivery", title="送菜", building_id=world.building_a1.pk)
    assert response.status_code == 400
    assert "building_id" in response.json()["error"]["fields"]


def test_volunteer_cannot_create(world):
    roster(world, "volunteer")
    response = create(
        api(world.user("volunteer")), kind="delivery", title="x", building_id=world.building_a1.pk
    )
    assert response.status_code == 403
    assert response.json()["error"]["message"]


def test_claim_then_second_claim_is_409(world, staff):
    task_id = create(staff, kind="delivery", title="送菜", building_id=world.building_a1.pk).json()[
        "task"
    ]["id"]
    roster(world, "volunteer")
    roster(world, "property", force=Force.PROPERTY)
    ok = api(world.user("volunteer")).post(f"/api/v1/tasks/{task_id}/claim")
    assert ok.status_code == 200 and ok.json()["status"] == "accepted"
    late = api(world.user("property")).post(f"/api/v1/tasks/{task_id}/claim")
    assert late.status_code == 409
    assert late.json()["error"]["code"] == "already_taken"


def test_unscreened_volunteer_gets_403_with_the_reason(world, staff):
    task_id = create(staff, kind="delivery", title="送菜", building_id=world.building_a1.pk).json()[
        "task"
    ]["id"]
    roster(world, "volunteer", status=WorkerStatus.PENDING)
    response = api(world.user("volunteer")).post(f"/api/v1/tasks/{task_id}/claim")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_screened"
    assert Task.objects.get().status == Status.OPEN


def test_skill_is_required_to_claim(world, staff):
    task_id = create(staff, kind="escort", title="送医", building_id=world.building_a1.pk).json()[
        "task"
    ]["id"]
    roster(world, "volunteer")
    refused = api(world.user("volunteer")).post(f"/api/v1/tasks/{task_id}/claim")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "skill_missing"
    roster(world, "property", force=Force.PROPERTY, skills=[Skill.DRIVING])
    assert api(world.user("property")).post(f"/api/v1/tasks/{task_id}/claim").status_code == 200


def test_complete_without_accepting_is_409(world, staff):
    task_id = create(staff, kind="delivery", title="送菜", building_id=world.building_a1.pk).json()[
        "task"
    ]["id"]
    volunteer = roster(world, "volunteer")
    staff.post(
        f"/api/v1/tasks/{task_id}/assign",
        {"worker_id": volunteer.pk},
        content_type="application/json",
    )
    client = api(world.user("volunteer"))
    response = client.post(
        f"/api/v1/tasks/{task_id}/complete", {"note": "x"}, content_type="application/json"
    )
    assert response.status_code == 409
    assert Task.objects.get().status == Status.ASSIGNED
    assert client.post(f"/api/v1/tasks/{task_id}/accept").status_code == 200
    assert client.post(f"/api/v1/tasks/{task_id}/start").status_code == 200
    done = client.post(
        f"/api/v1/tasks/{task_id}/complete", {"note": "好了"}, content_type="application/json"
    )
    assert done.status_code == 200 and done.json()["status"] == "done"


def test_claiming_a_cancelled_task_is_409(world, staff):
    task_id = create(staff, kind="delivery", title="送菜", building_id=world.building_a1.pk).json()[
        "task"
    ]["id"]
    staff.post(
        f"/api/v1/tasks/{task_id}/cancel", {"reason": "重复"}, content_type="application/json"
    )
    roster(world, "volunteer")
    response = api(world.user("volunteer")).post(f"/api/v1/tasks/{task_id}/claim")
    assert response.status_code == 409


def test_fail_needs_a_reason(world, staff):
    task_id = create(staff, kind="delivery", title="送菜", building_id=world.building_a1.pk).json()[
        "task"
    ]["id"]
    roster(world, "volunteer")
    client = api(world.user("volunteer"))
    client.post(f"/api/v1/tasks/{task_id}/claim")
    response = client.post(
        f"/api/v1/tasks/{task_id}/fail", {"reason": " "}, content_type="application/json"
    )
    assert response.status_code == 400 and "reason" in response.json()["error"]["fields"]


def test_list_is_scoped(world, staff):
    create(staff, kind="delivery", title="A区", building_id=world.building_a1.pk)
    create(staff, kind="delivery", title="B区", building_id=world.building_b1.pk)
    titles = {t["title"] for t in api(world.user("grid_a")).get("/api/v1/tasks").json()["items"]}
    assert titles == {"A区"}
    assert api(world.user("outsider")).get("/api/v1/tasks").json()["count"] == 0


def test_anonymous_gets_401(world):
    response = Client().get("/api/v1/tasks")
    assert response.status_code == 401 and response.json()["error"]["code"] == "unauthenticated"
