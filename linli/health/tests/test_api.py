"""/api/v1/health-reports and /api/v1/residents/{id}/health[/status|/quarantine]."""

import datetime as dt

import pytest
from django.utils import timezone

from linli.core.models import AuditEvent
from linli.health import services
from linli.health.choices import HealthStatus
from linli.health.models import HealthReport
from linli.health.tests.conftest import error_of

pytestmark = pytest.mark.django_db
S = HealthStatus


def post(client, url, body):
    return client.post(url, body, content_type="application/json")


def test_a_new_report_is_201_and_the_same_day_again_is_200(world, as_api):
    client = as_api("resident")
    zhang = world.residents["zhang"]
    first = post(client, "/api/v1/health-reports", {"resident_id": zhang.pk, "temperature": 36.5})
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["created"] is True and body["report"]["temperature"] == 36.5
    assert body["report"]["date"] == str(timezone.localdate())
    again = post(
        client,
        "/api/v1/health-reports",
        {"resident_id": zhang.pk, "temperature": "37.5", "symptoms": ["cough"]},
    )
    assert again.status_code == 200
    assert again.json()["created"] is False and again.json()["report"]["fever"] is True
    assert HealthReport.objects.filter(resident=zhang).count() == 1


def test_a_bad_report_is_400_naming_the_fields(world, as_api):
    client = as_api("leader_a1")
    zhang = world.residents["zhang"]
    error = error_of(
        post(client, "/api/v1/health-reports", {"resident_id": zhang.pk, "temperature": "hot"}),
        400,
    )
    assert set(error["fields"]) == {"temperature"}
    error = error_of(
        post(
            client,
            "/api/v1/health-reports",
            {"resident_id": zhang.pk, "temperature": 36.5, "symptoms": ["hiccups"]},
        ),
        400,
    )
    assert set(error["fields"]) == {"symptoms"}
    error = error_of(post(client, "/api/v1/health-reports", {"resident_id": zhang.pk}), 422)
    assert "temperature" in error["fields"]


def test_reporting_outside_the_area_is_404_and_without_the_role_403(world, as_api):
    chen = world.residents["chen"].pk
    body = {"resident_id": chen, "temperature": 36.5}
    error_of(post(as_api("leader_a1"), "/api/v1/health-reports", body), 404)
    error_of(post(as_api("resident"), "/api/v1/health-reports", body), 404)
    error_of(post(as_api("outsider"), "/api/v1/health-reports", body), 404)
    error_of(post(as_api("supervisor"), "/api/v1/health-reports", body), 403)
    assert not HealthReport.objects.exists()


def test_the_health_record_is_read_and_the_read_audited(world, as_api):
    chen = world.residents["chen"]
    services.quarantine_start(actor=world.user("staff"), resident=chen, kind="home", reason="x")
    services.report_submit(actor=None, resident=chen, temperature="36.6")
    services.lab_result_record(
        actor=None,
        resident=chen,
        kind="pcr",
        outcome="negative",
        sampled_on=timezone.localdate(),
        place="站点1",
    )
    response = as_api("grid_b").get(f"/api/v1/residents/{chen.pk}/health")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "home_quarantine" and body["since"]
    assert body["history"][0]["to_status"] == "home_quarantine"
    assert body["history"][0]["changed_by"] == "staff"
    assert [r["temperature"] for r in body["reports"]] == [36.6]
    assert body["lab_results"][0]["place"] == "站点1"
    assert body["quarantines"][0]["in_force"] is True
    assert AuditEvent.objects.filter(
        action="health.history_read", actor=world.user("grid_b"), target_id=str(chen.pk)
    ).exists()


@pytest.mark.parametrize("persona,status", [("grid_a", 404), ("outsider", 404), ("cadre", 403)])
def test_the_health_record_is_refused_outside_the_area_or_role(world, as_api, persona, status):
    chen = world.residents["chen"].pk
    error_of(as_api(persona).get(f"/api/v1/residents/{chen}/health"), status)
    assert not AuditEvent.objects.filter(action="health.history_read").exists()


def test_changing_the_status(world, as_api):
    client = as_api("grid_b")
    url = f"/api/v1/residents/{world.residents['chen'].pk}/health/status"
    ok = post(client, url, {"to_status": "close_contact", "reason": "lift", "expected": "healthy"})
    assert ok.status_code == 200 and ok.json()["status"] == "close_contact"
    stale = error_of(
        post(client, url, {"to_status": "suspected", "reason": "x", "expected": "healthy"}), 409
    )
    assert stale["code"] == "status_moved"
    post(client, url, {"to_status": "confirmed", "reason": "PCR"})
    refused = error_of(post(client, url, {"to_status": "healthy", "reason": "x"}), 409)
    assert refused["code"] == "bad_transition" and "can only move to" in refused["message"]
    bad = error_of(post(client, url, {"to_status": "zombie", "reason": ""}), 400)
    assert "to_status" in bad["fields"]
    error_of(post(as_api("grid_a"), url, {"to_status": "recovered", "reason": "x"}), 404)
    error_of(
        post(
            as_api("leader_a1"),
            url.replace(str(world.residents["chen"].pk), str(world.residents["zhang"].pk)),
            {"to_status": "symptomatic", "reason": "x"},
        ),
        403,
    )


def test_starting_a_quarantine(world, as_api, settings):
    settings.LINLI_QUARANTINE_DAYS = 7
    url = f"/api/v1/residents/{world.residents['zhang'].pk}/health/quarantine"
    response = post(as_api("staff"), url, {"kind": "home", "reason": "contact"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == "home" and body["in_force"]
    assert body["ends_on"] == str(timezone.localdate() + dt.timedelta(days=7))
    error = error_of(post(as_api("staff"), url, {"kind": "tent", "reason": "x"}), 400)
    assert set(error["fields"]) == {"kind"}
    error_of(post(as_api("grid_b"), url, {"kind": "home", "reason": "x"}), 404)
