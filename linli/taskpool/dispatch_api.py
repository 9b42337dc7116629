"""/api/v1/dispatch: proposals of who should do which open task, and accepting them.
Planners only (staff and grid workers, for their area); the one error shape."""

from datetime import datetime

from ninja import Router, Schema, Status

from linli.core.api import ErrorOut
from linli.taskpool import dispatch

router = Router(tags=["dispatch"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class ProposalIn(Schema):
    community_id: int | None = None


class ItemOut(Schema):
    task_id: int
    task_title: str
    priority: int
    task_status: str
    worker_id: int | None
    worker_name: str | None
    distance_m: float | None
    cost: float
    reason: str
    explanation: str
    accepted: bool | None


class ProposalOut(Schema):
    id: int
    community_id: int
    created_at: datetime
    total_cost: float
    baseline_cost: float | None
    ratio: float | None
    seconds: float
    tasks: int
    assigned: int
    unassigned: int
    items: list[ItemOut]


class AcceptIn(Schema):
    task_ids: list[int] | None = None
    overrides: dict[int, int] = {}


class AssignedOut(Schema):
    task_id: int
    worker_id: int


class SkippedOut(Schema):
    task_id: int
    reason: str


class AcceptOut(Schema):
    assigned: list[AssignedOut]
    skipped: list[SkippedOut]


def proposal_out(proposal) -> dict:
    items = dispatch.proposal_items(proposal)
    summary = dispatch.proposal_summary(proposal, items)
    return {
        "id": proposal.pk,
        "community_id": proposal.community_id,
        "created_at": proposal.created_at,
        "total_cost": proposal.total_cost,
        "baseline_cost": proposal.baseline_cost,
        "ratio": summary["ratio"],
        "seconds": proposal.seconds,
        "tasks": summary["tasks"],
        "assigned": summary["assigned"],
        "unassigned": summary["unassigned"],
        "items": [
            {
                "task_id": i.task_id,
                "task_title": i.task.title,
                "priority": i.task.priority,
                "task_status": i.task.status,
                "worker_id": i.worker_id,
                "worker_name": i.worker.name if i.worker else None,
                "distance_m": i.distance_m if i.worker_id else None,
                "cost": i.cost,
                "reason": i.reason.get("code", ""),
                "explanation": dispatch.explanation(i.reason) if i.reason else i.explanation,
                "accepted": i.accepted,
            }
            for i in items
        ],
    }


@router.post(
    "/proposals", response={201: ProposalOut, **ERRORS}, summary="Propose owners for open tasks"
)
def create_proposal(request, payload: ProposalIn | None = None):
    community = dispatch.dispatch_community(request.user, payload.community_id if payload else None)
    proposal = dispatch.proposal_create(actor=request.user, community=community)
    return Status(201, proposal_out(proposal))


@router.get("/proposals/{int:proposal_id}", response={200: ProposalOut, **ERRORS})
def get_proposal(request, proposal_id: int):
    return proposal_out(dispatch.access_proposal_by_id(request.user, proposal_id))


@router.post(
    "/proposals/{int:proposal_id}/accept",
    response={200: AcceptOut, **ERRORS},
    summary="Accept a proposal: all, some, or with other workers",
)
def accept_proposal(request, proposal_id: int, payload: AcceptIn):
    proposal = dispatch.access_proposal_by_id(request.user, proposal_id)
    return dispatch.proposal_accept(
        actor=request.user,
        proposal=proposal,
        task_ids=payload.task_ids,
        overrides=payload.overrides,
    )
