"""Group orders: placing, changing and cancelling an order, with stock reserved atomically.

Stock is reserved with one conditional UPDATE per package (`stock >= quantity`), in package
order so concurrent transactions lock rows in the same order; any refusal rolls the whole order
back, so nothing is reserved for an order that is not placed. A repeated Idempotency-Key
returns the order it created the first time.
"""

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.core.errors import ApplicationError, Conflict
from linli.core.services import audit_record
from linli.core.services import user_or_none as _user
from linli.supplies.choices import OrderStatus, Payment, RoundStatus, TestResult
from linli.supplies.models import (
    Order,
    OrderLine,
    Package,
    Round,
    RoundItem,
    Supplier,
    SupplierStaff,
)


def round_is_open(round_: Round, now=None) -> bool:
    now = now or timezone.now()
    return round_.status == RoundStatus.OPEN and round_.opens_at <= now < round_.closes_at


def _refuse(message, *, code="invalid", field=None, status=None):
    fields = {field: [message]} if field else None
    raise (
        Conflict(message, code=code, fields=fields)
        if status == 409
        else ApplicationError(message, code=code, fields=fields)
    )


def _check_round(round_: Round, household) -> None:
    if not round_is_open(round_):
        _refuse(
            _("This round is not open for orders (it closes at %(time)s).")
            % {"time": timezone.localtime(round_.closes_at).strftime("%m-%d %H:%M")},
            code="round_closed",
            status=409,
        )
    if not round_.buildings.filter(pk=household.building_id).exists():
        _refuse(
            _("Building %(b)s is not part of this round.") % {"b": household.building.number},
            code="not_in_round",
            field="household_id",
        )


def _clean_lines(round_: Round, lines: dict) -> list[tuple[RoundItem, int]]:
    """Check quantities against the round's limits; return (item, quantity) in item order."""
    if not lines:
        _refuse(_("Choose at least one package."), code="empty_order", field="lines")
    # Keys arrive as strings from JSON: sort them as numbers, so every transaction locks the
    # stock rows in the same (ascending id) order as _release and order_change do.
    by_id = {}
    for key, quantity in lines.items():
        try:
            by_id[int(key)] = quantity
        except (TypeError, ValueError):
            _refuse(_("Package %(id)s is not offered in this round.") % {"id": key}, field="lines")
    items = {
        i.pk: i
        for i in RoundItem.objects.filter(round=round_, pk__in=list(by_id)).select_related(
            "package"
        )
    }
    cleaned, total = [], 0
    for item_id, quantity in sorted(by_id.items()):
        item = items.get(item_id)
        if item is None:
            _refuse(
                _("Package %(id)s is not offered in this round.") % {"id": item_id}, field="lines"
            )
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
            _refuse(
                _("%(name)s: the quantity must be a whole number of at least 1.")
                % {"name": item.package.name},
                field="lines",
            )
        if quantity > item.per_household:
            _refuse(
                _("%(name)s: at most %(n)d per household.")
                % {"name": item.package.name, "n": item.per_household},
                code="over_limit",
                field="lines",
            )
        total += quantity
        cleaned.append((item, quantity))
    if total > round_.household_limit:
        _refuse(
            _("At most %(n)d packages per household in this round.")
            % {"n": round_.household_limit},
            code="over_limit",
            field="lines",
        )
    return cleaned


def _reserve(cleaned) -> None:
    for item, quantity in cleaned:
        if (
            RoundItem.objects.filter(pk=item.pk, stock__gte=quantity).update(
                stock=F("stock") - quantity
            )
            != 1
        ):
            _refuse(
                _("%(name)s is sold out (or fewer are left than you asked for).")
                % {"name": item.package.name},
                code="out_of_stock",
                field="lines",
                status=409,
            )


def _rebook(order: Order, cleaned) -> None:
    """Move a changed order's reservation to its new lines: one net change per package, in
    ascending id order (releasing every old line first and then reserving the new ones would
    lock rows out of order and could deadlock against a concurrent order_place)."""
    old = {line.item_id: line.quantity for line in order.lines.all()}
    new = {item.pk: (item, q) for item, q in cleaned}
    for item_id in sorted(old.keys() | new.keys()):
        delta = new.get(item_id, (None, 0))[1] - old.get(item_id, 0)
        if delta > 0:
            _reserve([(new[item_id][0], delta)])
        elif delta < 0:
            RoundItem.objects.filter(pk=item_id).update(stock=F("stock") - delta)


def _release(order: Order) -> None:
    for line in order.lines.order_by("item_id"):
        RoundItem.objects.filter(pk=line.item_id).update(stock=F("stock") + line.quantity)


def _new_code(round_: Round) -> str:
    return f"{secrets.randbelow(10**6):06d}"


@transaction.atomic
def order_place(
    *,
    actor,
    round_: Round,
    household,
    lines: dict,
    payment: str = Payment.CASH,
    idempotency_key: str = "",
) -> tuple[Order, bool]:
    """Place `household`'s order. Returns (order, created); created is False when the same
    Idempotency-Key already placed it (a double tap or a retry)."""
    key = (idempotency_key or "").strip()[:80]
    if key:
        earlier = Order.objects.filter(round=round_, idempotency_key=key).first()
        if earlier is not None:
            return _same_key(earlier, household)
    # Fresh status and times, and a lock: an order cannot slip in while the round is closing
    # (it would get no pickup slot).
    round_ = Round.objects.select_for_update().get(pk=round_.pk)
    _check_round(round_, household)
    if payment not in Payment.values:
        _refuse(_("Choose how the order is paid."), field="payment")
    cleaned = _clean_lines(round_, lines)
    existing = (
        Order.objects.filter(round=round_, household=household)
        .exclude(status=OrderStatus.CANCELLED)
        .first()
    )
    if existing is not None:
        _refuse(
            _("This household already has order #%(id)d in this round: change that order instead.")
            % {"id": existing.pk},
            code="already_ordered",
            status=409,
        )
    for _attempt in range(5):
        try:
            with transaction.atomic():
                order = Order.objects.create(
                    round=round_,
                    household=household,
                    placed_by=_user(actor),
                    idempotency_key=key,
                    payment=payment,
                    pickup_code=_new_code(round_),
                    total_fen=sum(item.price_fen * q for item, q in cleaned),
                )
            break
        except IntegrityError:
            if key and (earlier := Order.objects.filter(round=round_, idempotency_key=key).first()):
                return _same_key(earlier, household)
            if (
                Order.objects.filter(round=round_, household=household)
                .exclude(status=OrderStatus.CANCELLED)
                .exists()
            ):
                _refuse(
                    _("This household has just placed an order in this round."),
                    code="already_ordered",
                    status=409,
                )
            continue  # a pickup-code collision: draw another
    else:
        raise Conflict(_("Could not place the order; please try again."))
    _reserve(cleaned)
    OrderLine.objects.bulk_create(
        [
            OrderLine(order=order, item=item, quantity=q, price_fen=item.price_fen)
            for item, q in cleaned
        ]
    )
    audit_record(
        actor=actor,
        action="order.place",
        target=order,
        community_id=round_.community_id,
        detail={"lines": {str(i.pk): q for i, q in cleaned}, "total_fen": order.total_fen},
    )
    return order, True


def _same_key(order: Order, household) -> tuple[Order, bool]:
    if order.household_id != household.pk:
        _refuse(
            _("This Idempotency-Key was already used for another household."),
            code="key_reused",
            status=409,
        )
    return order, False


@transaction.atomic
def order_change(*, actor, order: Order, lines: dict, payment: str | None = None) -> Order:
    """Change an order before the round closes: the old reservation is released and the new
    one taken in the same transaction, so a refusal leaves the old order as it was."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status != OrderStatus.PLACED:
        _refuse(_("Only a placed order can be changed."), code="bad_state", status=409)
    _check_round(order.round, order.household)
    cleaned = _clean_lines(order.round, lines)
    before = {str(line.item_id): line.quantity for line in order.lines.all()}
    _rebook(order, cleaned)
    order.lines.all().delete()
    OrderLine.objects.bulk_create(
        [
            OrderLine(order=order, item=item, quantity=q, price_fen=item.price_fen)
            for item, q in cleaned
        ]
    )
    order.total_fen = sum(item.price_fen * q for item, q in cleaned)
    if payment:
        if payment not in Payment.values:
            _refuse(_("Choose how the order is paid."), field="payment")
        order.payment = payment
    order.save(update_fields=["total_fen", "payment", "updated_at"])
    audit_record(
        actor=actor,
        action="order.change",
        target=order,
        community_id=order.round.community_id,
        detail={"before": before, "after": {str(i.pk): q for i, q in cleaned}},
    )
    return order


@transaction.atomic
def order_cancel(*, actor, order: Order) -> Order:
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status != OrderStatus.PLACED:
        _refuse(_("Only a placed order can be cancelled."), code="bad_state", status=409)
    if not round_is_open(order.round) and not _plans(actor, order.round):
        # After closing only community staff cancel (a packed bag must be put back).
        _refuse(
            _("The round has closed; ask community staff to cancel."),
            code="round_closed",
            status=409,
        )
    _release(order)
    order.status = OrderStatus.CANCELLED
    order.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor, action="order.cancel", target=order, community_id=order.round.community_id
    )
    return order


def _plans(actor, round_) -> bool:
    from linli.supplies.access import plan_communities

    return plan_communities(actor).filter(pk=round_.community_id).exists()


# ---------------------------------------------------------------- suppliers and catalogue


def _clean_model(obj, *, exclude=None) -> None:
    from django.core.exceptions import ValidationError

    try:
        obj.full_clean(exclude=exclude)
    except ValidationError as exc:
        raise ApplicationError.from_validation_error(exc) from None


SUPPLIER_FIELDS = ("name", "kind", "contact", "phone", "active")
STAFF_FIELDS = ("name", "phone", "tested_at", "test_result", "active")
PACKAGE_FIELDS = ("kind", "name", "contents", "price_fen", "subsidised_price_fen", "active")


@transaction.atomic
def supplier_save(*, actor, community, values: dict, supplier: Supplier | None = None) -> Supplier:
    """Add a supplier to `community`, or change one."""
    creating = supplier is None
    supplier = supplier or Supplier(community=community)
    before = {f: getattr(supplier, f) for f in SUPPLIER_FIELDS} if not creating else {}
    for name in SUPPLIER_FIELDS:
        if name in values:
            setattr(supplier, name, values[name])
    _clean_model(supplier, exclude=["community"])
    supplier.save()
    audit_record(
        actor=actor,
        action="supplier.create" if creating else "supplier.update",
        target=supplier,
        community_id=supplier.community_id,
        detail={"before": before, "after": {f: getattr(supplier, f) for f in SUPPLIER_FIELDS}},
    )
    return supplier


@transaction.atomic
def supplier_staff_save(
    *, actor, supplier: Supplier, values: dict, staff: SupplierStaff | None = None
) -> SupplierStaff:
    """Add a supplier's delivery person, or change one (their latest test, S4)."""
    creating = staff is None
    staff = staff or SupplierStaff(supplier=supplier)
    for name in STAFF_FIELDS:
        if name in values:
            setattr(staff, name, values[name])
    if staff.tested_at and staff.tested_at > timezone.now() + timedelta(minutes=5):
        _refuse(_("A test cannot be in the future."), field="tested_at")
    if bool(staff.tested_at) != bool(staff.test_result):
        _refuse(
            _("Give both the time of the latest test and its result, or neither."),
            field="test_result" if staff.tested_at else "tested_at",
        )
    _clean_model(staff, exclude=["supplier"])
    staff.save()
    audit_record(
        actor=actor,
        action="supplier_staff.create" if creating else "supplier_staff.update",
        target=staff,
        community_id=supplier.community_id,
        detail={
            "supplier": supplier.pk,
            "tested_at": staff.tested_at.isoformat() if staff.tested_at else None,
            "result": staff.test_result,
            "active": staff.active,
        },
    )
    return staff


@transaction.atomic
def package_save(*, actor, supplier: Supplier, values: dict, package: Package | None = None):
    """Add a package to a supplier's catalogue, or change one. Prices are in fen."""
    creating = package is None
    package = package or Package(supplier=supplier)
    for name in PACKAGE_FIELDS:
        if name in values:
            setattr(package, name, values[name])
    if package.subsidised_price_fen is not None and package.price_fen is not None:
        if package.subsidised_price_fen > package.price_fen:
            _refuse(
                _("The subsidised price cannot be above the price."), field="subsidised_price_fen"
            )
    _clean_model(package, exclude=["supplier"])
    package.save()
    audit_record(
        actor=actor,
        action="package.create" if creating else "package.update",
        target=package,
        community_id=supplier.community_id,
        detail={f: getattr(package, f) for f in PACKAGE_FIELDS if f != "contents"},
    )
    return package


def supplier_check(supplier: Supplier, at=None) -> list[str]:
    """Why `supplier` cannot be scheduled for a round at `at` (default now); empty if it can.

    Supply staff must be screened (proposal S4): every ACTIVE delivery person needs a negative
    test within settings.LINLI_SUPPLIER_TEST_HOURS. Each reason names the person and the date."""
    at = at or timezone.now()
    hours = settings.LINLI_SUPPLIER_TEST_HOURS
    since = at - timedelta(hours=hours)
    reasons = []
    if not supplier.active:
        reasons.append(_("%(s)s is marked inactive.") % {"s": supplier.name})
    staff = list(SupplierStaff.objects.filter(supplier=supplier, active=True).order_by("name"))
    if not staff:
        reasons.append(_("%(s)s has no active delivery staff on record.") % {"s": supplier.name})
    for person in staff:
        when = (
            timezone.localtime(person.tested_at).strftime("%Y-%m-%d %H:%M")
            if person.tested_at
            else ""
        )
        if person.tested_at is None or not person.test_result:
            reasons.append(_("%(name)s: no test recorded") % {"name": person.name})
        elif person.test_result != TestResult.NEGATIVE:
            reasons.append(
                _("%(name)s: last test %(date)s was positive") % {"name": person.name, "date": when}
            )
        elif person.tested_at < since:
            reasons.append(
                _("%(name)s: last negative test %(date)s, older than %(hours)d h")
                % {"name": person.name, "date": when, "hours": hours}
            )
    return reasons


def _require_screened(supplier: Supplier, at=None) -> None:
    reasons = supplier_check(supplier, at)
    if reasons:
        raise Conflict(
            _("%(s)s cannot be scheduled for a round: %(reasons)s")
            % {"s": supplier.name, "reasons": "; ".join(reasons)},
            code="supplier_not_screened",
            fields={"supplier": reasons},
        )


# ---------------------------------------------------------------- rounds


@dataclass(frozen=True)
class ItemSpec:
    """One package offered in a new round: how many there are and how many one household may
    order."""

    package: Package
    stock: int
    per_household: int = 2


@transaction.atomic
def round_create(
    *,
    actor,
    supplier: Supplier,
    title: str,
    buildings,
    opens_at,
    closes_at,
    pickup_starts_at,
    items: list[ItemSpec],
    slot_minutes: int = 15,
    slot_capacity: int = 10,
    household_limit: int = 5,
) -> Round:
    """Create a draft round for a set of buildings. Residents pay the subsidised price where a
    package has one (S8). A supplier whose staff are not screened is refused (S4)."""
    now = timezone.now()
    errors: dict[str, list[str]] = {}

    def error(field, message):
        errors.setdefault(field, []).append(str(message))

    title = (title or "").strip()
    if not title:
        error("title", _("Give the round a title."))
    buildings = list(buildings)
    if not buildings:
        error("buildings", _("Choose at least one building."))
    elif any(b.community_id != supplier.community_id for b in buildings):
        error("buildings", _("Every building must be in the supplier's community."))
    if opens_at and closes_at and closes_at <= opens_at:
        error("closes_at", _("The round must close after it opens."))
    if closes_at and closes_at <= now:
        error("closes_at", _("The round must close in the future."))
    if pickup_starts_at and closes_at and pickup_starts_at < closes_at:
        error("pickup_starts_at", _("Pickup starts after the round closes."))
    if not 5 <= int(slot_minutes or 0) <= 240:
        error("slot_minutes", _("A slot lasts 5 to 240 minutes."))
    if not 1 <= int(slot_capacity or 0) <= 1000:
        error("slot_capacity", _("At least one household per point per slot."))
    if not 1 <= int(household_limit or 0) <= 100:
        error("household_limit", _("Between 1 and 100 packages per household."))
    if not items:
        error("items", _("Offer at least one package (give it a stock)."))
    seen = set()
    for spec in items:
        if spec.package.supplier_id != supplier.pk or not spec.package.active:
            error("items", _("%(p)s is not in this supplier's catalogue.") % {"p": spec.package})
        if spec.package.pk in seen:
            error("items", _("%(p)s is offered twice.") % {"p": spec.package})
        seen.add(spec.package.pk)
        if spec.stock < 1:
            error("items", _("%(p)s: the stock must be at least 1.") % {"p": spec.package})
        if spec.per_household < 1:
            error("items", _("%(p)s: the limit must be at least 1.") % {"p": spec.package})
    if errors:
        raise ApplicationError(_("Please correct the marked fields."), fields=errors)
    _require_screened(supplier, now)
    round_ = Round.objects.create(
        community_id=supplier.community_id,
        supplier=supplier,
        title=title[:100],
        opens_at=opens_at,
        closes_at=closes_at,
        pickup_starts_at=pickup_starts_at,
        slot_minutes=slot_minutes,
        slot_capacity=slot_capacity,
        household_limit=household_limit,
        created_by=_user(actor),
    )
    round_.buildings.set(buildings)
    RoundItem.objects.bulk_create(
        [
            RoundItem(
                round=round_,
                package=spec.package,
                price_fen=spec.package.resident_price_fen,
                stock=spec.stock,
                per_household=spec.per_household,
            )
            for spec in items
        ]
    )
    audit_record(
        actor=actor,
        action="round.create",
        target=round_,
        community_id=round_.community_id,
        detail={
            "supplier": supplier.pk,
            "buildings": len(buildings),
            "items": {str(s.package.pk): s.stock for s in items},
        },
    )
    return round_


@transaction.atomic
def round_open(*, actor, round_: Round) -> Round:
    """Open a draft round for orders, once its supplier's staff are screened (S4)."""
    round_ = Round.objects.select_for_update().select_related("supplier").get(pk=round_.pk)
    if round_.status != RoundStatus.DRAFT:
        _refuse(
            _("Only a draft round can be opened (this one is %(s)s).")
            % {"s": round_.get_status_display()},
            code="bad_state",
            status=409,
        )
    if round_.closes_at <= timezone.now():
        _refuse(_("This round's closing time has passed."), code="round_closed", status=409)
    if not round_.items.exists():
        _refuse(_("Offer at least one package first."), code="empty_round")
    _require_screened(round_.supplier)
    round_.status = RoundStatus.OPEN
    round_.save(update_fields=["status"])
    audit_record(actor=actor, action="round.open", target=round_, community_id=round_.community_id)
    return round_
