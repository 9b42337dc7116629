"""The task pool's services: the state machine (every allowed and refused transition), who may
move a task, de-duplication and merging, completion, confirmation and escalation."""

from datetime import timedelta

import pytest
from django.utils import timezone

from linli.core.errors import ApplicationError, Conflict, PermissionDenied
from linli.core.models import AuditEvent
from linli.places.models import Building, Community, Grid, PublicPlace
from linli.taskpool import services
from linli.taskpool.choices import TARGET_STATUS, TRANSITIONS, Priority, Source, Status, TaskKind
from linli.taskpool.models import Task, TaskEvent, TaskRequest
from linli.testing import make_user
from linli.workforce.choices import Force, WorkerStatus
from linli.workforce.models import HoursEntry
from linli.workforce.testing import make_worker

ACTIONS = list(TRANSITIONS)


@pytest.fixture
def crew(world):
    """An approved volunteer (the owner in these tests), another approved volunteer, and
    the staff member who plans."""
    return {
        "me": make_worker(world.user("volunteer"), Force.VOLUNTEER, world.community),
        "other": make_worker(world.user("leader_a1"), Force.BUILDING_LEADER, world.community),
        "staff": world.user("staff"),
    }


def new_task(world, *, kind=TaskKind.DELIVERY, resident="wang", **extra):
    task, merged = services.task_create(
        actor=world.user("staff"),
        kind=kind,
        title="送菜上门",
        resident=world.residents[resident],
        **extra,
    )
    assert not merged
    return task


def bring_to(task, state, crew):
    """Move `task` from open to `state` through the services, the owner being crew["me"]."""
    path = {
        Status.OPEN: [],
        Status.ASSIGNED: ["assign"],
        Status.ACCEPTED: ["claim"],
        Status.IN_PROGRESS: ["claim", "start"],
        Status.DONE: ["claim", "start", "complete"],
        Status.FAILED: ["claim", "fail"],
        Status.CANCELLED: ["cancel"],
    }[state]
    for action in path:
        do(action, task, crew)
    assert task.status == state
    return task


def do(action, task, crew, *, worker=None):
    """Carry out `action` as the person who would: staff plan, the owner works."""
    me, staff = worker or crew["me"], crew["staff"]
    calls = {
        "assign": lambda: services.task_assign(actor=staff, task=task, worker=me),
        "claim": lambda: services.task_claim(actor=me.user, worker=me, task=task),
        "accept": lambda: services.task_accept(actor=me.user, worker=me, task=task),
        "decline": lambda: services.task_decline(actor=me.user, worker=me, task=task),
        "start": lambda: services.task_start(actor=me.user, worker=me, task=task),
        "complete": lambda: services.task_complete(
            actor=me.user, worker=me, task=task, note="已送达"
        ),
        "fail": lambda: services.task_fail(
            actor=me.user, worker=me, task=task, reason="敲门无人应答"
        ),
        "cancel": lambda: services.task_cancel(actor=staff, task=task, reason="已自行解决"),
        "reopen": lambda: services.task_reopen(actor=staff, task=task),
    }
    return calls[action]()


def snapshot(task) -> dict:
    fresh = Task.objects.get(pk=task.pk)
    return {
        "status": fresh.status,
        "assignee": fresh.assignee_id,
        "updated_at": fresh.updated_at,
        "done_at": fresh.done_at,
        "failure_reason": fresh.failure_reason,
        "events": TaskEvent.objects.filter(task=task).count(),
        "hours": HoursEntry.objects.filter(task=task).count(),
    }


# ------------------------------------------------------------------ the state machine

ALLOWED = [(a, s) for a in ACTIONS for s in Status.values if s in TRANSITIONS[a]]
REFUSED = [(a, s) for a in ACTIONS for s in Status.values if s not in TRANSITIONS[a]]


@pytest.mark.parametrize(("action", "state"), ALLOWED)
def test_every_allowed_transition_moves_the_task_and_records_who_and_when(
    world, crew, action, state
):
    task = bring_to(new_task(world), state, crew)
    events = TaskEvent.objects.filter(task=task).count()
    before = timezone.now()

    do(action, task, crew)

    fresh = Task.objects.get(pk=task.pk)
    assert fresh.status == TARGET_STATUS[action]
    assert fresh.updated_at >= before
    event = TaskEvent.objects.filter(task=task).order_by("id").last()
    assert TaskEvent.objects.filter(task=task).count() == events + 1
    assert (event.action, event.from_status, event.to_status) == (
        action,
        state,
        TARGET_STATUS[action],
    )
    staff_acts = action in ("assign", "cancel", "reopen")
    assert event.actor == (crew["staff"] if staff_acts else crew["me"].user)
    assert event.created_at >= before
    if fresh.status == Status.OPEN:
        assert fresh.assignee is None  # declined or reopened: free to claim again
    elif action in ("assign", "claim"):
        assert fresh.assignee == crew["me"] and event.worker == crew["me"]


@pytest.mark.parametrize(("action", "state"), REFUSED)
def test_every_refused_transition_answers_409_with_why_and_changes_nothing(
    world, crew, action, state
):
    task = bring_to(new_task(world), state, crew)
    before = snapshot(task)

    with pytest.raises(ApplicationError) as refused:
        do(action, task, crew)

    error = refused.value
    if isinstance(error, PermissionDenied):
        # An owner's step on a task nobody (or somebody else) owns is refused as not theirs.
        assert action in ("accept", "decline", "start", "complete", "fail")
        assert error.status == 403 and error.code == "not_owner"
    else:
        assert isinstance(error, Conflict) and error.status == 409
        if action == "claim" and state in (Status.ASSIGNED, Status.ACCEPTED, Status.IN_PROGRESS):
            assert error.code == "already_taken"
            assert "Already taken" in error.message
        else:
            assert error.code == "bad_transition"
            assert Status(state).label.lower() in error.message.lower()
    assert snapshot(task) == before


def test_a_refused_transition_names_the_state_it_found(world, crew):
    task = bring_to(new_task(world), Status.DONE, crew)
    with pytest.raises(Conflict) as refused:
        services.task_cancel(actor=crew["staff"], task=task)
    assert refused.value.message == "Cannot cancel a task that is Done."


def test_claiming_a_cancelled_task_says_it_was_cancelled(world, crew):
    task = bring_to(new_task(world), Status.CANCELLED, crew)
    with pytest.raises(Conflict) as refused:
        services.task_claim(actor=crew["other"].user, worker=crew["other"], task=task)
    assert refused.value.message == "Cannot claim a task that is Cancelled."
    assert Task.objects.get(pk=task.pk).assignee is None


def test_completing_a_task_nobody_accepted_is_refused(world, crew):
    task = new_task(world)
    with pytest.raises(PermissionDenied) as refused:
        services.task_complete(actor=crew["me"].user, worker=crew["me"], task=task)
    assert refused.value.code == "not_owner"
    assert "Only the worker who owns this task" in refused.value.message
    assert snapshot(task)["status"] == Status.OPEN


def test_a_stale_copy_cannot_move_a_task_that_changed_meanwhile(world, crew):
    task = bring_to(new_task(world), Status.IN_PROGRESS, crew)
    stale = Task.objects.get(pk=task.pk)
    services.task_cancel(actor=crew["staff"], task=task)
    before = snapshot(task)
    with pytest.raises(Conflict) as refused:
        services.task_complete(actor=crew["me"].user, worker=crew["me"], task=stale)
    assert "Cancelled" in refused.value.message
    assert snapshot(task) == before


# ------------------------------------------------------------------ who may act


def test_only_the_owner_works_on_a_task(world, crew):
    task = bring_to(new_task(world), Status.ACCEPTED, crew)
    for action in ("start", "complete", "fail", "decline"):
        before = snapshot(task)
        with pytest.raises(PermissionDenied) as refused:
            do(action, task, crew, worker=crew["other"])
        assert refused.value.status == 403 and refused.value.code == "not_owner"
        assert snapshot(task) == before


@pytest.mark.parametrize("status", [WorkerStatus.PENDING, WorkerStatus.REJECTED])
def test_a_volunteer_not_screened_cannot_claim_or_be_assigned(world, crew, status):
    newcomer = make_worker(
        make_user("newcomer"),
        Force.VOLUNTEER,
        world.community,
        status=status,
        **({"rejection_reason": "未通过"} if status == WorkerStatus.REJECTED else {}),
    )
    task = new_task(world)
    before = snapshot(task)
    with pytest.raises(PermissionDenied) as refused:
        services.task_claim(actor=newcomer.user, worker=newcomer, task=task)
    assert refused.value.status == 403 and refused.value.code == "not_screened"
    assert "screened and approved" in refused.value.message
    with pytest.raises(PermissionDenied):
        services.task_assign(actor=crew["staff"], task=task, worker=newcomer)
    assert snapshot(task) == before


def test_someone_off_the_roster_cannot_claim(world, crew):
    task = new_task(world)
    with pytest.raises(PermissionDenied) as refused:
        services.task_claim(actor=world.user("outsider"), worker=None, task=task)
    assert "roster" in refused.value.message
    assert snapshot(task)["status"] == Status.OPEN


def test_a_worker_of_another_community_cannot_claim(world, crew):
    elsewhere = Community.objects.create(name="别的社区", code="elsewhere")
    stranger = make_worker(make_user("stranger"), Force.VOLUNTEER, elsewhere)
    task = new_task(world)
    with pytest.raises(PermissionDenied) as refused:
        services.task_claim(actor=stranger.user, worker=stranger, task=task)
    assert "another community" in refused.value.message
    assert snapshot(task)["status"] == Status.OPEN


def test_a_task_that_needs_a_driver_goes_only_to_a_driver(world, crew):
    trip = new_task(world, kind=TaskKind.ESCORT)
    assert trip.required_skill == "driving"
    with pytest.raises(PermissionDenied) as refused:
        services.task_claim(actor=crew["me"].user, worker=crew["me"], task=trip)
    assert refused.value.code == "skill_missing" and "Driving" in refused.value.message
    driver = make_worker(make_user("driver"), Force.VOLUNTEER, world.community, skills=["driving"])
    services.task_claim(actor=driver.user, worker=driver, task=trip)
    assert Task.objects.get(pk=trip.pk).assignee == driver


def test_staff_can_reassign_an_assigned_task(world, crew):
    task = bring_to(new_task(world), Status.ASSIGNED, crew)
    services.task_assign(actor=crew["staff"], task=task, worker=crew["other"])
    assert Task.objects.get(pk=task.pk).assignee == crew["other"]
    with pytest.raises(PermissionDenied):
        services.task_accept(actor=crew["me"].user, worker=crew["me"], task=task)


# ------------------------------------------------------------------ completion and confirmation


def test_completion_keeps_the_note_and_logs_the_time_spent(world, crew):
    task = bring_to(new_task(world), Status.IN_PROGRESS, crew)
    Task.objects.filter(pk=task.pk).update(started_at=timezone.now() - timedelta(minutes=47))
    task.refresh_from_db()
    services.task_complete(actor=crew["me"].user, worker=crew["me"], task=task, note="已送达")
    fresh = Task.objects.get(pk=task.pk)
    assert fresh.result_note == "已送达" and fresh.done_at is not None
    entry = HoursEntry.objects.get(task=task)
    assert entry.worker == crew["me"] and 46 <= entry.minutes <= 48
    assert entry.day == timezone.localdate()


def test_completing_without_start_logs_the_estimate(world, crew):
    task = bring_to(new_task(world, kind=TaskKind.CHECK_VISIT), Status.ACCEPTED, crew)
    services.task_complete(actor=crew["me"].user, worker=crew["me"], task=task)
    fresh = Task.objects.get(pk=task.pk)
    assert fresh.started_at == fresh.done_at
    assert HoursEntry.objects.get(task=task).minutes == 20  # a check-on visit's estimate


def test_a_too_long_note_is_refused_before_anything_changes(world, crew):
    task = bring_to(new_task(world), Status.IN_PROGRESS, crew)
    before = snapshot(task)
    with pytest.raises(ApplicationError) as refused:
        services.task_complete(actor=crew["me"].user, worker=crew["me"], task=task, note="长" * 501)
    assert "note" in refused.value.fields
    assert snapshot(task) == before


def test_failing_needs_a_reason(world, crew):
    task = bring_to(new_task(world), Status.IN_PROGRESS, crew)
    before = snapshot(task)
    with pytest.raises(ApplicationError) as refused:
        services.task_fail(actor=crew["me"].user, worker=crew["me"], task=task, reason="  ")
    assert refused.value.fields == {"reason": ["is required"]}
    assert snapshot(task) == before
    services.task_fail(actor=crew["me"].user, worker=crew["me"], task=task, reason="无人应答")
    fresh = Task.objects.get(pk=task.pk)
    assert (fresh.status, fresh.failure_reason) == (Status.FAILED, "无人应答")
    assert not HoursEntry.objects.filter(task=task).exists()


def test_reopening_a_failed_task_frees_it(world, crew):
    task = bring_to(new_task(world), Status.FAILED, crew)
    services.task_reopen(actor=crew["staff"], task=task, note="再派一次")
    fresh = Task.objects.get(pk=task.pk)
    assert (fresh.status, fresh.assignee, fresh.failure_reason, fresh.done_at) == (
        Status.OPEN,
        None,
        "",
        None,
    )
    services.task_claim(actor=crew["other"].user, worker=crew["other"], task=fresh)
    assert Task.objects.get(pk=task.pk).assignee == crew["other"]


def test_a_done_task_is_confirmed_and_rated_once(world, crew):
    task = bring_to(new_task(world), Status.DONE, crew)
    resident = world.user("resident")
    services.task_confirm(actor=resident, task=task, rating=5, comment="谢谢")
    fresh = Task.objects.get(pk=task.pk)
    assert (fresh.rating, fresh.rating_comment, fresh.confirmed_by) == (5, "谢谢", resident)
    before = snapshot(task)
    with pytest.raises(Conflict) as refused:
        services.task_confirm(actor=resident, task=task, rating=1)
    assert refused.value.status == 409 and "only once" in refused.value.message
    assert Task.objects.get(pk=task.pk).rating == 5
    assert snapshot(task) == before
    assert TaskEvent.objects.filter(task=task, action="confirm").count() == 1


@pytest.mark.parametrize("rating", [0, 6, -1])
def test_a_rating_is_1_to_5(world, crew, rating):
    task = bring_to(new_task(world), Status.DONE, crew)
    with pytest.raises(ApplicationError) as refused:
        services.task_confirm(actor=crew["staff"], task=task, rating=rating)
    assert refused.value.fields == {"rating": ["must be 1 to 5"]}
    assert Task.objects.get(pk=task.pk).rating is None


@pytest.mark.parametrize("state", [Status.OPEN, Status.IN_PROGRESS, Status.FAILED])
def test_only_a_finished_task_can_be_confirmed(world, crew, state):
    task = bring_to(new_task(world), state, crew)
    with pytest.raises(Conflict):
        services.task_confirm(actor=crew["staff"], task=task, rating=4)
    fresh = Task.objects.get(pk=task.pk)
    assert fresh.rating is None and fresh.confirmed_at is None


# ------------------------------------------------------------------ de-duplication (P2)


def test_a_second_request_for_a_live_need_joins_the_task(world, crew):
    later = timezone.now() + timedelta(hours=6)
    sooner = timezone.now() + timedelta(hours=2)
    first = new_task(world, priority=Priority.NORMAL, due_at=later)
    again, merged = services.task_create(
        actor=world.user("leader_a1"),
        kind=TaskKind.DELIVERY,
        title="楼栋长反映",
        source=Source.WORKER,
        resident=world.residents["wang"],
        priority=Priority.URGENT,
        due_at=sooner,
        note="邻居说老人家里没菜了",
    )
    assert merged and again.pk == first.pk
    assert Task.objects.filter(kind=TaskKind.DELIVERY).count() == 1
    fresh = Task.objects.get(pk=first.pk)
    # The merged task keeps the most urgent priority and the earliest due time.
    assert (fresh.priority, fresh.due_at) == (Priority.URGENT, sooner)
    requests = list(TaskRequest.objects.filter(task=first).order_by("id"))
    assert [r.requested_by for r in requests] == [world.user("staff"), world.user("leader_a1")]
    assert requests[1].note == "邻居说老人家里没菜了"
    assert TaskEvent.objects.filter(task=first, action="merge").count() == 1


def test_a_merge_never_lowers_priority_or_delays_the_due_time(world, crew):
    sooner = timezone.now() + timedelta(hours=1)
    first = new_task(world, priority=Priority.URGENT, due_at=sooner)
    services.task_create(
        actor=None,
        kind=TaskKind.DELIVERY,
        title="again",
        resident=world.residents["wang"],
        priority=Priority.LOW,
        due_at=sooner + timedelta(days=1),
    )
    fresh = Task.objects.get(pk=first.pk)
    assert (fresh.priority, fresh.due_at) == (Priority.URGENT, sooner)


def test_a_request_joins_a_task_already_in_progress(world, crew):
    task = bring_to(new_task(world), Status.IN_PROGRESS, crew)
    again, merged = services.task_create(
        actor=None, kind=TaskKind.DELIVERY, title="again", resident=world.residents["wang"]
    )
    assert merged and again.pk == task.pk
    assert Task.objects.get(pk=task.pk).status == Status.IN_PROGRESS


@pytest.mark.parametrize("state", [Status.DONE, Status.FAILED, Status.CANCELLED])
def test_after_a_task_ends_the_same_need_is_a_new_task(world, crew, state):
    old = bring_to(new_task(world), state, crew)
    fresh, merged = services.task_create(
        actor=None, kind=TaskKind.DELIVERY, title="又要送菜", resident=world.residents["wang"]
    )
    assert not merged and fresh.pk != old.pk
    assert TaskRequest.objects.filter(task=old).count() == 1


def test_other_kinds_and_other_people_are_other_tasks(world, crew):
    delivery = new_task(world)
    visit = new_task(world, kind=TaskKind.CHECK_VISIT)
    neighbour = new_task(world, resident="zhang")
    assert len({delivery.pk, visit.pk, neighbour.pk}) == 3
    # A household and a person in it are different targets: a dispatcher merges by hand.
    flat, merged = services.task_create(
        actor=None,
        kind=TaskKind.DELIVERY,
        title="整户配送",
        household=world.residents["wang"].household,
    )
    assert not merged and flat.target_key == f"household:{flat.household_id}"


def test_targets_fill_in_their_place_and_grid(world, crew):
    task = new_task(world)
    assert task.target_key == f"resident:{world.residents['wang'].pk}"
    assert (task.household, task.building, task.grid) == (
        world.residents["wang"].household,
        world.building_a2,
        world.grid_a,
    )
    assert (task.x, task.y) == (world.building_a2.x, world.building_a2.y)
    place = PublicPlace.objects.create(
        community=world.community, grid=world.grid_b, kind="bin_station", name="垃圾站", x=9, y=8
    )
    round_, _merged = services.task_create(
        actor=None, kind=TaskKind.DISINFECTION, title="消杀", place=place, source=Source.PLAN
    )
    assert (round_.target_key, round_.grid, round_.x) == (f"place:{place.pk}", world.grid_b, 9)
    stairs, _merged = services.task_create(
        actor=None, kind=TaskKind.DISINFECTION, title="楼道消杀", building=world.building_b1
    )
    assert stairs.target_key == f"building:{world.building_b1.pk}"


def test_bad_input_names_each_field_and_saves_nothing(world, crew):
    with pytest.raises(ApplicationError) as refused:
        services.task_create(actor=None, kind="picnic", title=" ", priority=9)
    assert set(refused.value.fields) == {"kind", "title", "priority"}
    with pytest.raises(ApplicationError) as refused:
        services.task_create(actor=None, kind=TaskKind.DELIVERY, title="送菜")
    assert set(refused.value.fields) == {"target"}
    assert not Task.objects.exists() and not TaskRequest.objects.exists()


# ------------------------------------------------------------------ merging by hand


def test_a_dispatcher_merges_a_duplicate_by_hand(world, crew):
    person = new_task(world)
    flat, _merged = services.task_create(
        actor=world.user("grid_a"),
        kind=TaskKind.DELIVERY,
        title="整户配送",
        household=world.residents["wang"].household,
        note="同一位老人",
    )
    into = services.task_merge(actor=crew["staff"], task=flat, into=person)
    assert into.pk == person.pk
    flat.refresh_from_db()
    assert flat.status == Status.CANCELLED
    assert not TaskRequest.objects.filter(task=flat).exists()
    notes = list(TaskRequest.objects.filter(task=person).values_list("note", flat=True))
    assert notes == ["送菜上门", "同一位老人"]
    cancel = TaskEvent.objects.get(task=flat, action="cancel")
    assert cancel.note == f"merged into #{person.pk}"
    assert TaskEvent.objects.get(task=person, action="merge").note == f"#{flat.pk}"


def test_a_merge_into_an_ended_task_or_itself_is_refused(world, crew):
    done = bring_to(new_task(world), Status.DONE, crew)
    duplicate = new_task(world, resident="zhang")
    with pytest.raises(Conflict):
        services.task_merge(actor=crew["staff"], task=duplicate, into=done)
    with pytest.raises(ApplicationError):
        services.task_merge(actor=crew["staff"], task=duplicate, into=duplicate)
    assert Task.objects.get(pk=duplicate.pk).status == Status.OPEN
    assert TaskRequest.objects.filter(task=duplicate).count() == 1


def test_a_merge_across_communities_is_refused(world, crew):
    elsewhere = Community.objects.create(name="别的社区", code="elsewhere")
    grid = Grid.objects.create(community=elsewhere, number=1, name="一")
    building = Building.objects.create(community=elsewhere, grid=grid, number="1")
    theirs, _merged = services.task_create(
        actor=None, kind=TaskKind.DISINFECTION, title="消杀", building=building
    )
    ours = new_task(world)
    with pytest.raises(ApplicationError) as refused:
        services.task_merge(actor=crew["staff"], task=theirs, into=ours)
    assert "same community" in refused.value.message
    assert Task.objects.get(pk=theirs.pk).status == Status.OPEN


# ------------------------------------------------------------------ escalation


def test_overdue_live_tasks_escalate_once(world, crew):
    now = timezone.now()
    late = new_task(world, due_at=now - timedelta(hours=2))
    late_in_progress = bring_to(
        new_task(world, resident="zhang", due_at=now - timedelta(minutes=5)),
        Status.IN_PROGRESS,
        crew,
    )
    on_time = new_task(world, resident="chen", due_at=now + timedelta(hours=2))
    finished = bring_to(
        new_task(world, kind=TaskKind.CHECK_VISIT, due_at=now - timedelta(hours=3)),
        Status.DONE,
        crew,
    )

    assert services.tasks_escalate_overdue(now=now) == 2
    assert services.tasks_escalate_overdue(now=now + timedelta(minutes=10)) == 0

    escalated = set(Task.objects.filter(escalated_at__isnull=False).values_list("pk", flat=True))
    assert escalated == {late.pk, late_in_progress.pk}
    for task in (late, late_in_progress):
        event = TaskEvent.objects.get(task=task, action="escalate")
        fresh = Task.objects.get(pk=task.pk)
        assert event.from_status == event.to_status == fresh.status  # flagged, not moved
    assert not TaskEvent.objects.filter(task__in=[on_time, finished], action="escalate")
    audit = AuditEvent.objects.get(action="task.escalate")
    assert sorted(audit.detail["tasks"]) == sorted([late.pk, late_in_progress.pk])
    assert audit.community_id == world.community.pk
