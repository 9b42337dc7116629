"""/api/v1/tasks: the task pool, scoped like the pages. A refused transition answers 409
(the task is not in a state that allows it: "already taken") or 403 (not yours, not
screened, missing skill) with the one error shape; nothing changes."""

from datetime import datetime

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja import Status as HttpStatus

from linli.core.api import ErrorOut
from linli.core.errors import ApplicationError, PermissionDenied
from linli.places.models import Building, PublicPlace
from linli.residents.access import access_household_by_id, access_resident_by_id
from linli.taskpool import access, selectors, services
from linli.taskpool.choices import Priority, Source, Status, TaskKind
from linli.taskpool.models import Task
from linli.workforce.models import Worker
from linli.workforce.selectors import worker_for

router = Router(tags=["tasks"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class TaskOut(Schema):
    id: int
    kind: str
    title: str
    status: str
    priority: int
    due_at: datetime | None
    overdue: bool
    source: str
    target: str
    grid_id: int | None
    building_id: int | None
    household_id: int | None
    resident_id: int | None
    place_id: int | None
    required_skill: str
    estimated_minutes: int
    assignee_id: int | None
    assignee: str | None
    requests: int
    created_at: datetime
    done_at: datetime | None
    result_note: str
    failure_reason: str
    rating: int | None


class TaskPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[TaskOut]


class TaskFilters(Schema):
    status: Status | None = None
    kind: TaskKind | None = None
    grid: int | None = None
    priority: Priority | None = None
    overdue: bool = False
    mine: bool = False
    page: int = Field(1, ge=1)
    page_size: int = Field(50, ge=1, le=200)


class TaskIn(Schema):
    kind: TaskKind
    title: str
    description: str = ""
    resident_id: int | None = None
    household_id: int | None = None
    building_id: int | None = None
    place_id: int | None = None
    priority: Priority = Priority.NORMAL
    due_at: datetime | None = None
    required_skill: str | None = None
    estimated_minutes: int | None = Field(None, ge=5, le=600)
    note: str = ""


class TaskCreated(Schema):
    task: TaskOut
    merged: bool


class NoteIn(Schema):
    note: str = ""


class FailIn(Schema):
    reason: str


class ReasonIn(Schema):
    reason: str = ""


class ConfirmIn(Schema):
    rating: int = Field(..., ge=1, le=5)
    comment: str = ""


class AssignIn(Schema):
    worker_id: int


def task_out(task: Task, user) -> dict:
    details = access.sees_details(user, task)
    return {
        "id": task.pk,
        "kind": task.kind,
        "title": task.title,
        "status": task.status,
        "priority": task.priority,
        "due_at": task.due_at,
        "overdue": task.overdue,
        "source": task.source,
        "target": selectors.target_label(task, details=details),
        "grid_id": task.grid_id,
        "building_id": task.building_id,
        "household_id": task.household_id if details else None,
        "resident_id": task.resident_id if details else None,
        "place_id": task.place_id,
        "required_skill": task.required_skill,
        "estimated_minutes": task.estimated_minutes,
        "assignee_id": task.assignee_id,
        "assignee": task.assignee.name if task.assignee_id else None,
        "requests": getattr(task, "request_count", None) or task.requests.count(),
        "created_at": task.created_at,
        "done_at": task.done_at,
        "result_note": task.result_note if details else "",
        "failure_reason": task.failure_reason,
        "rating": task.rating,
    }


@router.get("", response={200: TaskPage, **ERRORS}, summary="List tasks")
def list_tasks(request, filters: Query[TaskFilters]):
    user = request.user
    worker = worker_for(user)
    qs = selectors.task_list(
        user=user,
        status=filters.status,
        kind=filters.kind,
        grid=filters.grid,
        priority=filters.priority,
        overdue=filters.overdue,
    )
    if filters.mine:
        if worker is None:
            raise PermissionDenied(_("Only people on the community's roster have tasks."))
        qs = qs.filter(assignee=worker)
    start = (filters.page - 1) * filters.page_size
    return {
        "count": qs.count(),
        "page": filters.page,
        "page_size": filters.page_size,
        "items": [task_out(t, user) for t in qs[start : start + filters.page_size]],
    }


def _target(user, payload: TaskIn) -> dict:
    try:
        if payload.resident_id:
            return {"resident": access_resident_by_id(user, payload.resident_id)}
        if payload.household_id:
            return {"household": access_household_by_id(user, payload.household_id)}
    except Http404:
        raise ApplicationError(
            _("Please correct the marked fields."),
            fields={"target": [_("does not exist or is outside your area")]},
        ) from None
    if payload.building_id:
        building = Building.objects.filter(
            access.task_scope_q_for_places(user), pk=payload.building_id
        ).first()
        if building is None:
            raise ApplicationError(
                _("Please correct the marked fields."),
                fields={"building_id": [_("does not exist or is outside your area")]},
            )
        return {"building": building}
    if payload.place_id:
        place = PublicPlace.objects.filter(
            community__in=access.manage_communities(user), pk=payload.place_id
        ).first()
        if place is None:
            raise ApplicationError(
                _("Please correct the marked fields."),
                fields={"place_id": [_("does not exist or is outside your area")]},
            )
        return {"place": place}
    return {}


@router.post("", response={201: TaskCreated, 200: TaskCreated, **ERRORS}, summary="Create a task")
def create_task(request, payload: TaskIn):
    """Creates the task, or joins the live task for the same need and target (200, merged)."""
    access.require_manage(request.user)
    target = _target(request.user, payload)
    if target.get("resident") or target.get("household"):
        located = target.get("resident") or target.get("household")
        building = getattr(located, "household", located).building
        access.require_manage_of(request.user, building)
    task, merged = services.task_create(
        actor=request.user,
        kind=payload.kind,
        title=payload.title,
        description=payload.description,
        source=Source.WORKER,
        priority=int(payload.priority),
        due_at=payload.due_at,
        required_skill=payload.required_skill,
        estimated_minutes=payload.estimated_minutes,
        note=payload.note,
        **target,
    )
    return HttpStatus(
        200 if merged else 201, {"task": task_out(task, request.user), "merged": merged}
    )


@router.get("/{int:task_id}", response={200: TaskOut, **ERRORS})
def get_task(request, task_id: int):
    return task_out(access.access_task_by_id(request.user, task_id), request.user)


def _own_step(request, task_id: int, step, **kwargs):
    task = access.access_task_by_id(request.user, task_id)
    step(actor=request.user, worker=worker_for(request.user), task=task, **kwargs)
    return task_out(task, request.user)


@router.post("/{int:task_id}/claim", response={200: TaskOut, **ERRORS})
def claim(request, task_id: int):
    worker = worker_for(request.user)
    if worker is None:
        raise PermissionDenied(_("Only people on the community's roster take tasks."))
    task = Task.objects.filter(pk=task_id, community_id=worker.community_id).first()
    if task is None:
        raise Http404
    services.task_claim(actor=request.user, worker=worker, task=task)
    return task_out(task, request.user)


@router.post("/{int:task_id}/accept", response={200: TaskOut, **ERRORS})
def accept(request, task_id: int):
    return _own_step(request, task_id, services.task_accept)


@router.post("/{int:task_id}/start", response={200: TaskOut, **ERRORS})
def start(request, task_id: int):
    return _own_step(request, task_id, services.task_start)


@router.post("/{int:task_id}/complete", response={200: TaskOut, **ERRORS})
def complete(request, task_id: int, payload: NoteIn):
    return _own_step(request, task_id, services.task_complete, note=payload.note)


@router.post("/{int:task_id}/fail", response={200: TaskOut, **ERRORS})
def fail(request, task_id: int, payload: FailIn):
    return _own_step(request, task_id, services.task_fail, reason=payload.reason)


@router.post("/{int:task_id}/decline", response={200: TaskOut, **ERRORS})
def decline(request, task_id: int, payload: ReasonIn):
    return _own_step(request, task_id, services.task_decline, reason=payload.reason)


@router.post("/{int:task_id}/cancel", response={200: TaskOut, **ERRORS})
def cancel(request, task_id: int, payload: ReasonIn):
    task = access.access_task_by_id(request.user, task_id, action="manage")
    services.task_cancel(actor=request.user, task=task, reason=payload.reason)
    return task_out(task, request.user)


@router.post("/{int:task_id}/assign", response={200: TaskOut, **ERRORS})
def assign(request, task_id: int, payload: AssignIn):
    task = access.access_task_by_id(request.user, task_id, action="manage")
    worker = Worker.objects.filter(pk=payload.worker_id, community_id=task.community_id).first()
    if worker is None:
        raise ApplicationError(
            _("Please correct the marked fields."),
            fields={"worker_id": [_("is not on this community's roster")]},
        )
    services.task_assign(actor=request.user, task=task, worker=worker)
    return task_out(task, request.user)


@router.post("/{int:task_id}/confirm", response={200: TaskOut, **ERRORS})
def confirm(request, task_id: int, payload: ConfirmIn):
    task = access.access_task_by_id(request.user, task_id)
    if not access.can_confirm(request.user, task):
        raise PermissionDenied(_("Only the resident or a worker of this area confirms a task."))
    services.task_confirm(
        actor=request.user, task=task, rating=payload.rating, comment=payload.comment
    )
    return task_out(task, request.user)
