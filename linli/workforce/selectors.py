"""Reads of the roster."""

from datetime import date, datetime, time, timedelta

from django.db.models import Q, Sum
from django.utils import timezone

from linli.workforce.choices import WorkerStatus
from linli.workforce.models import HoursEntry, Worker


def worker_for(user) -> Worker | None:
    """The roster entry of a logged-in user, cached on the user for the request."""
    if not user.is_authenticated:
        return None
    if not hasattr(user, "_linli_worker"):
        user._linli_worker = (
            Worker.objects.select_related("home_building", "community").filter(user=user).first()
        )
    return user._linli_worker


def active_worker_for(user) -> Worker | None:
    worker = worker_for(user)
    return worker if worker is not None and worker.status == WorkerStatus.APPROVED else None


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def minutes_this_week(workers, *, today: date | None = None) -> dict[int, int]:
    """Minutes worked since Monday, per worker id."""
    today = today or timezone.localdate()
    rows = (
        HoursEntry.objects.filter(worker__in=workers, day__gte=week_start(today), day__lte=today)
        .values("worker_id")
        .annotate(total=Sum("minutes"))
    )
    return {row["worker_id"]: row["total"] for row in rows}


def days_without_rest(worker_ids, *, today: date | None = None) -> dict[int, int]:
    """Consecutive days up to today on which each worker logged hours (0 if today is a rest)."""
    today = today or timezone.localdate()
    since = today - timedelta(days=30)
    worked: dict[int, set] = {}
    for wid, day in HoursEntry.objects.filter(
        worker_id__in=list(worker_ids), day__gte=since, day__lte=today
    ).values_list("worker_id", "day"):
        worked.setdefault(wid, set()).add(day)
    streaks = {}
    for wid in worker_ids:
        days, n = worked.get(wid, set()), 0
        while today - timedelta(days=n) in days:
            n += 1
        streaks[wid] = n
    return streaks


def workers_in(community_ids=None, *, q: str = ""):
    qs = Worker.objects.select_related("user", "home_building", "grid")
    if community_ids is not None:
        qs = qs.filter(community_id__in=community_ids)
    if q:
        qs = qs.filter(Q(name__contains=q) | Q(phone__contains=q) | Q(organisation__contains=q))
    return qs


# ------------------------------------------------------------------ roster pages and API


def roster_list(
    *,
    user,
    q: str = "",
    force: str | None = None,
    status: str | None = None,
    skill: str | None = None,
    grid: int | None = None,
    community: int | None = None,
):
    """The roster `user` may read, filtered. A worker's grid is the grid they work in or, for
    those who work anywhere (most volunteers), the grid of their home building."""
    from linli.workforce.access import worker_q

    qs = workers_in(q=q).filter(worker_q(user, "view")).select_related("community")
    if force:
        qs = qs.filter(force=force)
    if status:
        qs = qs.filter(status=status)
    if skill:
        # Skills are a JSON list; its text holds each skill in quotes, on SQLite and PostgreSQL.
        qs = qs.filter(skills__icontains=f'"{skill}"')
    if grid:
        qs = qs.filter(Q(grid_id=grid) | Q(grid__isnull=True, home_building__grid_id=grid))
    if community:
        qs = qs.filter(community_id=community)
    return qs.order_by("community_id", "force", "name", "id")


def screening_queue(*, user):
    """Volunteers waiting for screening in the communities `user` manages, oldest first."""
    from linli.workforce.access import worker_q

    return (
        Worker.objects.filter(worker_q(user, "manage"), status=WorkerStatus.PENDING)
        .select_related("community", "home_building", "resident__household__building")
        .order_by("created_at", "id")
    )


def worker_load(worker: Worker, *, today: date | None = None) -> dict:
    """This week's hours against the cap and the current run of days without rest (S13)."""
    today = today or timezone.localdate()
    minutes = minutes_this_week([worker.pk], today=today).get(worker.pk, 0)
    streak = days_without_rest([worker.pk], today=today)[worker.pk]
    return {
        "minutes": minutes,
        "hours": round(minutes / 60, 1),
        "cap": worker.weekly_hour_cap,
        "over_cap": minutes > worker.weekly_hour_cap * 60,
        "percent": min(100, round(100 * minutes / (worker.weekly_hour_cap * 60)))
        if worker.weekly_hour_cap
        else 100,
        "days_without_rest": streak,
        "needs_rest": streak >= REST_AFTER_DAYS,
    }


# A worker who has worked seven days running must be given a rest day (S13).
REST_AFTER_DAYS = 7


def worker_tasks(worker: Worker, *, user, limit: int = 20):
    """Tasks the worker owns, as far as `user` may see them (a grid worker reading another
    grid's volunteer does not see the names in that grid's task titles)."""
    from linli.taskpool.models import Task

    return (
        Task.objects.restrict(user, "view")
        .filter(assignee=worker)
        .order_by("-updated_at", "-id")[:limit]
    )


def worker_ppe(worker: Worker, *, limit: int = 50):
    from linli.workforce.models import PpeMovement

    return (
        PpeMovement.objects.filter(worker=worker)
        .select_related("item", "by")
        .order_by("-created_at", "-id")[:limit]
    )


def hours_ledger(worker: Worker, *, limit: int = 200):
    return (
        HoursEntry.objects.filter(worker=worker)
        .select_related("task", "recorded_by")
        .order_by("-day", "-id")[:limit]
    )


def certificate(worker: Worker, *, start: date | None = None, end: date | None = None) -> dict:
    """The figures of a service certificate (S11) for a period, whole days inclusive."""
    from linli.taskpool.choices import Status
    from linli.taskpool.models import Task

    end = end or timezone.localdate()
    start = start or timezone.localdate(worker.created_at)
    hours = HoursEntry.objects.filter(worker=worker, day__gte=start, day__lte=end)
    minutes = hours.aggregate(total=Sum("minutes"))["total"] or 0
    tz = timezone.get_current_timezone()
    tasks_done = Task.objects.filter(
        assignee=worker,
        status=Status.DONE,
        done_at__gte=datetime.combine(start, time.min, tzinfo=tz),
        done_at__lt=datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz),
    ).count()
    return {
        "start": start,
        "end": end,
        "minutes": minutes,
        "hours": round(minutes / 60, 1),
        "days": hours.values("day").distinct().count(),
        "tasks_done": tasks_done,
    }


def care_overview(*, community_id: int, today: date | None = None) -> dict:
    """Workers over their weekly cap and workers with no rest day in seven (S13)."""
    today = today or timezone.localdate()
    workers = list(
        Worker.objects.filter(community_id=community_id, status=WorkerStatus.APPROVED)
        .select_related("home_building")
        .order_by("force", "name", "id")
    )
    ids = [w.pk for w in workers]
    minutes = minutes_this_week(ids, today=today)
    streaks = days_without_rest(ids, today=today)
    over_cap, no_rest = [], []
    for w in workers:
        w.minutes_week = minutes.get(w.pk, 0)
        w.hours_week = round(w.minutes_week / 60, 1)
        w.days_without_rest = streaks.get(w.pk, 0)
        if w.minutes_week > w.weekly_hour_cap * 60:
            over_cap.append(w)
        if w.days_without_rest >= REST_AFTER_DAYS:
            no_rest.append(w)
    over_cap.sort(key=lambda w: w.weekly_hour_cap * 60 - w.minutes_week)
    no_rest.sort(key=lambda w: -w.days_without_rest)
    return {"workers": len(workers), "over_cap": over_cap, "no_rest": no_rest, "today": today}


def ppe_stock(*, community_id: int) -> list[dict]:
    """Stock of every kind of protective equipment, kinds never received shown as 0."""
    from linli.workforce.choices import PpeKind
    from linli.workforce.models import PpeItem

    items = {i.kind: i for i in PpeItem.objects.filter(community_id=community_id)}
    rows = []
    for kind in PpeKind:
        item = items.get(kind.value)
        stock = item.stock if item else 0
        threshold = item.low_threshold if item else 50
        rows.append(
            {
                "kind": kind,
                "item": item,
                "stock": stock,
                "unit": item.unit if item else "",
                "threshold": threshold,
                "low": stock < threshold,
            }
        )
    return rows


def ppe_ledger(*, community_id: int, limit: int = 100):
    from linli.workforce.models import PpeMovement

    return (
        PpeMovement.objects.filter(item__community_id=community_id)
        .select_related("item", "worker", "by")
        .order_by("-created_at", "-id")[:limit]
    )
