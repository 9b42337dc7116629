"""Counselling notes are the most sensitive data in Linli (issue 7): encrypted at rest, read
only by the counsellor on the case and the care supervisor, each read audited. A grid worker
cannot read them through any page, API or export: the test walks every care URL and every
care API operation (taken from the URL conf and the OpenAPI document, so a new one is walked
too), and the pages a grid worker can reach about the same person."""

import io

import pytest
from django.db import connection
from django.urls import URLPattern, reverse
from openpyxl import load_workbook

from linli.care import services
from linli.care.models import GroupSession
from linli.care.tests.test_pages import SELF_HARM, make_care_people
from linli.care.urls import urlpatterns
from linli.core.models import AuditEvent
from linli.health.tests.conftest import api_client
from linli.taskpool.choices import TaskKind
from linli.taskpool.models import Task

pytestmark = pytest.mark.django_db

NOTES = "她说母亲走后每晚都睡不着 NOTE-7f3a"
MARK = "NOTE-7f3a"


@pytest.fixture
def case(world):
    """Chen (building B1, grid B) screened with thoughts of self-harm on a call; his case has
    two sessions with notes and one without."""
    care = make_care_people(world)
    chen = world.residents["chen"]
    outcome = services.screening_submit(
        actor=care["counsellor"],
        resident=chen,
        instrument="phq9",
        answers=SELF_HARM,
        source="counsellor",
    )
    case = outcome.case
    services.case_assign(actor=care["counsellor"], case=case, counsellor=care["counsellor"])
    for notes in (NOTES, NOTES + " again", ""):
        services.session_record(
            actor=care["counsellor"], case=case, mode="phone", minutes=30, notes=notes
        )
    services.group_session_create(
        actor=care["counsellor"],
        community=world.community,
        title="g",
        audience="other",
        at=case.opened_at,
        mode="visit",
        residents=[chen],
    )
    case.refresh_from_db()
    return case


def _reads():
    return AuditEvent.objects.filter(action="care.notes_read").count()


# ------------------------------------------------------------------ who reads


def test_the_counsellor_on_the_case_reveals_one_session_at_a_time(world, as_user, case):
    client = as_user("counsellor")
    page = client.get(reverse("care:case", args=[case.pk])).content.decode()
    assert MARK not in page and page.count("Show notes") == 2  # the third has none
    assert _reads() == 0
    first = case.sessions.order_by("at", "pk").first()
    shown = client.post(reverse("care:case_notes", args=[case.pk]), {"session": first.pk})
    assert shown.status_code == 200
    assert shown.content.decode().count(MARK) == 1
    event = AuditEvent.objects.get(action="care.notes_read")
    assert event.actor == world.user("counsellor") and event.detail == {"session": first.pk}
    assert MARK not in str(event.detail)


def test_the_care_supervisor_reads_all_notes_each_read_audited(world, as_user, case):
    shown = as_user("care_supervisor").post(
        reverse("care:case_notes", args=[case.pk]), {"all": "1"}
    )
    assert shown.status_code == 200 and shown.content.decode().count(MARK) == 2
    assert _reads() == 3


def test_another_counsellor_works_the_case_but_reads_no_notes(world, as_user, case):
    client = as_user("counsellor2")
    page = client.get(reverse("care:case", args=[case.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Show notes" not in text and MARK not in text
    assert "Only the counsellor on the case and the care supervisor read session notes." in text
    refused = client.post(reverse("care:case_notes", args=[case.pk]), {"all": "1"})
    assert refused.status_code == 403 and MARK not in refused.content.decode()
    assert _reads() == 0


def test_a_counsellor_taken_off_the_case_reads_no_more(world, as_user, case):
    services.case_assign(actor=None, case=case, counsellor=world.user("counsellor2"))
    refused = as_user("counsellor").post(reverse("care:case_notes", args=[case.pk]), {"all": "1"})
    assert refused.status_code == 403
    shown = as_user("counsellor2").post(reverse("care:case_notes", args=[case.pk]), {"all": "1"})
    assert shown.content.decode().count(MARK) == 2


def test_the_api_gives_notes_to_readers_only_and_audits_each(world, case):
    url = f"/api/v1/care/cases/{case.pk}"
    other = api_client(world.user("counsellor2")).get(url)
    assert other.status_code == 200
    body = other.json()
    assert body["notes_visible"] is False
    assert [s["notes"] for s in body["sessions"]] == [None, None, None]
    assert MARK not in other.content.decode() and _reads() == 0
    mine = api_client(world.user("counsellor")).get(url).json()
    assert mine["notes_visible"] is True
    assert sorted(s["notes"] for s in mine["sessions"]) == ["", NOTES, NOTES + " again"]
    assert _reads() == 3
    skipped = api_client(world.user("counsellor")).get(url + "?notes=false").json()
    assert all(s["notes"] is None for s in skipped["sessions"]) and _reads() == 3


def test_the_notes_are_nowhere_in_the_database_in_the_clear(world, as_user, case):
    as_user("care_supervisor").post(reverse("care:case_notes", args=[case.pk]), {"all": "1"})
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 (names from the schema)
            assert MARK not in repr(cursor.fetchall()), table


# ------------------------------------------------------------------ the grid worker


def _care_urls(case):
    """Every care page, its arguments filled with this case's objects."""
    special = {
        "group": {"pk": GroupSession.objects.get().pk},
        "screening": {"pk": case.screenings.get().pk},
    }
    values = {"pk": case.pk, "resident_id": case.resident_id}
    urls = []
    for pattern in urlpatterns:
        assert isinstance(pattern, URLPattern)
        kwargs = special.get(pattern.name) or {
            name: values[name] for name in pattern.pattern.converters
        }
        urls.append(reverse(f"care:{pattern.name}", kwargs=kwargs))
    return urls


def _api_operations(client, case):
    spec = client.get("/api/v1/openapi.json").json()
    operations = []
    for path, methods in spec["paths"].items():
        if not path.startswith("/api/v1/care"):
            continue
        for method in methods:
            operations.append((method, path.replace("{case_id}", str(case.pk))))
    return operations


@pytest.mark.parametrize("persona", ["grid_b", "grid_a"])
def test_a_grid_worker_reaches_no_care_page_or_api(world, as_user, case, persona):
    client = as_user(persona)
    chen = case.resident_id
    body = {"resident": chen, "session": 1, "all": "1", "reason": "x", "risk": "low"}
    urls = _care_urls(case)
    assert len(urls) == len(urlpatterns) >= 18
    for url in urls:
        for method in ("get", "post"):
            response = getattr(client, method)(url, body)
            assert response.status_code in (403, 404, 405), (url, method, response.status_code)
            assert MARK not in response.content.decode()
    api = api_client(world.user(persona))
    operations = _api_operations(api, case)
    assert len(operations) == 6
    for method, path in operations:
        payload = {
            "resident_id": chen,
            "instrument": "phq9",
            "answers": [0] * 9,
            "risk": "low",
            "reason": "x",
            "mode": "phone",
            "minutes": 5,
            "notes": "x",
        }
        if method == "get":
            response = api.get(path)
        else:
            response = api.post(path, payload, content_type="application/json")
        assert response.status_code in (403, 404), (method, path, response.status_code)
        assert MARK not in response.content.decode()
    assert _reads() == 0
    assert case.sessions.count() == 3


def test_what_a_grid_worker_can_reach_about_the_person_shows_no_notes(world, as_user, case):
    client = as_user("grid_b")  # chen lives in grid B
    chen = case.resident
    task = Task.objects.get(kind=TaskKind.COUNSELLING, resident=chen)
    reachable = [
        reverse("residents:detail", args=[chen.pk]),
        reverse("residents:household", args=[chen.household_id]),
        reverse("residents:list"),
        reverse("taskpool:list"),
        reverse("taskpool:detail", args=[task.pk]),
        f"/api/v1/residents/{chen.pk}",
        f"/api/v1/tasks/{task.pk}",
    ]
    seen = 0
    for url in reachable:
        response = (
            client.get(url)
            if not url.startswith("/api/")
            else api_client(world.user("grid_b")).get(url)
        )
        if response.status_code == 200:
            seen += 1
        assert MARK not in response.content.decode(), url
    assert seen >= 4  # the registry and the task are theirs to see
    assert client.get(reverse("taskpool:detail", args=[task.pk])).status_code == 200
    export = client.get(reverse("residents:export"))
    assert export.status_code == 200
    book = load_workbook(io.BytesIO(export.content), read_only=True)
    cells = [
        str(value)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    ]
    assert "陈明" in cells and not any(MARK in cell for cell in cells)
    assert _reads() == 0
