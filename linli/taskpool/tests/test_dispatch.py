"""Dispatch with the database: proposals from the real task pool and roster, accepting them
through pages and the API, and who may do it."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from linli.core.models import AuditEvent
from linli.places.models import Community
from linli.taskpool import dispatch, services
from linli.taskpool.choices import Priority, Status, TaskKind
from linli.taskpool.models import DispatchProposal, ProposalItem, Task
from linli.workforce.choices import Force
from linli.workforce.models import HoursEntry
from linli.workforce.testing import make_worker


@pytest.fixture
def pool(world):
    """Three workers and five open tasks: three in grid A, two in grid B."""
    staff = world.user("staff")
    workers = {
        "vol": make_worker(
            world.user("volunteer"),
            Force.VOLUNTEER,
            world.community,
            skills=["driving"],
            home_building=world.building_a1,
        ),
        "prop": make_worker(
            world.user("property"),
            Force.PROPERTY,
            world.community,
            skills=["disinfection"],
            home_building=world.building_b1,
        ),
        # No home building: starts from the centre of grid A (100, 50).
        "cadre": make_worker(
            world.user("cadre"),
            Force.CADRE,
            world.community,
            skills=["counselling"],
            grid=world.grid_a,
        ),
    }

    def task(kind, title, **target):
        return services.task_create(actor=staff, kind=kind, title=title, **target)[0]

    tasks = {
        "escort": task(
            TaskKind.ESCORT, "Dialysis trip", building=world.building_a2, priority=Priority.URGENT
        ),
        "visit": task(TaskKind.CHECK_VISIT, "Visit Zhang", resident=world.residents["zhang"]),
        "sign": task(
            TaskKind.OTHER, "Interpret", building=world.building_a1, required_skill="sign_language"
        ),
        "delivery": task(TaskKind.DELIVERY, "Food parcel", resident=world.residents["chen"]),
        "counsel": task(TaskKind.COUNSELLING, "Call Chen", building=world.building_b1),
    }
    return workers, tasks


def items_of(proposal):
    return {i.task_id: i for i in proposal.items.all()}


def propose(client):
    response = client.post("/dispatch/propose/")
    assert response.status_code == 302, response.content[:300]
    return DispatchProposal.objects.get(pk=int(response.url.rstrip("/").split("/")[-1]))


def api_post(client, url, body=None):
    return client.post(url, body if body is not None else {}, content_type="application/json")


# ------------------------------------------------------------------ proposals


def test_a_proposal_covers_every_open_task_and_explains_each(world, pool, as_user):
    workers, tasks = pool
    proposal = propose(as_user("staff"))
    items = items_of(proposal)
    assert set(items) == {t.pk for t in tasks.values()}
    escort = items[tasks["escort"].pk]
    assert escort.worker_id == workers["vol"].pk  # the only driver
    assert escort.distance_m == 100
    assert escort.explanation == "only worker with driving skill and hours left, 100 m"
    assert items[tasks["counsel"].pk].worker_id == workers["cadre"].pk
    assert items[tasks["delivery"].pk].worker_id == workers["prop"].pk
    assert items[tasks["delivery"].pk].explanation.startswith("nearest available property staff")
    nobody = items[tasks["sign"].pk]
    assert nobody.worker_id is None
    assert nobody.explanation == "no approved worker has sign language skill"
    assert proposal.baseline_cost is not None and proposal.total_cost <= proposal.baseline_cost
    assert proposal.seconds >= 0
    event = AuditEvent.objects.get(action="dispatch.propose")
    assert event.detail["tasks"] == 5 and event.detail["assigned"] == 4
    # Nothing is assigned until someone accepts.
    assert set(Task.objects.values_list("status", flat=True)) == {Status.OPEN}


def test_a_grid_worker_dispatches_only_their_grid(world, pool, as_user):
    _workers, tasks = pool
    proposal = propose(as_user("grid_a"))
    assert set(items_of(proposal)) == {tasks[k].pk for k in ("escort", "visit", "sign")}


def test_the_proposal_page_shows_plan_costs_and_choices(world, pool, as_user):
    workers, tasks = pool
    client = as_user("staff")
    proposal = propose(client)
    page = client.get(f"/dispatch/proposals/{proposal.pk}/").content.decode()
    assert "<svg" in page and "Accept selected" in page
    assert "of the greedy plan" in page and " s</b>" in page
    assert f'name="task" value="{tasks["escort"].pk}"' in page
    assert f'name="override-{tasks["visit"].pk}"' in page
    assert "only worker with driving skill and hours left, 100 m" in page
    # The counselling call can go to nobody else: the cadre is its only option.
    counsel_select = page.split(f'name="override-{tasks["counsel"].pk}"')[1].split("</select>")[0]
    assert f'value="{workers["vol"].pk}"' not in counsel_select


def test_the_proposal_page_query_count_does_not_grow_with_tasks(
    world, pool, as_user, django_assert_max_num_queries
):
    client = as_user("staff")
    proposal = propose(client)
    with django_assert_max_num_queries(20):
        assert client.get(f"/dispatch/proposals/{proposal.pk}/").status_code == 200
    staff = world.user("staff")
    kinds = [TaskKind.DELIVERY, TaskKind.MEDICINE, TaskKind.PEST, TaskKind.STRAY_ANIMAL]
    for kind in kinds:
        for name in ("zhang_wife", "wang", "single"):
            services.task_create(
                actor=staff, kind=kind, title=f"{kind} {name}", resident=world.residents[name]
            )
    bigger = propose(client)
    assert bigger.items.count() > proposal.items.count()
    with django_assert_max_num_queries(20):
        assert client.get(f"/dispatch/proposals/{bigger.pk}/").status_code == 200


def test_the_index_page_offers_the_button(world, pool, as_user):
    page = as_user("grid_a").get("/dispatch/").content.decode()
    assert "Assign open tasks" in page
    assert "3 open tasks in your area" in page


def test_nothing_open_means_no_proposal(world, as_user):
    client = as_user("staff")
    response = client.post("/dispatch/propose/", follow=True)
    assert "There are no open tasks in your area to assign." in response.content.decode()
    assert not DispatchProposal.objects.exists()
    response = api_post(client, "/api/v1/dispatch/proposals")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "empty"


def test_a_worker_near_their_cap_is_not_proposed(world, pool, as_user):
    workers, tasks = pool
    # The volunteer (20 h) has given 19 h 30 this week: the 2-hour trip no longer fits.
    HoursEntry.objects.create(worker=workers["vol"], day=timezone.localdate(), minutes=19 * 60 + 30)
    proposal = propose(as_user("staff"))
    escort = items_of(proposal)[tasks["escort"].pk]
    assert escort.worker_id is None
    assert escort.explanation == "no worker with driving skill has 120 minutes left this week"


# ------------------------------------------------------------------ accepting


def test_accepting_all_assigns_through_the_task_pool(world, pool, as_user):
    workers, tasks = pool
    client = as_user("staff")
    proposal = propose(client)
    items = items_of(proposal)
    ticked = [str(pk) for pk, i in items.items() if i.worker_id]
    response = client.post(f"/dispatch/proposals/{proposal.pk}/accept/", {"task": ticked})
    assert response.status_code == 302
    for key in ("escort", "visit", "delivery", "counsel"):
        task = Task.objects.get(pk=tasks[key].pk)
        assert task.status == Status.ASSIGNED
        assert task.assignee_id == items[task.pk].worker_id
        assert task.events.filter(action="assign").exists()
    assert Task.objects.get(pk=tasks["sign"].pk).status == Status.OPEN
    assert proposal.items.filter(accepted=True).count() == 4
    event = AuditEvent.objects.get(action="dispatch.accept")
    assert event.detail["assigned"] == 4
    page = client.get(response.url).content.decode()
    assert "4 tasks assigned." in page


def test_accepting_some_and_overriding_one(world, pool, as_user):
    workers, tasks = pool
    client = as_user("staff")
    proposal = propose(client)
    client.post(
        f"/dispatch/proposals/{proposal.pk}/accept/",
        {
            "task": [str(tasks["escort"].pk)],
            # Not ticked, but a worker is chosen: the visit goes to the property worker.
            f"override-{tasks['visit'].pk}": str(workers["prop"].pk),
            f"override-{tasks['escort'].pk}": "",
        },
    )
    assert Task.objects.get(pk=tasks["escort"].pk).assignee_id == workers["vol"].pk
    assert Task.objects.get(pk=tasks["visit"].pk).assignee_id == workers["prop"].pk
    for key in ("delivery", "counsel", "sign"):
        assert Task.objects.get(pk=tasks[key].pk).status == Status.OPEN


def test_a_task_claimed_meanwhile_is_skipped_not_overwritten(world, pool, as_user):
    workers, tasks = pool
    client = as_user("staff")
    proposal = propose(client)
    delivery = tasks["delivery"]
    assert items_of(proposal)[delivery.pk].worker_id == workers["prop"].pk
    # The cadre claims the parcel on their phone before the planner accepts.
    services.task_claim(actor=world.user("cadre"), worker=workers["cadre"], task=delivery)
    response = client.post(
        f"/dispatch/proposals/{proposal.pk}/accept/", {"task": [str(delivery.pk)]}, follow=True
    )
    delivery.refresh_from_db()
    assert delivery.assignee_id == workers["cadre"].pk and delivery.status == Status.ACCEPTED
    assert "changed since the proposal" in response.content.decode()
    assert items_of(proposal)[delivery.pk].accepted is False


def test_a_task_assigned_by_hand_meanwhile_is_not_reassigned(world, pool):
    workers, tasks = pool
    staff = world.user("staff")
    proposal = dispatch.proposal_create(actor=staff, community=world.community)
    visit = tasks["visit"]
    services.task_assign(actor=staff, task=visit, worker=workers["prop"])
    outcome = dispatch.proposal_accept(
        actor=staff,
        proposal=proposal,
        task_ids=[visit.pk],
        overrides={visit.pk: workers["cadre"].pk},
    )
    assert outcome["assigned"] == []
    assert outcome["skipped"][0]["task_id"] == visit.pk
    assert "assigned now" in outcome["skipped"][0]["reason"]
    visit.refresh_from_db()
    assert visit.assignee_id == workers["prop"].pk


def test_the_cap_is_checked_again_when_accepting(world, pool):
    workers, tasks = pool
    staff = world.user("staff")
    proposal = dispatch.proposal_create(actor=staff, community=world.community)
    HoursEntry.objects.create(worker=workers["vol"], day=timezone.localdate(), minutes=19 * 60)
    outcome = dispatch.proposal_accept(actor=staff, proposal=proposal, task_ids=None)
    skipped = {s["task_id"]: s["reason"] for s in outcome["skipped"]}
    assert "minutes left this week" in skipped[tasks["escort"].pk]
    assert Task.objects.get(pk=tasks["escort"].pk).status == Status.OPEN


def test_an_override_without_the_skill_is_refused(world, pool):
    workers, tasks = pool
    staff = world.user("staff")
    proposal = dispatch.proposal_create(actor=staff, community=world.community)
    outcome = dispatch.proposal_accept(
        actor=staff,
        proposal=proposal,
        task_ids=[],
        overrides={tasks["escort"].pk: workers["prop"].pk},
    )
    assert outcome["assigned"] == []
    assert "skill" in outcome["skipped"][0]["reason"]
    assert Task.objects.get(pk=tasks["escort"].pk).status == Status.OPEN


# ------------------------------------------------------------------ API


def test_api_proposes_and_accepts(world, pool, as_user):
    workers, tasks = pool
    client = as_user("staff")
    response = api_post(client, "/api/v1/dispatch/proposals")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["tasks"] == 5 and body["assigned"] == 4 and body["unassigned"] == 1
    assert body["ratio"] is not None and body["ratio"] <= 1
    by_task = {i["task_id"]: i for i in body["items"]}
    assert by_task[tasks["sign"].pk]["worker_id"] is None
    assert by_task[tasks["sign"].pk]["reason"] == "no_skill"
    assert by_task[tasks["escort"].pk]["explanation"].startswith("only worker with driving")

    claimed = tasks["counsel"]
    services.task_claim(actor=world.user("cadre"), worker=workers["cadre"], task=claimed)
    response = api_post(
        client,
        f"/api/v1/dispatch/proposals/{body['id']}/accept",
        {"task_ids": None, "overrides": {str(tasks["visit"].pk): workers["prop"].pk}},
    )
    assert response.status_code == 200, response.content
    result = response.json()
    assigned = {a["task_id"]: a["worker_id"] for a in result["assigned"]}
    assert assigned == {
        tasks["escort"].pk: workers["vol"].pk,
        tasks["visit"].pk: workers["prop"].pk,
        tasks["delivery"].pk: workers["prop"].pk,
    }
    skipped = {s["task_id"]: s["reason"] for s in result["skipped"]}
    assert set(skipped) == {claimed.pk, tasks["sign"].pk}
    assert "changed since the proposal" in skipped[claimed.pk]


def test_api_body_names_the_community(world, pool, as_user):
    other = Community.objects.create(name="别的社区", code="other")
    client = as_user("admin")  # plans everywhere: must say where
    response = api_post(client, "/api/v1/dispatch/proposals")
    assert response.status_code == 400
    assert "community_id" in response.json()["error"]["fields"]
    response = api_post(client, "/api/v1/dispatch/proposals", {"community_id": world.community.pk})
    assert response.status_code == 201
    response = api_post(as_user("staff"), "/api/v1/dispatch/proposals", {"community_id": other.pk})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_api_accept_validates_the_body(world, pool, as_user):
    client = as_user("staff")
    pk = api_post(client, "/api/v1/dispatch/proposals").json()["id"]
    response = api_post(client, f"/api/v1/dispatch/proposals/{pk}/accept", {"task_ids": "all"})
    assert response.status_code == 422
    assert "task_ids" in response.json()["error"]["fields"]


# ------------------------------------------------------------------ access


@pytest.mark.parametrize("name", ["volunteer", "outsider", "supervisor", "resident", "cadre"])
def test_non_planners_cannot_dispatch(world, pool, as_user, name):
    proposal = dispatch.proposal_create(actor=world.user("grid_a"), community=world.community)
    client = as_user(name)
    assert client.get("/dispatch/").status_code == 403
    assert client.post("/dispatch/propose/").status_code == 403
    assert client.get(f"/dispatch/proposals/{proposal.pk}/").status_code == 404
    response = client.post(f"/dispatch/proposals/{proposal.pk}/accept/", {"task": ["1"]})
    assert response.status_code == 404
    response = api_post(client, "/api/v1/dispatch/proposals")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    response = api_post(client, f"/api/v1/dispatch/proposals/{proposal.pk}/accept")
    assert response.status_code == 404
    assert set(Task.objects.values_list("status", flat=True)) == {Status.OPEN}


def test_grid_b_cannot_see_or_accept_grid_a_proposals(world, pool, as_user):
    _workers, tasks = pool
    proposal = dispatch.proposal_create(actor=world.user("grid_a"), community=world.community)
    client = as_user("grid_b")
    assert client.get(f"/dispatch/proposals/{proposal.pk}/").status_code == 404
    assert client.post(f"/dispatch/proposals/{proposal.pk}/accept/").status_code == 404
    response = api_post(client, f"/api/v1/dispatch/proposals/{proposal.pk}/accept")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert client.get(f"/api/v1/dispatch/proposals/{proposal.pk}").status_code == 404
    assert set(Task.objects.values_list("status", flat=True)) == {Status.OPEN}
    # Staff of the whole community may open it; it lists only grid A's tasks.
    assert as_user("staff").get(f"/dispatch/proposals/{proposal.pk}/").status_code == 200


def test_a_planner_cannot_accept_tasks_outside_their_area(world, pool):
    """Even through a proposal they may open (made by staff for the whole community), grid B's
    worker assigns only grid B's tasks."""
    workers, tasks = pool
    proposal = dispatch.proposal_create(actor=world.user("staff"), community=world.community)
    outcome = dispatch.proposal_accept(actor=world.user("grid_b"), proposal=proposal)
    assigned = {a["task_id"] for a in outcome["assigned"]}
    assert assigned == {tasks["delivery"].pk, tasks["counsel"].pk}
    skipped = {s["task_id"]: s["reason"] for s in outcome["skipped"]}
    assert skipped[tasks["escort"].pk] == "outside your area"
    assert Task.objects.get(pk=tasks["escort"].pk).status == Status.OPEN


def test_anonymous_is_sent_to_login_and_the_api_answers_401(world):
    client = Client()
    assert client.get("/dispatch/").status_code == 302
    response = api_post(client, "/api/v1/dispatch/proposals")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_old_proposals_stay_readable_after_tasks_move_on(world, pool, as_user):
    workers, tasks = pool
    client = as_user("staff")
    proposal = propose(client)
    services.task_cancel(actor=world.user("staff"), task=tasks["visit"], reason="moved away")
    ProposalItem.objects.filter(proposal=proposal).update(accepted=None)
    DispatchProposal.objects.filter(pk=proposal.pk).update(
        created_at=timezone.now() - timedelta(days=2)
    )
    page = client.get(f"/dispatch/proposals/{proposal.pk}/").content.decode()
    assert f'name="task" value="{tasks["visit"].pk}"' not in page  # no longer open
    assert "Cancelled" in page
