"""The list pages do not grow their query count with the number of people; the menu flags
cost no query; the daily command runs the rounds."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from linli.health import services
from linli.health.choices import HealthStatus, QuarantineKind
from linli.health.context_processors import nav
from linli.places.services import household_get_or_create
from linli.residents.models import Resident
from linli.taskpool.models import Task

pytestmark = pytest.mark.django_db


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def _more_people(world, n):
    for i in range(n):
        building = [world.building_a1, world.building_a2, world.building_b1][i % 3]
        home = household_get_or_create(building=building, entrance=2, room=f"{i + 1}02")
        person = Resident.objects.create(
            household=home, name=f"居民{i}", sex="F", birth_date="1980-01-01"
        )
        if i % 2:
            services.quarantine_start(
                actor=None, resident=person, kind=QuarantineKind.HOME, reason="x"
            )
        else:
            services.status_change(
                actor=None, resident=person, to_status=HealthStatus.CLOSE_CONTACT, reason="x"
            )


def test_overview_and_missing_list_query_counts_are_flat(world, as_user):
    client = as_user("staff")
    _more_people(world, 2)  # one of each, so that no list starts empty
    urls = ["/health/", "/health/?status=close_contact", "/health/missing/"]
    client.get("/health/")  # the session's first use
    few = [_queries(client, url) for url in urls]
    _more_people(world, 12)
    many = [_queries(client, url) for url in urls]
    assert many == few
    assert max(many) <= 12


def test_report_page_query_count_is_flat(world, as_user):
    client = as_user("grid_a")
    url = f"/health/report/?building={world.building_a1.pk}"
    services.report_submit(actor=None, resident=world.residents["zhang"], temperature="36.5")
    client.get(url)
    few = _queries(client, url)
    _more_people(world, 9)
    assert _queries(client, url) == few


@pytest.mark.parametrize(
    "persona,flags",
    [
        ("resident", {"report": True, "missing": False, "overview": False, "import_tests": False}),
        ("leader_a1", {"report": True, "missing": True, "overview": False, "import_tests": False}),
        ("grid_a", {"report": True, "missing": True, "overview": True, "import_tests": False}),
        ("doctor", {"report": False, "missing": False, "overview": True, "import_tests": True}),
        ("staff", {"report": True, "missing": True, "overview": True, "import_tests": True}),
        (
            "volunteer",
            {"report": False, "missing": False, "overview": False, "import_tests": False},
        ),
        (
            "supervisor",
            {"report": False, "missing": False, "overview": False, "import_tests": False},
        ),
    ],
)
def test_menu_flags_follow_the_roles_without_a_query(world, persona, flags):
    request = RequestFactory().get("/")
    request.user = world.user(persona)
    request.user._linli_grants = list(request.user.grants.all())  # as a request has them
    with CaptureQueriesContext(connection) as ctx:
        health_nav = nav(request)["health_nav"]
        got = {key: health_nav[key] for key in flags}
    assert got == flags
    assert len(ctx.captured_queries) == 0


def test_health_daily_makes_follow_ups_and_missing_report_tasks(world, settings):
    settings.LINLI_HEALTH_REPORT_HOUR = 0  # after the hour, whenever the test runs
    services.quarantine_start(
        actor=None, resident=world.residents["chen"], kind=QuarantineKind.HOME, reason="x"
    )
    out = StringIO()
    call_command("health_daily", stdout=out)
    text = out.getvalue()
    assert "quarantines: 1 follow-up tasks, 0 past their planned end" in text
    # chen's own follow-up is a task for him; his household's missing report is another.
    assert "测试社区: 4 new check-on tasks for missing reports" in text
    before = Task.objects.count()
    call_command("health_daily", stdout=StringIO())
    assert Task.objects.count() == before


def test_person_page_query_count_does_not_grow_with_the_history(world, as_user):
    chen = world.residents["chen"]
    client = as_user("staff")
    url = f"/health/residents/{chen.pk}/"
    client.get(url)
    services.status_change(
        actor=None, resident=chen, to_status=HealthStatus.SYMPTOMATIC, reason="x"
    )
    few = _queries(client, url)
    for to in [HealthStatus.SUSPECTED, HealthStatus.CONFIRMED, HealthStatus.HOSPITALISED]:
        services.status_change(actor=world.user("doctor"), resident=chen, to_status=to, reason="x")
    assert _queries(client, url) == few
