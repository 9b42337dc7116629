"""Open information (信息公开, issue 8): the figures anyone may see without logging in.

Cases (confirmed, suspected, in quarantine, recovered) and supply rounds, by day and by grid,
for one community. Every count leaves this module already suppressed: a figure from 1 to 4 is
the string "<5", because in a grid of a few hundred households a "2" next to a date is enough
to point at a family. Page, JSON and CSV all read `public_summary`, so none of them can show a
number the others hide. Nothing personal leaves this module: only counts, dates and grid names.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from html import escape

from django.db.models import Count
from django.db.models.functions import Coalesce
from django.utils import timezone

from linli.health.choices import CASE_STATES, QUARANTINE_STATES, HealthStatus
from linli.health.models import HealthRecord, HealthStatusChange, Quarantine
from linli.places.models import Community, Grid
from linli.supplies.choices import OrderStatus, RoundStatus
from linli.supplies.models import Order, Round
from linli.taskpool import charts

SUPPRESS_BELOW = 5
SUPPRESSED = "<5"

# Which health statuses each public figure counts. A move inside one group (confirmed to
# hospitalised) is not a new case, so entries are counted only from outside the group.
CASE_GROUPS: dict[str, frozenset[str]] = {
    "confirmed": frozenset(CASE_STATES),
    "suspected": frozenset({HealthStatus.SUSPECTED}),
    "quarantine": frozenset(QUARANTINE_STATES),
    "recovered": frozenset({HealthStatus.RECOVERED}),
}
SUPPLY_FIELDS = ("rounds_held", "households_served")
DAILY_FIELDS = (*CASE_GROUPS, *SUPPLY_FIELDS)
NOW_FIELDS = (*CASE_GROUPS, "quarantines_in_force")
GRID_FIELDS = (*NOW_FIELDS, *SUPPLY_FIELDS)
SERVED = (OrderStatus.COLLECTED, OrderStatus.DELIVERED)
HELD = (RoundStatus.CLOSED, RoundStatus.DONE)


def suppress(n: int) -> int | str:
    """`n`, or "<5" when it is 1 to 4 (0 stays 0: nobody can be picked out of nobody)."""
    return SUPPRESSED if 0 < n < SUPPRESS_BELOW else n


def public_community(code: str | None) -> Community | None:
    """The community of `code`, the first one when no code is given, None for an unknown code."""
    if code:
        return Community.objects.filter(code=code).first()
    return Community.objects.order_by("name", "pk").first()


def _local_day(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


class _Tally:
    """Distinct ids per (day, grid, field) and per (day, field): distinct people, households
    or rounds, so one person entering quarantine twice a day counts once."""

    def __init__(self):
        self.cell: dict[tuple, set] = defaultdict(set)
        self.day: dict[tuple, set] = defaultdict(set)

    def add(self, day: dt.date, grid_id: int | None, field: str, ident) -> None:
        if grid_id is not None:
            self.cell[day, grid_id, field].add(ident)
        self.day[day, field].add(ident)

    def grid_period(self, grid_id: int, field: str, days: Sequence[dt.date]) -> int:
        return len(set().union(*(self.cell[day, grid_id, field] for day in days)))


def _tally_cases(tally: _Tally, community, start, end) -> None:
    changes = HealthStatusChange.objects.filter(
        resident__household__building__community=community,
        changed_at__gte=start,
        changed_at__lt=end,
    ).values_list(
        "changed_at",
        "from_status",
        "to_status",
        "resident_id",
        "resident__household__building__grid_id",
    )
    for when, before, after, resident_id, grid_id in changes:
        for field, states in CASE_GROUPS.items():
            if after in states and before not in states:
                tally.add(_local_day(when), grid_id, field, resident_id)


def _tally_supplies(tally: _Tally, community, start, end) -> None:
    rounds = (
        Round.objects.filter(community=community, status__in=HELD)
        .annotate(held_at=Coalesce("closed_at", "closes_at"))
        .filter(held_at__gte=start, held_at__lt=end)
        .values_list("pk", "held_at", "buildings__grid_id")
    )
    for pk, held_at, grid_id in rounds:
        tally.add(_local_day(held_at), grid_id, "rounds_held", pk)
    orders = (
        Order.objects.filter(round__community=community, status__in=SERVED)
        .annotate(served_at=Coalesce("collected_at", "updated_at"))
        .filter(served_at__gte=start, served_at__lt=end)
        .values_list("served_at", "household_id", "household__building__grid_id")
    )
    for served_at, household_id, grid_id in orders:
        tally.add(_local_day(served_at), grid_id, "households_served", household_id)


def _current(community) -> dict[int, dict[str, int]]:
    """Per grid id: people now in each case group, and quarantines in force."""
    counts: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(NOW_FIELDS, 0))
    records = (
        HealthRecord.objects.filter(
            resident__household__building__community=community,
            resident__moved_out_on__isnull=True,
        )
        .values_list("resident__household__building__grid_id", "status")
        .annotate(n=Count("resident_id"))
    )
    for grid_id, status, n in records:
        for field, states in CASE_GROUPS.items():
            if status in states:
                counts[grid_id][field] += n
    quarantines = (
        Quarantine.objects.filter(
            resident__household__building__community=community, released_on__isnull=True
        )
        .values_list("resident__household__building__grid_id")
        .annotate(n=Count("pk"))
    )
    for grid_id, n in quarantines:
        counts[grid_id]["quarantines_in_force"] += n
    return counts


def public_summary(*, community, days: int = 14, today: dt.date | None = None) -> dict:
    """The open-information figures of `community` for the `days` days ending `today` (local
    date). Every count is already suppressed (an int, or "<5"). Keys: community, from, to,
    threshold, now (community-wide current figures), daily (one row per day), grids (current
    figures per grid, and the period's supply figures), daily_by_grid (one row per day and
    grid: people entering each case group that day, rounds held, households served)."""
    today = today or timezone.localdate()
    dates = [today - dt.timedelta(days=days - 1 - i) for i in range(days)]
    start, end = _day_start(dates[0]), _day_start(today + dt.timedelta(days=1))
    grids = list(Grid.objects.filter(community=community).order_by("number"))
    tally = _Tally()
    _tally_cases(tally, community, start, end)
    _tally_supplies(tally, community, start, end)
    current = _current(community)
    now_total = {f: sum(c[f] for c in current.values()) for f in NOW_FIELDS}
    return {
        "community": {"code": community.code, "name": community.name},
        "from": dates[0],
        "to": today,
        "threshold": SUPPRESS_BELOW,
        "now": {f: suppress(n) for f, n in now_total.items()},
        "daily": [
            {"date": d, **{f: suppress(len(tally.day[d, f])) for f in DAILY_FIELDS}} for d in dates
        ],
        "grids": [
            {
                "number": g.number,
                "grid": g.name,
                **{f: suppress(current[g.pk][f]) if g.pk in current else 0 for f in NOW_FIELDS},
                **{f: suppress(tally.grid_period(g.pk, f, dates)) for f in SUPPLY_FIELDS},
            }
            for g in grids
        ],
        "daily_by_grid": [
            {
                "date": d,
                "number": g.number,
                "grid": g.name,
                **{f: suppress(len(tally.cell[d, g.pk, f])) for f in DAILY_FIELDS},
            }
            for d in dates
            for g in grids
        ],
    }


# ------------------------------------------------------------------------- chart


def daily_chart(points: Sequence[tuple[str, int | str]], *, label: str, colour: str) -> str:
    """Columns over days for suppressed figures: a "<5" is drawn as no column at all, only a
    "*" the page's footnote explains, so the chart never shows a height a small count could be
    read from. `charts.column_chart` draws every value, so this is its suppressing sibling."""
    width, plot_h, bottom, top_pad = charts.WIDTH, 120, 22, 18
    slot = width / max(len(points), 1)
    col = max(min(slot * 0.7, 40), 2)
    top = max([v for _d, v in points if isinstance(v, int)] + [1])
    height = top_pad + plot_h + bottom
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(label)}" class="chart" font-family="{escape(charts.FONT)}" '
        f'font-size="12"><title>{escape(label)}</title>'
    ]
    for i, (day, value) in enumerate(points):
        cx = i * slot + slot / 2
        parts.append(f'<g class="bar"><title>{escape(f"{day}: {value}")}</title>')
        if isinstance(value, int):
            h = plot_h * value / top
            y = top_pad + plot_h - h
            parts.append(
                f'<rect x="{cx - col / 2:.1f}" y="{y:.1f}" width="{col:.1f}" height="{h:.1f}" '
                f'rx="2" fill="{escape(colour)}"/>'
                f'<text x="{cx:.1f}" y="{y - 3:.1f}" text-anchor="middle" '
                f'fill="{charts.INK}">{value}</text>'
            )
        else:
            parts.append(
                f'<text class="suppressed" x="{cx:.1f}" y="{top_pad + plot_h - 3}" '
                f'text-anchor="middle" fill="{charts.MUTED}">*</text>'
            )
        parts.append(
            f'<text x="{cx:.1f}" y="{height - 6}" text-anchor="middle" font-size="10" '
            f'fill="{charts.INK}">{escape(charts.fit(day, slot - 2, 10))}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)
