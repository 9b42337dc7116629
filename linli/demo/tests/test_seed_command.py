"""`manage.py seed_demo` and `demo_logins` on an empty database: the options, the refusals,
and a load that fails half way (the demo itself is read in test_seed_demo.py)."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from linli.accounts.models import User
from linli.demo import services
from linli.places.models import Community, Household
from linli.residents.models import Resident
from linli.supplies.models import Order, Supplier

AS_OF = date(2026, 3, 1)
SMALL = 300


@pytest.fixture(autouse=True)
def _english():
    # The assertions read the commands' English messages, whatever Chinese is added later.
    with translation.override("en"):
        yield


def seed(**options) -> str:
    out = StringIO()
    call_command("seed_demo", households=SMALL, as_of=AS_OF, stdout=out, **options)
    return out.getvalue()


def test_the_password_comes_from_the_environment(db, monkeypatch):
    monkeypatch.setenv("LINLI_DEMO_PASSWORD", "another-pass-77")
    seed()
    assert User.objects.get(username="grid1").check_password("another-pass-77")
    assert not User.objects.get(username="grid1").check_password("linli-demo")


def test_if_empty_does_nothing_when_another_community_exists(db):
    Community.objects.create(name="别的社区", code="other")
    seed(if_empty=True)
    assert not Resident.objects.exists() and not User.objects.exists()


def test_it_refuses_to_take_over_existing_usernames(db):
    User.objects.create(username="admin")
    with pytest.raises(CommandError, match="admin"):
        seed()
    assert not Community.objects.exists() and User.objects.count() == 1


def test_it_refuses_to_take_over_a_roster_username(db):
    User.objects.create(username="vol001")
    with pytest.raises(CommandError, match="vol001"):
        seed()
    assert not Community.objects.exists() and User.objects.count() == 1


def test_a_failure_half_way_leaves_nothing_behind(db, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "audit_record", broken)
    with pytest.raises(RuntimeError):
        seed()
    assert not Community.objects.exists()
    assert not Resident.objects.exists() and not User.objects.exists()
    assert not Supplier.objects.exists() and not Order.objects.exists()


def test_scale_picks_a_share_of_the_full_community(db):
    call_command("seed_demo", scale=0.02, as_of=AS_OF, stdout=StringIO())
    assert Household.objects.count() == round(6514 * 0.02)


def test_demo_logins_says_so_when_there_is_no_demo(db):
    out = StringIO()
    call_command("demo_logins", stdout=out)
    assert "seed_demo" in out.getvalue()
