"""/api/v1/health-reports and /api/v1/residents/{id}/health: daily reports, a person's health
record (an audited read), status changes and quarantine.

Scoped exactly like the pages (linli/health/access.py): a person outside the caller's area is
a 404; inside it without the role for the action, 403. Refusals use the one error shape: a bad
field is 400 naming it, a move the rules forbid or a status that moved meanwhile is 409.
"""

import datetime as dt

from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from linli.core.api import ErrorOut
from linli.core.errors import ApplicationError
from linli.health import access, selectors, services
from linli.health.choices import HealthStatus

reports_router = Router(tags=["health"])
residents_router = Router(tags=["health"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class HealthReportIn(Schema):
    resident_id: int
    # Text or number: the service reads "36.5", "36,5" or 36.5 and names the field if not.
    temperature: float | str
    symptoms: list[str] = []
    note: str = ""
    date: dt.date | None = None  # today when left out; up to seven days back


class HealthReportOut(Schema):
    id: int
    resident_id: int
    date: dt.date
    temperature: float
    fever: bool
    symptoms: list[str]
    note: str
    source: str
    reported_at: dt.datetime


class HealthReportSaved(Schema):
    report: HealthReportOut
    created: bool


class ChangeOut(Schema):
    from_status: str
    to_status: str
    reason: str
    source: str
    changed_by: str | None
    changed_at: dt.datetime


class LabResultOut(Schema):
    id: int
    kind: str
    outcome: str
    sampled_on: dt.date
    place: str
    imported: bool


class ExtensionOut(Schema):
    old_end: dt.date
    new_end: dt.date
    reason: str
    at: dt.datetime


class QuarantineOut(Schema):
    id: int
    kind: str
    location: str
    reason: str
    starts_on: dt.date
    ends_on: dt.date
    in_force: bool
    released_on: dt.date | None
    release_note: str
    extensions: list[ExtensionOut]


class HealthOut(Schema):
    resident_id: int
    name: str
    status: str
    since: dt.datetime | None
    history: list[ChangeOut]
    reports: list[HealthReportOut]
    lab_results: list[LabResultOut]
    quarantines: list[QuarantineOut]


class StatusIn(Schema):
    to_status: str
    reason: str
    # The status the caller last saw: if it has moved meanwhile the change is refused (409).
    expected: str | None = None


class StatusOut(Schema):
    resident_id: int
    status: str
    since: dt.datetime
    change: ChangeOut


class QuarantineIn(Schema):
    kind: str
    reason: str
    days: int | None = None  # LINLI_QUARANTINE_DAYS when left out
    location: str = ""


def report_out(report) -> dict:
    return {
        "id": report.pk,
        "resident_id": report.resident_id,
        "date": report.date,
        "temperature": float(report.temperature),
        "fever": report.fever,
        "symptoms": list(report.symptoms),
        "note": report.note,
        "source": report.source,
        "reported_at": report.reported_at,
    }


def change_out(change) -> dict:
    return {
        "from_status": change.from_status,
        "to_status": change.to_status,
        "reason": change.reason,
        "source": change.source,
        "changed_by": change.changed_by.get_username() if change.changed_by else None,
        "changed_at": change.changed_at,
    }


def quarantine_out(quarantine) -> dict:
    return {
        "id": quarantine.pk,
        "kind": quarantine.kind,
        "location": quarantine.location,
        "reason": quarantine.reason,
        "starts_on": quarantine.starts_on,
        "ends_on": quarantine.ends_on,
        "in_force": quarantine.in_force,
        "released_on": quarantine.released_on,
        "release_note": quarantine.release_note,
        "extensions": [
            {"old_end": x.old_end, "new_end": x.new_end, "reason": x.reason, "at": x.at}
            for x in quarantine.extensions.all()
        ],
    }


@reports_router.post(
    "",
    response={200: HealthReportSaved, 201: HealthReportSaved, **ERRORS},
    summary="Send a daily health report",
)
def submit_report(request, payload: HealthReportIn):
    """One person's report for a day (today by default). Sending it again the same day
    corrects it: 201 when new, 200 when it updated the day's report."""
    resident = access.access_resident(request.user, payload.resident_id, action="report")
    report, created = services.report_submit(
        actor=request.user,
        resident=resident,
        temperature=payload.temperature,
        symptoms=payload.symptoms,
        note=payload.note,
        date=payload.date,
    )
    return Status(201 if created else 200, {"report": report_out(report), "created": created})


@residents_router.get(
    "/{int:resident_id}/health",
    response={200: HealthOut, **ERRORS},
    summary="A person's health record",
)
def get_health(request, resident_id: int):
    """Status and since when, the full history of changes, recent reports, test results and
    quarantines. Every read is an audit event."""
    resident = access.access_resident(request.user, resident_id, action="view")
    history = selectors.health_history(user=request.user, resident=resident)
    return {
        "resident_id": resident.pk,
        "name": resident.name,
        "status": history["status"],
        "since": history["since"],
        "history": [change_out(c) for c in history["changes"]],
        "reports": [report_out(r) for r in history["reports"]],
        "lab_results": [
            {
                "id": t.pk,
                "kind": t.kind,
                "outcome": t.outcome,
                "sampled_on": t.sampled_on,
                "place": t.place,
                "imported": t.imported,
            }
            for t in history["tests"]
        ],
        "quarantines": [quarantine_out(q) for q in history["quarantines"]],
    }


@residents_router.post(
    "/{int:resident_id}/health/status",
    response={200: StatusOut, **ERRORS},
    summary="Change a person's health status",
)
def change_status(request, resident_id: int, payload: StatusIn):
    """Move the status along the allowed transitions; a refused move answers 409 with the
    rule it breaks."""
    resident = access.access_resident(request.user, resident_id, action="change")
    if payload.expected is not None and payload.expected not in HealthStatus.values:
        raise ApplicationError(
            _("Please correct the marked fields."),
            fields={"expected": [_("must be one of the health statuses")]},
        )
    change = services.status_change(
        actor=request.user,
        resident=resident,
        to_status=payload.to_status,
        reason=payload.reason,
        expected=payload.expected,
    )
    return {
        "resident_id": resident.pk,
        "status": change.to_status,
        "since": change.changed_at,
        "change": change_out(change),
    }


@residents_router.post(
    "/{int:resident_id}/health/quarantine",
    response={201: QuarantineOut, **ERRORS},
    summary="Start a quarantine",
)
def start_quarantine(request, resident_id: int, payload: QuarantineIn):
    """Home or centralised quarantine for `days` (the community's default when left out);
    the status moves with it and the first follow-up task is in the pool."""
    resident = access.access_resident(request.user, resident_id, action="change")
    quarantine = services.quarantine_start(
        actor=request.user,
        resident=resident,
        kind=payload.kind,
        reason=payload.reason,
        days=payload.days,
        location=payload.location,
    )
    return Status(201, quarantine_out(quarantine))
