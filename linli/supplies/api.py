"""/api/v1/rounds, /api/v1/orders and /api/v1/jobs: group orders, scoped like the pages.

Placing an order is idempotent: with an `Idempotency-Key` header the first answer (status code
and body, a refusal included) is stored and replayed verbatim when the same user sends the same
key for the same round again — a double tap or a retry after a timeout gives one order and the
same answer. The order and the stored answer are committed together.
"""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from ninja import Field, Header, Query, Router, Schema
from ninja import Status as HttpStatus

from linli.core.api import ErrorOut
from linli.core.errors import ApplicationError
from linli.core.models import Job
from linli.delivery.api import DeliveryPlanIn, delivery_plan_options
from linli.delivery.services import delivery_plan_for_round
from linli.supplies import access, selectors, services
from linli.supplies.choices import Payment, RoundStatus
from linli.supplies.models import IdempotentResponse, Order, Round
from linli.supplies.pickup import pickup_plan_for_round

rounds_router = Router(tags=["rounds"])
orders_router = Router(tags=["orders"])
jobs_router = Router(tags=["jobs"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
KEY_MAX = 80


class ItemOut(Schema):
    id: int
    package_id: int
    name: str
    kind: str
    contents: str
    price_fen: int
    stock: int
    per_household: int


class RoundOut(Schema):
    id: int
    title: str
    community_id: int
    supplier: str
    status: str
    accepting: bool
    opens_at: datetime
    closes_at: datetime
    pickup_starts_at: datetime
    slot_minutes: int
    household_limit: int


class RoundDetail(RoundOut):
    building_ids: list[int]
    items: list[ItemOut]


class RoundPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[RoundOut]


class RoundFilters(Schema):
    status: RoundStatus | None = None
    page: int = Field(1, ge=1)
    page_size: int = Field(50, ge=1, le=200)


class LineOut(Schema):
    item_id: int
    package: str
    quantity: int
    price_fen: int


class OrderOut(Schema):
    id: int
    round_id: int
    household_id: int
    household: str
    status: str
    payment: str
    total_fen: int
    lines: list[LineOut]
    pickup_point: str | None
    slot_start: datetime | None
    slot_minutes: int
    pickup_code: str | None
    door_delivery: bool
    created_at: datetime
    updated_at: datetime


class OrderIn(Schema):
    household_id: int
    lines: dict[int, int]
    payment: Payment = Payment.CASH


class OrderPatch(Schema):
    lines: dict[int, int]
    payment: Payment | None = None


class JobOut(Schema):
    job_id: int


class JobDetail(Schema):
    id: int
    kind: str
    status: str
    done: int
    total: int
    percent: int
    message: str
    finished: bool
    result: dict


def round_out(round_: Round) -> dict:
    return {
        "id": round_.pk,
        "title": round_.title,
        "community_id": round_.community_id,
        "supplier": round_.supplier.name,
        "status": round_.status,
        "accepting": services.round_is_open(round_),
        "opens_at": round_.opens_at,
        "closes_at": round_.closes_at,
        "pickup_starts_at": round_.pickup_starts_at,
        "slot_minutes": round_.slot_minutes,
        "household_limit": round_.household_limit,
    }


def order_out(order: Order, user, *, show_code: bool | None = None) -> dict:
    if show_code is None:
        show_code = access.can_write_order(user, order)
    return {
        "id": order.pk,
        "round_id": order.round_id,
        "household_id": order.household_id,
        "household": str(order.household),
        "status": order.status,
        "payment": order.payment,
        "total_fen": order.total_fen,
        "lines": [
            {
                "item_id": line.item_id,
                "package": line.item.package.name,
                "quantity": line.quantity,
                "price_fen": line.price_fen,
            }
            for line in selectors.order_lines(order)
        ],
        "pickup_point": order.pickup_point.name if order.pickup_point_id else None,
        "slot_start": order.slot_start,
        "slot_minutes": order.round.slot_minutes,
        # The code collects the bags: only the household and those who order for it see it.
        "pickup_code": (order.pickup_code or None) if show_code else None,
        "door_delivery": order.door_delivery,
        "created_at": order.created_at,
        "updated_at": order.updated_at,
    }


def _fresh(order: Order) -> Order:
    return Order.objects.select_related(
        "round", "household__building", "household__entrance", "pickup_point"
    ).get(pk=order.pk)


# ---------------------------------------------------------------- rounds


@rounds_router.get("", response={200: RoundPage, **ERRORS}, summary="List rounds")
def list_rounds(request, filters: Query[RoundFilters]):
    """Rounds the user sees: every round of a community they work in; for a resident, the open
    rounds for their household and the rounds it ordered in."""
    qs = selectors.round_list(user=request.user, status=filters.status)
    start = (filters.page - 1) * filters.page_size
    return {
        "count": qs.count(),
        "page": filters.page,
        "page_size": filters.page_size,
        "items": [round_out(r) for r in qs[start : start + filters.page_size]],
    }


@rounds_router.get("/{int:round_id}", response={200: RoundDetail, **ERRORS}, summary="One round")
def get_round(request, round_id: int):
    round_ = access.access_round_by_id(request.user, round_id)
    return {
        **round_out(round_),
        "building_ids": sorted(round_.buildings.values_list("pk", flat=True)),
        "items": [
            {
                "id": item.pk,
                "package_id": item.package_id,
                "name": item.package.name,
                "kind": item.package.kind,
                "contents": item.package.contents,
                "price_fen": item.price_fen,
                "stock": item.stock,
                "per_household": item.per_household,
            }
            for item in round_.items.select_related("package").order_by("package__kind", "pk")
        ],
    }


def _error_body(exc: ApplicationError) -> dict:
    return {"error": {"code": exc.code, "message": exc.message, "fields": exc.fields}}


def _not_found() -> tuple[int, dict]:
    return 404, {"error": {"code": "not_found", "message": _("Not found."), "fields": {}}}


def _place(request, round_id: int, payload: OrderIn, key: str) -> tuple[int, dict]:
    """Place the order; (status, body) for success and for every refusal."""
    try:
        round_ = access.access_round_by_id(request.user, round_id)
        household = access.access_household_for_order(request.user, payload.household_id)
        order, created = services.order_place(
            actor=request.user,
            round_=round_,
            household=household,
            lines=dict(payload.lines),
            payment=payload.payment,
            idempotency_key=key,
        )
    except Http404:
        return _not_found()
    except ApplicationError as exc:
        return exc.status, _error_body(exc)
    return 201, OrderOut(**order_out(_fresh(order), request.user, show_code=True)).model_dump(
        mode="json"
    )


def _json(body: dict, status: int) -> JsonResponse:
    # Keys sorted: PostgreSQL's jsonb does not keep the order they were stored in, and a
    # replay must be byte for byte the first answer.
    return JsonResponse(body, status=status, json_dumps_params={"sort_keys": True})


def _replay(stored: IdempotentResponse) -> JsonResponse:
    response = _json(stored.body, stored.status_code)
    response["Idempotent-Replayed"] = "true"
    return response


@rounds_router.post(
    "/{int:round_id}/orders",
    response={201: OrderOut, **ERRORS},
    summary="Place a household's order (idempotent with Idempotency-Key)",
)
def place_order(
    request,
    round_id: int,
    payload: OrderIn,
    idempotency_key: str = Header("", alias="Idempotency-Key"),
):
    """`lines` maps round item ids to quantities. Refusals (round closed 409, over a limit 400,
    out of stock 409, household outside the round 400, a household you may not order for 404)
    say why and reserve nothing. The same Idempotency-Key again replays the first answer."""
    key = (idempotency_key or "").strip()
    if len(key) > KEY_MAX:
        raise ApplicationError(
            _("The Idempotency-Key is too long (at most %(n)d characters).") % {"n": KEY_MAX},
            fields={"Idempotency-Key": [_("too long")]},
        )
    if not key:
        status, body = _place(request, round_id, payload, "")
        return _json(body, status)
    scope = f"round:{round_id}"
    mine = IdempotentResponse.objects.filter(user=request.user, scope=scope, key=key)
    if (stored := mine.first()) is not None:
        return _replay(stored)
    with transaction.atomic():
        status, body = _place(request, round_id, payload, key)
        try:
            with transaction.atomic():
                IdempotentResponse.objects.create(
                    user=request.user, scope=scope, key=key, status_code=status, body=body
                )
        except IntegrityError:
            pass  # the same key raced in from another request, which answered first
        else:
            return _json(body, status)
    return _replay(mine.get())


# ---------------------------------------------------------------- background plans


class PickupPlanIn(Schema):
    """Inputs of "Plan pickup points" for the round's buildings; every one has a default."""

    k: int | None = Field(None, ge=1, description="number of points (default: the last plan's)")
    capacity: int | None = Field(None, ge=1, description="households one point can serve")
    pinned: list[str] = Field(
        [], description='candidate keys that must be chosen, e.g. "place:3" or "building:12"'
    )
    forbidden: list[str] = Field([], description="candidate keys that must not be chosen")


def _plan_round(request, round_id: int):
    round_ = access.access_round_by_id(request.user, round_id)
    access.require_plan(request.user, round_.community)
    return round_


@rounds_router.post(
    "/{int:round_id}/pickup-plan",
    response={202: JobOut, **ERRORS},
    summary="Plan pickup points for the round (background job)",
)
def pickup_plan(request, round_id: int, payload: PickupPlanIn | None = None):
    """Chooses k pickup points minimising the households' walking (p-median) in the
    background; watch GET /api/v1/jobs/{job_id}. The round takes the plan when it finishes."""
    round_ = _plan_round(request, round_id)
    payload = payload or PickupPlanIn()
    job = pickup_plan_for_round(
        actor=request.user,
        round_=round_,
        k=payload.k,
        capacity=payload.capacity,
        pinned=payload.pinned,
        forbidden=payload.forbidden,
    )
    return HttpStatus(202, {"job_id": job.pk})


@rounds_router.post(
    "/{int:round_id}/delivery-plan",
    response={202: JobOut, **ERRORS},
    summary="Plan door-delivery routes for the round (background job)",
)
def delivery_plan(request, round_id: int, payload: DeliveryPlanIn | None = None):
    """Turns the round's door deliveries into routes for the volunteers on shift (PyVRP) in
    the background; watch GET /api/v1/jobs/{job_id}."""
    round_ = _plan_round(request, round_id)
    options = delivery_plan_options(round_, payload or DeliveryPlanIn())
    job = delivery_plan_for_round(actor=request.user, round_=round_, **options)
    return HttpStatus(202, {"job_id": job.pk})


# ---------------------------------------------------------------- orders


@orders_router.get("/{int:order_id}", response={200: OrderOut, **ERRORS}, summary="One order")
def get_order(request, order_id: int):
    return order_out(access.access_order_by_id(request.user, order_id), request.user)


@orders_router.patch(
    "/{int:order_id}", response={200: OrderOut, **ERRORS}, summary="Change an order's lines"
)
def change_order(request, order_id: int, payload: OrderPatch):
    order = access.access_order_by_id(request.user, order_id, for_write=True)
    services.order_change(
        actor=request.user, order=order, lines=dict(payload.lines), payment=payload.payment
    )
    return order_out(_fresh(order), request.user, show_code=True)


@orders_router.post(
    "/{int:order_id}/cancel", response={200: OrderOut, **ERRORS}, summary="Cancel an order"
)
def cancel_order(request, order_id: int):
    order = access.access_order_by_id(request.user, order_id, for_write=True)
    services.order_cancel(actor=request.user, order=order)
    return order_out(_fresh(order), request.user, show_code=True)


# ---------------------------------------------------------------- jobs


@jobs_router.get("/{int:job_id}", response={200: JobDetail, **ERRORS}, summary="Job progress")
def get_job(request, job_id: int):
    """A background job's progress and result, for the person who started it."""
    job = Job.objects.filter(pk=job_id).first()
    if job is None or not (request.user.is_superuser or job.created_by_id == request.user.pk):
        raise Http404
    return {
        "id": job.pk,
        "kind": job.kind,
        "status": job.status,
        "done": job.done,
        "total": job.total,
        "percent": job.percent,
        "message": job.message,
        "finished": job.finished,
        "result": job.result,
    }
