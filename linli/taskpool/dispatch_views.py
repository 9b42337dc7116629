"""Dispatch pages: "Assign open tasks", the proposal, and accepting it. Each view: parse,
check access, one service or selector, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from linli.core.errors import ApplicationError
from linli.taskpool import dispatch
from linli.taskpool.access import manage_communities, require_manage


def _int(value):
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


@login_required
def index(request):
    require_manage(request.user)
    communities = list(manage_communities(request.user))
    return render(
        request,
        "taskpool/dispatch_index.html",
        {
            "communities": communities,
            "open_counts": [
                (c, dispatch.open_tasks_for(request.user, c).count()) for c in communities
            ],
            "proposals": dispatch.proposals_for(request.user),
        },
    )


@login_required
@require_POST
def propose(request):
    community = dispatch.dispatch_community(request.user, _int(request.POST.get("community")))
    try:
        proposal = dispatch.proposal_create(actor=request.user, community=community)
    except ApplicationError as exc:
        if exc.code != "empty":
            raise
        messages.info(request, exc.message)
        return redirect("dispatch:index")
    return redirect("dispatch:proposal", pk=proposal.pk)


@login_required
def proposal_view(request, pk):
    proposal = dispatch.access_proposal_by_id(request.user, pk)
    return render(
        request,
        "taskpool/dispatch_proposal.html",
        {"proposal": proposal, **dispatch.proposal_detail(proposal)},
    )


@login_required
@require_POST
def accept(request, pk):
    proposal = dispatch.access_proposal_by_id(request.user, pk)
    task_ids = [t for t in (_int(v) for v in request.POST.getlist("task")) if t is not None]
    overrides = {}
    for key, value in request.POST.items():
        if key.startswith("override-") and _int(value) is not None:
            task_id = _int(key.removeprefix("override-"))
            if task_id is not None:
                overrides[task_id] = _int(value)
    outcome = dispatch.proposal_accept(
        actor=request.user, proposal=proposal, task_ids=task_ids, overrides=overrides
    )
    n = len(outcome["assigned"])
    messages.success(
        request, ngettext("%(n)d task assigned.", "%(n)d tasks assigned.", n) % {"n": n}
    )
    for skipped in outcome["skipped"]:
        messages.warning(
            request,
            _("Task #%(id)d not assigned: %(reason)s")
            % {"id": skipped["task_id"], "reason": skipped["reason"]},
        )
    return redirect("dispatch:proposal", pk=proposal.pk)
