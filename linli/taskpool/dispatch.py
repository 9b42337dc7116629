"""Dispatch (issue 3): "Assign open tasks" proposes who should do every open task of a
planner's area at once, and the planner accepts all, some, or overrides.

The computation is linli.taskpool.dispatch_engine (no Django); this module feeds it from the
database (selectors), saves its answer as a DispatchProposal (services) and carries an accepted
proposal out through services.task_assign, one task at a time, never overwriting a task that
changed in the meantime.
"""

import time

import numpy as np
from django.db import transaction
from django.db.models import Avg, Count, Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from linli.core.errors import ApplicationError, PermissionDenied
from linli.core.services import audit_record
from linli.places.models import Building
from linli.taskpool import dispatch_engine as engine
from linli.taskpool import services
from linli.taskpool.access import MANAGE, can_manage, manage_communities, require_manage
from linli.taskpool.choices import LIVE, Status
from linli.taskpool.models import DispatchProposal, ProposalItem, Task
from linli.workforce.choices import Force, Skill, WorkerStatus
from linli.workforce.models import Worker
from linli.workforce.selectors import minutes_this_week

PARAMS = engine.Params()
# Workers offered in the override list of one task: the nearest who could do it.
OVERRIDE_CHOICES = 8

# ------------------------------------------------------------------------------ selectors


def dispatch_community(user, community_id: int | None = None):
    """The community a planner dispatches in: the one asked for (if theirs), else their only
    one."""
    require_manage(user)
    communities = manage_communities(user)
    if community_id is not None:
        community = communities.filter(pk=community_id).first()
        if community is None:
            raise Http404
        return community
    found = list(communities[:2])
    if len(found) != 1:
        raise ApplicationError(
            _("Please correct the marked fields."),
            fields={"community_id": [_("is required: you plan in several communities")]},
        )
    return found[0]


def dispatch_workers(community):
    """Who may be proposed: approved workers of the community whose login is active."""
    return (
        Worker.objects.filter(
            community=community, status=WorkerStatus.APPROVED, user__is_active=True
        )
        .select_related("home_building")
        .order_by("pk")
    )


def open_tasks_for(user, community):
    """The open tasks of `community` that `user` plans (a grid worker: their grid's)."""
    return (
        Task.objects.restrict(user, "manage")
        .filter(community=community, status=Status.OPEN)
        .order_by("priority", "due_at", "pk")
    )


def _grid_centres(community) -> dict:
    rows = (
        Building.objects.filter(community=community)
        .values("grid_id")
        .annotate(x=Avg("x"), y=Avg("y"))
    )
    return {r["grid_id"]: (r["x"], r["y"]) for r in rows}


def worker_position(worker, centres, community) -> tuple[float, float]:
    """Where a worker starts from: their home building (work near home, 就近), else the centre
    of the grid they work in, else the centre of the site."""
    if worker.home_building is not None:
        return worker.home_building.x, worker.home_building.y
    if worker.grid_id in centres:
        return centres[worker.grid_id]
    return community.width / 2, community.height / 2


def worker_hours(workers) -> dict[int, tuple[int, int]]:
    """{worker id: (minutes left under the weekly cap, live tasks owned)}. Minutes left are the
    cap less the minutes worked this week and the estimates of the live tasks they own."""
    ids = [w.pk for w in workers]
    worked = minutes_this_week(ids)
    live = {
        r["assignee_id"]: (r["n"], r["m"] or 0)
        for r in Task.objects.filter(assignee_id__in=ids, status__in=LIVE)
        .values("assignee_id")
        .annotate(n=Count("pk"), m=Sum("estimated_minutes"))
    }
    out = {}
    for w in workers:
        count, minutes = live.get(w.pk, (0, 0))
        out[w.pk] = (w.weekly_hour_cap * 60 - worked.get(w.pk, 0) - minutes, count)
    return out


def engine_input(community, tasks, workers):
    """The plain data the engine needs, and each worker's starting point."""
    centres = _grid_centres(community)
    hours = worker_hours(workers)
    positions = {w.pk: worker_position(w, centres, community) for w in workers}
    task_in = [
        engine.TaskIn(
            id=t.pk,
            x=t.x,
            y=t.y,
            priority=t.priority,
            skill=t.required_skill,
            minutes=t.estimated_minutes,
        )
        for t in tasks
    ]
    worker_in = [
        engine.WorkerIn(
            id=w.pk,
            x=positions[w.pk][0],
            y=positions[w.pk][1],
            skills=frozenset(w.skills or []),
            minutes_left=max(0, hours[w.pk][0]),
            load=hours[w.pk][1],
            force=w.force,
        )
        for w in workers
    ]
    return task_in, worker_in, positions, hours


def _label(choices, value) -> str:
    return str(choices(value).label).lower() if value in choices.values else value


def explanation(reason: dict) -> str:
    """The reason for one proposal item, in the reader's language."""
    code = reason.get("code", "")
    skill = _label(Skill, reason.get("skill") or "")
    values = {
        "skill": skill,
        "force": _label(Force, reason.get("force") or "") or _("worker"),
        "m": reason.get("distance", 0),
        "minutes": reason.get("minutes", 0),
        "nearer": reason.get("nearer", 0),
    }
    if code == "nearest":
        text = (
            _("nearest available %(force)s with %(skill)s skill, %(m)d m")
            if skill
            else _("nearest available %(force)s, %(m)d m")
        )
    elif code == "only":
        text = (
            _("only worker with %(skill)s skill and hours left, %(m)d m")
            if skill
            else _("only worker with hours left, %(m)d m")
        )
    elif code == "nearer_busy":
        text = ngettext(
            "%(force)s %(m)d m away; %(nearer)d nearer worker is busier",
            "%(force)s %(m)d m away; %(nearer)d nearer workers are busier",
            values["nearer"],
        )
    elif code == "no_skill":
        text = (
            _("no approved worker has %(skill)s skill")
            if skill
            else _("no approved worker is available")
        )
    elif code == "no_hours":
        text = (
            _("no worker with %(skill)s skill has %(minutes)d minutes left this week")
            if skill
            else _("no worker has %(minutes)d minutes left this week")
        )
    elif code == "busy":
        text = _("every worker who could do it is taken by more urgent or nearer tasks")
    else:
        return reason.get("text", "")
    text = text % values
    load = reason.get("load", 0)
    if code in ("nearest", "only", "nearer_busy") and load:
        text += "; " + ngettext("%(n)d task already", "%(n)d tasks already", load) % {"n": load}
    return text


def access_proposal_by_id(user, pk) -> DispatchProposal:
    """A proposal, for its author or a planner of its whole community; else 404."""
    if not can_manage(user):
        raise Http404
    proposal = (
        DispatchProposal.objects.filter(pk=pk, community__in=manage_communities(user))
        .select_related("community", "created_by")
        .first()
    )
    if proposal is None or not _sees(user, proposal):
        raise Http404
    return proposal


def _sees(user, proposal) -> bool:
    from linli.accounts.access import user_scope

    scope = user_scope(user, MANAGE)
    return (
        proposal.created_by_id == user.pk
        or scope.everywhere
        or proposal.community_id in scope.communities
    )


def proposals_for(user, limit: int = 20) -> list:
    """Recent proposals the planner may open."""
    qs = (
        DispatchProposal.objects.filter(community__in=manage_communities(user))
        .select_related("community", "created_by")
        .annotate(n_items=Count("items"))
        .order_by("-created_at")
    )
    return [p for p in qs[: limit * 3] if _sees(user, p)][:limit]


def proposal_summary(proposal, items=None) -> dict:
    items = list(proposal.items.all()) if items is None else items
    assigned = sum(1 for i in items if i.worker_id is not None)
    ratio = None
    if proposal.baseline_cost:
        ratio = proposal.total_cost / proposal.baseline_cost
    return {
        "tasks": len(items),
        "assigned": assigned,
        "unassigned": len(items) - assigned,
        "ratio": ratio,
        "ratio_pct": round(ratio * 100) if ratio is not None else None,
        "seconds": proposal.seconds,
        "total_cost": proposal.total_cost,
        "baseline_cost": proposal.baseline_cost,
        "accepted": sum(1 for i in items if i.accepted),
    }


def proposal_items(proposal) -> list[ProposalItem]:
    return list(
        proposal.items.select_related("task", "worker__home_building").order_by(
            "task__priority", "task_id"
        )
    )


def proposal_detail(proposal) -> dict:
    """Everything the proposal page shows: the items with their explanation in the reader's
    language, the workers each task could be given to instead, and the site plan."""
    items = proposal_items(proposal)
    community = proposal.community
    workers = list(dispatch_workers(community))
    tasks = [i.task for i in items]
    task_in, worker_in, positions, hours = engine_input(community, tasks, workers)
    choices = _override_choices(task_in, worker_in, workers) if tasks and workers else {}
    rows = []
    for item in items:
        options = choices.get(item.task_id, [])
        if item.worker is not None and item.worker not in options:
            options = [item.worker, *options]
        rows.append(
            {
                "item": item,
                "task": item.task,
                "worker": item.worker,
                "explanation": explanation(item.reason) if item.reason else item.explanation,
                "options": options,
                "open": item.task.status == Status.OPEN,
            }
        )
    return {
        "rows": rows,
        "summary": proposal_summary(proposal, items),
        "plan": proposal_plan_svg(community, rows, positions),
        "hours": hours,
    }


def _override_choices(task_in, worker_in, workers) -> dict[int, list]:
    """For each task, the nearest workers with its skill and the minutes it needs."""
    p = engine.build(task_in, worker_in, PARAMS)
    ok = p.eligible & (p.left[None, :] >= p.minutes[:, None])
    ranked = np.argsort(np.where(ok, p.dist, np.inf), axis=1, kind="stable")
    out = {}
    for t, task in enumerate(task_in):
        picks = [int(w) for w in ranked[t, :OVERRIDE_CHOICES] if ok[t, w]]
        out[task.id] = [workers[w] for w in picks]
    return out


PRIORITY_COLOURS = {1: "#c62828", 2: "#ef6c00", 3: "#1565c0", 4: "#78909c"}


def proposal_plan_svg(community, rows, positions, width: int = 640) -> str:
    """The proposal on the site plan: each task a dot (coloured by priority) joined by a line to
    where its worker starts from; a task left open is a hollow ring."""
    from django.utils.html import escape

    scale = width / max(community.width, community.height, 1)
    height = round(community.height * scale)

    def xy(x, y):
        # Site-plan y grows northwards; SVG y grows downwards.
        return f"{x * scale:.1f}", f"{height - y * scale:.1f}"

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height + 24}" '
        f'role="img" aria-label="{escape(_("Site plan of the proposal"))}" class="siteplan">',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#f5f3ee" stroke="#bbb"/>',
    ]
    for b in Building.objects.filter(community=community).only("x", "y"):
        x, y = xy(b.x, b.y)
        parts.append(
            f'<rect x="{float(x) - 3:.1f}" y="{float(y) - 3:.1f}" width="6" height="6" '
            f'fill="#cfcac0"/>'
        )
    # Lines first, then the workers' homes, then the task dots on top of both.
    lines, dots, homes = [], [], set()
    for row in rows:
        task, worker = row["task"], row["worker"]
        tx, ty = xy(task.x, task.y)
        colour = PRIORITY_COLOURS.get(task.priority, "#555")
        title = escape(f"#{task.pk} {task.title}: {row['explanation']}")
        if worker is None:
            dots.append(
                f'<circle cx="{tx}" cy="{ty}" r="4" fill="#fff" stroke="{colour}" '
                f'stroke-width="2"><title>{title}</title></circle>'
            )
            continue
        hx, hy = xy(*positions.get(worker.pk, (task.x, task.y)))
        homes.add((hx, hy, worker.name))
        lines.append(
            f'<line x1="{hx}" y1="{hy}" x2="{tx}" y2="{ty}" stroke="{colour}" stroke-opacity=".6"/>'
        )
        dots.append(
            f'<circle cx="{tx}" cy="{ty}" r="3" fill="{colour}"><title>{title}</title></circle>'
        )
    parts += lines
    for hx, hy, name in sorted(homes):
        parts.append(
            f'<rect x="{float(hx) - 4:.1f}" y="{float(hy) - 4:.1f}" width="8" height="8" '
            f'fill="#fff" stroke="#333"><title>{escape(name)}</title></rect>'
        )
    parts += dots
    from linli.taskpool.choices import Priority

    for i, level in enumerate(Priority):
        lx = 8 + i * 110
        parts.append(
            f'<circle cx="{lx + 6}" cy="{height + 12}" r="5" fill="{PRIORITY_COLOURS[level]}"/>'
            f'<text x="{lx + 16}" y="{height + 17}" font-size="12">{escape(level.label)}</text>'
        )
    parts.append(
        f'<rect x="{8 + 4 * 110}" y="{height + 7}" width="10" height="10" fill="#fff" '
        f'stroke="#333"/><text x="{8 + 4 * 110 + 16}" y="{height + 17}" font-size="12">'
        f"{escape(_('worker'))}</text>"
    )
    parts.append("</svg>")
    return "".join(parts)


# ------------------------------------------------------------------------------ services


def proposal_create(*, actor, community) -> DispatchProposal:
    """Propose an owner for every open task of `community` that `actor` plans, and save it.

    The engine runs before the transaction opens: solving 2,000 tasks takes seconds, and the
    database (SQLite takes its write lock at BEGIN) must not wait for it. Only the saving is
    atomic."""
    require_manage(actor)
    if not manage_communities(actor).filter(pk=community.pk).exists():
        raise PermissionDenied(_("Only community staff and grid workers of this area may do that."))
    tasks = list(open_tasks_for(actor, community))
    if not tasks:
        raise ApplicationError(_("There are no open tasks in your area to assign."), code="empty")
    workers = list(dispatch_workers(community))
    task_in, worker_in, _positions, _hours = engine_input(community, tasks, workers)
    started = time.perf_counter()
    result, baseline = engine.solve(task_in, worker_in, PARAMS)
    seconds = time.perf_counter() - started
    return _proposal_save(
        actor=actor, community=community, result=result, baseline=baseline, seconds=seconds
    )


@transaction.atomic
def _proposal_save(*, actor, community, result, baseline, seconds) -> DispatchProposal:
    proposal = DispatchProposal.objects.create(
        community=community,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        total_cost=result.total_cost,
        baseline_cost=baseline.total_cost,
        seconds=seconds,
    )
    items = []
    for it in result.items:
        reason = {"code": it.reason, **it.params}
        items.append(
            ProposalItem(
                proposal=proposal,
                task_id=it.task_id,
                worker_id=it.worker_id,
                distance_m=round(it.distance, 1),
                cost=round(it.cost, 1),
                explanation=explanation(reason)[:300],
                reason=reason,
            )
        )
    ProposalItem.objects.bulk_create(items)
    audit_record(
        actor=actor,
        action="dispatch.propose",
        target=proposal,
        community_id=community.pk,
        detail={
            "tasks": len(items),
            "assigned": result.assigned,
            "baseline_assigned": baseline.assigned,
            "cost": round(result.total_cost, 1),
            "baseline_cost": round(baseline.total_cost, 1),
            "seconds": round(seconds, 3),
            "method": result.method,
        },
    )
    return proposal


def _ids(values) -> list[int]:
    out = []
    for value in values or []:
        try:
            out.append(int(value))
        except (TypeError, ValueError):
            raise ApplicationError(
                _("Please correct the marked fields."),
                fields={"task_ids": [_("must be task numbers")]},
            ) from None
    return list(dict.fromkeys(out))


@transaction.atomic
def proposal_accept(*, actor, proposal, task_ids=None, overrides=None) -> dict:
    """Carry out a proposal: all of its tasks (task_ids None) or those listed, each to its
    proposed worker or to the one in `overrides` {task id: worker id} (an override counts as
    chosen). A task that is no longer open, a worker who is no longer available or would go
    over their weekly cap is skipped and reported, never overwritten.

    Returns {"assigned": [{"task_id", "worker_id"}], "skipped": [{"task_id", "reason"}]}."""
    require_manage(actor)
    try:
        overrides = {int(t): int(w) for t, w in (overrides or {}).items() if w not in (None, "")}
    except (TypeError, ValueError):
        raise ApplicationError(
            _("Please correct the marked fields."),
            fields={"overrides": [_("must map task numbers to worker numbers")]},
        ) from None
    items = {i.task_id: i for i in proposal.items.all()}
    chosen = list(items) if task_ids is None else _ids(task_ids)
    chosen += [t for t in overrides if t not in chosen]
    workers = {w.pk: w for w in dispatch_workers(proposal.community).select_related("user")}
    left = {pk: minutes for pk, (minutes, _n) in worker_hours(list(workers.values())).items()}
    planned = set(
        Task.objects.restrict(actor, "manage").filter(pk__in=chosen).values_list("pk", flat=True)
    )
    # Lock the rows (PostgreSQL; SQLite holds its write lock from BEGIN): between this check
    # and the assignment nobody can claim a task we are about to assign.
    tasks = {t.pk: t for t in Task.objects.select_for_update().filter(pk__in=chosen).order_by("pk")}
    assigned, skipped = [], []

    def skip(task_id, reason):
        skipped.append({"task_id": task_id, "reason": str(reason)})

    for task_id in chosen:
        item, task = items.get(task_id), tasks.get(task_id)
        if item is None or task is None:
            skip(task_id, _("not part of this proposal"))
            continue
        if task_id not in planned:
            skip(task_id, _("outside your area"))
            continue
        if task.status != Status.OPEN:
            skip(
                task_id,
                _("changed since the proposal: it is %(status)s now")
                % {"status": Status(task.status).label.lower()},
            )
            continue
        worker = workers.get(overrides.get(task_id, item.worker_id))
        if worker is None:
            skip(
                task_id,
                _("the chosen worker is no longer available")
                if overrides.get(task_id, item.worker_id)
                else _("no worker proposed: %(why)s") % {"why": explanation(item.reason)},
            )
            continue
        if task.estimated_minutes > left.get(worker.pk, 0):
            skip(
                task_id,
                _("%(name)s has only %(left)d minutes left this week")
                % {"name": worker.name, "left": max(0, left.get(worker.pk, 0))},
            )
            continue
        try:
            services.task_assign(
                actor=actor,
                task=task,
                worker=worker,
                note=_("dispatch #%(id)d") % {"id": proposal.pk},
            )
        except ApplicationError as exc:
            skip(task_id, exc.message)
            continue
        left[worker.pk] = left.get(worker.pk, 0) - task.estimated_minutes
        assigned.append({"task_id": task_id, "worker_id": worker.pk})
    done = {a["task_id"] for a in assigned}
    refused = {s["task_id"] for s in skipped} - done
    ProposalItem.objects.filter(proposal=proposal, task_id__in=done).update(accepted=True)
    ProposalItem.objects.filter(proposal=proposal, task_id__in=refused).update(accepted=False)
    proposal.accepted_at = timezone.now()
    proposal.save(update_fields=["accepted_at"])
    audit_record(
        actor=actor,
        action="dispatch.accept",
        target=proposal,
        community_id=proposal.community_id,
        detail={
            "assigned": len(assigned),
            "skipped": skipped[:200],
            "overrides": {str(t): w for t, w in overrides.items()},
        },
    )
    return {"assigned": assigned, "skipped": skipped}
