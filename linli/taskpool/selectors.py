"""Reads of the task pool. Every list is scoped through Task.objects.restrict(user)."""

import math

from django.db.models import Count, Q
from django.utils import timezone

from linli.taskpool.choices import LIVE, Status
from linli.taskpool.models import Task

RELATED = (
    "assignee",
    "resident",
    "household__building",
    "household__entrance",
    "building",
    "place",
    "grid",
)


def task_list(
    *,
    user,
    status: str | None = None,
    kind: str | None = None,
    grid: int | None = None,
    priority: int | None = None,
    overdue: bool = False,
    q: str = "",
):
    qs = Task.objects.restrict(user, "view")
    if status == "live":
        qs = qs.filter(status__in=LIVE)
    elif status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    if grid:
        qs = qs.filter(grid_id=grid)
    if priority:
        qs = qs.filter(priority=priority)
    if overdue:
        qs = qs.overdue()
    if q:
        q = q.strip()
        cond = Q(title__contains=q) | Q(building__number=q)
        if q.lstrip("#").isdigit():
            cond |= Q(pk=int(q.lstrip("#")))
        qs = qs.filter(cond)
    return (
        qs.select_related(*RELATED)
        .annotate(request_count=Count("requests"))
        .order_by("priority", "due_at", "id")
    )


def distance(ax: float, ay: float, bx: float, by: float) -> float:
    return math.hypot(ax - bx, ay - by)


def home_point(worker) -> tuple[float, float] | None:
    building = worker.home_building
    return (building.x, building.y) if building is not None else None


def walking_order(tasks: list, start: tuple[float, float] | None) -> list:
    """Nearest-neighbour order from the worker's home: good enough for a handful of stops on
    foot, and it reads naturally ("next, the nearest one")."""
    if start is None or len(tasks) < 2:
        return sorted(tasks, key=lambda t: (t.priority, t.due_at or timezone.now()))
    remaining, order, here = list(tasks), [], start
    # Urgent tasks first, each group in walking order.
    for level in sorted({t.priority for t in remaining}):
        group = [t for t in remaining if t.priority == level]
        while group:
            nearest = min(group, key=lambda t: distance(here[0], here[1], t.x, t.y))
            order.append(nearest)
            group.remove(nearest)
            here = (nearest.x, nearest.y)
    return order


def my_tasks(worker) -> list:
    tasks = list(
        Task.objects.filter(assignee=worker, status__in=LIVE)
        .select_related(*RELATED)
        .order_by("priority", "due_at")
    )
    return walking_order(tasks, home_point(worker))


def open_tasks_near(worker, *, limit: int = 20) -> list:
    """Open tasks of the worker's community that they could take, nearest first."""
    qs = Task.objects.filter(community_id=worker.community_id, status=Status.OPEN).select_related(
        *RELATED
    )
    skills = set(worker.skills or [])
    tasks = [
        t
        for t in qs.order_by("priority", "due_at")[:500]
        if not t.required_skill or t.required_skill in skills
    ]
    start = home_point(worker)
    if start is not None:
        tasks.sort(key=lambda t: (t.priority, distance(start[0], start[1], t.x, t.y)))
    return tasks[:limit]


def target_label(task, *, details: bool) -> str:
    """Where the task is and for whom. Without `details` (a volunteer browsing open tasks),
    the address stops at the building: names and rooms are for the task's owner."""
    from django.utils.translation import gettext as _

    if task.place_id:
        return str(task.place)
    if not details:
        return str(task.building) if task.building_id else "—"
    if task.resident_id:
        return f"{task.resident.name} · {task.household.address}"
    if task.household_id:
        return task.household.address
    return str(task.building) if task.building_id else _("(no place)")
