"""Pickup points, pickup slots and contact-free pickup (proposal S4: "one fixed pickup point
per building or cluster of buildings; everyone able-bodied collects downstairs").

* "Plan pickup points" chooses k of the candidate places (gates, squares, existing pickup
  points, and each building's entrance area) so that the households' total walking distance is
  least, with the placement engine (exact p-median on HiGHS; a heuristic with a stated gap when
  too large), as a background job with progress. The plan keeps each building's point.
* Closing a round gives each order its building's point and a pickup slot, staggered by
  building so that no more than `round.slot_capacity` households share a point in one slot.
* At the point the resident shows the 6-digit code (or its QR code); the volunteer types or
  scans it and never touches the phone. After the slot and a grace period an order still not
  collected becomes a check-on visit in the task pool: somebody who did not come down may be
  ill.

Services (writes) are `pickup_*` and `round_close`; reads are the selectors further down.
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Prefetch, Q, Sum
from django.http import Http404
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django_tasks import task

from linli.accounts.access import has_any_role, user_communities
from linli.accounts.choices import Role
from linli.core.errors import ApplicationError, Conflict, PermissionDenied
from linli.core.models import Job
from linli.core.services import audit_record, job_create, job_finish, job_progress
from linli.places.choices import PlaceKind
from linli.places.models import Building, Community, Household, PublicPlace
from linli.supplies import access
from linli.supplies import placement_engine as engine
from linli.supplies.choices import OrderStatus, PlanMethod, RoundStatus
from linli.supplies.models import (
    Order,
    OrderLine,
    PickupAssignment,
    PickupPlan,
    PickupPoint,
    Round,
)

logger = logging.getLogger(__name__)

# The places that can serve as a pickup point; every building's entrance area is one too.
CANDIDATE_KINDS = (PlaceKind.GATE, PlaceKind.SQUARE, PlaceKind.PICKUP_POINT)
# Seconds HiGHS may take before the heuristic's plan is taken, with its gap stated.
PLAN_TIME_LIMIT = 30.0
MAX_K = 60
BUILDINGS_PER_POINT = 8
# Minutes after the end of a slot before an uncollected order counts as a no-show.
GRACE_MINUTES = 30
# What the order's QR code holds: the round and the code, so a scan cannot match another round.
QR_PREFIX = "LINLI-PICKUP"
QR_RE = re.compile(rf"^{QR_PREFIX}:(\d+):(\d{{6}})$")
CODE_RE = re.compile(r"^\d{6}$")
PLAN_JOB = "supplies.pickup_plan"
# Workers who may check off pickups without a roster entry: they run the community.
COLLECT_WITHOUT_ROSTER = {Role.STAFF, Role.ADMIN}


# ------------------------------------------------------------------------ candidates


@dataclass(frozen=True)
class Candidate:
    key: str  # "place:<id>" or "building:<id>", as pinned/forbidden are stored
    name: str
    kind: str  # a PlaceKind, or "entrance" for a building's entrance area
    x: float
    y: float
    place_id: int | None = None
    building_id: int | None = None

    @property
    def anchor(self) -> str:
        return candidate_anchor(self)

    @property
    def kind_label(self) -> str:
        if self.kind == "entrance":
            return _("Building entrance")
        return str(PlaceKind(self.kind).label)


def pickup_candidates(community: Community) -> list[Candidate]:
    """The places that can serve as a pickup point: gates, squares and existing pickup points,
    then one entrance area per building (at the building's position)."""
    out = [
        Candidate(f"place:{p.pk}", p.name, p.kind, p.x, p.y, place_id=p.pk)
        for p in PublicPlace.objects.filter(community=community, kind__in=CANDIDATE_KINDS).order_by(
            "kind", "name", "pk"
        )
    ]
    for b in Building.objects.filter(community=community).order_by("grid__number", "number", "pk"):
        out.append(
            Candidate(
                f"building:{b.pk}",
                _("Building %(n)s entrance") % {"n": b.number},
                "entrance",
                b.x,
                b.y,
                building_id=b.pk,
            )
        )
    return out


@dataclass
class PlanInput:
    community: Community
    buildings: list[Building]
    households: list[int]  # per building
    candidates: list[Candidate]
    instance: engine.Instance


def plan_input(
    community: Community,
    *,
    k: int,
    capacity: int | None = None,
    pinned=(),
    forbidden=(),
    building_ids=None,
) -> PlanInput:
    """The engine's instance for `community` (or the given buildings of it): clients are the
    buildings weighted by households, distances straight-line metres on the site plan."""
    buildings = Building.objects.filter(community=community).order_by("pk")
    if building_ids is not None:
        buildings = buildings.filter(pk__in=list(building_ids))
    buildings = list(buildings)
    counts = dict(
        Household.objects.filter(building__in=buildings)
        .values_list("building_id")
        .annotate(n=Count("pk"))
        .values_list("building_id", "n")
    )
    households = [counts.get(b.pk, 0) for b in buildings]
    candidates = pickup_candidates(community)
    index = {c.key: j for j, c in enumerate(candidates)}
    unknown = [key for key in list(pinned) + list(forbidden) if key not in index]
    if unknown:
        message = _("Pinned or forbidden place not on the site plan (any more): %(keys)s") % {
            "keys": ", ".join(unknown)
        }
        raise ApplicationError(message, code="unknown_place", fields={"pinned": [message]})
    dist = engine.euclidean(
        [b.x for b in buildings],
        [b.y for b in buildings],
        [c.x for c in candidates],
        [c.y for c in candidates],
    )
    cap = None if capacity is None else np.full(len(candidates), float(capacity))
    instance = engine.Instance(
        dist=dist.reshape(len(buildings), len(candidates)),
        weights=np.asarray(households, dtype=float),
        k=int(k),
        capacity=cap,
        pinned=tuple(sorted({index[key] for key in pinned})),
        forbidden=tuple(sorted({index[key] for key in forbidden})),
    )
    return PlanInput(community, buildings, households, candidates, instance)


def placement_message(exc: engine.PlacementError) -> tuple[str, str]:
    """The field and the sentence for an instance the engine refuses."""
    p = exc.params
    messages = {
        "no_clients": ("k", _("There are no buildings to plan for.")),
        "no_candidates": ("k", _("There are no candidate places on the site plan.")),
        "k_too_small": ("k", _("Choose at least one point.")),
        "k_too_large": (
            "k",
            _("Only %(n)d places are allowed; choose at most that many points.")
            % {"n": p.get("allowed", 0)},
        ),
        "too_many_pinned": (
            "pinned",
            _("%(pinned)d places are pinned but only %(k)d points are to be chosen.")
            % {"pinned": p.get("pinned", 0), "k": p.get("k", 0)},
        ),
        "pinned_and_forbidden": ("forbidden", _("A place cannot be both pinned and forbidden.")),
        "capacity_short": (
            "capacity",
            _(
                "%(total)d households need a point but the points can serve at most "
                "%(most)d: raise the capacity or the number of points."
            )
            % {"total": p.get("total", 0), "most": p.get("most", 0)},
        ),
        "client_too_big": (
            "capacity",
            _("One building has %(w)d households, more than a point can serve (%(c)d).")
            % {"w": p.get("weight", 0), "c": p.get("capacity", 0)},
        ),
        "no_feasible_plan": (
            "capacity",
            _("No plan was found that respects the capacity; raise it or add points."),
        ),
    }
    return messages.get(exc.code, ("k", _("These settings cannot be planned.")))


def _check_instance(data: PlanInput) -> None:
    try:
        engine.check(data.instance)
    except engine.PlacementError as exc:
        field, message = placement_message(exc)
        raise ApplicationError(message, code="cannot_plan", fields={field: [message]}) from exc


# ------------------------------------------------------------------------ planning


def _clean_plan_args(k, capacity) -> tuple[int, int | None]:
    errors = {}
    try:
        k = int(k)
        if not 1 <= k <= MAX_K:
            raise ValueError
    except (TypeError, ValueError):
        errors["k"] = [_("must be a whole number from 1 to %(n)d") % {"n": MAX_K}]
    if capacity in ("", None):
        capacity = None
    else:
        try:
            capacity = int(capacity)
            if capacity < 1:
                raise ValueError
        except (TypeError, ValueError):
            errors["capacity"] = [_("must be a whole number of households, at least 1")]
    if errors:
        raise ApplicationError(_("Please correct the marked fields."), fields=errors)
    return k, capacity


@transaction.atomic
def pickup_plan_start(
    *,
    actor,
    community: Community,
    k,
    capacity=None,
    pinned=(),
    forbidden=(),
    round_: Round | None = None,
    language: str | None = None,
) -> Job:
    """Check the settings now (a clear message at once), then plan in the background.
    Returns the job; its result holds the plan's id when done."""
    access.require_plan(actor, community)
    k, capacity = _clean_plan_args(k, capacity)
    pinned, forbidden = sorted(set(pinned or ())), sorted(set(forbidden or ()))
    building_ids = None
    if round_ is not None:
        if round_.community_id != community.pk:
            raise Http404
        if round_.status in (RoundStatus.CLOSED, RoundStatus.DONE):
            raise Conflict(
                _("This round has closed: its points and slots are given out already."),
                code="round_closed",
            )
        building_ids = list(round_.buildings.values_list("pk", flat=True))
    data = plan_input(
        community,
        k=k,
        capacity=capacity,
        pinned=pinned,
        forbidden=forbidden,
        building_ids=building_ids,
    )
    _check_instance(data)
    job = job_create(kind=PLAN_JOB, created_by=actor, community_id=community.pk, total=3)
    params = {
        "community_id": community.pk,
        "k": k,
        "capacity": capacity,
        "pinned": pinned,
        "forbidden": forbidden,
        "round_id": round_.pk if round_ is not None else None,
    }
    Job.objects.filter(pk=job.pk).update(result={"params": params})
    audit_record(
        actor=actor,
        action="pickup.plan_start",
        target=job,
        community_id=community.pk,
        detail=params,
    )
    transaction.on_commit(
        partial(
            plan_pickup_points.enqueue,
            job.pk,
            getattr(actor, "pk", None),
            language or translation.get_language(),
        )
    )
    return job


def default_k(community: Community, building_count: int) -> int:
    """The number of points when none is given: the community's last plan's, else one point
    per BUILDINGS_PER_POINT buildings (a cluster of neighbouring buildings, proposal S4)."""
    last = PickupPlan.objects.filter(community=community).first()
    if last is not None:
        return last.k
    return max(1, min(MAX_K, -(-building_count // BUILDINGS_PER_POINT)))


def pickup_plan_for_round(
    *, actor, round_: Round, k=None, capacity=None, pinned=(), forbidden=(), language=None
) -> Job:
    """For POST /api/v1/rounds/{id}/pickup-plan (the rounds router): plan the points of the
    round's buildings in the background; the round takes the plan when the job finishes.
    Without k, `default_k`."""
    if k in (None, ""):
        k = default_k(round_.community, round_.buildings.count())
    return pickup_plan_start(
        actor=actor,
        community=round_.community,
        k=k,
        capacity=capacity,
        pinned=pinned,
        forbidden=forbidden,
        round_=round_,
        language=language,
    )


@task()
def plan_pickup_points(job_id: int, actor_id: int | None, language: str | None = None) -> None:
    """The background job of "Plan pickup points"."""
    with translation.override(language or settings.LANGUAGE_CODE):
        try:
            pickup_plan_run(job_id=job_id, actor_id=actor_id)
        except Exception as exc:
            logger.exception("pickup plan job %s failed", job_id)
            job = Job.objects.filter(pk=job_id).first()
            if job is not None and not job.finished:
                job_finish(
                    job,
                    result=job.result,
                    message=_("The plan stopped on an unexpected error: %(e)s") % {"e": exc},
                    failed=True,
                )
            raise


def pickup_plan_run(*, job_id: int, actor_id: int | None = None) -> PickupPlan | None:
    """Solve and save. The engine runs outside any transaction (HiGHS may take seconds and
    SQLite would hold its write lock); only the saving is atomic."""
    from django.contrib.auth import get_user_model

    job = Job.objects.get(pk=job_id)
    if job.finished:
        return None
    params = dict(job.result.get("params", {}))
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    community = Community.objects.get(pk=params["community_id"])
    round_ = Round.objects.filter(pk=params.get("round_id")).first()
    job_progress(job, done=0, total=3, message=_("Measuring walking distances…"))
    building_ids = (
        list(round_.buildings.values_list("pk", flat=True)) if round_ is not None else None
    )
    try:
        data = plan_input(
            community,
            k=params["k"],
            capacity=params.get("capacity"),
            pinned=params.get("pinned", []),
            forbidden=params.get("forbidden", []),
            building_ids=building_ids,
        )
        stages = {
            "heuristic": _("Finding a good plan quickly…"),
            "exact": _("Proving the best plan with HiGHS…"),
            "bound": _("Measuring how far from the best the plan can be…"),
            "done": _("Saving the plan…"),
        }

        def progress(done, total, stage):
            job_progress(job, done=min(done, 2), total=3, message=stages.get(stage, stage))

        result = engine.solve(data.instance, time_limit=PLAN_TIME_LIMIT, progress=progress)
    except (engine.PlacementError, ApplicationError) as exc:
        message = (
            placement_message(exc)[1] if isinstance(exc, engine.PlacementError) else exc.message
        )
        job_finish(job, result={"params": params}, message=message, failed=True)
        return None
    plan = pickup_plan_save(
        actor=actor,
        data=data,
        result=result,
        pinned=params.get("pinned", []),
        forbidden=params.get("forbidden", []),
        capacity=params.get("capacity"),
        round_=round_,
    )
    job_finish(
        job,
        result={
            "params": params,
            "plan_id": plan.pk,
            "cost": plan.cost,
            "method": plan.method,
            "gap": plan.gap,
            "seconds": plan.seconds,
            "url": f"/pickup/plans/{plan.pk}/",
        },
        message=_("Plan #%(id)d is ready.") % {"id": plan.pk},
    )
    return plan


def _point_for(community, candidate: Candidate, capacity) -> PickupPoint:
    """The community's pickup point at this place, reused across plans so that residents keep
    the point they know; created the first time the place is chosen."""
    if candidate.place_id:
        point = PickupPoint.objects.filter(community=community, place_id=candidate.place_id).first()
    else:
        point = PickupPoint.objects.filter(
            community=community, building_id=candidate.building_id, place__isnull=True
        ).first()
    if point is None:
        point = PickupPoint(
            community=community, place_id=candidate.place_id, building_id=candidate.building_id
        )
    point.name = candidate.name[:100]
    point.x, point.y = candidate.x, candidate.y
    point.capacity = capacity
    point.save()
    return point


@transaction.atomic
def pickup_plan_save(
    *,
    actor,
    data: PlanInput,
    result: engine.Result,
    pinned=(),
    forbidden=(),
    capacity=None,
    round_: Round | None = None,
) -> PickupPlan:
    community = data.community
    if round_ is not None:
        round_ = Round.objects.select_for_update().get(pk=round_.pk)
        if round_.status in (RoundStatus.CLOSED, RoundStatus.DONE):
            raise Conflict(
                _("This round has closed: its points and slots are given out already."),
                code="round_closed",
            )
    plan = PickupPlan.objects.create(
        community=community,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        k=data.instance.k,
        cost=result.cost,
        method=PlanMethod.EXACT if result.method == engine.EXACT else PlanMethod.HEURISTIC,
        gap=result.gap if result.gap is not None else 1.0,
        seconds=result.seconds,
        pinned=list(pinned),
        forbidden=list(forbidden),
    )
    points = {j: _point_for(community, data.candidates[j], capacity) for j in result.open}
    PickupAssignment.objects.bulk_create(
        [
            PickupAssignment(
                plan=plan,
                building=b,
                point=points[result.assign[i]],
                distance_m=float(data.instance.dist[i, result.assign[i]]),
            )
            for i, b in enumerate(data.buildings)
        ]
    )
    if round_ is not None:
        Round.objects.filter(pk=round_.pk).update(pickup_plan=plan)
    audit_record(
        actor=actor,
        action="pickup.plan",
        target=plan,
        community_id=community.pk,
        detail={
            "k": plan.k,
            "capacity": capacity,
            "cost": round(plan.cost, 1),
            "method": plan.method,
            "gap": plan.gap,
            "points": sorted(p.pk for p in points.values()),
            "round_id": round_.pk if round_ is not None else None,
        },
    )
    return plan


# ------------------------------------------------------------------------ closing a round


def _latest_plan(round_: Round) -> PickupPlan | None:
    if round_.pickup_plan_id:
        return round_.pickup_plan
    return PickupPlan.objects.filter(community_id=round_.community_id).first()


def _building_points(round_: Round, plan: PickupPlan) -> dict[int, PickupPoint]:
    """Each of the round's buildings' point: the plan's, else (a building added after the
    plan) the plan's nearest point."""
    assignments = {
        a.building_id: a.point for a in plan.assignments.select_related("point", "building")
    }
    points = list({p.pk: p for p in assignments.values()}.values())
    out = {}
    for b in round_.buildings.all():
        point = assignments.get(b.pk)
        if point is None and points:
            point = min(points, key=lambda p, b=b: (p.x - b.x) ** 2 + (p.y - b.y) ** 2)
        out[b.pk] = point
    return out


def allocate_slots(round_: Round, orders, points: dict[int, PickupPoint]) -> dict:
    """{order id: (point, slot start or None)}: door deliveries keep their building's point
    (the delivery volunteer fetches the bag there) but get no slot."""
    by_point: dict[int, dict[int, list]] = {}
    out = {}
    for order in orders:
        point = points.get(order.household.building_id)
        if order.door_delivery or point is None:
            out[order.pk] = (point, None)
            continue
        by_point.setdefault(point.pk, {}).setdefault(order.household.building_id, []).append(order)
    step = timedelta(minutes=round_.slot_minutes)
    for point_orders in by_point.values():
        # Buildings are called down in the order of their number; a building's households by
        # entrance and room, so neighbours on one stair come down together.
        groups = sorted(
            point_orders.items(), key=lambda kv: _natural(kv[1][0].household.building.number)
        )
        slots = engine.stagger_slots([(b, len(os)) for b, os in groups], round_.slot_capacity)
        for building_id, building_orders in groups:
            building_orders.sort(key=lambda o: (o.household.entrance.number, o.household.room))
            for order, slot in zip(building_orders, slots[building_id], strict=True):
                out[order.pk] = (
                    points[order.household.building_id],
                    round_.pickup_starts_at + slot * step,
                )
    return out


def _natural(text: str):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", text or "")]


@transaction.atomic
def round_close(*, actor, round_: Round, now=None) -> Round:
    """Close the round for orders and give every order its building's pickup point and a slot
    (door deliveries: no slot). The purchase list and the packing lists can then be read."""
    access.require_plan(actor, round_.community)
    now = now or timezone.now()
    round_ = Round.objects.select_for_update().select_related("community").get(pk=round_.pk)
    if round_.status != RoundStatus.OPEN:
        raise Conflict(
            _("Only an open round can be closed (this one is %(status)s).")
            % {"status": round_.get_status_display()},
            code="bad_state",
        )
    plan = _latest_plan(round_)
    if plan is None:
        raise ApplicationError(
            _("Plan the pickup points first: every order needs its building's point."),
            code="no_pickup_plan",
        )
    points = _building_points(round_, plan)
    orders = list(
        Order.objects.filter(round=round_, status=OrderStatus.PLACED)
        .select_related("household__building", "household__entrance")
        .order_by("pk")
    )
    # Door delivery only for those who need it (S4): the registry's rule plus staff overrides.
    from linli.delivery.eligibility import door_delivery_households

    at_door = door_delivery_households(round_.community)
    for order in orders:
        order.door_delivery = order.household_id in at_door
    given = allocate_slots(round_, orders, points)
    for order in orders:
        order.pickup_point, order.slot_start = given[order.pk]
    Order.objects.bulk_update(
        orders, ["pickup_point", "slot_start", "door_delivery"], batch_size=500
    )
    round_.status = RoundStatus.CLOSED
    round_.closed_at = now
    round_.pickup_plan = plan
    round_.save(update_fields=["status", "closed_at", "pickup_plan"])
    audit_record(
        actor=actor,
        action="round.close",
        target=round_,
        community_id=round_.community_id,
        detail={
            "plan_id": plan.pk,
            "orders": len(orders),
            "slots": len({(o.pickup_point_id, o.slot_start) for o in orders if o.slot_start}),
            "door_delivery": sum(1 for o in orders if o.door_delivery),
        },
    )
    # Every household hears its point, slot and code (or that it is brought to the door),
    # in the background: thousands of messages must not hold up the close.
    from linli.supplies.tasks import notify_round_closed

    transaction.on_commit(lambda: notify_round_closed.enqueue(round_.pk))
    return round_


def round_closed_message(order: Order) -> tuple[str, str]:
    """(title, body) telling a household how it gets its order."""
    title = _("Your order #%(id)d") % {"id": order.pk}
    if order.door_delivery:
        body = _("It will be brought to your door; a volunteer will call first. Code %(code)s.")
    else:
        body = _("Collect it at %(point)s, %(slot)s. Show code %(code)s; keep your distance.")
    slot = timezone.localtime(order.slot_start).strftime("%m-%d %H:%M") if order.slot_start else ""
    point = order.pickup_point.name if order.pickup_point_id else ""
    return title, body % {"code": order.pickup_code, "point": point, "slot": slot}


def round_notify_households(*, round_id: int) -> int:
    from linli.notices.services import notify_household

    orders = (
        Order.objects.filter(round_id=round_id, status=OrderStatus.PLACED)
        .select_related("household__building", "household__entrance", "pickup_point")
        .order_by("pk")
    )
    count = 0
    for order in orders.iterator(chunk_size=500):
        title, body = round_closed_message(order)
        with transaction.atomic():
            notify_household(household=order.household, title=title, body=body)
        count += 1
    return count


# ------------------------------------------------------------------------ contact-free pickup


def qr_payload(order: Order) -> str:
    return f"{QR_PREFIX}:{order.round_id}:{order.pickup_code}"


def order_qr_svg(order: Order, *, scale: int = 4) -> str:
    """The order's QR code as inline SVG (for the resident's order page): it holds the round and
    the pickup code. Shown on the resident's own phone; the volunteer scans or types it. It has
    a viewBox and no fixed size, so the page's CSS sizes it."""
    import segno

    if not order.pickup_code:
        return ""
    label = escape(_("Pickup code %(code)s") % {"code": order.pickup_code})
    svg = segno.make(qr_payload(order), error="m").svg_inline(
        scale=scale, svgclass="qr", lineclass="qrline", title=label, omitsize=True
    )
    return mark_safe(svg)  # noqa: S308 (segno's own markup; the only text in it is escaped)


def parse_code(text: str) -> tuple[int | None, str]:
    """(round id or None, code) from what was typed or scanned: the 6 digits, or the QR's text."""
    value = re.sub(r"\s+", "", text or "")
    match = QR_RE.match(value)
    if match:
        return int(match.group(1)), match.group(2)
    if CODE_RE.match(value):
        return None, value
    message = _("A pickup code is 6 digits (or scan the QR code).")
    raise ApplicationError(message, code="bad_code", fields={"code": [message]})


def collect_communities(user):
    return user_communities(user, access.COLLECT)


def on_shift(user, community) -> bool:
    """Who may check off pickups at a point: community staff, or a worker of the community with
    an approved roster entry (screened, proposal S11) - not merely a holder of a role."""
    from linli.workforce.selectors import active_worker_for

    if not access.can_collect(user, community):
        return False
    if has_any_role(user, COLLECT_WITHOUT_ROSTER):
        return True
    worker = active_worker_for(user)
    return worker is not None and worker.community_id == community.pk


def require_on_shift(user, community) -> None:
    if not on_shift(user, community):
        raise PermissionDenied(
            _("Only a screened worker of this community on the roster may check off pickups."),
            code="not_on_shift",
        )


def _refuse(message, code, status=409):
    raise ApplicationError(message, code=code, fields={"code": [message]}, status=status)


def pickup_lookup(*, user, round_: Round, text: str, point: PickupPoint | None = None) -> Order:
    """The order a code belongs to, if it can be handed over here and now; else the reason."""
    require_on_shift(user, round_.community)
    qr_round, code = parse_code(text)
    if qr_round is not None and qr_round != round_.pk:
        other = Round.objects.filter(pk=qr_round, community_id=round_.community_id).first()
        _refuse(
            _("This code is for another round (%(title)s).")
            % {"title": other.title if other else f"#{qr_round}"},
            "other_round",
        )
    if round_.status != RoundStatus.CLOSED:
        _refuse(
            _("Pickup has not started: the round is %(status)s.")
            % {"status": round_.get_status_display()},
            "round_not_ready",
        )
    order = (
        Order.objects.filter(round=round_, pickup_code=code)
        .select_related("household__building", "household__entrance", "pickup_point", "round")
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.select_related("item__package"))
        )
        .first()
    )
    if order is None:
        other = (
            Round.objects.filter(
                community_id=round_.community_id,
                status=RoundStatus.CLOSED,
                orders__pickup_code=code,
            )
            .exclude(pk=round_.pk)
            .first()
        )
        if other is not None:
            _refuse(
                _("This code is for another round (%(title)s).") % {"title": other.title},
                "other_round",
            )
        _refuse(
            _("No order in this round has code %(code)s.") % {"code": code}, "unknown_code", 404
        )
    if order.status == OrderStatus.CANCELLED:
        _refuse(_("Order #%(id)d was cancelled.") % {"id": order.pk}, "cancelled")
    if order.status in (OrderStatus.COLLECTED, OrderStatus.DELIVERED):
        when = order.collected_at or order.updated_at
        _refuse(
            _("Order #%(id)d was already handed over at %(time)s.")
            % {"id": order.pk, "time": timezone.localtime(when).strftime("%m-%d %H:%M")},
            "already_collected",
        )
    if point is not None and order.pickup_point_id and order.pickup_point_id != point.pk:
        _refuse(
            _("This order is collected at %(point)s.") % {"point": order.pickup_point.name},
            "other_point",
        )
    return order


@transaction.atomic
def pickup_collect(
    *, actor, round_: Round, text: str, point: PickupPoint | None = None, now=None
) -> Order:
    """Check an order off as handed over. A late-comer after a no-show still gets their bag.
    The conditional UPDATE makes two volunteers typing the same code hand it over once."""
    order = pickup_lookup(user=actor, round_=round_, text=text, point=point)
    now = now or timezone.now()
    done = Order.objects.filter(
        pk=order.pk, status__in=[OrderStatus.PLACED, OrderStatus.NO_SHOW]
    ).update(status=OrderStatus.COLLECTED, collected_at=now, collected_by=actor, updated_at=now)
    if not done:
        _refuse(_("Order #%(id)d was just handed over.") % {"id": order.pk}, "already_collected")
    was = order.status
    order.status, order.collected_at, order.collected_by = OrderStatus.COLLECTED, now, actor
    audit_record(
        actor=actor,
        action="pickup.collect",
        target=order,
        community_id=round_.community_id,
        detail={"point_id": point.pk if point else order.pickup_point_id, "was": was},
    )
    return order


def pickup_collect_by_code(*, actor, code: str, round_id=None, point_id=None) -> Order:
    """The API's collect: the round comes from the body, the QR's text, or - when the code is
    in only one round under way in the worker's communities - from the code itself."""
    qr_round, plain = parse_code(code)
    round_id = round_id or qr_round
    communities = collect_communities(actor)
    if not communities.exists():
        raise PermissionDenied(
            _("Only a screened worker of this community on the roster may check off pickups."),
            code="not_on_shift",
        )
    if round_id is None:
        rounds = list(
            Round.objects.filter(
                community__in=communities,
                status=RoundStatus.CLOSED,
                orders__pickup_code=plain,
            ).distinct()[:2]
        )
        if not rounds:
            _refuse(
                _("No order under way has code %(code)s.") % {"code": plain}, "unknown_code", 404
            )
        if len(rounds) > 1:
            _refuse(
                _("Code %(code)s is in more than one round: give the round.") % {"code": plain},
                "ambiguous_code",
            )
        round_ = rounds[0]
    else:
        round_ = Round.objects.filter(pk=round_id, community__in=communities).first()
        if round_ is None:
            raise Http404
    point = None
    if point_id is not None:
        point = PickupPoint.objects.filter(pk=point_id, community_id=round_.community_id).first()
        if point is None:
            raise Http404
    return pickup_collect(actor=actor, round_=round_, text=code, point=point)


# ------------------------------------------------------------------------ no-shows


def pickups_mark_no_shows(*, round_: Round, now=None) -> int:
    """Orders still not collected GRACE_MINUTES after their slot ended become no-shows, and each
    household gets a check-on visit in the task pool (merged with any live one). Each order is
    marked once: the conditional UPDATE wins once, so cron running twice adds nothing."""
    from linli.taskpool.choices import Priority, Source, TaskKind
    from linli.taskpool.services import task_create

    now = now or timezone.now()
    if round_.status != RoundStatus.CLOSED:
        return 0
    cutoff = now - timedelta(minutes=round_.slot_minutes + GRACE_MINUTES)
    late = (
        Order.objects.filter(
            round=round_,
            status=OrderStatus.PLACED,
            door_delivery=False,
            slot_start__isnull=False,
            slot_start__lt=cutoff,
        )
        .select_related("household__building", "household__entrance", "pickup_point")
        .order_by("pk")
    )
    marked = 0
    for order in late:
        with transaction.atomic():
            if not Order.objects.filter(pk=order.pk, status=OrderStatus.PLACED).update(
                status=OrderStatus.NO_SHOW, updated_at=now
            ):
                continue
            slot = timezone.localtime(order.slot_start).strftime("%m-%d %H:%M")
            point = order.pickup_point.name if order.pickup_point else ""
            task_create(
                actor=None,
                kind=TaskKind.CHECK_VISIT,
                title=_("Check on %(household)s: order not collected")
                % {"household": order.household},
                description=_(
                    "Order #%(id)d (code %(code)s) was due at %(point)s at %(slot)s and was not "
                    "collected. Check that the household is well, and whether it needs its bag "
                    "brought to the door."
                )
                % {"id": order.pk, "code": order.pickup_code, "point": point, "slot": slot},
                household=order.household,
                source=Source.MODULE,
                priority=Priority.HIGH,
            )
            audit_record(
                actor=None,
                action="pickup.no_show",
                target=order,
                community_id=round_.community_id,
                detail={"slot": order.slot_start.isoformat()},
            )
            marked += 1
    return marked


def pickups_mark_all_no_shows(*, now=None) -> int:
    """Every round under way (for the management command run by cron)."""
    return sum(
        pickups_mark_no_shows(round_=r, now=now)
        for r in Round.objects.filter(status=RoundStatus.CLOSED).order_by("pk")
    )


# ------------------------------------------------------------------------ selectors


def access_plan_by_id(user, pk) -> PickupPlan:
    plan = (
        PickupPlan.objects.filter(pk=pk, community__in=access.read_communities(user))
        .select_related("community", "created_by")
        .first()
    )
    if plan is None or not has_any_role(user, access.READ | access.PLAN):
        raise Http404
    return plan


def access_round_for_pickup(user, pk) -> Round:
    """A round for its pickup pages: workers of its community only (not residents)."""
    round_ = (
        Round.objects.filter(
            Q(community__in=collect_communities(user)) | Q(community__in=_read(user)), pk=pk
        )
        .select_related("community", "supplier", "pickup_plan")
        .first()
    )
    if round_ is None:
        raise Http404
    return round_


def _read(user):
    return user_communities(user, access.READ | access.PLAN)


def can_read_lists(user, round_: Round) -> bool:
    return _read(user).filter(pk=round_.community_id).exists()


def require_read_lists(user, round_: Round) -> None:
    if not can_read_lists(user, round_):
        raise PermissionDenied(_("Only community workers may read the purchase and packing lists."))


def access_point_in_round(user, round_: Round, pk) -> PickupPoint:
    point = PickupPoint.objects.filter(pk=pk, community_id=round_.community_id).first()
    if point is None:
        raise Http404
    return point


def plans_recent(user, *, limit: int = 10):
    return list(
        PickupPlan.objects.filter(community__in=user_communities(user, access.PLAN)).select_related(
            "community"
        )[:limit]
    )


def rounds_for_pickup(user):
    """Rounds of the communities the user works in, newest first, for the pickup pages."""
    return list(
        Round.objects.filter(
            Q(community__in=collect_communities(user)) | Q(community__in=_read(user)),
            status__in=[RoundStatus.OPEN, RoundStatus.CLOSED],
        )
        .select_related("community", "supplier")
        .distinct()
        .order_by("-closes_at")[:30]
    )


def plan_detail(plan: PickupPlan) -> dict:
    """Each chosen point with its buildings, the households it serves and their walk."""
    assignments = list(
        plan.assignments.select_related("building", "point").order_by("point__name", "building_id")
    )
    counts = dict(
        Household.objects.filter(building__in=[a.building_id for a in assignments])
        .values_list("building_id")
        .annotate(n=Count("pk"))
        .values_list("building_id", "n")
    )
    points: dict[int, dict] = {}
    for a in assignments:
        row = points.setdefault(
            a.point_id, {"point": a.point, "buildings": [], "households": 0, "metres": 0.0}
        )
        n = counts.get(a.building_id, 0)
        row["buildings"].append({"building": a.building, "households": n, "distance": a.distance_m})
        row["households"] += n
        row["metres"] += n * a.distance_m
    rows = sorted(points.values(), key=lambda r: _natural(r["point"].name))
    for row in rows:
        row["buildings"].sort(key=lambda b: _natural(b["building"].number))
        row["mean"] = row["metres"] / row["households"] if row["households"] else 0
    households = sum(r["households"] for r in rows)
    return {
        "points": rows,
        "households": households,
        "buildings": len(assignments),
        "mean_walk": plan.cost / households if households else 0,
        "gap_pct": round(100 * plan.gap, 2),
        "svg": plan_svg(plan, assignments),
    }


def plan_svg(plan: PickupPlan, assignments, width: int = 640) -> str:
    """The plan on the site plan: every building joined to its point by a line; chosen points
    as large dots (a ring round the pinned ones); other candidate places as faint dots."""
    community = plan.community
    scale = width / max(community.width, community.height, 1)
    height = round(community.height * scale)

    def xy(x, y):
        # Site-plan y grows northwards; SVG y grows downwards.
        return x * scale, height - y * scale

    palette = ["#1565c0", "#2e7d32", "#ef6c00", "#6a1b9a", "#c62828", "#00838f", "#9e9d24"]
    point_ids = sorted({a.point_id for a in assignments})
    colour = {pid: palette[i % len(palette)] for i, pid in enumerate(point_ids)}
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height + 24}" '
        f'role="img" aria-label="{escape(_("Site plan of the pickup points"))}" '
        f'class="siteplan pickup-plan">',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#f5f3ee" stroke="#bbb"/>',
    ]
    for c in pickup_candidates(community):
        if c.kind != "entrance":
            x, y = xy(c.x, c.y)
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#bbb"/>')
    points = {}
    for a in assignments:
        points[a.point_id] = a.point
        bx, by = xy(a.building.x, a.building.y)
        px, py = xy(a.point.x, a.point.y)
        parts.append(
            f'<line x1="{bx:.1f}" y1="{by:.1f}" x2="{px:.1f}" y2="{py:.1f}" '
            f'stroke="{colour[a.point_id]}" stroke-opacity=".55"/>'
        )
    for a in assignments:
        bx, by = xy(a.building.x, a.building.y)
        title = escape(
            _("Building %(b)s → %(p)s, %(m)d m")
            % {"b": a.building.number, "p": a.point.name, "m": round(a.distance_m)}
        )
        parts.append(
            f'<rect x="{bx - 4:.1f}" y="{by - 4:.1f}" width="8" height="8" fill="#8d877c">'
            f"<title>{title}</title></rect>"
        )
    pinned = set(plan.pinned or [])
    for pid, point in sorted(points.items()):
        px, py = xy(point.x, point.y)
        key = f"place:{point.place_id}" if point.place_id else f"building:{point.building_id}"
        ring = (
            f'<circle cx="{px:.1f}" cy="{py:.1f}" r="11" fill="none" stroke="#333" '
            f'stroke-width="2" stroke-dasharray="3 2"/>'
            if key in pinned
            else ""
        )
        parts.append(
            f'{ring}<circle cx="{px:.1f}" cy="{py:.1f}" r="7" fill="{colour[pid]}" stroke="#fff" '
            f'stroke-width="2"><title>{escape(point.name)}</title></circle>'
        )
    legend = [
        (f'<circle cx="14" cy="{height + 12}" r="6" fill="{palette[0]}"/>', _("pickup point")),
        (f'<rect x="8" y="{height + 8}" width="8" height="8" fill="#8d877c"/>', _("building")),
        (
            f'<circle cx="14" cy="{height + 12}" r="8" fill="none" stroke="#333" '
            f'stroke-dasharray="3 2"/>',
            _("pinned"),
        ),
        (f'<circle cx="14" cy="{height + 12}" r="3" fill="#bbb"/>', _("other candidate place")),
    ]
    for i, (mark, label) in enumerate(legend):
        dx = i * 150
        parts.append(
            f'<g transform="translate({dx} 0)">{mark}<text x="26" y="{height + 17}" '
            f'font-size="12">{escape(label)}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)


def candidates_svg(community: Community, candidates: list[Candidate], width: int = 640) -> str:
    """The candidate places on the site plan, numbered as in the pin/forbid list."""
    scale = width / max(community.width, community.height, 1)
    height = round(community.height * scale)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(_("Site plan of the candidate places"))}" class="siteplan">',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#f5f3ee" stroke="#bbb"/>',
    ]
    for c in candidates:
        x, y = c.x * scale, height - c.y * scale
        title = escape(f"{c.name} ({c.kind_label})")
        # Each place links to its row, where it is pinned or forbidden (works without JS).
        if c.kind == "entrance":
            mark = (
                f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="#8d877c">'
                f"<title>{title}</title></rect>"
            )
        else:
            mark = (
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="6" fill="#1565c0"><title>{title}</title>'
                f"</circle>"
            )
        parts.append(f'<a href="#{candidate_anchor(c)}">{mark}</a>')
    parts.append("</svg>")
    return "".join(parts)


def candidate_anchor(c: Candidate) -> str:
    return "cand-" + c.key.replace(":", "-")


def purchase_list(round_: Round) -> list[dict]:
    """The supplier's purchase list: how many of each package the round's live orders need."""
    rows = (
        OrderLine.objects.filter(order__round=round_)
        .exclude(order__status=OrderStatus.CANCELLED)
        .values(
            "item__package_id",
            "item__package__name",
            "item__package__kind",
            "item__package__contents",
            "item__price_fen",
        )
        .annotate(packages=Sum("quantity"), amount=Sum(F("quantity") * F("price_fen")))
        .order_by("item__package__kind", "item__package__name")
    )
    return [
        {
            "package_id": r["item__package_id"],
            "name": r["item__package__name"],
            "kind": r["item__package__kind"],
            "contents": r["item__package__contents"],
            "price_fen": r["item__price_fen"],
            "quantity": r["packages"],
            "amount_fen": r["amount"],
        }
        for r in rows
    ]


def _lines_text(order: Order) -> str:
    return "; ".join(f"{line.item.package.name} × {line.quantity}" for line in order.lines.all())


def packing_list(round_: Round) -> list[dict]:
    """Per pickup point, per slot: the bags to pack, each with its household, code and lines;
    door deliveries of the point come last, without a slot. A fixed number of queries."""
    orders = list(
        Order.objects.filter(round=round_)
        .exclude(status=OrderStatus.CANCELLED)
        .select_related("household__building", "household__entrance", "pickup_point")
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.select_related("item__package"))
        )
        .order_by("slot_start", "household__building_id", "household__entrance__number", "pk")
    )
    points: dict = {}
    for order in orders:
        key = order.pickup_point_id or 0
        entry = points.setdefault(
            key, {"point": order.pickup_point, "slots": {}, "door": [], "orders": 0, "packages": 0}
        )
        packages = sum(line.quantity for line in order.lines.all())
        row = {"order": order, "lines": _lines_text(order), "packages": packages}
        entry["orders"] += 1
        entry["packages"] += packages
        if order.door_delivery:
            entry["door"].append(row)
        else:
            # Before the round closes there are no slots yet: one list under None.
            entry["slots"].setdefault(order.slot_start, []).append(row)
    out = []
    for entry in sorted(
        points.values(), key=lambda e: _natural(e["point"].name) if e["point"] else [""]
    ):
        entry["slots"] = [
            {
                "start": start,
                "end": start + timedelta(minutes=round_.slot_minutes) if start else None,
                "rows": rows,
                "households": len(rows),
            }
            for start, rows in sorted(
                entry["slots"].items(), key=lambda kv: (kv[0] is None, kv[0] or 0)
            )
        ]
        out.append(entry)
    return out


def round_points_summary(round_: Round) -> list[dict]:
    """Per point: orders expected, collected, not collected, door deliveries and slots."""
    rows = (
        Order.objects.filter(round=round_, pickup_point__isnull=False)
        .exclude(status=OrderStatus.CANCELLED)
        .values("pickup_point_id", "pickup_point__name")
        .annotate(
            orders=Count("pk"),
            collected=Count("pk", filter=Q(status=OrderStatus.COLLECTED)),
            no_show=Count("pk", filter=Q(status=OrderStatus.NO_SHOW)),
            door=Count("pk", filter=Q(door_delivery=True)),
            slots=Count("slot_start", distinct=True),
        )
    )
    out = [
        {
            "point_id": r["pickup_point_id"],
            "name": r["pickup_point__name"],
            "orders": r["orders"],
            "collected": r["collected"],
            "no_show": r["no_show"],
            "door": r["door"],
            "slots": r["slots"],
            "waiting": r["orders"] - r["collected"] - r["no_show"] - r["door"],
        }
        for r in rows
    ]
    return sorted(out, key=lambda r: _natural(r["name"]))


def point_schedule(round_: Round, point: PickupPoint) -> list[dict]:
    """The slots at one point with the buildings called in each and how many have come."""
    rows = (
        Order.objects.filter(round=round_, pickup_point=point, slot_start__isnull=False)
        .exclude(status=OrderStatus.CANCELLED)
        .values("slot_start", "household__building__number")
        .annotate(n=Count("pk"), collected=Count("pk", filter=Q(status=OrderStatus.COLLECTED)))
        .order_by("slot_start", "household__building__number")
    )
    slots: dict = {}
    for r in rows:
        s = slots.setdefault(
            r["slot_start"],
            {"start": r["slot_start"], "buildings": [], "households": 0, "collected": 0},
        )
        s["buildings"].append(r["household__building__number"])
        s["households"] += r["n"]
        s["collected"] += r["collected"]
    return [
        {**s, "end": s["start"] + timedelta(minutes=round_.slot_minutes)} for s in slots.values()
    ]


# ------------------------------------------------------------------------ Excel


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _money(fen) -> float:
    return round((fen or 0) / 100, 2)


def purchase_workbook(round_: Round) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = _("Purchase list")[:31]
    sheet.append([round_.title, round_.supplier.name])
    sheet.append(
        [_("Package"), _("Contents"), _("Quantity"), _("Unit price (yuan)"), _("Amount (yuan)")]
    )
    total = 0
    for row in purchase_list(round_):
        sheet.append(
            [
                row["name"],
                row["contents"],
                row["quantity"],
                _money(row["price_fen"]),
                _money(row["amount_fen"]),
            ]
        )
        total += row["amount_fen"] or 0
    sheet.append([_("Total"), "", "", "", _money(total)])
    for col, width in zip("ABCDE", (24, 40, 10, 16, 16), strict=True):
        sheet.column_dimensions[col].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def packing_workbook(round_: Round) -> bytes:
    """One sheet per pickup point: a row per bag, by slot, with household, code and contents."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    used = set()
    for entry in packing_list(round_):
        name = (entry["point"].name if entry["point"] else _("No point"))[:28]
        title, n = name, 2
        while title in used:
            title, n = f"{name[:26]}-{n}", n + 1
        used.add(title)
        sheet = book.create_sheet(re.sub(r"[\[\]:*?/\\]", "-", title))
        sheet.append([_("Slot"), _("Household"), _("Pickup code"), _("Packages"), _("Contents")])
        for slot in entry["slots"]:
            label = (
                f"{timezone.localtime(slot['start']):%m-%d %H:%M}–"
                f"{timezone.localtime(slot['end']):%H:%M}"
                if slot["start"]
                else "—"
            )
            for row in slot["rows"]:
                o = row["order"]
                sheet.append(
                    [label, str(o.household), o.pickup_code, row["packages"], row["lines"]]
                )
        for row in entry["door"]:
            o = row["order"]
            sheet.append(
                [_("door delivery"), str(o.household), o.pickup_code, row["packages"], row["lines"]]
            )
        for col, width in zip("ABCDE", (20, 14, 12, 10, 60), strict=True):
            sheet.column_dimensions[col].width = width
    if not book.sheetnames:
        book.create_sheet(_("Packing list")[:31]).append([_("No orders.")])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@transaction.atomic
def lists_export_record(*, actor, round_: Round, report: str) -> None:
    """A list with households' addresses leaves the system: say who took it."""
    audit_record(
        actor=actor,
        action="round.export",
        target=round_,
        community_id=round_.community_id,
        detail={"report": report},
    )
