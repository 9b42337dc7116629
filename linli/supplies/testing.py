"""Supplies helpers for every app's tests: a screened supplier, its catalogue, an open round."""

from datetime import timedelta

from django.utils import timezone

from linli.supplies import services
from linli.supplies.choices import PackageKind, RoundStatus, SupplierKind, TestResult
from linli.supplies.models import Package, Round, Supplier, SupplierStaff


def make_supplier(
    community, *, name="惠民超市", staff=("王强",), tested_hours_ago: float | None = 2, **fields
) -> Supplier:
    """A supplier whose delivery staff tested negative `tested_hours_ago` hours ago (None: no
    test recorded)."""
    supplier = Supplier.objects.create(
        community=community, name=name, kind=fields.pop("kind", SupplierKind.SUPERMARKET), **fields
    )
    tested_at = (
        timezone.now() - timedelta(hours=tested_hours_ago) if tested_hours_ago is not None else None
    )
    for person in staff:
        SupplierStaff.objects.create(
            supplier=supplier,
            name=person,
            phone="13600000000",
            tested_at=tested_at,
            test_result=TestResult.NEGATIVE if tested_at else "",
        )
    return supplier


def make_package(
    supplier, name="蔬菜包", *, kind=PackageKind.VEGETABLES, price_fen=3000, subsidised=None
) -> Package:
    return Package.objects.create(
        supplier=supplier,
        kind=kind,
        name=name,
        contents="白菜 土豆 萝卜",
        price_fen=price_fen,
        subsidised_price_fen=subsidised,
    )


def make_round(
    world,
    *,
    supplier=None,
    buildings=None,
    items=None,
    status=RoundStatus.OPEN,
    household_limit=5,
    title="第一批团购",
) -> Round:
    """A round open for orders now (or a draft), by default over buildings A1 and A2 with a
    vegetable bundle (stock 50, 2 per household) and eggs (stock 20, 1 per household).
    `items` is a list of (package, stock, per_household)."""
    supplier = supplier or make_supplier(world.community)
    if items is None:
        items = [
            (make_package(supplier, "蔬菜包", price_fen=3000, subsidised=2500), 50, 2),
            (make_package(supplier, "鸡蛋", kind=PackageKind.EGGS, price_fen=1800), 20, 1),
        ]
    now = timezone.now()
    round_ = services.round_create(
        actor=world.user("staff"),
        supplier=supplier,
        title=title,
        buildings=buildings if buildings is not None else [world.building_a1, world.building_a2],
        opens_at=now - timedelta(hours=1),
        closes_at=now + timedelta(days=1),
        pickup_starts_at=now + timedelta(days=1, hours=2),
        household_limit=household_limit,
        items=[services.ItemSpec(package=p, stock=s, per_household=n) for p, s, n in items],
    )
    if status == RoundStatus.OPEN:
        services.round_open(actor=world.user("staff"), round_=round_)
    elif status != RoundStatus.DRAFT:
        Round.objects.filter(pk=round_.pk).update(status=status)
    round_.refresh_from_db()
    return round_


def close_round(round_: Round) -> None:
    """Make the round's closing time pass (status stays open, as before round_close runs)."""
    Round.objects.filter(pk=round_.pk).update(
        opens_at=timezone.now() - timedelta(hours=3), closes_at=timezone.now() - timedelta(hours=1)
    )
    round_.refresh_from_db()
