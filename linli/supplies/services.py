"""Group orders: placing, changing and cancelling an order, with stock reserved atomically.

Stock is reserved with one conditional UPDATE per package (`stock >= quantity`), in package
order so concurrent transactions lock rows in the same order; any refusal rolls the whole order
back, so nothing is reserved for an order that is not placed. A repeated Idempotency-Key
returns the order it created the first time.
"""

import secrets

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.core.errors import ApplicationError, Conflict
from linli.core.services import audit_record
from linli.supplies.choices import OrderStatus, Payment, RoundStatus
from linli.supplies.models import Order, OrderLine, Round, RoundItem


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
    items = {
        i.pk: i
        for i in RoundItem.objects.filter(round=round_, pk__in=list(lines)).select_related(
            "package"
        )
    }
    cleaned, total = [], 0
    for item_id, quantity in sorted(lines.items()):
        item = items.get(int(item_id))
        if item is None:
            _refuse(
                _("Package %(id)s is not offered in this round.") % {"id": item_id}, field="lines"
            )
        if not isinstance(quantity, int) or quantity < 1:
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
    round_ = Round.objects.get(pk=round_.pk)  # fresh status and times
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
    _release(order)
    order.lines.all().delete()
    _reserve(cleaned)
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
    if not round_is_open(order.round):
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


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None
