"""Every write to the task pool. One transition function moves a task between states with a
conditional UPDATE, so two workers tapping "claim" at once cannot both win (on SQLite and
PostgreSQL alike): the database decides, and the loser is told the task is already taken."""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.core.errors import ApplicationError, Conflict, PermissionDenied
from linli.core.services import audit_record
from linli.core.services import user_or_none as _user
from linli.taskpool.choices import (
    ACTION_LABELS,
    KIND_MINUTES,
    KIND_SKILL,
    LIVE,
    TARGET_STATUS,
    TRANSITIONS,
    Priority,
    Source,
    Status,
    TaskKind,
)
from linli.taskpool.models import Task, TaskEvent, TaskRequest
from linli.workforce.choices import WorkerStatus
from linli.workforce.models import HoursEntry, Worker

# ------------------------------------------------------------------------- creating


def task_target(*, resident=None, household=None, building=None, place=None) -> dict:
    """Fill the target's levels from the most specific one given, and name it."""
    if resident is not None:
        household = resident.household
    if household is not None:
        building = household.building
    if resident is not None:
        key = f"resident:{resident.pk}"
    elif household is not None:
        key = f"household:{household.pk}"
    elif building is not None:
        key = f"building:{building.pk}"
    elif place is not None:
        key = f"place:{place.pk}"
    else:
        raise ApplicationError(
            _("Please correct the marked fields."),
            fields={"target": [_("is required: a resident, household, building or place")]},
        )
    located = building or place
    grid = getattr(located, "grid", None)
    return {
        "resident": resident,
        "household": household,
        "building": building,
        "place": place,
        "grid": grid,
        "community_id": located.community_id,
        "target_key": key,
        "x": located.x,
        "y": located.y,
    }


def _validate(*, kind, priority, title, due_at):
    errors = {}
    if kind not in TaskKind.values:
        errors["kind"] = [_("must be one of the task kinds")]
    if priority not in Priority.values:
        errors["priority"] = [_("must be 1 (urgent) to 4 (low)")]
    if not (title or "").strip():
        errors["title"] = [_("is required")]
    elif len(title) > 120:
        errors["title"] = [_("must be at most %(n)d characters") % {"n": 120}]
    if due_at is not None and not isinstance(due_at, datetime):
        errors["due_at"] = [_("must be a date and time")]
    if errors:
        raise ApplicationError(_("Please correct the marked fields."), fields=errors)


@transaction.atomic
def task_create(
    *,
    actor,
    kind: str,
    title: str,
    source: str = Source.WORKER,
    description: str = "",
    resident=None,
    household=None,
    building=None,
    place=None,
    priority: int = Priority.NORMAL,
    due_at=None,
    required_skill: str | None = None,
    estimated_minutes: int | None = None,
    note: str = "",
) -> tuple[Task, bool]:
    """Create the task for a need, or join the live task already open for the same need and
    target (problem P2). Returns (task, merged)."""
    _validate(kind=kind, priority=priority, title=title, due_at=due_at)
    target = task_target(resident=resident, household=household, building=building, place=place)
    request_note = (note or description or title)[:500]
    for _attempt in range(3):
        live = (
            Task.objects.select_for_update()
            .filter(
                community_id=target["community_id"],
                kind=kind,
                target_key=target["target_key"],
                status__in=LIVE,
            )
            .first()
        )
        if live is not None:
            _merge_request(
                live,
                actor=actor,
                source=source,
                note=request_note,
                priority=priority,
                due_at=due_at,
            )
            return live, True
        try:
            with transaction.atomic():
                task = Task.objects.create(
                    kind=kind,
                    title=title.strip(),
                    description=description,
                    source=source,
                    priority=priority,
                    due_at=due_at,
                    required_skill=required_skill
                    if required_skill is not None
                    else KIND_SKILL.get(kind, ""),
                    estimated_minutes=estimated_minutes or KIND_MINUTES.get(kind, 30),
                    created_by=actor if getattr(actor, "is_authenticated", False) else None,
                    **target,
                )
        except IntegrityError:
            continue  # someone created the same live task a moment ago: join it instead
        TaskRequest.objects.create(
            task=task, source=source, requested_by=_user(actor), note=request_note
        )
        _event(task, "create", "", Status.OPEN, actor=actor)
        return task, False
    raise Conflict(_("The task changed while saving; please try again."))


def _merge_request(task: Task, *, actor, source, note, priority, due_at) -> None:
    TaskRequest.objects.create(task=task, source=source, requested_by=_user(actor), note=note)
    # The merged task keeps the most urgent priority and the earliest due time of its requests.
    changes = {}
    if priority < task.priority:
        changes["priority"] = priority
    if due_at is not None and (task.due_at is None or due_at < task.due_at):
        changes["due_at"] = due_at
    if changes:
        Task.objects.filter(pk=task.pk).update(**changes)
        for name, value in changes.items():
            setattr(task, name, value)
    _event(task, "merge", task.status, task.status, actor=actor, note=note[:200])


@transaction.atomic
def task_merge(*, actor, task: Task, into: Task) -> Task:
    """A dispatcher merges a duplicate by hand: its requests join `into`, it is cancelled."""
    if task.pk == into.pk or task.community_id != into.community_id:
        raise ApplicationError(
            _("A task can only be merged into another task of the same community.")
        )
    if into.status not in LIVE:
        raise Conflict(_("Task #%(id)d has ended; merge into a live task.") % {"id": into.pk})
    TaskRequest.objects.filter(task=task).update(task=into)
    _transition(task, "cancel", actor=actor, note=_("merged into #%(id)d") % {"id": into.pk})
    _event(into, "merge", into.status, into.status, actor=actor, note=f"#{task.pk}")
    return into


# ------------------------------------------------------------------------- moving


def _event(task, action, from_status, to_status, *, actor=None, worker=None, note=""):
    TaskEvent.objects.create(
        task=task,
        action=action,
        from_status=from_status,
        to_status=to_status,
        actor=_user(actor),
        worker=worker,
        note=note[:500],
    )


def _refusal(task: Task, action: str) -> Conflict:
    current = Task.objects.filter(pk=task.pk).values_list("status", flat=True).first()
    # "Already taken" only when somebody owns it; a task that ended says so (issue 3: claiming
    # a cancelled task is refused with a message that says why).
    if action == "claim" and current in LIVE:
        return Conflict(_("Already taken: somebody else has this task."), code="already_taken")
    label = Status(current).label if current else "?"
    return Conflict(
        _("Cannot %(action)s a task that is %(status)s.")
        % {"action": ACTION_LABELS[action], "status": label},
        code="bad_transition",
    )


def _transition(task: Task, action: str, *, actor, worker=None, owner_only=None, note="", **fields):
    """Move `task` by `action` if, and only if, it is still in a state that allows it (and,
    for the owner's own steps, still owned by `owner_only`). One UPDATE decides."""
    allowed = TRANSITIONS[action]
    to_status = TARGET_STATUS[action]
    now = timezone.now()
    updates = {"status": to_status, "updated_at": now, **fields}
    if worker is not None:
        updates["assignee"] = worker
    if to_status == Status.OPEN:
        updates["assignee"] = None
    match = Task.objects.filter(pk=task.pk, status__in=allowed)
    if owner_only is not None:
        match = match.filter(assignee=owner_only)
    before = task.status
    if match.update(**updates) != 1:
        raise _refusal(task, action)
    for name, value in updates.items():
        setattr(task, name, value)
    _event(task, action, before, to_status, actor=actor, worker=worker or owner_only, note=note)
    return task


def _require_worker(worker: Worker | None, task: Task) -> Worker:
    if worker is None:
        raise PermissionDenied(_("Only people on the community's roster take tasks."))
    if worker.status != WorkerStatus.APPROVED:
        raise PermissionDenied(
            _("You can take tasks once community staff have screened and approved you."),
            code="not_screened",
        )
    if worker.community_id != task.community_id:
        raise PermissionDenied(_("This task belongs to another community."))
    if task.required_skill and task.required_skill not in worker.skills:
        from linli.workforce.choices import Skill

        raise PermissionDenied(
            _("This task needs someone with this skill: %(skill)s.")
            % {
                "skill": Skill(task.required_skill).label
                if task.required_skill in Skill.values
                else task.required_skill
            },
            code="skill_missing",
        )
    return worker


def _check_cap(worker: Worker, task: Task) -> None:
    """Worker care (S13): a worker cannot take on work beyond their weekly hour cap. Planners
    may still assign by hand, knowing; the care page flags anyone over."""
    from linli.workforce.selectors import minutes_this_week

    done = minutes_this_week([worker]).get(worker.pk, 0)
    owned = sum(
        Task.objects.filter(assignee=worker, status__in=LIVE).values_list(
            "estimated_minutes", flat=True
        )
    )
    if done + owned + task.estimated_minutes > worker.weekly_hour_cap * 60:
        raise PermissionDenied(
            _(
                "This would take you over your weekly limit of %(h)d hours. "
                "Rest: ask staff if it is urgent."
            )
            % {"h": worker.weekly_hour_cap},
            code="over_cap",
        )


@transaction.atomic
def task_claim(*, actor, worker: Worker | None, task: Task) -> Task:
    _require_worker(worker, task)
    _check_cap(worker, task)
    return _transition(task, "claim", actor=actor, worker=worker)


@transaction.atomic
def task_assign(*, actor, task: Task, worker: Worker, note: str = "") -> Task:
    _require_worker(worker, task)
    return _transition(task, "assign", actor=actor, worker=worker, note=note)


@transaction.atomic
def task_accept(*, actor, worker, task: Task) -> Task:
    return _transition(task, "accept", actor=actor, owner_only=_owner(worker, task))


@transaction.atomic
def task_decline(*, actor, worker, task: Task, reason: str = "") -> Task:
    return _transition(task, "decline", actor=actor, owner_only=_owner(worker, task), note=reason)


@transaction.atomic
def task_start(*, actor, worker, task: Task) -> Task:
    return _transition(
        task, "start", actor=actor, owner_only=_owner(worker, task), started_at=timezone.now()
    )


@transaction.atomic
def task_complete(*, actor, worker, task: Task, note: str = "", photo=None) -> Task:
    owner = _owner(worker, task)
    if len(note) > 500:
        raise ApplicationError(
            _("Please correct the marked fields."),
            fields={"note": [_("must be at most %(n)d characters") % {"n": 500}]},
        )
    now = timezone.now()
    fields = {"done_at": now, "result_note": note}
    if task.started_at is None:
        fields["started_at"] = now
    _transition(task, "complete", actor=actor, owner_only=owner, note=note, **fields)
    if photo is not None:
        task.photo = photo
        task.save(update_fields=["photo"])
    _log_hours(task, owner, now)
    if task.kind == TaskKind.DELIVERY:
        # A door-delivery route done means its households' orders were delivered.
        from linli.delivery.services import route_task_completed

        route_task_completed(task=task)
    return task


def _log_hours(task: Task, worker: Worker, now) -> None:
    # The time actually spent, when the worker pressed start; else the estimate.
    minutes = task.estimated_minutes
    if task.started_at and task.started_at < now:
        spent = int((now - task.started_at).total_seconds() // 60)
        minutes = max(5, min(spent, 8 * 60))
    HoursEntry.objects.create(
        worker=worker, day=timezone.localdate(now), minutes=minutes, task=task
    )


@transaction.atomic
def task_fail(*, actor, worker, task: Task, reason: str) -> Task:
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(
            _("Please say why the task failed."), fields={"reason": [_("is required")]}
        )
    return _transition(
        task,
        "fail",
        actor=actor,
        owner_only=_owner(worker, task),
        note=reason,
        failure_reason=reason[:300],
        done_at=timezone.now(),
    )


@transaction.atomic
def task_cancel(*, actor, task: Task, reason: str = "") -> Task:
    return _transition(task, "cancel", actor=actor, note=reason)


@transaction.atomic
def task_reopen(*, actor, task: Task, note: str = "") -> Task:
    return _transition(task, "reopen", actor=actor, note=note, failure_reason="", done_at=None)


@transaction.atomic
def task_confirm(*, actor, task: Task, rating: int, comment: str = "") -> Task:
    """The resident (or a worker for them) confirms a finished task and rates it 1-5."""
    if rating not in range(1, 6):
        raise ApplicationError(
            _("Please correct the marked fields."), fields={"rating": [_("must be 1 to 5")]}
        )
    updated = Task.objects.filter(pk=task.pk, status=Status.DONE, confirmed_at__isnull=True).update(
        rating=rating,
        rating_comment=comment[:300],
        confirmed_by=_user(actor),
        confirmed_at=timezone.now(),
    )
    if not updated:
        raise Conflict(
            _("Only a finished task can be confirmed, and only once."), code="bad_transition"
        )
    task.refresh_from_db()
    _event(
        task, "confirm", Status.DONE, Status.DONE, actor=actor, note=f"{rating}/5 {comment}"[:500]
    )
    return task


def _owner(worker: Worker | None, task: Task) -> Worker:
    if worker is None or task.assignee_id != worker.pk:
        raise PermissionDenied(
            _("Only the worker who owns this task can do that."), code="not_owner"
        )
    return worker


@transaction.atomic
def tasks_escalate_overdue(*, now=None) -> int:
    """Flag live tasks past their due time for the grid's staff, once each."""
    now = now or timezone.now()
    candidates = Task.objects.overdue(now).filter(escalated_at__isnull=True)
    overdue = []
    for pk, status, community_id in candidates.values_list("pk", "status", "community_id"):
        # Re-checked per row: two copies of the command running at once escalate a task once.
        if Task.objects.filter(pk=pk, escalated_at__isnull=True).update(escalated_at=now):
            overdue.append((pk, status, community_id))
    TaskEvent.objects.bulk_create(
        [
            TaskEvent(task_id=pk, action="escalate", from_status=s, to_status=s)
            for pk, s, _c in overdue
        ]
    )
    _tell_grid_staff([pk for pk, _s, _c in overdue])
    for community_id in {c for _p, _s, c in overdue}:
        audit_record(
            actor=None,
            action="task.escalate",
            community_id=community_id,
            detail={"tasks": [pk for pk, _s, c in overdue if c == community_id]},
        )
    return len(overdue)


def _tell_grid_staff(task_ids: list[int]) -> None:
    """Each escalated task reaches the grid workers of its grid in the app (the community's
    staff where the task has no grid), so an overdue need is somebody's to chase."""
    from linli.accounts.choices import Role
    from linli.accounts.models import RoleGrant
    from linli.notices.choices import Channel
    from linli.notices.services import notify

    for task in Task.objects.filter(pk__in=task_ids).select_related("assignee"):
        if task.grid_id:
            grants = RoleGrant.objects.filter(role=Role.GRID_WORKER, grid_id=task.grid_id)
        else:
            grants = RoleGrant.objects.filter(
                role=Role.STAFF, community_id=task.community_id, grid__isnull=True
            )
        owner = task.assignee.name if task.assignee_id else _("nobody yet")
        for grant in grants.select_related("user"):
            notify(
                channel=Channel.IN_APP,
                user=grant.user,
                title=_("Overdue: task #%(id)d") % {"id": task.pk},
                body=_("%(title)s is past its due time (owner: %(owner)s).")
                % {"title": task.title, "owner": owner},
            )
