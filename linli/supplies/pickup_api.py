"""/api/v1/pickups: contact-free pickup and pickup-point plans.

POST /pickups/{code}/collect checks an order off at its point (a screened worker of the
community; the code is the 6 digits or the QR's text). Plans run as background jobs; GET
/api/v1/jobs/{id} shows progress and, when done, the plan's id. The round's own plan endpoint,
POST /api/v1/rounds/{id}/pickup-plan, lives in the rounds router and calls
`linli.supplies.pickup.pickup_plan_for_round`.
"""

from datetime import datetime

from ninja import Field, Router, Schema
from ninja import Status as HttpStatus

from linli.core.api import ErrorOut
from linli.supplies import pickup
from linli.supplies.access import plan_communities
from linli.supplies.models import Round

router = Router(tags=["pickups"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class CollectIn(Schema):
    round_id: int | None = None
    point_id: int | None = None


class LineOut(Schema):
    package: str
    quantity: int


class PickupOut(Schema):
    order_id: int
    round_id: int
    household: str
    point_id: int | None
    point: str | None
    slot_start: datetime | None
    status: str
    collected_at: datetime | None
    lines: list[LineOut]


class PlanIn(Schema):
    community_id: int | None = None
    round_id: int | None = None
    k: int = Field(..., ge=1, le=pickup.MAX_K)
    capacity: int | None = Field(None, ge=1)
    pinned: list[str] = []
    forbidden: list[str] = []


class PlanJobOut(Schema):
    job_id: int
    status: str


class CandidateOut(Schema):
    key: str
    name: str
    kind: str
    x: float
    y: float


class AssignmentOut(Schema):
    building_id: int
    building: str
    households: int
    distance_m: float


class PointOut(Schema):
    id: int
    name: str
    x: float
    y: float
    households: int
    buildings: list[AssignmentOut]


class PlanOut(Schema):
    id: int
    community_id: int
    k: int
    cost: float
    method: str
    gap: float
    seconds: float
    pinned: list[str]
    forbidden: list[str]
    households: int
    mean_walk_m: float
    points: list[PointOut]


def pickup_out(order) -> dict:
    return {
        "order_id": order.pk,
        "round_id": order.round_id,
        "household": str(order.household),
        "point_id": order.pickup_point_id,
        "point": order.pickup_point.name if order.pickup_point else None,
        "slot_start": order.slot_start,
        "status": order.status,
        "collected_at": order.collected_at,
        "lines": [
            {"package": line.item.package.name, "quantity": line.quantity}
            for line in order.lines.all()
        ],
    }


def plan_out(plan) -> dict:
    detail = pickup.plan_detail(plan)
    return {
        "id": plan.pk,
        "community_id": plan.community_id,
        "k": plan.k,
        "cost": plan.cost,
        "method": plan.method,
        "gap": plan.gap,
        "seconds": plan.seconds,
        "pinned": plan.pinned,
        "forbidden": plan.forbidden,
        "households": detail["households"],
        "mean_walk_m": detail["mean_walk"],
        "points": [
            {
                "id": row["point"].pk,
                "name": row["point"].name,
                "x": row["point"].x,
                "y": row["point"].y,
                "households": row["households"],
                "buildings": [
                    {
                        "building_id": b["building"].pk,
                        "building": b["building"].number,
                        "households": b["households"],
                        "distance_m": b["distance"],
                    }
                    for b in row["buildings"]
                ],
            }
            for row in detail["points"]
        ],
    }


def _community(user, community_id):
    communities = plan_communities(user)
    community = communities.filter(pk=community_id).first() if community_id else communities.first()
    if community is None:
        from django.http import Http404

        raise Http404
    return community


@router.get(
    "/candidates",
    response={200: list[CandidateOut], **ERRORS},
    summary="Places that can be pickup points (keys for pinned/forbidden)",
)
def candidates(request, community_id: int | None = None):
    community = _community(request.user, community_id)
    return [
        {"key": c.key, "name": c.name, "kind": c.kind, "x": c.x, "y": c.y}
        for c in pickup.pickup_candidates(community)
    ]


@router.post(
    "/plans",
    response={202: PlanJobOut, **ERRORS},
    summary="Plan pickup points (background job; GET /api/v1/jobs/{id} for progress)",
)
def create_plan(request, payload: PlanIn):
    round_ = None
    if payload.round_id is not None:
        round_ = pickup.access_round_for_pickup(request.user, payload.round_id)
        community = round_.community
    else:
        community = _community(request.user, payload.community_id)
    job = pickup.pickup_plan_start(
        actor=request.user,
        community=community,
        k=payload.k,
        capacity=payload.capacity,
        pinned=payload.pinned,
        forbidden=payload.forbidden,
        round_=round_ if isinstance(round_, Round) else None,
    )
    return HttpStatus(202, {"job_id": job.pk, "status": job.status})


@router.get("/plans/{int:plan_id}", response={200: PlanOut, **ERRORS}, summary="A pickup plan")
def get_plan(request, plan_id: int):
    return plan_out(pickup.access_plan_by_id(request.user, plan_id))


@router.post(
    "/{code}/collect",
    response={200: PickupOut, **ERRORS},
    summary="Check an order off as handed over at its pickup point",
)
def collect(request, code: str, payload: CollectIn | None = None):
    payload = payload or CollectIn()
    order = pickup.pickup_collect_by_code(
        actor=request.user, code=code, round_id=payload.round_id, point_id=payload.point_id
    )
    return pickup_out(order)
