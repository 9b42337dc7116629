"""/api/v1/delivery: door-delivery plans, scoped like the pages (route sheets hold names and
phones: staff and grid workers of the area, and the route's own volunteer).

POST /api/v1/rounds/{id}/delivery-plan lives in the rounds router (linli.supplies.api); it
calls the plain function `linli.delivery.services.delivery_plan_for_round` (re-exported here),
which queues the planning job and returns it to watch at GET /api/v1/jobs/{id}.
`DeliveryPlanIn` lists the options that function takes, should the router accept a body.
"""

from datetime import datetime

from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from linli.core.api import ErrorOut
from linli.core.errors import ApplicationError
from linli.delivery import access, selectors
from linli.delivery.choices import Mode
from linli.delivery.models import RouteStop
from linli.delivery.services import delivery_plan_for_round  # noqa: F401 (for the rounds router)
from linli.places.models import PublicPlace
from linli.residents.models import Resident

router = Router(tags=["delivery"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class PersonOut(Schema):
    name: str
    phone: str


class StopOut(Schema):
    sequence: int
    trip: int
    order_id: int
    household_id: int
    address: str
    bags: int
    arrives_at: datetime
    window_start: datetime
    window_end: datetime
    # Names and phones only where the reader may see them; `details` says whether they are shown.
    details: bool
    people: list[PersonOut]


class RouteOut(Schema):
    id: int
    number: int
    worker_id: int
    worker: str
    task_id: int | None
    distance_m: float
    starts_at: datetime
    ends_at: datetime
    bags: int
    trips: int
    sheet_url: str
    stops: list[StopOut]


class StartOut(Schema):
    place_id: int | None
    name: str
    x: float
    y: float


class PlanOut(Schema):
    id: int
    round_id: int
    status: str
    job_id: int | None
    created_at: datetime
    start: StartOut
    mode: str
    capacity: int
    shift_minutes: int
    window_start: datetime
    window_end: datetime
    orders: int
    distance_m: float | None
    message: str
    unplanned_order_ids: list[int]
    routes: list[RouteOut]


class DeliveryPlanIn(Schema):
    """Inputs of "Plan door-delivery routes"; every one has a default."""

    volunteers: int | None = Field(None, ge=1, le=100)
    worker_ids: list[int] | None = None
    shift_minutes: int | None = Field(None, ge=30, le=720)
    mode: Mode = Mode.WALK
    capacity: int | None = Field(None, ge=1, le=50)
    start_place_id: int | None = None
    window_start: datetime | None = None
    window_end: datetime | None = None
    seconds: int | None = Field(None, ge=1, le=120)


def delivery_plan_options(round_, payload: DeliveryPlanIn) -> dict:
    """`payload` as keyword arguments for `delivery_plan_for_round`, the start place checked
    to be one of the round's community."""
    options = payload.dict(exclude_none=True)
    place_id = options.pop("start_place_id", None)
    if place_id is not None:
        options["start_place"] = PublicPlace.objects.filter(
            community_id=round_.community_id, pk=place_id
        ).first()
        if options["start_place"] is None:
            raise ApplicationError(
                _("Please correct the marked fields."),
                fields={"start_place_id": [_("is not a public place of this community")]},
            )
    return options


def plan_out(plan, user) -> dict:
    routes = selectors.plan_routes(plan, user=user)
    stop_ids = [s.pk for r in routes for s in r.stops.all()]
    visible = set(
        RouteStop.objects.filter(access.stop_details_q(user), pk__in=stop_ids)
        .values_list("household_id", flat=True)
        .distinct()
    )
    people: dict[int, list] = {}
    for r in (
        Resident.objects.active()
        .filter(household_id__in=visible)
        .only("name", "phone", "household_id")
        .order_by("household_id", "id")
    ):
        people.setdefault(r.household_id, []).append({"name": r.name, "phone": r.phone})
    return {
        "id": plan.pk,
        "round_id": plan.round_id,
        "status": plan.status,
        "job_id": plan.job_id,
        "created_at": plan.created_at,
        "start": {
            "place_id": plan.start_place_id,
            "name": plan.start_place.name if plan.start_place else "",
            "x": plan.start_x,
            "y": plan.start_y,
        },
        "mode": plan.mode,
        "capacity": plan.capacity,
        "shift_minutes": plan.shift_minutes,
        "window_start": plan.window_start,
        "window_end": plan.window_end,
        "orders": plan.orders,
        "distance_m": plan.distance_m,
        "message": plan.message,
        "unplanned_order_ids": list(
            selectors.unplanned_orders(plan, user=user).values_list("pk", flat=True)
        ),
        "routes": [
            {
                "id": r.pk,
                "number": r.number,
                "worker_id": r.worker_id,
                "worker": r.worker.name,
                "task_id": r.task_id,
                "distance_m": r.distance_m,
                "starts_at": r.starts_at,
                "ends_at": r.ends_at,
                "bags": r.bags,
                "trips": r.trips,
                "sheet_url": reverse("delivery:route", args=[r.pk]),
                "stops": [
                    {
                        "sequence": s.sequence,
                        "trip": s.trip,
                        "order_id": s.order_id,
                        "household_id": s.household_id,
                        "address": str(s.household),
                        "bags": s.bags,
                        "arrives_at": s.arrives_at,
                        "window_start": s.window_start,
                        "window_end": s.window_end,
                        "details": s.household_id in visible,
                        "people": people.get(s.household_id, []),
                    }
                    for s in r.stops.all()
                ],
            }
            for r in routes
        ],
    }


@router.get("/plans/{int:plan_id}", response={200: PlanOut, **ERRORS}, summary="A route plan")
def get_plan(request, plan_id: int):
    """A door-delivery plan with the routes the caller may open, stops in walking order."""
    plan = access.access_plan_by_id(request.user, plan_id)
    return plan_out(plan, request.user)
