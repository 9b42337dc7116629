"""Task pool pages: the pool, one task, the worker's phone page, a resident's request."""

import pytest

from linli.taskpool.choices import Status, TaskKind
from linli.taskpool.models import Task, TaskRequest
from linli.taskpool.services import task_create
from linli.workforce.choices import Force, WorkerStatus
from linli.workforce.models import Worker


def worker(world, name, force=Force.VOLUNTEER, **extra):
    user = world.user(name)
    return Worker.objects.create(
        user=user,
        community=world.community,
        force=force,
        name=name,
        phone="13900000000",
        home_building=world.building_a1,
        **extra,
    )


@pytest.fixture
def visit(world):
    task, _merged = task_create(
        actor=world.user("staff"),
        kind=TaskKind.CHECK_VISIT,
        title="看望王秀英",
        resident=world.residents["wang"],
    )
    return task


def test_staff_sees_the_pool_with_names(world, as_user, visit):
    html = as_user("staff").get("/tasks/").content.decode()
    assert "看望王秀英" in html and "王秀英 ·" in html


def test_grid_b_does_not_see_grid_a_tasks(world, as_user, visit):
    client = as_user("grid_b")
    assert "看望王秀英" not in client.get("/tasks/").content.decode()
    assert client.get(f"/tasks/{visit.pk}/").status_code == 404


def test_volunteer_sees_open_tasks_without_names_and_claims_one(world, as_user, visit):
    worker(world, "volunteer")
    client = as_user("volunteer")
    page = client.get("/tasks/mine/").content.decode()
    assert "看望王秀英" in page
    assert "王秀英 ·" not in page  # the building only, until the task is theirs
    response = client.post(f"/tasks/{visit.pk}/claim/", {"next": "/tasks/mine/"})
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.status == Status.ACCEPTED and visit.assignee.name == "volunteer"
    assert "王秀英 ·" in client.get("/tasks/mine/").content.decode()


def test_a_second_claim_says_already_taken(world, as_user, visit):
    worker(world, "volunteer")
    worker(world, "property", force=Force.PROPERTY)
    as_user("volunteer").post(f"/tasks/{visit.pk}/claim/")
    late = as_user("property")
    response = late.post(f"/tasks/{visit.pk}/claim/", follow=True)
    assert "Already taken" in response.content.decode()
    visit.refresh_from_db()
    assert visit.assignee.name == "volunteer"


def test_an_unscreened_volunteer_cannot_claim(world, as_user, visit):
    worker(world, "volunteer", status=WorkerStatus.PENDING)
    response = as_user("volunteer").post(f"/tasks/{visit.pk}/claim/", follow=True)
    assert "screened and approved" in response.content.decode()
    visit.refresh_from_db()
    assert visit.status == Status.OPEN


def test_owner_starts_and_completes_with_a_note(world, as_user, visit):
    worker(world, "volunteer")
    client = as_user("volunteer")
    client.post(f"/tasks/{visit.pk}/claim/")
    client.post(f"/tasks/{visit.pk}/start/")
    client.post(f"/tasks/{visit.pk}/complete/", {"note": "一切安好"})
    visit.refresh_from_db()
    assert visit.status == Status.DONE and visit.result_note == "一切安好"
    assert visit.hours_entry.minutes >= 5


def test_someone_else_cannot_complete_it(world, as_user, visit):
    worker(world, "volunteer")
    worker(world, "property", force=Force.PROPERTY)
    as_user("volunteer").post(f"/tasks/{visit.pk}/claim/")
    response = as_user("property").post(f"/tasks/{visit.pk}/complete/", follow=True)
    assert response.status_code in (200, 404)
    visit.refresh_from_db()
    assert visit.status == Status.ACCEPTED


def test_staff_creates_a_task_and_a_second_request_joins_it(world, as_user):
    client = as_user("staff")
    data = {"kind": "delivery", "title": "送菜", "building": "1", "room": "1-301", "priority": 3}
    first = client.post("/tasks/new/", data)
    assert first.status_code == 302
    second = client.post("/tasks/new/", {**data, "title": "再送一次菜"}, follow=True)
    assert "joined it" in second.content.decode()
    assert Task.objects.filter(kind="delivery").count() == 1
    assert TaskRequest.objects.filter(task__kind="delivery").count() == 2


def test_volunteer_cannot_create_tasks(world, as_user):
    assert as_user("volunteer").get("/tasks/new/").status_code == 403


def test_resident_asks_for_help_for_their_household(world, as_user):
    client = as_user("resident")
    response = client.post("/tasks/request/", {"kind": "medicine", "note": "降压药吃完了"})
    task = Task.objects.get(kind="medicine")
    assert response.status_code == 302
    assert task.household_id == world.residents["zhang"].household_id
    assert task.source == "resident"
    assert client.get(f"/tasks/{task.pk}/").status_code == 200


def test_resident_confirms_and_rates_once(world, as_user):
    resident = as_user("resident")
    resident.post("/tasks/request/", {"kind": "delivery", "note": ""})
    task = Task.objects.get(kind="delivery")
    worker(world, "volunteer")
    volunteer = as_user("volunteer")
    volunteer.post(f"/tasks/{task.pk}/claim/")
    volunteer.post(f"/tasks/{task.pk}/complete/", {"note": "放门口了"})
    resident.post(f"/tasks/{task.pk}/confirm/", {"rating": 5, "comment": "谢谢"})
    task.refresh_from_db()
    assert task.rating == 5 and task.confirmed_at
    resident.post(f"/tasks/{task.pk}/confirm/", {"rating": 1})
    task.refresh_from_db()
    assert task.rating == 5


@pytest.mark.parametrize("persona", ["outsider", "grid_b"])
def test_pages_deny_outsiders(world, as_user, visit, persona):
    client = as_user(persona)
    assert client.get(f"/tasks/{visit.pk}/").status_code == 404
    assert client.post(f"/tasks/{visit.pk}/cancel/").status_code == 404


def test_pool_list_query_count_does_not_grow(world, as_user, visit, django_assert_max_num_queries):
    client = as_user("staff")
    for n in range(20):
        task_create(
            actor=None,
            kind=TaskKind.DISINFECTION,
            title=f"消杀 {n}",
            building=world.building_a2 if n % 2 else world.building_b1,
            note=str(n),
        )
    with django_assert_max_num_queries(12):
        client.get("/tasks/?status=all")


def test_a_building_leader_living_here_does_not_see_names_on_other_open_tasks(
    world, as_user, visit
):
    from linli.accounts.models import User

    leader = User.objects.get(username="leader_a1")
    leader.resident = world.residents["chen"]
    leader.save()
    worker(world, "leader_a1", force=Force.BUILDING_LEADER)
    page = as_user("leader_a1").get("/tasks/mine/").content.decode()
    assert "看望王秀英" in page and "王秀英 ·" not in page


def test_the_photo_is_served_only_to_those_who_see_details(
    world, as_user, visit, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (2, 2), "white").save(buffer, "GIF")
    gif = buffer.getvalue()
    worker(world, "volunteer")
    client = as_user("volunteer")
    client.post(f"/tasks/{visit.pk}/claim/")
    client.post(
        f"/tasks/{visit.pk}/complete/",
        {"note": "ok", "photo": SimpleUploadedFile("door.gif", gif, content_type="image/gif")},
    )
    visit.refresh_from_db()
    assert visit.photo
    assert client.get(f"/tasks/{visit.pk}/photo").status_code == 200
    assert as_user("staff").get(f"/tasks/{visit.pk}/photo").status_code == 200
    assert as_user("grid_b").get(f"/tasks/{visit.pk}/photo").status_code == 404


def test_claiming_over_the_weekly_cap_is_refused(world, as_user, visit):
    worker(world, "volunteer", weekly_hour_cap=0)
    response = as_user("volunteer").post(f"/tasks/{visit.pk}/claim/", follow=True)
    assert "weekly limit" in response.content.decode()
    visit.refresh_from_db()
    assert visit.status == Status.OPEN
