"""/api/v1/care: the support list, screenings, cases and sessions, scoped like the pages."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from linli.care import services
from linli.care.models import CareCase, CareSession, PriorityFlag, Screening
from linli.care.tests.test_pages import GAD_MILD, MODERATE, SELF_HARM, make_care_people
from linli.health.tests.conftest import api_client, error_of
from linli.notices.models import Notification
from linli.residents.models import ResidentTag
from linli.taskpool.choices import Priority, TaskKind
from linli.taskpool.models import Task

pytestmark = pytest.mark.django_db


@pytest.fixture
def care(world):
    return make_care_people(world)


@pytest.fixture
def api(world, care):
    return lambda name: api_client(world.user(name))


def post(client, url, body):
    return client.post(url, body, content_type="application/json")


def test_the_support_list_names_each_reason_and_the_open_case(world, api, care):
    chen = world.residents["chen"]
    ResidentTag.objects.create(resident=chen, tag="bereaved")
    PriorityFlag.objects.create(resident=chen, reason="neighbour worried")
    case = services.case_open(
        actor=None, resident=chen, risk="moderate", reason="x", counsellor=care["counsellor"]
    )
    response = api("staff").get("/api/v1/care/priority")
    assert response.status_code == 200, response.content
    rows = {row["name"]: row for row in response.json()}
    assert rows["陈明"]["reasons"] == ["bereaved", "staff"]
    assert rows["陈明"]["notes"] == {"staff": "neighbour worried"}
    assert rows["陈明"]["case"] == {"id": case.pk, "risk": "moderate", "counsellor": "counsellor"}
    assert rows["陈明"]["address"] == "3-2-501"
    assert rows["王秀英"]["reasons"] == ["alone"] and rows["王秀英"]["case"] is None
    assert list(rows) == ["陈明", "王秀英"]  # most reasons first
    for persona in ("grid_a", "volunteer", "resident", "supervisor", "outsider"):
        error_of(api(persona).get("/api/v1/care/priority"), 403)
    elsewhere = api("counsellor_elsewhere").get("/api/v1/care/priority")
    assert elsewhere.status_code == 200 and elsewhere.json() == []
    foreign = api("counsellor_elsewhere").get(
        f"/api/v1/care/priority?community={world.community.pk}"
    )
    error_of(foreign, 404)


def test_a_resident_screens_themselves(world, api):
    zhang = world.residents["zhang"]
    response = post(
        api("resident"),
        "/api/v1/care/screenings",
        {"resident_id": zhang.pk, "instrument": "gad7", "answers": GAD_MILD},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    screening = Screening.objects.get()
    assert body == {
        "screening_id": screening.pk,
        "resident_id": zhang.pk,
        "instrument": "gad7",
        "score": 6,
        "band": "mild",
        "risk": "low",
        "urgent": False,
        "hotline": "12356",
        "case_id": None,
    }
    assert screening.source == "self"


def test_item_9_answers_urgent_with_the_hotline_and_an_urgent_task(world, api, care, settings):
    settings.LINLI_CRISIS_HOTLINE = "400-161-9995"
    zhang = world.residents["zhang"]
    body = post(
        api("resident"),
        "/api/v1/care/screenings",
        {"resident_id": zhang.pk, "instrument": "phq9", "answers": SELF_HARM},
    ).json()
    assert body["urgent"] is True and body["hotline"] == "400-161-9995"
    assert body["risk"] == "high" and body["case_id"] == CareCase.objects.get().pk
    task = Task.objects.get(kind=TaskKind.COUNSELLING)
    assert task.priority == Priority.URGENT
    assert task.due_at <= timezone.now() + dt.timedelta(hours=1)
    assert Notification.objects.filter(user=care["counsellor"]).exists()


def test_a_counsellor_screens_on_a_call_and_bad_answers_name_the_field(world, api):
    chen = world.residents["chen"]
    client = api("counsellor")
    response = post(
        client,
        "/api/v1/care/screenings",
        {"resident_id": chen.pk, "instrument": "phq9", "answers": MODERATE},
    )
    assert response.status_code == 201 and response.json()["band"] == "moderate"
    assert Screening.objects.get().source == "counsellor"
    error = error_of(
        post(
            client,
            "/api/v1/care/screenings",
            {"resident_id": chen.pk, "instrument": "phq9", "answers": [0, 1]},
        ),
        400,
    )
    assert set(error["fields"]) == {"answers"}
    error = error_of(
        post(
            client,
            "/api/v1/care/screenings",
            {"resident_id": chen.pk, "instrument": "phq9", "answers": [0] * 8 + [4]},
        ),
        400,
    )
    assert set(error["fields"]) == {"answers.9"}
    error = error_of(
        post(
            client,
            "/api/v1/care/screenings",
            {"resident_id": chen.pk, "instrument": "bdi", "answers": [0] * 9},
        ),
        400,
    )
    assert set(error["fields"]) == {"instrument"}
    error = error_of(post(client, "/api/v1/care/screenings", {"resident_id": chen.pk}), 422)
    assert {"instrument", "answers"} <= set(error["fields"])
    assert Screening.objects.count() == 1


def test_screening_someone_outside_is_404_and_without_the_role_403(world, api, care):
    body = {"resident_id": world.residents["chen"].pk, "instrument": "gad7", "answers": GAD_MILD}
    error_of(post(api("resident"), "/api/v1/care/screenings", body), 404)
    error_of(post(api("counsellor_elsewhere"), "/api/v1/care/screenings", body), 404)
    for persona in ("grid_b", "staff", "volunteer", "outsider"):
        error_of(post(api(persona), "/api/v1/care/screenings", body), 403)
    far = {**body, "resident_id": care["far"].pk}
    error_of(post(api("counsellor"), "/api/v1/care/screenings", far), 404)
    assert not Screening.objects.exists()


def test_cases_are_opened_listed_and_refused_twice(world, api, care):
    client = api("counsellor")
    chen, wang = world.residents["chen"], world.residents["wang"]
    response = post(
        client,
        "/api/v1/care/cases",
        {
            "resident_id": chen.pk,
            "risk": "high",
            "reason": "bereaved, not sleeping",
            "counsellor_id": care["counsellor"].pk,
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["risk"] == "high" and body["counsellor"] == "counsellor"
    assert body["next_due"] == str(timezone.localdate()) and body["follow_up_days"] == 1
    assert body["overdue"] is False and body["status"] == "open"
    error_of(
        post(client, "/api/v1/care/cases", {"resident_id": chen.pk, "risk": "low", "reason": "x"}),
        409,
    )
    error = error_of(
        post(
            client,
            "/api/v1/care/cases",
            {
                "resident_id": wang.pk,
                "risk": "low",
                "reason": "x",
                "counsellor_id": care["counsellor_elsewhere"].pk,
            },
        ),
        400,
    )
    assert set(error["fields"]) == {"counsellor_id"}
    error = error_of(
        post(client, "/api/v1/care/cases", {"resident_id": wang.pk, "risk": "dire", "reason": ""}),
        400,
    )
    assert set(error["fields"]) == {"risk"}
    post(
        api("counsellor2"),
        "/api/v1/care/cases",
        {"resident_id": wang.pk, "risk": "low", "reason": "alone"},
    )
    everyone = client.get("/api/v1/care/cases").json()
    assert sorted(c["name"] for c in everyone) == ["王秀英", "陈明"]
    # "Mine" is the counsellor's own and the cases nobody has taken yet (王秀英's).
    mine = client.get("/api/v1/care/cases?mine=true").json()
    assert sorted(c["name"] for c in mine) == ["王秀英", "陈明"]
    CareCase.objects.filter(resident=wang).update(counsellor=care["counsellor2"])
    mine = client.get("/api/v1/care/cases?mine=true").json()
    assert [c["name"] for c in mine] == ["陈明"]
    assert api("counsellor_elsewhere").get("/api/v1/care/cases").json() == []
    error_of(
        post(
            api("counsellor_elsewhere"),
            "/api/v1/care/cases",
            {"resident_id": wang.pk, "risk": "low", "reason": "x"},
        ),
        404,
    )
    for persona in ("staff", "grid_b", "resident", "supervisor"):
        error_of(api(persona).get("/api/v1/care/cases"), 403)


def test_the_case_list_query_count_is_flat(world, api, care):
    from linli.care.tests.test_pages import _more_listed_people

    client = api("care_supervisor")
    _more_listed_people(world, 2, cases_for=care["counsellor"])
    client.get("/api/v1/care/cases")

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/api/v1/care/cases").status_code == 200
        return len(ctx.captured_queries)

    few = count()
    _more_listed_people(world, 8, cases_for=care["counsellor2"])
    assert count() == few


def test_a_session_is_recorded_and_answered_without_its_notes(world, api, care):
    case = services.case_open(
        actor=None,
        resident=world.residents["chen"],
        risk="moderate",
        reason="x",
        counsellor=care["counsellor"],
    )
    url = f"/api/v1/care/cases/{case.pk}/sessions"
    at = (timezone.localtime() - dt.timedelta(hours=2)).replace(tzinfo=None).isoformat()
    response = post(
        api("counsellor"), url, {"mode": "video", "minutes": 40, "notes": "说起父亲", "at": at}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert "notes" not in body and body["has_notes"] is True and body["minutes"] == 40
    session = CareSession.objects.get()
    assert abs(session.at - (timezone.now() - dt.timedelta(hours=2))) < dt.timedelta(minutes=1)
    error = error_of(post(api("counsellor"), url, {"mode": "fax", "minutes": 0}), 400)
    assert set(error["fields"]) == {"mode", "minutes"}
    for persona in ("grid_b", "staff", "resident", "counsellor_elsewhere", "outsider"):
        error_of(post(api(persona), url, {"mode": "phone", "minutes": 5}), 404)
        error_of(api(persona).get(f"/api/v1/care/cases/{case.pk}"), 404)
    assert CareSession.objects.count() == 1
    detail = api("counsellor2").get(f"/api/v1/care/cases/{case.pk}").json()
    assert detail["sessions"][0]["minutes"] == 40 and detail["sessions"][0]["notes"] is None
