"""A person's health page (status, history, forms) and the overview of an area."""

import datetime as dt

import pytest
from django.utils import timezone

from linli.core.models import AuditEvent
from linli.health import services
from linli.health.choices import HealthStatus, QuarantineKind
from linli.health.models import LabResult, Quarantine

pytestmark = pytest.mark.django_db
S = HealthStatus


def page_of(world, who):
    return f"/health/residents/{world.residents[who].pk}/"


def test_a_grid_worker_reads_the_record_and_the_read_is_audited(world, as_user):
    services.status_change(
        actor=world.user("staff"),
        resident=world.residents["zhang"],
        to_status=S.CLOSE_CONTACT,
        reason="same lift as a case",
    )
    response = as_user("grid_a").get(page_of(world, "zhang"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Close contact" in page and "same lift as a case" in page and "staff" in page
    event = AuditEvent.objects.get(action="health.history_read")
    assert event.actor == world.user("grid_a")
    assert event.target_id == str(world.residents["zhang"].pk)


def test_only_the_allowed_next_statuses_are_offered(world, as_user):
    services.status_change(
        actor=None, resident=world.residents["chen"], to_status=S.CONFIRMED, reason="PCR"
    )
    page = as_user("staff").get(page_of(world, "chen")).content.decode()
    assert '<option value="hospitalised">' in page
    assert '<option value="healthy">' not in page
    assert 'name="expected" value="confirmed"' in page


def test_changing_the_status_from_the_page(world, as_user):
    client = as_user("grid_a")
    response = client.post(
        page_of(world, "zhang") + "status/",
        {"to_status": "close_contact", "reason": "shared a lift", "expected": "healthy"},
    )
    assert response.status_code == 302
    assert services.current_status(world.residents["zhang"]) == S.CLOSE_CONTACT


def test_a_stale_form_is_refused_with_the_new_status(world, as_user):
    services.status_change(
        actor=None, resident=world.residents["zhang"], to_status=S.SYMPTOMATIC, reason="fever"
    )
    response = as_user("grid_a").post(
        page_of(world, "zhang") + "status/",
        {"to_status": "close_contact", "reason": "x", "expected": "healthy"},
    )
    assert response.status_code == 200
    assert "The status changed to Symptomatic meanwhile" in response.content.decode()
    assert services.current_status(world.residents["zhang"]) == S.SYMPTOMATIC


def test_a_refused_move_shows_the_rule(world, as_user):
    services.status_change(
        actor=None, resident=world.residents["chen"], to_status=S.CONFIRMED, reason="PCR"
    )
    response = as_user("staff").post(
        page_of(world, "chen") + "status/",
        {"to_status": "healthy", "reason": "feels fine", "expected": "confirmed"},
    )
    assert "From Confirmed case the status can only move to:" in response.content.decode()
    assert services.current_status(world.residents["chen"]) == S.CONFIRMED


def test_quarantine_start_extend_and_release_from_the_page(world, as_user):
    client = as_user("staff")
    url = page_of(world, "chen")
    response = client.post(
        url + "quarantine/",
        {"kind": "central", "days": "10", "location": "Hotel 3, room 212", "reason": "contact"},
    )
    assert response.status_code == 302
    quarantine = Quarantine.objects.get(resident=world.residents["chen"])
    assert quarantine.location == "Hotel 3, room 212"
    assert quarantine.ends_on == timezone.localdate() + dt.timedelta(days=10)
    page = client.get(url).content.decode()
    assert "Quarantine in force" in page and "Hotel 3, room 212" in page

    assert (
        client.post(
            f"/health/quarantines/{quarantine.pk}/extend/", {"days": "4", "reason": "late PCR"}
        ).status_code
        == 302
    )
    bad = client.post(f"/health/quarantines/{quarantine.pk}/extend/", {"days": "99", "reason": "x"})
    assert bad.status_code == 200 and "More days" in bad.content.decode()
    assert (
        client.post(
            f"/health/quarantines/{quarantine.pk}/release/", {"note": "two negative PCRs"}
        ).status_code
        == 302
    )
    quarantine.refresh_from_db()
    assert quarantine.ends_on == timezone.localdate() + dt.timedelta(days=14)
    assert quarantine.release_note == "two negative PCRs"
    page = client.get(url).content.decode()
    assert "late PCR" in page and "two negative PCRs" in page


def test_recording_a_test_result_from_the_page(world, as_user):
    response = as_user("grid_a").post(
        page_of(world, "zhang") + "tests/",
        {"kind": "pcr", "outcome": "negative", "sampled_on": str(timezone.localdate())},
    )
    assert response.status_code == 302
    assert LabResult.objects.get().resident == world.residents["zhang"]


def test_a_resident_reads_their_own_household_without_forms(world, as_user):
    client = as_user("resident")
    page = client.get(page_of(world, "zhang_wife")).content.decode()
    assert "Health record" in page and "Change the status" not in page
    assert client.get(page_of(world, "wang")).status_code == 404
    response = client.post(
        page_of(world, "zhang") + "status/",
        {"to_status": "symptomatic", "reason": "x", "expected": "healthy"},
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    "persona,status",
    [("grid_b", 404), ("outsider", 404), ("volunteer", 404), ("leader_a1", 403), ("cadre", 403)]
    + [("supervisor", 403)],
)
def test_the_person_page_refuses_others(world, as_user, persona, status):
    client = as_user(persona)
    assert client.get(page_of(world, "zhang")).status_code == status
    response = client.post(
        page_of(world, "zhang") + "status/",
        {"to_status": "symptomatic", "reason": "x", "expected": "healthy"},
    )
    assert response.status_code == status
    assert services.current_status(world.residents["zhang"]) == S.HEALTHY
    assert not AuditEvent.objects.filter(action="health.history_read").exists()


def test_quarantine_forms_refuse_another_grid(world, as_user):
    quarantine = services.quarantine_start(
        actor=None, resident=world.residents["chen"], kind=QuarantineKind.HOME, reason="x"
    )
    client = as_user("grid_a")
    assert client.post(f"/health/quarantines/{quarantine.pk}/release/", {}).status_code == 404
    assert client.post(f"/health/quarantines/{quarantine.pk}/extend/", {}).status_code == 404
    assert Quarantine.objects.get().in_force


def test_the_communitys_doctor_reads_and_changes_a_record(world, as_user):
    client = as_user("doctor")
    assert client.get(page_of(world, "chen")).status_code == 200


# Overview.


def test_the_overview_counts_lists_and_highlights(world, as_user):
    services.status_change(
        actor=None, resident=world.residents["chen"], to_status=S.CLOSE_CONTACT, reason="x"
    )
    today = timezone.localdate()
    for who, end in [("zhang", today), ("wang", today - dt.timedelta(days=2))]:
        services.quarantine_start(
            actor=None, resident=world.residents[who], kind=QuarantineKind.HOME, reason="x"
        )
        Quarantine.objects.filter(resident=world.residents[who]).update(
            starts_on=end - dt.timedelta(days=14), ends_on=end
        )
    client = as_user("staff")
    page = client.get("/health/").content.decode()
    assert "<svg" in page and "Home quarantine" in page
    assert "ends today" in page and "past its planned end" in page
    listed = client.get("/health/?status=close_contact").content.decode()
    assert "陈明" in listed
    assert world.residents["chen"].id_number_masked not in listed  # never ID numbers


def test_the_overview_of_a_grid_worker_stays_in_their_grid(world, as_user):
    services.status_change(
        actor=None, resident=world.residents["chen"], to_status=S.CLOSE_CONTACT, reason="x"
    )
    page = as_user("grid_a").get("/health/?status=close_contact").content.decode()
    assert "陈明" not in page and "Nobody in this status." in page


def test_a_resident_is_sent_to_their_report_page(as_user):
    response = as_user("resident").get("/health/")
    assert response.status_code == 302 and response["Location"] == "/health/report/"


@pytest.mark.parametrize("persona", ["supervisor", "volunteer", "cadre", "leader_a1", "outsider"])
def test_the_overview_refuses_roles_that_do_not_see_health(as_user, persona):
    assert as_user(persona).get("/health/").status_code == 403
