"""/api/v1/care: the support list, screenings, cases and their sessions.

Scoped exactly like the pages (linli/care/access.py): a person or case outside the caller's
area is a 404; inside it without the role for the action, 403. Session notes travel one way
only: POST takes them, and GET /cases/{id} returns them to the counsellor on the case and the
care supervisor, each session's notes read through the audited selector. Everyone else gets
`notes: null` and `notes_visible: false`. Refusals use the one error shape.
"""

import datetime as dt

from django.db.models import prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from linli.care import access, selectors, services
from linli.care.choices import ScreeningSource
from linli.care.models import CareCase, CareSession, Screening
from linli.care.selectors import area_community, counsellors_of, open_cases
from linli.core.api import ErrorOut
from linli.core.errors import ApplicationError

router = Router(tags=["care"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class CaseBriefOut(Schema):
    id: int
    risk: str
    counsellor: str | None


class PriorityOut(Schema):
    resident_id: int
    name: str
    address: str
    reasons: list[str]
    # The staff's note for the reasons that carry one ("staff": why they added the person).
    notes: dict[str, str]
    case: CaseBriefOut | None


class ScreeningIn(Schema):
    resident_id: int
    instrument: str  # "phq9" or "gad7"
    answers: list[int]  # one per item, each 0-3, in the questionnaire's order


class ScreeningOut(Schema):
    screening_id: int
    resident_id: int
    instrument: str
    score: int
    band: str
    risk: str
    # Thoughts of self-harm: show the hotline now; an urgent task is in the pool.
    urgent: bool
    hotline: str
    case_id: int | None


class CaseIn(Schema):
    resident_id: int
    risk: str
    reason: str
    counsellor_id: int | None = None


class CaseOut(Schema):
    id: int
    resident_id: int
    name: str
    address: str
    status: str
    risk: str
    reason: str
    counsellor_id: int | None
    counsellor: str | None
    follow_up_days: int
    next_due: dt.date | None
    overdue: bool
    referral: str
    opened_at: dt.datetime
    closed_at: dt.datetime | None
    outcome: str


class SessionIn(Schema):
    mode: str  # phone, video or visit
    minutes: int
    notes: str = ""
    at: dt.datetime | None = None  # now when left out


class SessionOut(Schema):
    id: int
    case_id: int
    at: dt.datetime
    mode: str
    minutes: int
    counsellor: str | None
    has_notes: bool


class SessionNotesOut(SessionOut):
    notes: str | None  # null unless the caller reads notes (and asked for them)


class ScreeningBriefOut(Schema):
    id: int
    at: dt.datetime
    instrument: str
    score: int
    band: str
    risk: str
    source: str


class CaseDetailOut(CaseOut):
    notes_visible: bool
    sessions: list[SessionNotesOut]
    screenings: list[ScreeningBriefOut]


def _name(user) -> str | None:
    return (user.get_full_name() or user.get_username()) if user else None


def case_out(case: CareCase, *, today=None) -> dict:
    today = today or timezone.localdate()
    return {
        "id": case.pk,
        "resident_id": case.resident_id,
        "name": case.resident.name,
        "address": str(case.resident.household),
        "status": case.status,
        "risk": case.risk,
        "reason": case.reason,
        "counsellor_id": case.counsellor_id,
        "counsellor": _name(case.counsellor),
        "follow_up_days": case.follow_up_days,
        "next_due": case.next_due,
        "overdue": bool(case.next_due and case.next_due < today),
        "referral": case.referral,
        "opened_at": case.opened_at,
        "closed_at": case.closed_at,
        "outcome": case.outcome,
    }


def session_out(session: CareSession) -> dict:
    return {
        "id": session.pk,
        "case_id": session.case_id,
        "at": session.at,
        "mode": session.mode,
        "minutes": session.minutes,
        "counsellor": _name(session.counsellor),
        "has_notes": bool(session.notes_encrypted),
    }


@router.get(
    "/priority", response={200: list[PriorityOut], **ERRORS}, summary="Whom to offer support"
)
def priority(request, community: int | None = None):
    """Everyone of one community (the caller's first unless `community` is given) who should
    be offered support, each with every reason, most reasons first, and their open case."""
    access.require(request.user, "priority")
    place = area_community(request.user, "priority", community)
    rows = selectors.priority_list(user=request.user, community=place)
    prefetch_related_objects([row["resident"] for row in rows], "household__entrance")
    return [
        {
            "resident_id": row["resident"].pk,
            "name": row["resident"].name,
            "address": str(row["resident"].household),
            "reasons": [str(reason) for reason in row["reasons"]],
            "notes": {str(k): v for k, v in row["notes"].items()},
            "case": {
                "id": row["case"].pk,
                "risk": row["case"].risk,
                "counsellor": _name(row["case"].counsellor),
            }
            if row["case"]
            else None,
        }
        for row in rows
    ]


@router.post("/screenings", response={201: ScreeningOut, **ERRORS}, summary="Submit a screening")
def submit_screening(request, payload: ScreeningIn):
    """Score a PHQ-9 or GAD-7 for a person (a resident for their household, a counsellor for
    their area). Moderate or worse opens or raises a case; thoughts of self-harm make an
    urgent task due within the hour, tell the counsellors, and answer `urgent` with the
    crisis `hotline` to show at once."""
    user = request.user
    access.require(user, "screen")
    resident = access.access_resident(user, payload.resident_id, action="screen")
    own = bool(user.resident_id) and user.resident.household_id == resident.household_id
    outcome = services.screening_submit(
        actor=user,
        resident=resident,
        instrument=payload.instrument,
        answers=payload.answers,
        source=ScreeningSource.SELF if own else ScreeningSource.COUNSELLOR,
    )
    screening = outcome.screening
    return Status(
        201,
        {
            "screening_id": screening.pk,
            "resident_id": resident.pk,
            "instrument": screening.instrument,
            "score": screening.total,
            "band": screening.band,
            "risk": screening.risk,
            "urgent": outcome.urgent,
            "hotline": outcome.hotline,
            "case_id": outcome.case.pk if outcome.case else None,
        },
    )


@router.get("/cases", response={200: list[CaseOut], **ERRORS}, summary="Open support cases")
def list_cases(request, mine: bool = False):
    """The open cases of the caller's area (`mine=true`: only those they counsel), the most
    pressing follow-up first."""
    access.require(request.user, "cases")
    today = timezone.localdate()
    return [case_out(case, today=today) for case in open_cases(request.user, mine=mine)]


@router.post("/cases", response={201: CaseOut, **ERRORS}, summary="Open a support case")
def create_case(request, payload: CaseIn):
    """A case for a person with no open case (409 if they have one)."""
    user = request.user
    access.require(user, "cases")
    resident = access.access_resident(user, payload.resident_id, action="cases")
    counsellor = None
    if payload.counsellor_id is not None:
        community_id = resident.household.building.community_id
        counsellor = next(
            (c for c in counsellors_of(community_id) if c.pk == payload.counsellor_id), None
        )
        if counsellor is None:
            raise ApplicationError(
                _("Please correct the marked fields."),
                fields={"counsellor_id": [_("is not a counsellor of this community")]},
            )
    case = services.case_open(
        actor=user,
        resident=resident,
        risk=payload.risk,
        reason=payload.reason,
        counsellor=counsellor,
    )
    case = access.access_case(user, case.pk)
    return Status(201, case_out(case))


@router.get("/cases/{int:case_id}", response={200: CaseDetailOut, **ERRORS}, summary="A case")
def get_case(request, case_id: int, notes: bool = True):
    """The case with its sessions and the person's screenings. The sessions' notes are
    included for the counsellor on the case and the care supervisor (each read audited;
    `notes=false` skips them); for everyone else `notes` is null."""
    user = request.user
    case = access.access_case(user, case_id)
    visible = access.can_read_notes(user, case)
    sessions = []
    for session in case.sessions.select_related("counsellor"):
        session.case = case
        row = session_out(session)
        row["notes"] = (
            selectors.session_notes(user=user, session=session) if visible and notes else None
        )
        sessions.append(row)
    screenings = [
        {
            "id": s.pk,
            "at": s.at,
            "instrument": s.instrument,
            "score": s.total,
            "band": s.band,
            "risk": s.risk,
            "source": s.source,
        }
        for s in Screening.objects.filter(resident=case.resident)
    ]
    return {
        **case_out(case),
        "notes_visible": visible,
        "sessions": sessions,
        "screenings": screenings,
    }


@router.post(
    "/cases/{int:case_id}/sessions",
    response={201: SessionOut, **ERRORS},
    summary="Record a counselling session",
)
def record_session(request, case_id: int, payload: SessionIn):
    """A conversation held: its notes are stored encrypted and never returned here."""
    case = access.access_case(request.user, case_id)
    at = payload.at
    if at is not None and timezone.is_naive(at):
        at = timezone.make_aware(at)
    session = services.session_record(
        actor=request.user,
        case=case,
        mode=payload.mode,
        minutes=payload.minutes,
        notes=payload.notes,
        at=at,
    )
    return Status(201, session_out(session))
