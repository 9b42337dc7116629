"""Places: households are created once, on the right floor, with clear errors."""

import pytest

from linli.core.errors import ApplicationError
from linli.places.models import Entrance, Household
from linli.places.services import floor_of, household_get_or_create


@pytest.mark.parametrize(
    ("room", "floor"),
    [("301", 3), ("1202", 12), ("101", 1), ("12", 1), ("B", 1), ("001", 1)],
)
def test_floor_of(room, floor):
    assert floor_of(room) == floor


def test_household_is_created_once(world):
    before = Household.objects.count()
    first = household_get_or_create(building=world.building_a2, entrance=2, room=" 602 ")
    again = household_get_or_create(building=world.building_a2, entrance=2, room="602")
    assert first == again
    assert (first.room, first.floor, str(first)) == ("602", 6, "2-2-602")
    assert Household.objects.count() == before + 1
    assert Entrance.objects.filter(building=world.building_a2, number=2).count() == 1


def test_an_existing_household_is_found(world):
    zhang = world.residents["zhang"]
    assert household_get_or_create(building=world.building_a1, entrance=1, room="301") == (
        zhang.household
    )


@pytest.mark.parametrize(
    ("entrance", "room", "field"),
    [(1, "", "room"), (1, "x" * 21, "room"), (0, "101", "entrance"), (100, "101", "entrance")],
)
def test_bad_household_is_refused_naming_the_field(world, entrance, room, field):
    before = (Household.objects.count(), Entrance.objects.count())
    with pytest.raises(ApplicationError) as exc:
        household_get_or_create(building=world.building_a1, entrance=entrance, room=room)
    assert list(exc.value.fields) == [field]
    assert (Household.objects.count(), Entrance.objects.count()) == before
