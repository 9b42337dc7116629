"""Supervision pages and downloads: who may open them, what they show, what they cost."""

import io
from xml.etree import ElementTree

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from linli.core.models import AuditEvent
from linli.taskpool import services
from linli.taskpool.choices import TaskKind
from linli.taskpool.tests.test_supervision_data import at, build_week, finished
from linli.workforce.models import HoursEntry

URLS = [
    "/supervision/",
    "/supervision/coverage/",
    "/supervision/workers/",
    "/supervision/workers.xlsx",
    "/supervision/cadres/",
    "/supervision/cadres.xlsx",
    "/supervision/daily.xlsx",
]
READERS = ["staff", "grid_a", "grid_b", "supervisor", "admin"]
NOBODY = ["cadre", "volunteer", "property", "resident", "leader_a1", "outsider"]


@pytest.fixture
def week(world):
    return build_week(world)


@pytest.mark.parametrize("persona", READERS)
def test_planners_and_supervisors_open_every_page(world, as_user, week, persona):
    client = as_user(persona)
    for url in URLS:
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("persona", NOBODY)
def test_everyone_else_gets_404(world, as_user, week, persona):
    client = as_user(persona)
    for url in URLS:
        assert client.get(url).status_code == 404, url
    assert not AuditEvent.objects.filter(action="supervision.export").exists()


def test_anonymous_visitors_are_sent_to_log_in(world, client):
    for url in URLS:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login" in response["Location"], url


def test_dashboard_shows_the_figures_and_the_not_visited(world, as_user, week):
    html = as_user("staff").get("/supervision/").content.decode()
    assert f"#{week.tasks['T7'].pk} food" in html  # the overdue list
    assert "陈明" in html and "李芳" in html  # not visited
    assert "王秀英</a>" not in html  # visited three days ago
    assert "33%" in html
    assert "吴志愿" in html  # workload
    assert "Plan a visit" in html


def test_dashboard_charts_are_valid_svg_with_a_bar_per_grid(world, as_user, week):
    # 赵干部's hours were yesterday, which is last week on a Monday: give him some today too.
    HoursEntry.objects.create(worker=week.zhao, day=timezone.localdate(), minutes=60)
    html = as_user("staff").get("/supervision/").content.decode()
    svgs = [s.split("</svg>")[0] + "</svg>" for s in html.split("<svg")[1:]]
    assert len(svgs) == 3
    ns = {"s": "http://www.w3.org/2000/svg"}
    ages, load, cover = (ElementTree.fromstring("<svg" + s) for s in svgs)  # noqa: S314
    assert len(ages.findall("s:g[@class='bar']", ns)) == 1  # only grid A has open tasks
    assert len(cover.findall("s:g[@class='bar']", ns)) == 2  # both grids have vulnerable people
    assert len(load.findall("s:g[@class='bar']", ns)) == 3  # three workers with work this week


def test_grid_worker_sees_only_their_grid(world, as_user, week):
    html = as_user("grid_b").get("/supervision/").content.decode()
    assert "陈明" in html and "李芳" not in html and "王秀英" not in html
    assert f"#{week.tasks['T7'].pk} food" not in html  # overdue in grid A


def test_supervisor_reads_but_is_not_offered_to_plan(world, as_user, week):
    html = as_user("supervisor").get("/supervision/").content.decode()
    assert "陈明" in html and "Plan a visit" not in html


def test_dashboard_query_count_does_not_grow_with_tasks(world, as_user, week):
    client = as_user("staff")
    client.get("/supervision/")  # warm up (session, content types)
    with CaptureQueriesContext(connection) as before:
        assert client.get("/supervision/").status_code == 200
    for i in range(6):
        finished(
            world,
            week.li if i % 2 else week.wu,
            kind=TaskKind.OTHER,
            household=world.residents["chen"].household
            if i % 3
            else world.residents["zhang"].household,
            created=at(i % 3, minutes=i),
            took=15,
        )
    staff = world.user("staff")
    services.task_create(
        actor=staff, kind=TaskKind.PEST, title="rats", building=world.building_b1, due_at=at(2)
    )
    with CaptureQueriesContext(connection) as after:
        assert client.get("/supervision/").status_code == 200
    assert len(after) == len(before), [q["sql"] for q in after.captured_queries]
    assert len(after) <= 20


def test_workers_page_shows_forces_and_workers(world, as_user, week):
    html = as_user("staff").get("/supervision/workers/").content.decode()
    assert "李干部" in html and "67%" in html and "Dispatched cadre" in html
    html = as_user("staff").get("/supervision/workers/?force=volunteer").content.decode()
    assert "吴志愿" in html and "李干部" not in html


def test_cadres_page_lists_summaries_and_units(world, as_user, week):
    html = as_user("staff").get("/supervision/cadres/").content.decode()
    assert "Finished 3 tasks (1 failed); 67% on time." in html
    assert '<option value="区教育局"' in html
    html = as_user("staff").get("/supervision/cadres/?unit=区教育局").content.decode()
    assert "赵干部" in html and "李干部" not in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("start=13-03-2020", "From: must be a date"),
        ("start=2020-03-13&end=2020-03-01", "To: must not be before the start date."),
        ("start=2019-01-01&end=2020-03-01", "at most 366 days"),
    ],
)
def test_a_bad_period_says_which_field_and_why(world, as_user, query, message):
    response = as_user("staff").get(f"/supervision/workers/?{query}")
    assert response.status_code == 400
    assert message in response.content.decode()


def test_bad_days_and_date_are_refused(world, as_user):
    assert as_user("staff").get("/supervision/?days=0").status_code == 400
    assert as_user("staff").get("/supervision/coverage/?days=x").status_code == 400
    response = as_user("staff").get("/supervision/daily.xlsx?date=yesterday")
    assert response.status_code == 400 and b"Date: must be a date" in response.content


def test_cadre_export_is_audited_with_its_period_and_unit(world, as_user, week):
    response = as_user("staff").get(
        "/supervision/cadres.xlsx?start=2020-03-01&end=2020-03-13&unit=区民政局"
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('linli-cadres-20200301-20200313.xlsx"')
    load_workbook(io.BytesIO(response.content))
    event = AuditEvent.objects.get(action="supervision.export")
    assert event.actor == world.user("staff")
    assert event.community_id == world.community.pk
    assert event.detail == {
        "report": "cadres",
        "start": "2020-03-01",
        "end": "2020-03-13",
        "unit": "区民政局",
        "cadres": 1,
    }


def test_daily_report_download_is_audited(world, as_user, week):
    response = as_user("supervisor").get("/supervision/daily.xlsx?date=2020-03-13")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert book.active["A1"].value == "Daily report for 2020-03-13"
    event = AuditEvent.objects.get(action="supervision.export")
    assert event.detail == {"report": "daily", "date": "2020-03-13"}
