"""/api/v1/crosschecks: the external-list cross-check (大数据核对) for community staff.

    POST /crosschecks                      multipart: file, list_kind, threshold, mapping (a
                                           JSON object as a string, optional), community_id
                                           (optional). With a mapping the job starts at once:
                                           202 with the job to watch; without, 201 with the
                                           list's columns and a suggested mapping.
    POST /crosschecks/{id}/run             {"mapping": {...}, "threshold": 0.9}: 202
    GET  /crosschecks/{id}/matches         status, progress, the matches with their evidence
                                           (ID numbers masked on both sides), review states
    POST /crosschecks/matches/{id}/accept  status change and task by the list's kind
    POST /crosschecks/matches/{id}/reject

Staff and admins of the list's community only: other roles get 403, another community's
list is a 404.
"""

import json
from datetime import date, datetime

from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status, UploadedFile

from linli.core.api import ErrorOut
from linli.core.errors import ApplicationError
from linli.health import access as health_access
from linli.tracing import crosscheck_selectors as selectors
from linli.tracing import crosscheck_services as services
from linli.tracing.choices import Review

router = Router(tags=["cross-check"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class CrossCheckOut(Schema):
    id: int
    status: str
    filename: str
    list_kind: str
    encoding: str
    row_count: int
    threshold: float
    headers: list[str]
    mapping: dict[str, str]
    suggested_mapping: dict[str, str]
    job_id: int | None
    url: str


class RunIn(Schema):
    # {"name": "姓名", "id_number": "身份证号", ...}: registry field -> the list's column.
    mapping: dict[str, str]
    threshold: float | None = Field(None, ge=0, le=1)


class ProgressOut(Schema):
    percent: int
    done: int
    total: int
    message: str


class FieldOut(Schema):
    field: str
    column: str
    list_value: str
    registry_value: str
    evidence: str
    evidence_label: str


class ResidentOut(Schema):
    id: int
    name: str
    sex: str
    birth_date: date | None
    phone: str
    id_number_masked: str
    address: str
    health_status: str


class MatchOut(Schema):
    id: int
    row: int
    probability: float
    evidence: dict[str, str]
    fields: list[FieldOut]
    resident: ResidentOut
    review: str
    reviewed_by: str
    reviewed_at: datetime | None


class MatchesOut(Schema):
    id: int
    status: str
    error: str
    list_kind: str
    threshold: float
    progress: ProgressOut | None
    row_count: int
    matched_rows: int
    unmatched_rows: int
    counts: dict[str, int]
    total: int
    limit: int
    offset: int
    matches: list[MatchOut]


class AcceptOut(Schema):
    id: int
    review: str
    changed: bool
    status_from: str
    status_to: str
    # Why the status the list proposes was not set (the match is accepted all the same).
    status_refused: str
    task_id: int | None


class RejectOut(Schema):
    id: int
    review: str
    changed: bool


def crosscheck_out(crosscheck) -> dict:
    return {
        "id": crosscheck.pk,
        "status": crosscheck.status,
        "filename": crosscheck.filename,
        "list_kind": crosscheck.list_kind,
        "encoding": crosscheck.encoding,
        "row_count": crosscheck.row_count,
        "threshold": crosscheck.threshold,
        "headers": crosscheck.headers,
        "mapping": crosscheck.mapping,
        "suggested_mapping": services.suggested_mapping(crosscheck),
        "job_id": crosscheck.job_id,
        "url": reverse("crosscheck:detail", args=[crosscheck.pk]),
    }


def _mapping(text: str) -> dict | None:
    if not text or not text.strip():
        return None
    try:
        mapping = json.loads(text)
    except ValueError:
        mapping = None
    if not isinstance(mapping, dict):
        raise ApplicationError(
            _("Please correct the marked fields."),
            fields={"mapping": [_('must be a JSON object such as {"name": "姓名"}')]},
        )
    return mapping


@router.post(
    "",
    response={201: CrossCheckOut, 202: CrossCheckOut, **ERRORS},
    summary="Upload an external list to cross-check",
)
def upload(
    request,
    file: File[UploadedFile],
    list_kind: Form[str],
    threshold: Form[float] = services.DEFAULT_THRESHOLD,
    mapping: Form[str] = "",
    community_id: Form[int | None] = None,
):
    """Store the list (CSV in UTF-8 or GBK, or .xlsx). With `mapping` the linkage job starts
    at once (202, watch `job_id` at /api/v1/jobs/{id}); without, map the returned `headers`
    and call POST /crosschecks/{id}/run (201)."""
    health_access.require(request.user, "crosscheck")
    community = health_access.community_for(request.user, "crosscheck", community_id)
    parsed_mapping = _mapping(mapping)
    content = services.upload_content(file)
    options = {
        "actor": request.user,
        "community": community,
        "list_kind": list_kind,
        "filename": file.name,
        "content": content,
        "threshold": threshold,
    }
    if parsed_mapping is None:
        return Status(201, crosscheck_out(services.crosscheck_upload(**options)))
    crosscheck = services.crosscheck_upload_and_run(
        **options, mapping=parsed_mapping, language=get_language()
    )
    return Status(202, crosscheck_out(crosscheck))


@router.post(
    "/{int:crosscheck_id}/run",
    response={202: CrossCheckOut, **ERRORS},
    summary="Map the columns and link the list to the registry",
)
def run(request, crosscheck_id: int, payload: RunIn):
    """Start (or run again) the linkage job. Running again replaces the matches still waiting
    for review; reviewed ones stay."""
    crosscheck = selectors.access_crosscheck(request.user, crosscheck_id)
    crosscheck = services.crosscheck_run_request(
        actor=request.user,
        crosscheck=crosscheck,
        mapping=payload.mapping,
        threshold=payload.threshold,
        language=get_language(),
    )
    return Status(202, crosscheck_out(crosscheck))


def _match_out(item: dict) -> dict:
    match = item["match"]
    resident = match.resident
    return {
        "id": match.pk,
        "row": match.row.number,
        "probability": match.probability,
        "evidence": match.evidence,
        "fields": [
            {
                "field": f.field,
                "column": f.column,
                "list_value": f.listed,
                "registry_value": f.registered,
                "evidence": f.evidence,
                "evidence_label": f.evidence_label,
            }
            for f in item["fields"]
        ],
        "resident": {
            "id": resident.pk,
            "name": resident.name,
            "sex": resident.sex,
            "birth_date": resident.birth_date,
            "phone": resident.phone,
            "id_number_masked": resident.id_number_masked,
            "address": str(resident.household),
            "health_status": item["status"],
        },
        "review": match.review,
        "reviewed_by": match.reviewed_by.get_username() if match.reviewed_by else "",
        "reviewed_at": match.reviewed_at,
    }


@router.get(
    "/{int:crosscheck_id}/matches",
    response={200: MatchesOut, **ERRORS},
    summary="The cross-check's progress and matches",
)
def matches(
    request,
    crosscheck_id: int,
    review: Review | None = None,
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0),
):
    """Most probable first; `review` filters by review state. ID numbers masked."""
    crosscheck = selectors.access_crosscheck(request.user, crosscheck_id)
    job = crosscheck.job
    qs = selectors.matches_for(crosscheck, review=review)
    items = selectors.with_fields(qs[offset : offset + limit], crosscheck)
    counts = selectors.review_counts(crosscheck)
    return {
        "id": crosscheck.pk,
        "status": crosscheck.status,
        "error": crosscheck.error,
        "list_kind": crosscheck.list_kind,
        "threshold": crosscheck.threshold,
        "progress": {
            "percent": job.percent,
            "done": job.done,
            "total": job.total,
            "message": job.message,
        }
        if job
        else None,
        "row_count": crosscheck.row_count,
        "matched_rows": crosscheck.matched_rows,
        "unmatched_rows": counts.pop("unmatched"),
        "counts": counts,
        "total": qs.count(),
        "limit": limit,
        "offset": offset,
        "matches": [_match_out(i) for i in items],
    }


@router.post(
    "/matches/{int:match_id}/accept",
    response={200: AcceptOut, **ERRORS},
    summary="Accept a match: status change and task by the list's kind",
)
def accept(request, match_id: int):
    """Accepting twice does nothing the second time (`changed` is false). A status the health
    rules refuse does not block the acceptance: `status_refused` says why."""
    match = selectors.access_match(request.user, match_id)
    outcome = services.crosscheck_match_accept(actor=request.user, match=match)
    return {
        "id": outcome.match.pk,
        "review": outcome.match.review,
        "changed": outcome.changed,
        "status_from": outcome.status_from,
        "status_to": outcome.status_to,
        "status_refused": outcome.refusal,
        "task_id": outcome.task.pk if outcome.task else None,
    }


@router.post(
    "/matches/{int:match_id}/reject",
    response={200: RejectOut, **ERRORS},
    summary="Reject a match: the row is someone else",
)
def reject(request, match_id: int):
    match = selectors.access_match(request.user, match_id)
    outcome = services.crosscheck_match_reject(actor=request.user, match=match)
    return {"id": outcome.match.pk, "review": outcome.match.review, "changed": outcome.changed}
