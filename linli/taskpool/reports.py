"""Excel files for superiors, built from live data so nobody types them (proposal S13): the
cadre assessment (考核表) for the cadres' home units, the per-worker figures, and the daily
report (日报). Every download is an audit event ("supervision.export")."""

import io

from django.db import transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from linli.core.services import audit_record
from linli.taskpool.choices import Status
from linli.taskpool.supervision import Period, cadre_summary

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)


def _hours(minutes):
    return None if minutes is None else round(minutes / 60, 1)


def _sheet(book: Workbook, title: str, *, first: bool = False):
    if first:
        sheet = book.active
        sheet.title = title[:31]
        return sheet
    return book.create_sheet(title[:31])


def _header(sheet, columns: list[str]) -> None:
    sheet.append([str(c) for c in columns])
    for cell in sheet[sheet.max_row]:
        cell.font = BOLD
    # A cell name, not sheet.cell(): that would create an empty row below the header.
    sheet.freeze_panes = f"A{sheet.max_row + 1}"


def _title(sheet, *lines: str) -> None:
    for i, line in enumerate(lines):
        sheet.append([line])
        sheet.cell(row=sheet.max_row, column=1).font = TITLE if i == 0 else BOLD


def _widths(sheet, widths: dict[int, int]) -> None:
    for column, width in widths.items():
        sheet.column_dimensions[get_column_letter(column)].width = width


def _local(dt):
    # Excel has no time zones: write the community's wall-clock time.
    return timezone.localtime(dt).replace(tzinfo=None) if dt else None


def _period_text(period: Period) -> str:
    return _("Period: %(start)s to %(end)s (%(days)d days)") % {
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "days": period.days,
    }


def _save(book: Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# ------------------------------------------------------------------------- cadres


CADRE_COLUMNS = [
    gettext_lazy("Name"),
    gettext_lazy("Home unit"),
    gettext_lazy("Phone"),
    gettext_lazy("Days active"),
    gettext_lazy("Tasks done"),
    gettext_lazy("Tasks failed"),
    gettext_lazy("On time"),
    gettext_lazy("On-time share (%)"),
    gettext_lazy("Median hours from open to done"),
    gettext_lazy("Mean rating (1-5)"),
    gettext_lazy("Ratings"),
    gettext_lazy("Hours worked"),
    gettext_lazy("Summary"),
]


def cadre_workbook(assessment: dict, tasks, *, unit: str | None, community_names: str) -> bytes:
    """One row per cadre (the 考核表) and a second sheet with each task they finished."""
    period = assessment["period"]
    book = Workbook()
    sheet = _sheet(book, _("Assessment"), first=True)
    _title(
        sheet,
        _("Assessment of dispatched cadres"),
        community_names,
        _("Home unit: %(unit)s") % {"unit": unit} if unit else _("All home units"),
        _period_text(period),
        _("Generated %(time)s from Linli's live data")
        % {"time": timezone.localtime().strftime("%Y-%m-%d %H:%M")},
    )
    sheet.append([])
    _header(sheet, CADRE_COLUMNS)
    for row in assessment["workers"]:
        worker = row["worker"]
        sheet.append(
            [
                worker.name,
                worker.organisation,
                worker.phone,
                row["days_active"],
                row["done"],
                row["failed"],
                row["on_time"],
                row["on_time_pct"],
                _hours(row["median_minutes"]),
                row["rating"],
                row["rated"],
                row["hours"],
                row.get("summary") or cadre_summary(row, period),
            ]
        )
        sheet.cell(row=sheet.max_row, column=13).alignment = Alignment(wrap_text=True)
    _widths(sheet, {1: 12, 2: 22, 3: 14, 13: 80})

    detail = _sheet(book, _("Tasks"))
    _header(
        detail,
        [
            _("Name"),
            _("Home unit"),
            _("Task"),
            _("Kind"),
            _("Where"),
            _("Opened"),
            _("Due"),
            _("Finished"),
            _("Outcome"),
            _("On time"),
            _("Hours from open to done"),
            _("Rating"),
        ],
    )
    for task in tasks:
        where = task.grid.name if task.grid_id else ""
        if task.building_id:
            where = f"{where} {task.building}".strip()
        elif task.place_id:
            where = f"{where} {task.place.name}".strip()
        done = task.status == Status.DONE
        on_time = done and (task.due_at is None or task.done_at <= task.due_at)
        detail.append(
            [
                task.assignee.name,
                task.assignee.organisation,
                f"#{task.pk}",
                task.get_kind_display(),
                where,
                _local(task.created_at),
                _local(task.due_at),
                _local(task.done_at),
                task.get_status_display(),
                _("yes") if on_time else _("no"),
                round((task.done_at - task.created_at).total_seconds() / 3600, 1) if done else None,
                task.rating,
            ]
        )
    for column in (6, 7, 8):
        for cell in detail[get_column_letter(column)][1:]:
            cell.number_format = "yyyy-mm-dd hh:mm"
    _widths(detail, {1: 12, 2: 22, 4: 18, 5: 16, 6: 17, 7: 17, 8: 17})
    return _save(book)


# ------------------------------------------------------------------------- workers


def worker_workbook(figures: dict, *, community_names: str) -> bytes:
    period = figures["period"]
    book = Workbook()
    forces = _sheet(book, _("By force"), first=True)
    _title(forces, _("Work by force"), community_names, _period_text(period))
    forces.append([])
    columns = [
        _("Tasks done"),
        _("Tasks failed"),
        _("On-time share (%)"),
        _("Median hours from open to done"),
        _("Mean rating (1-5)"),
        _("Hours worked"),
    ]
    _header(forces, [_("Force"), _("Workers"), _("Active"), *columns])
    for row in [*figures["forces"], figures["total"]]:
        forces.append(
            [
                str(row["label"]),
                row["workers"],
                row["active"],
                row["done"],
                row["failed"],
                row["on_time_pct"],
                _hours(row["median_minutes"]),
                row["rating"],
                row["hours"],
            ]
        )
    _widths(forces, {1: 16})
    workers = _sheet(book, _("By worker"))
    _header(workers, [_("Name"), _("Force"), _("Unit / company / organisation"), *columns])
    for row in figures["workers"]:
        w = row["worker"]
        workers.append(
            [
                w.name,
                w.get_force_display(),
                w.organisation,
                row["done"],
                row["failed"],
                row["on_time_pct"],
                _hours(row["median_minutes"]),
                row["rating"],
                row["hours"],
            ]
        )
    _widths(workers, {1: 12, 2: 16, 3: 22})
    return _save(book)


# ------------------------------------------------------------------------- daily report


def daily_workbook(report: dict) -> bytes:
    """The daily report: a summary sheet a superior reads in a minute, then the detail."""
    day = report["day"]
    registry, cover, tasks = report["registry"], report["coverage"], report["tasks"]
    book = Workbook()
    summary = _sheet(book, _("Daily report"), first=True)
    _title(
        summary,
        _("Daily report for %(day)s") % {"day": day.isoformat()},
        "、".join(c.name for c in report["communities"]),
        _("Generated %(time)s from Linli's live data")
        % {"time": timezone.localtime(report["generated_at"]).strftime("%Y-%m-%d %H:%M")},
    )
    summary.append([])
    lines = [
        (_("Registry"), None),
        (_("Residents"), registry["total"]),
        (_("Households"), registry["households"]),
        (_("Residents verified"), registry["verified"]),
        (_("Verified share (%)"), registry["verified_pct"]),
        (_("Aged 60+ living alone"), registry["elderly_alone"]),
        (_("Tasks"), None),
        (_("Tasks created"), tasks["created"]),
        (_("Tasks done"), tasks["done"]),
        (_("Tasks failed"), tasks["failed"]),
        (_("Tasks overdue"), tasks["overdue"]),
        (_("Workforce"), None),
        (_("Workers active"), report["workers_active"]),
        (_("Hours worked"), report["hours"]),
        (_("Vulnerable residents"), None),
        (_("Vulnerable residents"), cover["people"]),
        (_("Visited in the last %(n)d days") % {"n": cover["days"]}, cover["visited"]),
        (_("Not visited"), cover["missed"]),
        (_("Visited share (%)"), cover["pct"]),
        (_("Protective equipment"), None),
        (_("Items low in stock"), len(report["ppe_low"])),
    ]
    for label, value in lines:
        summary.append([str(label), value])
        if value is None:
            summary.cell(row=summary.max_row, column=1).font = BOLD
    _widths(summary, {1: 34, 2: 14})

    counts = [_("Created"), _("Done"), _("Failed"), _("Overdue")]
    keys = ["created", "done", "failed", "overdue"]
    sheet = _sheet(book, _("Tasks by kind"))
    _header(sheet, [_("Kind"), *counts])
    for row in report["kinds"]:
        sheet.append([str(row["label"]), *(row[k] for k in keys)])
    sheet.append([_("Total"), *(tasks[k] for k in keys)])
    _widths(sheet, {1: 24})
    sheet = _sheet(book, _("Tasks by grid"))
    _header(sheet, [_("Grid"), *counts])
    for row in report["grids"]:
        sheet.append([str(row["label"]), *(row[k] for k in keys)])
    _widths(sheet, {1: 20})

    sheet = _sheet(book, _("Workforce"))
    _header(sheet, [_("Force"), _("Workers active"), _("Hours worked")])
    for row in report["forces"]:
        sheet.append([str(row["label"]), row["workers"], row["hours"]])
    _widths(sheet, {1: 20})

    sheet = _sheet(book, _("Registry by grid"))
    _header(sheet, [_("Grid"), _("Households"), _("Residents"), _("Verified share (%)")])
    for row in registry["by_grid"]:
        sheet.append([row["grid_name"], row["households"], row["people"], row["verified_pct"]])
    _widths(sheet, {1: 20})

    sheet = _sheet(book, _("Vulnerable coverage"))
    _header(sheet, [_("Grid"), _("Vulnerable residents"), _("Visited"), _("Visited share (%)")])
    for row in cover["grids"]:
        sheet.append([row["grid_name"], row["people"], row["visited"], row["pct"]])
    _widths(sheet, {1: 20, 2: 20})

    sheet = _sheet(book, _("Protective equipment"))
    _header(sheet, [_("Community"), _("Kind"), _("In stock"), _("Alert below"), _("Unit")])
    for item in report["ppe_low"]:
        sheet.append(
            [
                item.community.name,
                item.get_kind_display(),
                item.stock,
                item.low_threshold,
                item.unit,
            ]
        )
    _widths(sheet, {1: 20, 2: 18})
    return _save(book)


# ------------------------------------------------------------------------- download


def export_response(
    *, user, content: bytes, filename: str, report: str, community_id=None, detail=None
):
    """Send a workbook and record who took which report (it leaves the system)."""
    with transaction.atomic():
        audit_record(
            actor=user,
            action="supervision.export",
            community_id=community_id,
            detail={"report": report, **(detail or {})},
        )
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
