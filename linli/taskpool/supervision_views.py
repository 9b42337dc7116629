"""Supervision pages and reports (proposal S2). Each view: parse the period, check access
(404 for anyone who supervises nothing), call one selector, draw its charts, render."""

from datetime import date

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from linli.core.errors import ApplicationError
from linli.taskpool import charts, reports, supervision
from linli.taskpool.access import can_manage
from linli.taskpool.supervision import (
    AGE_BUCKETS,
    DEFAULT_DAYS,
    MAX_PERIOD_DAYS,
    Period,
    require_supervision,
    scoped_communities,
)
from linli.workforce.choices import Force

VISITED, MISSED = "#2e7d32", "#c62828"
OVER_CAP = "#c62828"
MAX_DAYS = 90
CHART_WORKERS = 15

# ------------------------------------------------------------------------- parsing


def _date(request, name: str, label: str, default: date) -> date:
    raw = request.GET.get(name, "").strip()
    if not raw:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        message = _("%(field)s: must be a date such as 2020-03-13.") % {"field": label}
        raise ApplicationError(message, fields={name: [message]}) from None


def _period(request) -> Period:
    default = Period.last_days(DEFAULT_DAYS)
    start = _date(request, "start", _("From"), default.start)
    end = _date(request, "end", _("To"), default.end)
    if end < start:
        message = _("To: must not be before the start date.")
        raise ApplicationError(message, fields={"end": [message]})
    if (end - start).days >= MAX_PERIOD_DAYS:
        message = _("To: the period can be at most %(n)d days.") % {"n": MAX_PERIOD_DAYS}
        raise ApplicationError(message, fields={"end": [message]})
    return Period(start, end)


def _days(request) -> int:
    raw = request.GET.get("days", "").strip()
    if not raw:
        return DEFAULT_DAYS
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_DAYS:
        message = _("Days: must be a whole number from 1 to %(n)d.") % {"n": MAX_DAYS}
        raise ApplicationError(message, fields={"days": [message]})
    return int(raw)


def _int(value):
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _communities(scope) -> tuple[str, int | None]:
    """Names for a report's heading, and the community id for the audit log when single."""
    communities = list(scoped_communities(scope))
    names = "、".join(c.name for c in communities)
    return names, communities[0].pk if len(communities) == 1 else None


# ------------------------------------------------------------------------- charts


def age_chart(ages: dict) -> str:
    return charts.stacked_bar_chart(
        [row["name"] for row in ages["grids"]],
        [(str(label), colour) for _key, label, colour in AGE_BUCKETS],
        [row["counts"] for row in ages["grids"]],
        label=_("Open tasks by grid and time open"),
        empty=_("No open tasks."),
    )


def workload_chart(rows: list[dict]) -> str:
    rows = rows[:CHART_WORKERS]
    return charts.bar_chart(
        [(r["worker"].name, r["hours"]) for r in rows],
        label=_("Hours this week against the weekly cap"),
        unit=" " + pgettext("hours, short", "h"),
        limits=[r["cap"] for r in rows],
        colours=[OVER_CAP if r["over_cap"] else charts.ACCENT for r in rows],
        titles=[
            _("%(name)s: %(hours)s of %(cap)d h this week, %(live)d live tasks")
            % {
                "name": r["worker"].name,
                "hours": charts.number(r["hours"]),
                "cap": r["cap"],
                "live": r["live"],
            }
            for r in rows
        ],
        empty=_("Nobody has worked this week yet."),
    )


def coverage_chart(cover: dict) -> str:
    return charts.stacked_bar_chart(
        [row["grid_name"] for row in cover["grids"]],
        [(_("Visited"), VISITED), (_("Not visited"), MISSED)],
        [[row["visited"], row["missed"]] for row in cover["grids"]],
        label=_("Vulnerable residents visited in the last %(n)d days, by grid")
        % {"n": cover["days"]},
        empty=_("No vulnerable residents recorded."),
    )


def force_charts(figures: dict) -> tuple[str, str]:
    forces = figures["forces"]
    done = charts.column_chart(
        [(str(row["label"]), row["done"]) for row in forces],
        label=_("Tasks done by force"),
        empty=_("No tasks finished in this period."),
    )
    on_time = charts.bar_chart(
        [(str(row["label"]), row["on_time_pct"] or 0) for row in forces if row["done"]],
        label=_("On-time share by force"),
        unit="%",
        max_value=100,
        empty=_("No tasks finished in this period."),
    )
    return done, on_time


# ------------------------------------------------------------------------- pages


@login_required
def dashboard(request):
    require_supervision(request.user)
    data = supervision.supervisor_dashboard(user=request.user, days=_days(request))
    return render(
        request,
        "taskpool/supervision_dashboard.html",
        {
            **data,
            "buckets": [label for _key, label, _colour in AGE_BUCKETS],
            "age_chart": age_chart(data["ages"]),
            "workload_chart": workload_chart(data["workload"]),
            "coverage_chart": coverage_chart(data["coverage"]),
            "can_plan": can_manage(request.user),
            "today": timezone.localdate(),
        },
    )


@login_required
def coverage_view(request):
    require_supervision(request.user)
    days, grid = _days(request), _int(request.GET.get("grid"))
    cover = supervision.coverage(user=request.user, days=days)
    qs = supervision.not_visited(user=request.user, days=days, grid=grid)
    page = Paginator(qs, settings.LINLI_PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    rows = [(r, supervision.vulnerable_groups_of(r, today=today)) for r in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "taskpool/supervision_coverage.html",
        {
            "coverage": cover,
            "chart": coverage_chart(cover),
            "page": page,
            "rows": rows,
            "days": days,
            "grid": grid,
            "query": query.urlencode(),
            "can_plan": can_manage(request.user),
        },
    )


@login_required
def workers_view(request):
    require_supervision(request.user)
    period = _period(request)
    force = request.GET.get("force") if request.GET.get("force") in Force.values else None
    figures = supervision.worker_figures(user=request.user, period=period, force=force)
    done_chart, on_time_chart = force_charts(figures)
    query = request.GET.copy()
    return render(
        request,
        "taskpool/supervision_workers.html",
        {
            **figures,
            "force": force,
            "forces_choices": Force.choices,
            "done_chart": done_chart,
            "on_time_chart": on_time_chart,
            "query": query.urlencode(),
        },
    )


@login_required
def cadres_view(request):
    require_supervision(request.user)
    period = _period(request)
    units = supervision.cadre_units(user=request.user)
    unit = request.GET.get("unit") if request.GET.get("unit") in units else None
    assessment = supervision.cadre_assessment(user=request.user, period=period, unit=unit)
    return render(
        request,
        "taskpool/supervision_cadres.html",
        {**assessment, "units": units, "unit": unit, "query": request.GET.urlencode()},
    )


# ------------------------------------------------------------------------- downloads


@login_required
def cadres_export(request):
    scope = require_supervision(request.user)
    period = _period(request)
    units = supervision.cadre_units(user=request.user)
    unit = request.GET.get("unit") if request.GET.get("unit") in units else None
    assessment = supervision.cadre_assessment(user=request.user, period=period, unit=unit)
    tasks = supervision.cadre_tasks(user=request.user, period=period, unit=unit)
    names, community_id = _communities(scope)
    content = reports.cadre_workbook(assessment, tasks, unit=unit, community_names=names)
    return reports.export_response(
        user=request.user,
        content=content,
        filename=f"linli-cadres-{period.start:%Y%m%d}-{period.end:%Y%m%d}.xlsx",
        report="cadres",
        community_id=community_id,
        detail={
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
            "unit": unit or "",
            "cadres": len(assessment["workers"]),
        },
    )


@login_required
def workers_export(request):
    scope = require_supervision(request.user)
    period = _period(request)
    force = request.GET.get("force") if request.GET.get("force") in Force.values else None
    figures = supervision.worker_figures(user=request.user, period=period, force=force)
    names, community_id = _communities(scope)
    return reports.export_response(
        user=request.user,
        content=reports.worker_workbook(figures, community_names=names),
        filename=f"linli-workers-{period.start:%Y%m%d}-{period.end:%Y%m%d}.xlsx",
        report="workers",
        community_id=community_id,
        detail={
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
            "force": force or "",
            "workers": len(figures["workers"]),
        },
    )


@login_required
def daily_export(request):
    scope = require_supervision(request.user)
    day = _date(request, "date", _("Date"), timezone.localdate())
    report = supervision.daily_report(user=request.user, day=day)
    _names, community_id = _communities(scope)
    return reports.export_response(
        user=request.user,
        content=reports.daily_workbook(report),
        filename=f"linli-daily-{day:%Y%m%d}.xlsx",
        report="daily",
        community_id=community_id,
        detail={"date": day.isoformat()},
    )
