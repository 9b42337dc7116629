"""Reads of the roster."""

from datetime import date, timedelta

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
