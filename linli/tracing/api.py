"""/api/v1/checkins and /api/v1/tracing: check-ins, tracing runs (background jobs) and the
review of the contacts they find. Scoped like the pages: a resident checks in their own
household at a place whose QR code token they have; workers record for the residents of their
area at the places of their community; runs and contacts are for staff and doctors."""

from datetime import datetime

from django.http import Http404
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja import Status as HttpStatus

from linli.core.api import ErrorOut
from linli.core.errors import ApplicationError
from linli.health.access import community_for
from linli.tracing import access, selectors, services
from linli.tracing.models import CheckIn, TraceContact, TracingRun

checkins_router = Router(tags=["tracing"])
tracing_router = Router(tags=["tracing"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _fields(field: str, message: str) -> ApplicationError:
    return ApplicationError(_("Please correct the marked fields."), fields={field: [message]})


# ------------------------------------------------------------------------- check-ins


class CheckInIn(Schema):
    """Where: the place's QR token (anyone who scanned it) or its id (workers of its
    community). Who: left out for oneself; a household member's id; or, for a worker, any
    resident of their area. Times only for a worker's record (default: entered now)."""

    token: str | None = Field(None, max_length=40)
    place_id: int | None = None
    resident_id: int | None = None
    entered_at: datetime | None = None
    left_at: datetime | None = None


class CheckInOut(Schema):
    id: int
    place_id: int
    place: str
    resident_id: int
    resident: str
    entered_at: datetime
    left_at: datetime | None
    # The exit used when none was recorded: entered_at plus the default stay.
    inferred_left_at: datetime | None
    source: str
    # False when the same visit was sent again (a double tap, a retry).
    created: bool


def checkin_out(checkin: CheckIn, created: bool) -> dict:
    inferred = None if checkin.left_at else checkin.entered_at + services.default_stay()
    return {
        "id": checkin.pk,
        "place_id": checkin.place_id,
        "place": checkin.place.name,
        "resident_id": checkin.resident_id,
        "resident": checkin.resident.name,
        "entered_at": checkin.entered_at,
        "left_at": checkin.left_at,
        "inferred_left_at": inferred,
        "source": checkin.source,
        "created": created,
    }


def _place(user, payload: CheckInIn):
    if payload.token:
        return access.place_by_token(payload.token)
    if payload.place_id is not None:
        return access.access_place(user, payload.place_id, action="record_checkin")
    raise _fields("token", _("give the place's QR token or, for workers, its place_id"))


@checkins_router.post(
    "", response={200: CheckInOut, 201: CheckInOut, **ERRORS}, summary="Check in at a place"
)
def checkin_create(request, payload: CheckInIn):
    """201 with the new check-in; 200 with the same one when it was already recorded."""
    user = request.user
    place = _place(user, payload)
    household = {r.pk: r for r in access.own_household(user)}
    self_service = payload.entered_at is None and payload.left_at is None
    resident_id = payload.resident_id
    if resident_id is None:
        if not household:
            raise _fields("resident_id", _("is required for workers"))
        resident_id = next(iter(household))
    if self_service and resident_id in household:
        ((checkin, created),) = services.checkin_scan(
            actor=user, place=place, residents=[household[resident_id]]
        )
    else:
        resident = access.access_resident(user, resident_id, action="record_checkin")
        # A worker records at the places of their own community only.
        access.access_place(user, place.pk, action="record_checkin")
        checkin, created = services.checkin_record(
            actor=user,
            place=place,
            resident=resident,
            entered_at=payload.entered_at,
            left_at=payload.left_at,
        )
    return HttpStatus(201 if created else 200, checkin_out(checkin, created))


class LeaveIn(Schema):
    left_at: datetime | None = None


@checkins_router.post(
    "/{int:checkin_id}/leave", response={200: CheckInOut, **ERRORS}, summary="Record the exit"
)
def checkin_leave(request, checkin_id: int, payload: LeaveIn | None = None):
    user = request.user
    checkin = CheckIn.objects.select_related("place", "resident").filter(pk=checkin_id).first()
    household = {r.pk for r in access.own_household(user)}
    if checkin is None:
        raise Http404
    if checkin.resident_id not in household:
        access.access_resident(user, checkin.resident_id, action="record_checkin")
    left_at = payload.left_at if payload else None
    (checkin,) = services.checkin_leave(actor=user, checkins=[checkin], at=left_at)
    return checkin_out(checkin, False)


# ------------------------------------------------------------------------- tracing runs


class RunIn(Schema):
    index_resident_ids: list[int] = Field(..., min_length=1, max_length=500)
    community_id: int | None = None
    period_start: datetime | None = None
    period_end: datetime | None = None
    buffer_minutes: int | None = Field(None, ge=0, le=services.MAX_BUFFER_MINUTES)
    second_hop: bool = False
    second_hop_cap: int = Field(500, ge=1, le=services.MAX_SECOND_HOP_CAP)


class RunStarted(Schema):
    run_id: int
    job_id: int | None
    url: str


class ContactOut(Schema):
    id: int
    resident_id: int
    name: str
    source_id: int
    source: str
    hop: int
    kind: str
    place_id: int | None
    place: str | None
    exposure_at: datetime
    overlap_seconds: int
    encounters: list[dict]
    proposed_status: str
    review: str
    review_note: str


class ProgressOut(Schema):
    job_id: int | None
    percent: int
    message: str


class RunOut(Schema):
    id: int
    community_id: int
    status: str
    index_resident_ids: list[int]
    period_start: datetime
    period_end: datetime
    buffer_minutes: int
    second_hop: bool
    second_hop_cap: int
    progress: ProgressOut
    checkins_scanned: int
    contacts_found: int
    seconds: float
    error: str
    contacts: list[ContactOut]


def contact_out(c: TraceContact) -> dict:
    return {
        "id": c.pk,
        "resident_id": c.resident_id,
        "name": c.resident.name,
        "source_id": c.source_id,
        "source": c.source.name,
        "hop": c.hop,
        "kind": c.kind,
        "place_id": c.place_id,
        "place": c.place.name if c.place else None,
        "exposure_at": c.exposure_at,
        "overlap_seconds": c.overlap_seconds,
        "encounters": c.encounters,
        "proposed_status": c.proposed_status,
        "review": c.review,
        "review_note": c.review_note,
    }


def run_out(run: TracingRun) -> dict:
    job = run.job
    return {
        "id": run.pk,
        "community_id": run.community_id,
        "status": run.status,
        "index_resident_ids": sorted(run.index_cases.values_list("pk", flat=True)),
        "period_start": run.period_start,
        "period_end": run.period_end,
        "buffer_minutes": run.buffer_minutes,
        "second_hop": run.second_hop,
        "second_hop_cap": run.second_hop_cap,
        "progress": {
            "job_id": run.job_id,
            "percent": job.percent if job else 0,
            "message": job.message if job else "",
        },
        "checkins_scanned": run.checkins_scanned,
        "contacts_found": run.contacts_found,
        "seconds": run.seconds,
        "error": run.error,
        "contacts": [contact_out(c) for c in selectors.run_contacts(run)],
    }


@tracing_router.post(
    "/runs", response={202: RunStarted, **ERRORS}, summary="Start a tracing run (background job)"
)
def run_create(request, payload: RunIn):
    """Finds the contacts of the index cases in the period in the background; watch
    GET /api/v1/tracing/runs/{run_id} (or GET /api/v1/jobs/{job_id})."""
    user = request.user
    access.require_trace(user)
    community = community_for(user, "trace", payload.community_id)
    index_cases = [
        access.access_resident(user, pk, action="trace")
        for pk in dict.fromkeys(payload.index_resident_ids)
    ]
    run = services.tracing_run_create(
        actor=user,
        community=community,
        index_cases=index_cases,
        period_start=payload.period_start,
        period_end=payload.period_end,
        buffer_minutes=payload.buffer_minutes,
        second_hop=payload.second_hop,
        second_hop_cap=payload.second_hop_cap,
        language=get_language(),
    )
    return HttpStatus(
        202,
        {"run_id": run.pk, "job_id": run.job_id, "url": reverse("tracing:run", args=[run.pk])},
    )


@tracing_router.get("/runs/{int:run_id}", response={200: RunOut, **ERRORS}, summary="A run")
def run_get(request, run_id: int):
    """Status and progress; when done, every contact with how they were exposed."""
    return run_out(access.access_run(request.user, run_id))


class ConfirmIn(Schema):
    quarantine: bool = False
    note: str = Field("", max_length=300)


class ConfirmOut(Schema):
    contact: ContactOut
    status_changed: bool
    notes: list[str]


class DismissIn(Schema):
    note: str = Field(..., max_length=300)


@tracing_router.post(
    "/contacts/{int:contact_id}/confirm",
    response={200: ConfirmOut, **ERRORS},
    summary="Confirm a traced contact",
)
def contact_confirm(request, contact_id: int, payload: ConfirmIn | None = None):
    """The status moves to the proposed one where the health rules allow it; a check-on
    visit goes into the task pool; optionally a home quarantine starts."""
    payload = payload or ConfirmIn()
    done = services.trace_contact_confirm(
        actor=request.user,
        contact=access.access_contact(request.user, contact_id),
        quarantine=payload.quarantine,
        note=payload.note,
    )
    return {
        "contact": contact_out(done.contact),
        "status_changed": done.status_changed,
        "notes": done.notes,
    }


@tracing_router.post(
    "/contacts/{int:contact_id}/dismiss",
    response={200: ContactOut, **ERRORS},
    summary="Dismiss a traced contact",
)
def contact_dismiss(request, contact_id: int, payload: DismissIn):
    contact = services.trace_contact_dismiss(
        actor=request.user,
        contact=access.access_contact(request.user, contact_id),
        note=payload.note,
    )
    return contact_out(contact)
