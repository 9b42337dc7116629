"""Supervision and assessment (proposal S2): who works and how well, the open and overdue work,
and whether the vulnerable are being visited. Reads only; every figure is scoped.

Who sees what: community staff and administrators their community, a grid worker their grid
(every figure filtered to it), the street office's supervisor everything, read-only. Everyone
else gets 404. Figures are aggregated in the database; only medians are computed here, from
one list of (worker, created, done) times.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from statistics import median

from django.db.models import Avg, Count, Exists, F, OuterRef, Q, Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from linli.accounts.access import Scope, scope_q, user_scope
from linli.accounts.choices import Role
from linli.residents.access import PATHS as REGISTRY_PATHS
from linli.residents.choices import Tag
from linli.residents.models import Resident
from linli.residents.selectors import household_size_subquery, tag_q
from linli.taskpool.access import PATHS as TASK_PATHS
from linli.taskpool.choices import LIVE, Status, TaskKind
from linli.taskpool.models import Task
from linli.workforce.choices import Force, WorkerStatus
from linli.workforce.models import HoursEntry, PpeItem, Worker
from linli.workforce.selectors import days_without_rest, minutes_this_week

R = Role
# Planners and supervisors. Dispatched cadres, property staff and volunteers are measured
# here, they do not read the figures.
SUPERVISION_ROLES = frozenset({R.STAFF, R.GRID_WORKER, R.SUPERVISOR, R.ADMIN})
WORKER_PATHS = {"community": "community", "grid": "grid"}
FINISHED = [Status.DONE, Status.FAILED]
DEFAULT_DAYS = 7
MAX_PERIOD_DAYS = 366

# ------------------------------------------------------------------------- access


def supervision_scope(user) -> Scope:
    return user_scope(user, SUPERVISION_ROLES)


def can_supervise(user) -> bool:
    return not supervision_scope(user).empty


def require_supervision(user) -> Scope:
    """The area whose figures `user` reads; 404 for anyone who reads none."""
    scope = supervision_scope(user)
    if scope.empty:
        raise Http404
    return scope


def scoped_tasks(user, scope: Scope | None = None):
    """Tasks of the user's supervised area. `restrict` keeps the task pool's own rule in
    force too (so a change there cannot widen this), `scope_q` narrows it to the planner's
    area: a grid worker with a roster entry also sees the community's open tasks to claim,
    but their figures are their grid's."""
    scope = scope if scope is not None else supervision_scope(user)
    return Task.objects.restrict(user).filter(scope_q(scope, **TASK_PATHS))


def _workers_q(scope: Scope, tasks) -> Q:
    """Workers of the area: on its roster (community, or grid worked in), or owners of its tasks."""
    return scope_q(scope, **WORKER_PATHS) | Q(pk__in=tasks.order_by().values("assignee_id"))


def scoped_communities(scope: Scope):
    from linli.places.models import Community

    if scope.everywhere:
        return Community.objects.all()
    return Community.objects.filter(
        Q(pk__in=sorted(scope.communities)) | Q(grids__pk__in=sorted(scope.grids))
    ).distinct()


# ------------------------------------------------------------------------- periods


@dataclass(frozen=True)
class Period:
    """Whole days, both ends included, in the community's time zone."""

    start: date
    end: date

    @property
    def since(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def until(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @classmethod
    def last_days(cls, days: int = DEFAULT_DAYS, *, today: date | None = None) -> "Period":
        today = today or timezone.localdate()
        return cls(today - timedelta(days=days - 1), today)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    period = Period(day, day)
    return period.since, period.until


# ------------------------------------------------------------------------- per worker


def _median_minutes(durations: list[float]) -> float | None:
    return round(median(durations), 1) if durations else None


def _pct(part: int, whole: int) -> int | None:
    return round(100 * part / whole) if whole else None


def worker_figures(
    *, user, period: Period, force: str | None = None, organisation: str | None = None
) -> dict:
    """Per worker and per force, for tasks finished (done or failed) in `period`: done,
    failed, on-time share (done by the due time; a task with no due time is on time), median
    minutes from opening to done, mean resident rating, and hours worked. Five queries,
    however many tasks and workers there are.

    Hours and active days are the worker's own, wherever they worked; the task figures are
    those of the reader's area."""
    scope = require_supervision(user)
    tasks = scoped_tasks(user, scope)
    finished = tasks.filter(
        status__in=FINISHED,
        done_at__gte=period.since,
        done_at__lt=period.until,
        assignee__isnull=False,
    )
    workers = Worker.objects.filter(
        (scope_q(scope, **WORKER_PATHS) & ~Q(status__in=[WorkerStatus.PENDING]))
        | Q(pk__in=finished.order_by().values("assignee_id"))
    ).exclude(status=WorkerStatus.REJECTED)
    if force:
        workers = workers.filter(force=force)
        finished = finished.filter(assignee__force=force)
    if organisation is not None:
        workers = workers.filter(organisation=organisation)
        finished = finished.filter(assignee__organisation=organisation)
    workers = list(workers.select_related("grid", "community"))
    ids = [w.pk for w in workers]

    on_time = Q(status=Status.DONE) & (Q(due_at__isnull=True) | Q(done_at__lte=F("due_at")))
    counts = {
        row["assignee_id"]: row
        for row in finished.order_by()
        .values("assignee_id")
        .annotate(
            done=Count("id", filter=Q(status=Status.DONE)),
            failed=Count("id", filter=Q(status=Status.FAILED)),
            on_time=Count("id", filter=on_time),
            mean_rating=Avg("rating", filter=Q(status=Status.DONE)),
            rated=Count("rating", filter=Q(status=Status.DONE)),
        )
    }
    durations: dict[int, list[float]] = {}
    days: dict[int, set] = {}
    for wid, status, created, done_at in finished.order_by().values_list(
        "assignee_id", "status", "created_at", "done_at"
    ):
        days.setdefault(wid, set()).add(timezone.localdate(done_at))
        if status == Status.DONE:
            durations.setdefault(wid, []).append((done_at - created).total_seconds() / 60)
    minutes: dict[int, int] = {}
    for wid, day, total in (
        HoursEntry.objects.filter(worker_id__in=ids, day__gte=period.start, day__lte=period.end)
        .order_by()
        .values_list("worker_id", "day")
        .annotate(total=Sum("minutes"))
    ):
        minutes[wid] = minutes.get(wid, 0) + total
        days.setdefault(wid, set()).add(day)

    rows = []
    for worker in workers:
        c = counts.get(worker.pk, {})
        done, rated = c.get("done", 0), c.get("rated", 0)
        rows.append(
            {
                "worker": worker,
                "done": done,
                "failed": c.get("failed", 0),
                "on_time": c.get("on_time", 0),
                "on_time_pct": _pct(c.get("on_time", 0), done),
                "median_minutes": _median_minutes(durations.get(worker.pk, [])),
                "median_text": duration_text(_median_minutes(durations.get(worker.pk, []))),
                "rating": round(c["mean_rating"], 2) if rated else None,
                "rated": rated,
                "rating_sum": c["mean_rating"] * rated if rated else 0,
                "minutes": minutes.get(worker.pk, 0),
                "hours": round(minutes.get(worker.pk, 0) / 60, 1),
                "days_active": len(days.get(worker.pk, ())),
            }
        )
    return {
        "period": period,
        "workers": rows,
        "forces": _by_force(rows, durations),
        "total": _combine(_("All forces"), rows, [d for ds in durations.values() for d in ds]),
    }


def _combine(label, rows: list[dict], durations: list[float]) -> dict:
    done = sum(r["done"] for r in rows)
    on_time = sum(r["on_time"] for r in rows)
    rated = sum(r["rated"] for r in rows)
    minutes = sum(r["minutes"] for r in rows)
    return {
        "label": label,
        "workers": len(rows),
        "active": sum(1 for r in rows if r["days_active"]),
        "done": done,
        "failed": sum(r["failed"] for r in rows),
        "on_time": on_time,
        "on_time_pct": _pct(on_time, done),
        "median_minutes": _median_minutes(durations),
        "median_text": duration_text(_median_minutes(durations)),
        "rating": round(sum(r["rating_sum"] for r in rows) / rated, 2) if rated else None,
        "rated": rated,
        "minutes": minutes,
        "hours": round(minutes / 60, 1),
    }


def _by_force(rows: list[dict], durations: dict[int, list[float]]) -> list[dict]:
    out = []
    for force in Force:
        mine = [r for r in rows if r["worker"].force == force]
        if not mine:
            continue
        times = [d for r in mine for d in durations.get(r["worker"].pk, [])]
        out.append({"force": force, **_combine(force.label, mine, times)})
    return out


# ------------------------------------------------------------------------- cadres (考核表)


def cadre_units(*, user) -> list[str]:
    """The home units of the dispatched cadres the user supervises, for the filter."""
    scope = require_supervision(user)
    return list(
        Worker.objects.filter(force=Force.CADRE)
        .filter(_workers_q(scope, scoped_tasks(user, scope)))
        .exclude(organisation="")
        .order_by("organisation")
        .values_list("organisation", flat=True)
        .distinct()
    )


def hours_text(minutes: float | None) -> str:
    if minutes is None:
        return "–"
    return _("%(h)s h") % {"h": f"{minutes / 60:.1f}"}


def duration_text(minutes: float | None) -> str:
    """45 min, 3.5 h: minutes under an hour, hours above."""
    if minutes is None:
        return "–"
    if minutes < 60:
        return _("%(m)d min") % {"m": round(minutes)}
    return hours_text(minutes)


def cadre_summary(row: dict, period: Period) -> str:
    """One plain sentence per cadre, for their home unit (考核表 remarks)."""
    worker = row["worker"]
    parts = [
        _("Active on %(days)d of %(period)d days, %(hours)s worked.")
        % {"days": row["days_active"], "period": period.days, "hours": hours_text(row["minutes"])}
    ]
    if row["done"] or row["failed"]:
        parts.append(
            _("Finished %(done)d tasks (%(failed)d failed); %(pct)s%% on time.")
            % {"done": row["done"], "failed": row["failed"], "pct": row["on_time_pct"] or 0}
        )
    else:
        parts.append(_("Finished no task in this period."))
    if row["median_minutes"] is not None:
        parts.append(
            _("Half of the tasks were done within %(time)s of being opened.")
            % {"time": duration_text(row["median_minutes"])}
        )
    if row["rated"]:
        parts.append(
            _("Residents rated the work %(rating)s out of 5 (%(n)d ratings).")
            % {"rating": f"{row['rating']:.1f}", "n": row["rated"]}
        )
    unit = worker.organisation or _("no home unit recorded")
    return f"{worker.name} ({unit}): " + " ".join(parts)


def cadre_assessment(*, user, period: Period, unit: str | None = None) -> dict:
    """The assessment of every dispatched cadre (下沉干部) of the area for `period`, for
    their home unit: figures, a plain-language summary each, and their finished tasks."""
    figures = worker_figures(user=user, period=period, force=Force.CADRE, organisation=unit)
    for row in figures["workers"]:
        row["summary"] = cadre_summary(row, period)
    return figures


def cadre_tasks(*, user, period: Period, unit: str | None = None):
    """The tasks the cadres finished in `period`, for the detail sheet. Only what assesses
    the work (kind, place, times, outcome, rating): the sheet leaves the community, so it
    carries no resident's name and no free text."""
    tasks = scoped_tasks(user).filter(
        status__in=FINISHED,
        done_at__gte=period.since,
        done_at__lt=period.until,
        assignee__force=Force.CADRE,
    )
    if unit is not None:
        tasks = tasks.filter(assignee__organisation=unit)
    return (
        tasks.select_related("assignee", "grid", "building", "place")
        .order_by("assignee__organisation", "assignee__name", "done_at")
        .only(
            "id",
            "kind",
            "status",
            "created_at",
            "due_at",
            "done_at",
            "rating",
            "assignee__name",
            "assignee__organisation",
            "grid__name",
            "building__number",
            "place__name",
        )
    )


# ------------------------------------------------------------------------- dashboard

AGE_BUCKETS = [
    ("lt2", gettext_lazy("under 2 h"), "#2e7d32"),
    ("h2_8", gettext_lazy("2–8 h"), "#9e9d24"),
    ("h8_24", gettext_lazy("8–24 h"), "#ef6c00"),
    ("gt24", gettext_lazy("over 24 h"), "#c62828"),
]


def open_by_age_and_grid(*, user, now: datetime | None = None) -> dict:
    """Live tasks by how long they have been open and by grid (one query)."""
    now = now or timezone.now()
    h2, h8, h24 = (now - timedelta(hours=h) for h in (2, 8, 24))
    rows = list(
        scoped_tasks(user)
        .live()
        .order_by()
        .values("grid_id", "grid__name", "grid__number")
        .annotate(
            lt2=Count("id", filter=Q(created_at__gt=h2)),
            h2_8=Count("id", filter=Q(created_at__lte=h2, created_at__gt=h8)),
            h8_24=Count("id", filter=Q(created_at__lte=h8, created_at__gt=h24)),
            gt24=Count("id", filter=Q(created_at__lte=h24)),
        )
        .order_by(F("grid__number").asc(nulls_last=True), "grid_id")
    )
    for row in rows:
        row["name"] = row["grid__name"] or _("No grid")
        row["counts"] = [row[key] for key, _label, _colour in AGE_BUCKETS]
        row["total"] = sum(row["counts"])
    totals = [sum(r["counts"][i] for r in rows) for i in range(len(AGE_BUCKETS))]
    return {"grids": rows, "totals": totals, "total": sum(totals)}


def overdue_tasks(*, user, now: datetime | None = None):
    return (
        Task.objects.overdue(now)
        .restrict(user)
        .filter(scope_q(supervision_scope(user), **TASK_PATHS))
        .select_related("assignee", "grid", "building", "place", "household__building")
        .order_by("due_at", "id")
    )


def workload(*, user, today: date | None = None) -> list[dict]:
    """Approved workers of the area with their live tasks (in the area), hours this week
    against their cap, and days in a row without rest (worker care, S13). Four queries."""
    today = today or timezone.localdate()
    scope = require_supervision(user)
    tasks = scoped_tasks(user, scope)
    in_area = scope_q(
        scope, community="tasks__community", grid="tasks__grid", building="tasks__building"
    )
    workers = list(
        Worker.objects.filter(status=WorkerStatus.APPROVED)
        .filter(_workers_q(scope, tasks.live()))
        .annotate(live=Count("tasks", filter=Q(tasks__status__in=LIVE) & in_area))
        .order_by("force", "name")
    )
    ids = [w.pk for w in workers]
    minutes = minutes_this_week(ids, today=today)
    streaks = days_without_rest(ids, today=today)
    rows = []
    for w in workers:
        used = minutes.get(w.pk, 0)
        if not (w.live or used):
            continue
        cap = w.weekly_hour_cap * 60
        rows.append(
            {
                "worker": w,
                "live": w.live,
                "minutes": used,
                "hours": round(used / 60, 1),
                "cap": w.weekly_hour_cap,
                "cap_pct": round(100 * used / cap) if cap else None,
                "over_cap": used > cap,
                "no_rest": streaks.get(w.pk, 0),
                "needs_rest": streaks.get(w.pk, 0) >= 7,
            }
        )
    rows.sort(key=lambda r: (-(r["cap_pct"] or 0), -r["live"], r["worker"].name))
    return rows


# ------------------------------------------------------------------------- vulnerable residents

# The special groups a community must check on proactively (problem P4, proposal S9).
VULNERABLE_GROUPS = [
    (gettext_lazy("Aged 60+ living alone"), "alone"),
    (Tag.WITHOUT_FAMILY.label, Tag.WITHOUT_FAMILY),
    (Tag.DISABLED.label, Tag.DISABLED),
    (Tag.DIALYSIS.label, Tag.DIALYSIS),
    (Tag.PREGNANT.label, Tag.PREGNANT),
]


def vulnerable_q(today: date | None = None) -> Q:
    today = today or timezone.localdate()
    return (
        (tag_q(Tag.AGED_60, today=today) & tag_q(Tag.LIVING_ALONE))
        | tag_q(Tag.WITHOUT_FAMILY)
        | tag_q(Tag.DISABLED)
        | tag_q(Tag.DIALYSIS)
        | tag_q(Tag.PREGNANT)
    )


def visited_exists(*, since: datetime, until: datetime) -> Exists:
    """A done check-on visit in [since, until) to the resident, or to their household as a
    whole (a visit for one named person is theirs, a visit to the flat counts for all)."""
    return Exists(
        Task.objects.filter(
            kind=TaskKind.CHECK_VISIT,
            status=Status.DONE,
            done_at__gte=since,
            done_at__lt=until,
        ).filter(
            Q(resident_id=OuterRef("pk"))
            | Q(resident__isnull=True, household_id=OuterRef("household_id"))
        )
    )


def vulnerable_residents(*, user, until: datetime | None = None):
    until = until or timezone.now()
    scope = require_supervision(user)
    return (
        Resident.objects.active()
        .filter(scope_q(scope, **REGISTRY_PATHS["resident"]))
        .filter(vulnerable_q(timezone.localdate(until)))
    )


def coverage(*, user, days: int = DEFAULT_DAYS, until: datetime | None = None) -> dict:
    """Share of vulnerable residents with a done check-on visit in the last `days` days, per
    grid (one query)."""
    until = until or timezone.now()
    since = until - timedelta(days=days)
    rows = list(
        vulnerable_residents(user=user, until=until)
        .order_by()
        .values(
            grid_id=F("household__building__grid_id"),
            grid_name=F("household__building__grid__name"),
            grid_number=F("household__building__grid__number"),
        )
        .annotate(
            people=Count("id"),
            visited=Count("id", filter=visited_exists(since=since, until=until)),
        )
        .order_by("grid_number", "grid_id")
    )
    for row in rows:
        row["missed"] = row["people"] - row["visited"]
        row["pct"] = _pct(row["visited"], row["people"])
    people = sum(r["people"] for r in rows)
    visited = sum(r["visited"] for r in rows)
    return {
        "days": days,
        "since": since,
        "until": until,
        "grids": rows,
        "people": people,
        "visited": visited,
        "missed": people - visited,
        "pct": _pct(visited, people),
    }


def not_visited(*, user, days: int = DEFAULT_DAYS, grid: int | None = None, until=None):
    """The vulnerable residents nobody has visited in the last `days` days, by address."""
    until = until or timezone.now()
    qs = vulnerable_residents(user=user, until=until).exclude(
        visited_exists(since=until - timedelta(days=days), until=until)
    )
    if grid:
        qs = qs.filter(household__building__grid_id=grid)
    return (
        qs.select_related("household__building__grid", "household__entrance")
        .prefetch_related("tags")
        .annotate(household_size=household_size_subquery())
        .order_by("household__building__grid__number", "household__building_id", "household_id")
    )


def vulnerable_groups_of(resident, *, today: date | None = None) -> list[str]:
    """Which of the vulnerable groups a resident (from `not_visited`) belongs to."""
    from linli.residents.selectors import years_ago

    today = today or timezone.localdate()
    recorded = {t.tag for t in resident.tags.all()}
    out = []
    if resident.birth_date <= years_ago(today, 60) and resident.household_size == 1:
        out.append(str(VULNERABLE_GROUPS[0][0]))
    out += [str(label) for label, tag in VULNERABLE_GROUPS[1:] if tag in recorded]
    return out


# ------------------------------------------------------------------------- daily report (日报)


def daily_report(*, user, day: date, now: datetime | None = None) -> dict:
    """Every figure of the daily report for superiors, from live data (proposal S13: nobody
    types it). `day` is a whole day; for today, figures run up to now."""
    from linli.residents.selectors import registry_summary

    now = now or timezone.now()
    scope = require_supervision(user)
    start, end = day_bounds(day)
    moment = min(end, now)
    tasks = scoped_tasks(user, scope)
    created = Q(created_at__gte=start, created_at__lt=end)
    done = Q(status=Status.DONE, done_at__gte=start, done_at__lt=end)
    failed = Q(status=Status.FAILED, done_at__gte=start, done_at__lt=end)
    # Overdue at the end of the day (or now): past due and not finished by then.
    overdue = Q(due_at__lt=moment, created_at__lt=moment) & (
        Q(status__in=LIVE) | Q(status__in=FINISHED, done_at__gt=moment)
    )
    counts = {
        "created": Count("id", filter=created),
        "done": Count("id", filter=done),
        "failed": Count("id", filter=failed),
        "overdue": Count("id", filter=overdue),
    }
    relevant = tasks.filter(created | done | failed | overdue).order_by()
    by_kind = {row["kind"]: row for row in relevant.values("kind").annotate(**counts)}
    kinds = [
        {"label": kind.label, **{k: by_kind.get(kind, {}).get(k, 0) for k in counts}}
        for kind in TaskKind
    ]
    grids = [
        {"label": row["grid__name"] or _("No grid"), **{k: row[k] for k in counts}}
        for row in relevant.values("grid__name", "grid__number")
        .annotate(**counts)
        .order_by(F("grid__number").asc(nulls_last=True))
    ]
    totals = {k: sum(row[k] for row in kinds) for k in counts}

    workers = Worker.objects.filter(_workers_q(scope, tasks))
    forces = {
        row["worker__force"]: row
        for row in HoursEntry.objects.filter(day=day, worker__in=workers)
        .order_by()
        .values("worker__force")
        .annotate(workers=Count("worker_id", distinct=True), minutes=Sum("minutes"))
    }
    active = [
        {
            "label": force.label,
            "workers": forces.get(force, {}).get("workers", 0),
            "hours": round(forces.get(force, {}).get("minutes", 0) / 60, 1),
        }
        for force in Force
    ]
    ppe_scope = scope_q(scope, community="community", grid="community__grids")
    ppe_low = list(
        PpeItem.objects.filter(ppe_scope, stock__lt=F("low_threshold"))
        .select_related("community")
        .distinct()
        .order_by("community__name", "kind")
    )
    return {
        "day": day,
        "generated_at": now,
        "registry": registry_summary(user=user),
        "tasks": totals,
        "kinds": kinds,
        "grids": grids,
        "forces": active,
        "workers_active": sum(f["workers"] for f in active),
        "hours": round(sum(f["hours"] for f in active), 1),
        "coverage": coverage(user=user, days=DEFAULT_DAYS, until=moment),
        "ppe_low": ppe_low,
        "communities": list(scoped_communities(scope)),
    }


# ------------------------------------------------------------------------- the dashboard page

OVERDUE_SHOWN = 50
MISSED_SHOWN = 50


def supervisor_dashboard(*, user, days: int = DEFAULT_DAYS, now: datetime | None = None) -> dict:
    """Everything the supervisor dashboard shows. A fixed number of queries, however many
    tasks, workers and residents there are (the lists are cut and counted)."""
    now = now or timezone.now()
    require_supervision(user)
    overdue = overdue_tasks(user=user, now=now)
    overdue_rows = list(overdue[: OVERDUE_SHOWN + 1])
    missed = list(not_visited(user=user, days=days, until=now)[: MISSED_SHOWN + 1])
    cover = coverage(user=user, days=days, until=now)
    return {
        "now": now,
        "days": days,
        "ages": open_by_age_and_grid(user=user, now=now),
        "overdue": overdue_rows[:OVERDUE_SHOWN],
        "overdue_count": overdue.count()
        if len(overdue_rows) > OVERDUE_SHOWN
        else len(overdue_rows),
        "workload": workload(user=user, today=timezone.localdate(now)),
        "coverage": cover,
        "missed": [
            (r, vulnerable_groups_of(r, today=timezone.localdate(now)))
            for r in missed[:MISSED_SHOWN]
        ],
        "missed_more": max(cover["missed"] - MISSED_SHOWN, 0),
    }
