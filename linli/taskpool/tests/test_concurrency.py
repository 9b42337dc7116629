"""Claiming is safe under concurrency (issue 3, "Done when"): when 50 workers claim the same
open task at once, exactly one gets it and the others are told it is already taken; when one
need is reported from several places at once, it becomes one task with every request on it.

Real threads, each with its own database connection, started together by a barrier. Runs on
SQLite and on PostgreSQL (`DATABASE_URL=postgres://... pytest linli/taskpool/tests/
test_concurrency.py`).
"""

import threading

import pytest
from django.db import connection

from linli.accounts.models import User
from linli.core.errors import Conflict
from linli.taskpool import services
from linli.taskpool.choices import Status, TaskKind
from linli.taskpool.models import Task, TaskEvent, TaskRequest
from linli.workforce.choices import Force
from linli.workforce.models import Worker

pytestmark = pytest.mark.django_db(transaction=True)

CLAIMERS = 50
REPORTERS = 8


def run_at_once(count: int, work) -> list:
    """Run `work(i)` in `count` threads released together; each thread's result or error."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(i):
        try:
            results[i] = work(i, barrier)
        except Exception as exc:  # recorded and asserted on by the test
            results[i] = exc
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return results


def volunteers(world, count: int) -> list[int]:
    users = User.objects.bulk_create(
        [User(username=f"claimer{i:02d}", display_name=f"志愿者{i}") for i in range(count)]
    )
    workers = Worker.objects.bulk_create(
        [
            Worker(
                user=user,
                community=world.community,
                force=Force.VOLUNTEER,
                name=user.display_name,
                phone=f"1390000{i:04d}",
                home_building=world.building_a1,
            )
            for i, user in enumerate(users)
        ]
    )
    return [w.pk for w in workers]


def test_fifty_workers_claim_one_task_and_exactly_one_gets_it(world, shared_database):
    task, _merged = services.task_create(
        actor=world.user("staff"),
        kind=TaskKind.DELIVERY,
        title="送菜上门",
        resident=world.residents["wang"],
    )
    worker_ids = volunteers(world, CLAIMERS)
    shared_database()

    def claim(i, barrier):
        worker = Worker.objects.select_related("user").get(pk=worker_ids[i])
        mine = Task.objects.get(pk=task.pk)  # each thread its own copy, as a request would
        barrier.wait(timeout=60)
        try:
            services.task_claim(actor=worker.user, worker=worker, task=mine)
        except Conflict as exc:
            return exc.code, str(exc.message)
        return "won", worker.pk

    results = run_at_once(CLAIMERS, claim)

    errors = [r for r in results if isinstance(r, Exception)]
    assert errors == []
    winners = [pk for outcome, pk in results if outcome == "won"]
    refused = [message for outcome, message in results if outcome == "already_taken"]
    assert len(winners) == 1
    assert len(refused) == CLAIMERS - 1
    assert all("Already taken" in message for message in refused)
    task.refresh_from_db()
    assert task.status == Status.ACCEPTED
    assert task.assignee_id == winners[0]
    claims = TaskEvent.objects.filter(task=task, action="claim")
    assert claims.count() == 1
    assert claims.get().worker_id == winners[0]
    assert TaskEvent.objects.filter(task=task).count() == 2  # create, claim


def test_one_need_reported_at_once_from_several_places_becomes_one_task(world, shared_database):
    shared_database()
    resident = world.residents["wang"]
    staff = world.user("staff")

    def report(i, barrier):
        barrier.wait(timeout=60)
        task, merged = services.task_create(
            actor=staff,
            kind=TaskKind.MEDICINE,
            title="代购降压药",
            resident=resident,
            note=f"第{i}次来电",
        )
        return task.pk, merged

    results = run_at_once(REPORTERS, report)

    assert [r for r in results if isinstance(r, Exception)] == []
    assert len({pk for pk, _merged in results}) == 1
    assert sorted(merged for _pk, merged in results) == [False] + [True] * (REPORTERS - 1)
    task = Task.objects.get(kind=TaskKind.MEDICINE)
    assert task.status == Status.OPEN
    assert TaskRequest.objects.filter(task=task).count() == REPORTERS
    assert sorted(TaskRequest.objects.values_list("note", flat=True)) == sorted(
        f"第{i}次来电" for i in range(REPORTERS)
    )
    assert TaskEvent.objects.filter(task=task, action="create").count() == 1
    assert TaskEvent.objects.filter(task=task, action="merge").count() == REPORTERS - 1
