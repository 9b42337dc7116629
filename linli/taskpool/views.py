"""Task pool pages: the pool, one task, creating a task, the worker's phone page, and a
resident's own request. Each view: parse, check access, one service or selector, render."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from linli.accounts.access import user_scope
from linli.accounts.choices import Role
from linli.core.errors import ApplicationError, PermissionDenied
from linli.places.models import Building, PublicPlace
from linli.residents.access import access_resident_by_id
from linli.taskpool import access, selectors, services
from linli.taskpool.choices import LIVE, Priority, Source, Status, TaskKind
from linli.taskpool.forms import (
    AssignForm,
    CompleteForm,
    ConfirmForm,
    FailForm,
    MergeForm,
    ReasonForm,
    ResidentRequestForm,
    TaskForm,
)
from linli.taskpool.models import Task
from linli.workforce.models import Worker
from linli.workforce.selectors import active_worker_for, worker_for


def _int(value):
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


@login_required
def task_list_view(request):
    worker = worker_for(request.user)
    if not access.can_view_pool(request.user):
        if worker is not None:
            return redirect("taskpool:mine")
        raise Http404
    filters = {
        "status": request.GET.get("status") or "live",
        "kind": request.GET.get("kind") or None,
        "grid": _int(request.GET.get("grid")),
        "priority": _int(request.GET.get("priority")),
        "overdue": request.GET.get("overdue") == "1",
        "q": request.GET.get("q", "").strip()[:40],
    }
    if filters["status"] not in [*Status.values, "live", "all"]:
        filters["status"] = "live"
    status = None if filters["status"] == "all" else filters["status"]
    qs = selectors.task_list(user=request.user, **{**filters, "status": status})
    page = Paginator(qs, settings.LINLI_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    from linli.residents.selectors import grids_visible

    return render(
        request,
        "taskpool/list.html",
        {
            "page": page,
            "rows": [(t, selectors.target_label(t, details=True)) for t in page.object_list],
            "filters": filters,
            "query": query.urlencode(),
            "statuses": Status,
            "kinds": TaskKind,
            "priorities": Priority,
            "grids": grids_visible(request.user),
            "can_manage": access.can_manage(request.user),
        },
    )


def _planner_buildings(user):
    return Building.objects.filter(access.task_scope_q_for_places(user))


@login_required
def task_new(request):
    access.require_manage(request.user)
    resident = None
    if rid := _int(request.GET.get("resident") or request.POST.get("resident")):
        resident = access_resident_by_id(request.user, rid)
    places = PublicPlace.objects.filter(community__in=access.manage_communities(request.user))
    form = TaskForm(request.POST or None, places=places)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            target = _form_target(request.user, data, resident, places)
            task, merged = services.task_create(
                actor=request.user,
                kind=data["kind"],
                title=data["title"],
                description=data["description"],
                source=Source.WORKER,
                priority=data["priority"],
                due_at=data["due_at"],
                required_skill=data["required_skill"] or None,
                estimated_minutes=data["estimated_minutes"],
                **target,
            )
        except ApplicationError as exc:
            for name, errors in (exc.fields or {"__all__": [exc.message]}).items():
                for error in errors:
                    form.add_error(name if name in form.fields else None, error)
        else:
            if merged:
                messages.info(
                    request,
                    _(
                        "This need already had a live task, #%(id)d: your request joined it, so "
                        "nobody gets two visits."
                    )
                    % {"id": task.pk},
                )
            else:
                messages.success(request, _("Task #%(id)d created.") % {"id": task.pk})
            return redirect("taskpool:detail", pk=task.pk)
    return render(request, "taskpool/form.html", {"form": form, "resident": resident})


def _form_target(user, data, resident, places) -> dict:
    if resident is not None:
        access.require_manage_of(user, resident.household.building)
        return {"resident": resident}
    if data.get("place"):
        return {"place": places.get(pk=data["place"])}
    number = (data.get("building") or "").strip()
    if not number:
        raise ApplicationError(
            _("Please correct the marked fields."),
            fields={"building": [_("give a building, or choose a public place")]},
        )
    building = _planner_buildings(user).filter(number=number).first()
    if building is None:
        raise ApplicationError(
            _("Please correct the marked fields."),
            fields={"building": [_("No such building in your area.")]},
        )
    room = (data.get("room") or "").strip()
    if not room:
        return {"building": building}
    from linli.places.models import Household

    entrance, _sep, number = room.rpartition("-")
    household = Household.objects.filter(
        building=building, room=number, **({"entrance__number": entrance} if entrance else {})
    ).first()
    if household is None:
        raise ApplicationError(
            _("Please correct the marked fields."),
            fields={"room": [_("No such room in this building.")]},
        )
    return {"household": household}


@login_required
def task_detail(request, pk):
    task = access.access_task_by_id(request.user, pk)
    worker = worker_for(request.user)
    details = access.sees_details(request.user, task)
    manage = access.can_manage_task(request.user, task)
    assignable = []
    if manage and task.status in (Status.OPEN, Status.ASSIGNED):
        assignable = Worker.objects.filter(
            community_id=task.community_id, status="approved"
        ).order_by("force", "name")
        if task.required_skill:
            assignable = [w for w in assignable if task.required_skill in (w.skills or [])]
    return render(
        request,
        "taskpool/detail.html",
        {
            "task": task,
            "target": selectors.target_label(task, details=details),
            "details": details,
            "requests": task.requests.select_related("requested_by") if details else [],
            "events": task.events.select_related("actor", "worker"),
            "is_owner": worker is not None and task.assignee_id == worker.pk,
            "can_claim": task.status == Status.OPEN and active_worker_for(request.user) is not None,
            "can_manage": manage,
            "can_confirm": task.status == Status.DONE
            and task.confirmed_at is None
            and access.can_confirm(request.user, task),
            "assignable": assignable,
            "complete_form": CompleteForm(),
            "fail_form": FailForm(),
            "confirm_form": ConfirmForm(),
            "live": task.status in LIVE,
            "route": _route_of(task) if details else None,
        },
    )


def _route_of(task):
    """The door-delivery route this task walks, if it is one (its sheet lists the stops)."""
    from linli.delivery.models import Route

    return Route.objects.filter(task=task).first() if task.kind == TaskKind.DELIVERY else None


ACTIONS = {
    "claim",
    "accept",
    "decline",
    "start",
    "complete",
    "fail",
    "cancel",
    "reopen",
    "assign",
    "merge",
    "confirm",
}


@login_required
@require_POST
def task_action(request, pk, action):
    if action not in ACTIONS:
        raise Http404
    worker = worker_for(request.user)
    if action == "claim" and worker is not None:
        # Any task of the worker's own community: a task that was open a moment ago and is now
        # someone else's answers "already taken", not "not found".
        task = Task.objects.filter(pk=pk, community_id=worker.community_id).first()
        if task is None:
            raise Http404
    else:
        manage = action in {"assign", "cancel", "reopen", "merge"}
        task = access.access_task_by_id(request.user, pk, action="manage" if manage else "view")
    try:
        _do(request, task, action, worker)
    except ApplicationError as exc:
        # Back to where the tap came from, saying why ("already taken"): on a phone a
        # bare error page is a dead end.
        messages.error(request, exc.message)
        for errors in exc.fields.values():
            for error in errors:
                messages.error(request, error)
    else:
        messages.success(request, DONE_MESSAGES[action] % {"id": task.pk})
    target = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
        target = ""
    if not target and not Task.objects.restrict(request.user).filter(pk=task.pk).exists():
        target = "taskpool:mine"  # the task is someone else's now: back to my list
    return redirect(target or "taskpool:detail", **({} if target else {"pk": task.pk}))


def _do(request, task, action, worker):
    user = request.user
    if action == "claim":
        services.task_claim(actor=user, worker=worker, task=task)
    elif action in {"accept", "start"}:
        getattr(services, f"task_{action}")(actor=user, worker=worker, task=task)
    elif action == "decline":
        form = ReasonForm(request.POST)
        form.is_valid()
        services.task_decline(
            actor=user, worker=worker, task=task, reason=form.cleaned_data.get("reason", "")
        )
    elif action == "complete":
        form = CompleteForm(request.POST, request.FILES)
        if not form.is_valid():
            raise ApplicationError(_("Please correct the marked fields."), fields=form.errors)
        services.task_complete(
            actor=user,
            worker=worker,
            task=task,
            note=form.cleaned_data["note"],
            photo=form.cleaned_data["photo"],
        )
    elif action == "fail":
        form = FailForm(request.POST)
        if not form.is_valid():
            raise ApplicationError(_("Please say why the task failed."), fields=form.errors)
        services.task_fail(actor=user, worker=worker, task=task, reason=form.cleaned_data["reason"])
    elif action == "cancel":
        form = ReasonForm(request.POST)
        form.is_valid()
        services.task_cancel(actor=user, task=task, reason=form.cleaned_data.get("reason", ""))
    elif action == "reopen":
        services.task_reopen(actor=user, task=task)
    elif action == "assign":
        form = AssignForm(request.POST)
        if not form.is_valid():
            raise ApplicationError(_("Choose a worker."), fields=form.errors)
        chosen = Worker.objects.filter(
            pk=form.cleaned_data["worker"], community_id=task.community_id
        ).first()
        if chosen is None:
            raise ApplicationError(
                _("Choose a worker."), fields={"worker": [_("is not on this community's roster")]}
            )
        services.task_assign(actor=user, task=task, worker=chosen)
    elif action == "merge":
        form = MergeForm(request.POST)
        if not form.is_valid():
            raise ApplicationError(
                _("Give the number of the task to merge into."), fields=form.errors
            )
        into = access.access_task_by_id(user, form.cleaned_data["into"], action="manage")
        services.task_merge(actor=user, task=task, into=into)
    elif action == "confirm":
        if not access.can_confirm(user, task):
            raise PermissionDenied(_("Only the resident or a worker of this area confirms a task."))
        form = ConfirmForm(request.POST)
        if not form.is_valid():
            raise ApplicationError(_("Choose a rating."), fields=form.errors)
        services.task_confirm(actor=user, task=task, **form.cleaned_data)


DONE_MESSAGES = {
    "claim": _("Task #%(id)d is yours."),
    "accept": _("You accepted task #%(id)d."),
    "decline": _("Task #%(id)d went back to the pool."),
    "start": _("Task #%(id)d started."),
    "complete": _("Task #%(id)d done. Thank you!"),
    "fail": _("Task #%(id)d reported as not done."),
    "cancel": _("Task #%(id)d cancelled."),
    "reopen": _("Task #%(id)d is open again."),
    "assign": _("Task #%(id)d assigned."),
    "merge": _("Task #%(id)d merged."),
    "confirm": _("Thank you: task #%(id)d confirmed."),
}


@login_required
def my_tasks(request):
    """The worker's phone page: my tasks today in walking order, open tasks near me."""
    worker = worker_for(request.user)
    if worker is None:
        raise Http404
    return render(
        request,
        "taskpool/mine.html",
        {
            "worker": worker,
            "mine": [
                (t, selectors.target_label(t, details=True)) for t in selectors.my_tasks(worker)
            ],
            "nearby": [
                (t, selectors.target_label(t, details=False))
                for t in (selectors.open_tasks_near(worker) if worker.can_take_tasks else [])
            ],
        },
    )


@login_required
def resident_request(request):
    """A resident asks for help for their own household (or a worker types it for them from
    the household page)."""
    scope = user_scope(request.user, {Role.RESIDENT})
    if not scope.households:
        raise Http404
    household = request.user.resident.household
    form = ResidentRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        kind = form.cleaned_data["kind"]
        task, merged = services.task_create(
            actor=request.user,
            kind=kind,
            title=TaskKind(kind).label,
            description=form.cleaned_data["note"],
            source=Source.RESIDENT,
            household=household,
            note=form.cleaned_data["note"],
        )
        messages.success(
            request,
            _("Your request was added to task #%(id)d, which is already being handled.")
            % {"id": task.pk}
            if merged
            else _("Your request #%(id)d was received. A worker will contact you.")
            % {"id": task.pk},
        )
        return redirect("taskpool:detail", pk=task.pk)
    return render(request, "taskpool/request.html", {"form": form, "household": household})


@login_required
def task_photo(request, pk):
    """A completion photo, only to those who may see the task's details: it shows a door."""
    from django.http import FileResponse

    task = access.access_task_by_id(request.user, pk)
    if not task.photo or not access.sees_details(request.user, task):
        raise Http404
    response = FileResponse(task.photo.open("rb"))
    response["Cache-Control"] = "private, max-age=3600"
    return response
