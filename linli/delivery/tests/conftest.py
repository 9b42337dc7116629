"""Door-delivery fixtures: a round over all three buildings with door-delivery orders, a start
place, and two volunteers on the roster."""

from datetime import date

import pytest
from django.utils import timezone

from linli.places.choices import PlaceKind
from linli.places.models import PublicPlace
from linli.places.services import household_get_or_create
from linli.residents.models import Resident, ResidentTag
from linli.supplies.models import Order
from linli.supplies.services import order_place
from linli.supplies.testing import make_round
from linli.testing import make_user
from linli.workforce.testing import make_worker

_seq = iter(range(100, 10_000))


def person(household, birth: date, *, tags=(), disability=None, moved_out=None, name=None):
    """A registry entry straight in the table (the registry's own services are tested there)."""
    resident = Resident.objects.create(
        household=household,
        name=name or f"居民{next(_seq)}",
        sex="F",
        birth_date=birth,
        disability_level=disability,
        moved_out_on=moved_out,
        phone="13900001111",
    )
    for tag in tags:
        ResidentTag.objects.create(resident=resident, tag=tag)
    return resident


def years_old(n: int) -> date:
    today = timezone.localdate()
    return (
        today.replace(year=today.year - n)
        if not (today.month == 2 and today.day == 29)
        else (today.replace(year=today.year - n, day=28))
    )


@pytest.fixture
def office(world):
    return PublicPlace.objects.create(
        community=world.community, kind=PlaceKind.OFFICE, name="居委会", x=200, y=120
    )


@pytest.fixture
def volunteers(world):
    """The volunteer persona and a second volunteer, both approved."""
    second = make_user("volunteer2")
    return [make_worker(world.user("volunteer")), make_worker(second, community=world.community)]


@pytest.fixture
def door_orders(world):
    """A round over A1, A2 and B1, with orders from zhang (A1), wang (A2) and chen (B1) marked
    for door delivery as round close would, plus one order that is collected (not door)."""
    round_ = make_round(world, buildings=[world.building_a1, world.building_a2, world.building_b1])
    items = list(round_.items.order_by("pk"))
    orders = []
    for key in ["zhang", "wang", "chen"]:
        household = world.residents[key].household
        order, _created = order_place(
            actor=world.user("staff"), round_=round_, household=household, lines={items[0].pk: 2}
        )
        orders.append(order)
    collects = household_get_or_create(building=world.building_a2, entrance=1, room="202")
    order_place(
        actor=world.user("staff"), round_=round_, household=collects, lines={items[1].pk: 1}
    )
    Order.objects.filter(pk__in=[o.pk for o in orders]).update(door_delivery=True)
    return round_, orders


@pytest.fixture(autouse=True)
def _quick_search(monkeypatch):
    # Tiny test instances are solved at once; stop the search soon after the last improvement.
    monkeypatch.setattr("linli.delivery.services.STALL_ITERATIONS", 300)
