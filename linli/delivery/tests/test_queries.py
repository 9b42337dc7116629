"""List pages do not grow their query count with the number of rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from linli.delivery.tests.conftest import person, years_old
from linli.places.services import household_get_or_create
from linli.residents.choices import Tag

pytestmark = pytest.mark.django_db


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_eligible_list_query_count_is_flat(world, as_user):
    client = as_user("staff")
    few = _queries(client, "/delivery/eligible/")
    for i in range(12):
        home = household_get_or_create(building=world.building_b1, entrance=4, room=f"{i + 1}01")
        person(home, years_old(75 + i % 10), tags=[Tag.CHRONIC] if i % 2 else ())
    many = _queries(client, "/delivery/eligible/")
    assert many == few
    assert many <= 20
