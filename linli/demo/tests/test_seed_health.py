"""The demo community's two weeks of health: reports, check-ins, an outbreak to trace."""

from datetime import date

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, F
from django.test import override_settings

from linli.delivery.eligibility import door_delivery_households
from linli.health.choices import TRANSITIONS, ChangeSource, HealthStatus
from linli.health.models import HealthRecord, HealthReport, HealthStatusChange, Quarantine
from linli.places.models import Community
from linli.residents.models import Resident, ResidentTag
from linli.taskpool.models import Task
from linli.tracing.choices import CheckInSource
from linli.tracing.models import CheckIn, DirectContact

SMALL = 300
AS_OF = date(2026, 3, 2)


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The demo once for the module, rolled back at its end (as in test_seed_demo.py)."""
    fast = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), transaction.atomic(), fast:
        call_command("seed_demo", households=SMALL, as_of=AS_OF, verbosity=0)
        yield
        transaction.set_rollback(True)


@pytest.fixture
def demo(seeded, db):
    return Community.objects.get()


def test_most_people_report_every_day_for_two_weeks(demo):
    days = HealthReport.objects.values("date").annotate(n=Count("id")).order_by("date")
    assert len(days) == 14
    people = Resident.objects.count()
    # Every full day but today (which stops at the time of seeding) has most people reporting.
    assert all(day["n"] > 0.75 * people for day in list(days)[:-1])


def test_every_history_follows_the_allowed_transitions_and_ends_in_the_record(demo):
    for record in HealthRecord.objects.all():
        changes = list(
            HealthStatusChange.objects.filter(resident=record.resident_id).order_by("changed_at")
        )
        state = HealthStatus.HEALTHY
        for change in changes:
            assert change.from_status == state
            assert change.to_status in TRANSITIONS[state]
            assert change.source in ChangeSource.values
            state = change.to_status
        assert state == record.status


def test_the_outbreak_has_cases_quarantines_and_a_death(demo):
    statuses = set(HealthRecord.objects.values_list("status", flat=True))
    assert {"hospitalised", "deceased", "home_quarantine", "central_quarantine"} <= statuses
    assert ResidentTag.objects.filter(tag="bereaved").exists()
    home = Quarantine.objects.filter(released_on__isnull=True, kind="home")
    assert home.exists()
    # Households under home quarantine get door delivery, and each has today's follow-up.
    households = set(home.values_list("resident__household_id", flat=True))
    assert households <= door_delivery_households(demo)
    for quarantine in home:
        assert Task.objects.filter(kind="check_visit", resident=quarantine.resident_id).exists()


def test_check_ins_cover_two_weeks_and_the_market_story(demo):
    assert CheckIn.objects.count() > 14 * SMALL * 0.2
    assert set(CheckIn.objects.values_list("source", flat=True)) == {CheckInSource.SCAN}
    assert not CheckIn.objects.filter(left_at__lt=F("entered_at")).exists()
    assert DirectContact.objects.count() == 2


def test_the_demo_external_list_links_back_to_the_demo(demo, tmp_path):
    """`demo_external_list` writes a GBK confirmed-case list with misspelt residents and
    strangers; the cross-check finds the residents and leaves the strangers unmatched."""
    from linli.tracing import crosscheck_services as crosscheck
    from linli.tracing.models import CrossCheckRow

    out = tmp_path / "confirmed.csv"
    call_command("demo_external_list", str(out), size=30, verbosity=0)
    content = out.read_bytes()
    content.decode("gbk")  # as such lists arrive
    upload = crosscheck.crosscheck_upload(
        actor=None,
        community=demo,
        list_kind="confirmed_cases",
        filename="confirmed.csv",
        content=content,
    )
    mapping = {"name": "姓名", "id_number": "身份证号", "phone": "手机号码", "sex": "性别"}
    crosscheck.crosscheck_run_request(actor=None, crosscheck=upload, mapping=mapping)
    crosscheck.crosscheck_run(crosscheck_id=upload.pk)
    rows = CrossCheckRow.objects.filter(crosscheck=upload)
    strangers = {"赵四海", "钱小梅", "孙立新", "李秀兰", "周建华", "吴国强", "郑丽娟", "王大勇"}
    members = [r for r in rows if r.data["姓名"] not in strangers]
    assert len(rows) == 30
    assert sum(r.matched for r in members) >= 0.9 * len(members)
    assert not any(r.matched for r in rows if r.data["姓名"] in strangers)
