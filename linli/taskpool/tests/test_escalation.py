from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone

from linli.core.models import AuditEvent
from linli.taskpool.choices import TaskKind
from linli.taskpool.services import task_create


def test_overdue_tasks_are_escalated_once(world, capsys):
    late, _ = task_create(
        actor=None,
        kind=TaskKind.CHECK_VISIT,
        title="late",
        resident=world.residents["wang"],
        due_at=timezone.now() - timedelta(hours=1),
    )
    task_create(
        actor=None,
        kind=TaskKind.CHECK_VISIT,
        title="not yet",
        resident=world.residents["chen"],
        due_at=timezone.now() + timedelta(hours=1),
    )
    call_command("escalate_overdue")
    call_command("escalate_overdue")
    assert "escalated 1 overdue" in capsys.readouterr().out
    late.refresh_from_db()
    assert late.escalated_at is not None
    assert late.events.filter(action="escalate").count() == 1
    assert AuditEvent.objects.filter(action="task.escalate").count() == 1


def test_the_grid_worker_of_an_overdue_task_is_told_once(world):
    from linli.notices.models import Notification

    late, _ = task_create(
        actor=None,
        kind=TaskKind.CHECK_VISIT,
        title="看望王秀英",
        resident=world.residents["wang"],
        due_at=timezone.now() - timedelta(hours=1),
    )
    call_command("escalate_overdue")
    call_command("escalate_overdue")
    told = Notification.objects.filter(title__contains=f"#{late.pk}")
    assert list(told.values_list("user__username", flat=True)) == ["grid_a"]
