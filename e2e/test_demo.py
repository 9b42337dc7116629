"""The demo community as `make run` serves it: the demo logins work in a browser and each one
sees only its own area."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from linli.accounts.models import User
from linli.places.models import Grid, Household

DEMO_PASSWORD = "linli-demo"
GRID_ROWS = "section table.list tbody tr"


@pytest.fixture
def demo(transactional_db, monkeypatch):
    monkeypatch.delenv("LINLI_DEMO_PASSWORD", raising=False)
    # A small slice of Xinmin Road: the same generator, fewer households.
    call_command("seed_demo", households=300, verbosity=0)


def test_grid1_sees_only_grid_1_and_staff1_sees_every_grid(demo, page, live_server, login):
    grids = list(Grid.objects.order_by("number"))
    assert len(grids) >= 2

    login("staff1", DEMO_PASSWORD)
    expect(page).to_have_url(re.compile(r"/registry/$"))
    expect(page.locator(GRID_ROWS)).to_have_count(len(grids))

    page.click("form[action$='/accounts/logout/'] button")
    login("grid1", DEMO_PASSWORD)
    expect(page).to_have_url(re.compile(r"/registry/$"))
    expect(page.locator(GRID_ROWS)).to_have_count(1)
    expect(page.locator(GRID_ROWS).first).to_contain_text(grids[0].name)
    # Grid 2 is not even offered as a filter.
    page.goto(f"{live_server.url}/registry/residents/")
    options = page.locator("select[name=grid] option").all_inner_texts()
    assert grids[0].name in options
    assert grids[1].name not in options


def test_resident1_sees_their_household_and_no_other(demo, page, live_server, login):
    household = User.objects.get(username="resident1").resident.household
    members = sorted(household.residents.active().values_list("name", flat=True))
    login("resident1", DEMO_PASSWORD)

    expect(page).to_have_url(re.compile(rf"/registry/households/{household.pk}/$"))
    names = page.locator("table.list tbody td:first-child a")
    expect(names).to_have_count(len(members))
    assert sorted(names.all_inner_texts()) == members

    neighbour = Household.objects.exclude(pk=household.pk).filter(residents__isnull=False).first()
    assert page.goto(f"{live_server.url}/registry/households/{neighbour.pk}/").status == 404
    assert page.goto(f"{live_server.url}/registry/residents/").url.endswith(
        f"/registry/households/{household.pk}/"
    )
