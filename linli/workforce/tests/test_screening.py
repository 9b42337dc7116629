"""Screening a volunteer (S11): identity against the registry, a negative test within seven
days, the training acknowledged; then approve (all three needed) or reject (with a reason)."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from linli.accounts.models import RoleGrant
from linli.core.errors import ApplicationError, Conflict, PermissionDenied
from linli.core.models import AuditEvent
from linli.residents.idnumber import make_id_number
from linli.taskpool.services import task_claim, task_create
from linli.workforce import services
from linli.workforce.models import Worker

ZHANG_ID = make_id_number("420106", date(1950, 3, 8), 11)
WANG_ID = make_id_number("420106", date(1938, 1, 20), 22)


def screened(world, worker, *, identity=True, test=True, training=True):
    staff = world.user("staff")
    if identity:
        services.volunteer_identity_lookup(actor=staff, worker=worker, id_number=ZHANG_ID)
        services.volunteer_identity_confirm(actor=staff, worker=worker)
    if test:
        services.volunteer_record_test(
            actor=staff, worker=worker, test_date=timezone.localdate() - timedelta(days=2)
        )
    if training:
        services.volunteer_acknowledge_training(actor=worker.user, worker=worker)
    worker.refresh_from_db()
    return worker


@pytest.mark.parametrize("missing", ["identity", "test", "training"])
def test_approval_needs_all_three_steps(world, crew, missing):
    worker = screened(world, crew["zhao"], **{missing: False})
    with pytest.raises(Conflict) as exc:
        services.volunteer_approve(actor=world.user("staff"), worker=worker)
    assert exc.value.code == "screening_incomplete"
    worker.refresh_from_db()
    assert worker.status == "pending"
    assert not RoleGrant.objects.filter(user=worker.user).exists()
    assert not AuditEvent.objects.filter(action="volunteer.approve").exists()


def test_approval_with_all_three_grants_the_volunteer_role_and_is_audited(world, crew):
    worker = screened(world, crew["zhao"])
    services.volunteer_approve(actor=world.user("staff"), worker=worker)
    worker.refresh_from_db()
    assert worker.status == "approved" and worker.decided_by == world.user("staff")
    grant = RoleGrant.objects.get(user=worker.user)
    assert (grant.role, grant.community_id, grant.grid_id) == (
        "volunteer",
        world.community.pk,
        None,
    )
    event = AuditEvent.objects.get(action="volunteer.approve")
    assert event.actor == world.user("staff") and event.community_id == world.community.pk
    # Decided once: a second approval or a late rejection is refused.
    with pytest.raises(Conflict):
        services.volunteer_approve(actor=world.user("staff"), worker=worker)
    with pytest.raises(Conflict):
        services.volunteer_reject(actor=world.user("staff"), worker=worker, reason="late")


def test_a_test_older_than_seven_days_is_refused_and_expires(world, crew):
    worker = crew["zhao"]
    today = timezone.localdate()
    with pytest.raises(ApplicationError) as exc:
        services.volunteer_record_test(
            actor=world.user("staff"), worker=worker, test_date=today - timedelta(days=8)
        )
    assert "test_date" in exc.value.fields
    with pytest.raises(ApplicationError):
        services.volunteer_record_test(
            actor=world.user("staff"), worker=worker, test_date=today + timedelta(days=1)
        )
    worker = screened(world, worker)
    assert services.screening_state(worker)["complete"]
    # Eight days later the same test no longer counts.
    later = services.screening_state(worker, today=today + timedelta(days=6))
    assert not later["test"] and not later["complete"]


def test_rejection_needs_a_reason(world, crew):
    worker = crew["zhao"]
    for reason in ("", "   "):
        with pytest.raises(ApplicationError) as exc:
            services.volunteer_reject(actor=world.user("staff"), worker=worker, reason=reason)
        assert "reason" in exc.value.fields
    worker.refresh_from_db()
    assert worker.status == "pending"
    services.volunteer_reject(
        actor=world.user("staff"), worker=worker, reason="Not living in the community"
    )
    worker.refresh_from_db()
    assert worker.status == "rejected"
    assert worker.rejection_reason == "Not living in the community"
    event = AuditEvent.objects.get(action="volunteer.reject")
    assert event.detail == {"reason": "Not living in the community"}


def test_the_pages_refuse_approval_without_the_steps_and_rejection_without_a_reason(
    world, crew, as_user
):
    client = as_user("staff")
    pk = crew["zhao"].pk
    response = client.post(f"/workforce/screening/{pk}/approve/")
    assert response.status_code == 409
    assert "Still missing" in response.content.decode() or "missing" in response.content.decode()
    response = client.post(f"/workforce/screening/{pk}/reject/", {"reason": ""})
    assert response.status_code == 400
    assert Worker.objects.get(pk=pk).status == "pending"


def test_identity_lookup_shows_match_and_mismatch_and_keeps_no_id(world, crew, as_user):
    client = as_user("staff")
    worker = crew["zhao"]  # signed up as 张伟, building 1 room 301
    client.post(f"/workforce/screening/{worker.pk}/lookup/", {"id_number": WANG_ID})
    worker.refresh_from_db()
    assert worker.resident == world.residents["wang"]
    assert services.identity_match(worker) == {
        "found": True,
        "name": False,
        "building": False,
        "room": False,
    }
    page = client.get(f"/workforce/screening/{worker.pk}/").content.decode()
    assert "mismatch" in page and "王秀英" in page
    with pytest.raises(ApplicationError) as exc:
        services.volunteer_identity_confirm(actor=world.user("staff"), worker=worker)
    assert exc.value.code == "identity_mismatch"

    client.post(f"/workforce/screening/{worker.pk}/lookup/", {"id_number": ZHANG_ID})
    worker.refresh_from_db()
    assert services.identity_match(worker) == {
        "found": True,
        "name": True,
        "building": True,
        "room": True,
    }
    assert client.post(f"/workforce/screening/{worker.pk}/confirm/").status_code == 302
    worker.refresh_from_db()
    assert worker.identity_checked_at is not None
    for event in AuditEvent.objects.filter(action__startswith="volunteer.identity"):
        assert ZHANG_ID not in str(event.detail) and WANG_ID not in str(event.detail)
    row = " ".join(str(v) for v in Worker.objects.filter(pk=worker.pk).values().first().values())
    assert ZHANG_ID not in row


def test_a_bad_id_number_at_lookup_names_the_rule(world, crew, as_user):
    response = as_user("staff").post(
        f"/workforce/screening/{crew['zhao'].pk}/lookup/", {"id_number": "4201"}
    )
    assert response.status_code == 400
    assert "18 characters" in response.content.decode()


def test_no_record_means_no_identity_confirmation(world, crew):
    with pytest.raises(ApplicationError) as exc:
        services.volunteer_identity_confirm(actor=world.user("staff"), worker=crew["zhao"])
    assert exc.value.code == "identity_not_found"


def test_a_volunteer_not_approved_cannot_claim_then_can_once_approved(world, crew):
    task, _merged = task_create(
        actor=world.user("staff"), kind="delivery", title="Vegetables", building=world.building_a1
    )
    worker = crew["zhao"]
    with pytest.raises(PermissionDenied) as exc:
        task_claim(actor=worker.user, worker=worker, task=task)
    assert exc.value.code == "not_screened"
    worker = screened(world, worker)
    services.volunteer_approve(actor=world.user("staff"), worker=worker)
    worker.refresh_from_db()
    task_claim(actor=worker.user, worker=worker, task=task)
    assert task.assignee == worker


def test_the_screening_queue_lists_only_pending_volunteers(world, crew, as_user):
    page = as_user("staff").get("/workforce/screening/").content.decode()
    assert "张伟" in page and "李强" not in page


def test_a_record_of_another_community_is_not_found(world, crew):
    from linli.accounts.choices import Role
    from linli.accounts.services import grant_role
    from linli.places.models import Building, Community, Grid
    from linli.testing import make_user
    from linli.workforce.testing import make_worker

    other = Community.objects.create(name="别的社区", code="other")
    grid = Grid.objects.create(community=other, number=1, name="G")
    Building.objects.create(community=other, grid=grid, number="1")
    other_staff = make_user("other_staff")
    grant_role(user=other_staff, role=Role.STAFF, community=other)
    stranger = make_worker(make_user("s"), "volunteer", other, status="pending", name="张伟")
    # 张伟 lives in the test community: staff of the other community cannot find him.
    services.volunteer_identity_lookup(actor=other_staff, worker=stranger, id_number=ZHANG_ID)
    stranger.refresh_from_db()
    assert stranger.resident is None
