"""/api/v1/crosschecks: upload (with or without a mapping), run, matches, accept, reject; and
who may not use them."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from linli.accounts.choices import Role
from linli.accounts.services import grant_role
from linli.health.choices import HealthStatus
from linli.health.services import current_status
from linli.places.models import Community
from linli.testing import make_user
from linli.tracing.choices import CrossCheckStatus, ListKind, Review
from linli.tracing.models import CrossCheck, CrossCheckMatch
from linli.tracing.tests import test_crosscheck_support as support
from linli.tracing.tests.test_crosscheck_support import (
    CHEN_ID_TYPO,
    MAPPING,
    OUTSIDER_ID,
    ZHANG_ID,
    given_match,
    list_csv,
    upload,
)

pytestmark = pytest.mark.django_db
registry = support.registry  # the fixture
URL = "/api/v1/crosschecks"


def _file(content=None, name="cases.csv"):
    return SimpleUploadedFile(name, content if content is not None else list_csv("utf-8-sig"))


def test_upload_without_a_mapping_returns_the_columns_to_map(world, as_user):
    response = as_user("staff").post(URL, {"file": _file(), "list_kind": ListKind.CLOSE_CONTACTS})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == CrossCheckStatus.UPLOADED and body["encoding"] == "utf-8-sig"
    assert body["headers"] == ["序号", "姓名", "身份证号", "手机号", "出生日期", "性别"]
    assert body["suggested_mapping"] == MAPPING
    assert body["job_id"] is None and body["row_count"] == 3


def test_upload_with_a_mapping_links_at_once_and_the_matches_are_reviewed_by_api(
    registry, world, as_user, django_capture_on_commit_callbacks
):
    client = as_user("staff")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            URL,
            {
                "file": _file(),
                "list_kind": ListKind.CONFIRMED_CASES,
                "mapping": json.dumps(MAPPING, ensure_ascii=False),
            },
        )
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["job_id"] and body["status"] == CrossCheckStatus.QUEUED
    job = client.get(f"/api/v1/jobs/{body['job_id']}").json()
    assert job["status"] == "done" and job["result"]["crosscheck_id"] == body["id"]

    response = client.get(f"{URL}/{body['id']}/matches")
    assert response.status_code == 200
    text = response.content.decode()
    for number in (ZHANG_ID, CHEN_ID_TYPO, OUTSIDER_ID):
        assert number not in text
    data = response.json()
    assert data["status"] == "done" and data["progress"]["percent"] == 100
    assert data["matched_rows"] == 2 and data["unmatched_rows"] == 1 and data["total"] == 2
    by_name = {m["resident"]["name"]: m for m in data["matches"]}
    assert set(by_name) == {"张伟", "陈明"}
    zhang = by_name["张伟"]
    assert zhang["evidence"]["name"] == "same pinyin" and zhang["review"] == Review.PENDING
    ids = {f["field"]: f for f in zhang["fields"]}["id_number"]
    assert ids["list_value"] == ids["registry_value"] == zhang["resident"]["id_number_masked"]
    assert "*" in ids["list_value"]

    accepted = client.post(f"{URL}/matches/{zhang['id']}/accept")
    assert accepted.status_code == 200
    assert accepted.json() | {"task_id": None} == {
        "id": zhang["id"],
        "review": Review.CONFIRMED,
        "changed": True,
        "status_from": HealthStatus.HEALTHY,
        "status_to": HealthStatus.CONFIRMED,
        "status_refused": "",
        "task_id": None,
    }
    assert accepted.json()["task_id"]
    assert current_status(registry["zhang"]) == HealthStatus.CONFIRMED
    again = client.post(f"{URL}/matches/{zhang['id']}/accept").json()
    assert again["changed"] is False and again["review"] == Review.CONFIRMED

    chen = by_name["陈明"]
    rejected = client.post(f"{URL}/matches/{chen['id']}/reject").json()
    assert rejected == {"id": chen["id"], "review": Review.DISMISSED, "changed": True}
    assert client.post(f"{URL}/matches/{chen['id']}/reject").json()["changed"] is False
    conflict = client.post(f"{URL}/matches/{zhang['id']}/reject")
    assert conflict.status_code == 409 and conflict.json()["error"]["code"] == "already_accepted"

    data = client.get(f"{URL}/{body['id']}/matches", {"review": "dismissed"}).json()
    assert [m["id"] for m in data["matches"]] == [chen["id"]] and data["unmatched_rows"] == 2


def test_an_unusable_mapping_refuses_the_upload_too(world, as_user):
    response = as_user("staff").post(
        URL,
        {"file": _file(), "list_kind": ListKind.OTHER, "mapping": json.dumps({"name": "姓名"})},
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "bad_mapping" and "id_number" in error["fields"]
    assert not CrossCheck.objects.exists()
    response = as_user("staff").post(
        URL, {"file": _file(), "list_kind": ListKind.OTHER, "mapping": "[1, 2]"}
    )
    assert response.status_code == 400 and "mapping" in response.json()["error"]["fields"]


def test_a_bad_file_is_refused_with_the_reason(world, as_user):
    response = as_user("staff").post(
        URL, {"file": _file(b"\xd0\xcf\x11\xe0old"), "list_kind": ListKind.OTHER}
    )
    assert response.status_code == 400
    assert "old Excel .xls" in response.json()["error"]["fields"]["file"][0]


def test_run_maps_an_uploaded_list_and_refuses_a_second_start(world, as_user):
    crosscheck = upload(world)
    client = as_user("staff")
    refused = client.post(
        f"{URL}/{crosscheck.pk}/run",
        {"mapping": {"name": "姓名", "phone": "姓名"}},
        content_type="application/json",
    )
    assert refused.status_code == 400
    assert "already mapped to Name" in refused.json()["error"]["fields"]["phone"][0]
    # The job is queued on commit; the test's transaction never commits, so it stays queued.
    response = client.post(
        f"{URL}/{crosscheck.pk}/run",
        {"mapping": {"name": "姓名", "phone": "手机号"}, "threshold": 0.8},
        content_type="application/json",
    )
    assert response.status_code == 202
    assert response.json()["status"] == CrossCheckStatus.QUEUED
    assert response.json()["threshold"] == 0.8
    again = client.post(
        f"{URL}/{crosscheck.pk}/run",
        {"mapping": {"name": "姓名", "phone": "手机号"}},
        content_type="application/json",
    )
    assert again.status_code == 409


@pytest.mark.parametrize("persona", ["grid_a", "volunteer", "outsider", "supervisor", "doctor"])
def test_other_roles_may_not_use_the_cross_check_api(registry, world, as_user, persona):
    crosscheck = upload(world)
    match = given_match(world, crosscheck, row_number=2, resident=registry["zhang"])
    client = as_user(persona)
    response = client.post(URL, {"file": _file(), "list_kind": ListKind.OTHER})
    assert response.status_code == 403 and "error" in response.json()
    assert client.get(f"{URL}/{crosscheck.pk}/matches").status_code == 403
    run = client.post(
        f"{URL}/{crosscheck.pk}/run", {"mapping": MAPPING}, content_type="application/json"
    )
    assert run.status_code == 403
    assert client.post(f"{URL}/matches/{match.pk}/accept").status_code == 403
    assert client.post(f"{URL}/matches/{match.pk}/reject").status_code == 403
    assert CrossCheck.objects.count() == 1
    assert CrossCheckMatch.objects.get().review == Review.PENDING


def test_staff_of_another_community_get_404(registry, world, client):
    crosscheck = upload(world)
    match = given_match(world, crosscheck, row_number=2, resident=registry["zhang"])
    other = Community.objects.create(name="别的社区", code="other", width=100, height=100)
    stranger = make_user("stranger")
    grant_role(user=stranger, role=Role.STAFF, community=other)
    client.force_login(stranger)
    assert client.get(f"{URL}/{crosscheck.pk}/matches").status_code == 404
    assert client.post(f"{URL}/matches/{match.pk}/accept").status_code == 404
    # Nor can they upload into a community not theirs.
    response = client.post(
        URL, {"file": _file(), "list_kind": ListKind.OTHER, "community_id": world.community.pk}
    )
    assert response.status_code == 403


def test_anonymous_callers_are_told_to_log_in(world, client):
    crosscheck = upload(world)
    assert client.get(f"{URL}/{crosscheck.pk}/matches").status_code == 401
