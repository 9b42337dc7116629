"""audit_record: one event per thing done, with who, what and where."""

from linli.core.models import AuditEvent
from linli.core.services import audit_record


def test_records_actor_target_and_community(world):
    zhang = world.residents["zhang"]
    event = audit_record(
        actor=world.user("staff"),
        action="resident.export",
        target=zhang,
        community_id=world.community.pk,
        detail={"rows": 1},
    )
    assert (event.actor_name, event.target_type, event.target_id, event.target_repr) == (
        "staff",
        "residents.resident",
        str(zhang.pk),
        "张伟",
    )
    assert event.community_id == world.community.pk
    assert event.created_at is not None


def test_anonymous_or_system_actor_is_recorded_as_nobody(world):
    from django.contrib.auth.models import AnonymousUser

    for actor in (None, AnonymousUser()):
        event = audit_record(actor=actor, action="system.test")
        assert (event.actor, event.actor_name, event.target_type) == (None, "", "")
    assert AuditEvent.objects.filter(action="system.test").count() == 2


def test_the_admin_cannot_change_or_delete_events(world, as_user):
    event = audit_record(actor=None, action="system.test", community_id=world.community.pk)
    client = as_user("admin")
    assert client.get(f"/admin/core/auditevent/{event.pk}/delete/").status_code == 403
    client.post(f"/admin/core/auditevent/{event.pk}/change/", {"action": "x"})
    assert AuditEvent.objects.get(pk=event.pk).action == "system.test"
