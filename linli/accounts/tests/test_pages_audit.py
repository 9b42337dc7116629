"""The audit log page: staff read their own community's events, filtered; nobody else does."""

import pytest
from django.test import Client

from linli.core.models import AuditEvent
from linli.core.services import audit_record
from linli.places.models import Community
from linli.residents import services


@pytest.fixture
def events(world):
    """A verify and a reveal in the test community, and an event of another community."""
    zhang = world.residents["zhang"]
    services.resident_verify(actor=world.user("grid_a"), resident=zhang, method="door")
    services.resident_reveal_id(actor=world.user("staff"), resident=zhang, reason="hospital visit")
    other = Community.objects.create(name="别的社区", code="other")
    audit_record(actor=None, action="resident.create", community_id=other.pk, detail={"x": "别处"})
    return other


def listed(response) -> list[AuditEvent]:
    assert response.status_code == 200
    return list(response.context["page"].object_list)


def test_staff_sees_their_communitys_events_only(world, as_user, events):
    shown = listed(as_user("staff").get("/accounts/audit/"))
    assert {e.community_id for e in shown} == {world.community.pk}
    # The five residents of the test world, the verify and the reveal.
    assert sorted(e.action for e in shown) == sorted(
        ["resident.create"] * 5 + ["resident.verify", "resident.reveal_id"]
    )
    assert "别处" not in as_user("staff").get("/accounts/audit/").content.decode()


def test_the_newest_event_comes_first(world, as_user, events):
    shown = listed(as_user("staff").get("/accounts/audit/"))
    assert shown[0].action == "resident.reveal_id"


@pytest.mark.parametrize(
    ("query", "actions"),
    [
        ("action=resident.verify", ["resident.verify"]),
        ("action=resident.reveal_id", ["resident.reveal_id"]),
        ("actor=grid_a", ["resident.verify"]),
        ("actor=staff&action=resident.verify", []),
        ("target=张伟", ["resident.reveal_id", "resident.verify", "resident.create"]),
    ],
)
def test_filters(world, as_user, events, query, actions):
    shown = listed(as_user("staff").get(f"/accounts/audit/?{query}"))
    assert [e.action for e in shown] == actions


def test_target_filter_by_id(world, as_user, events):
    pk = world.residents["zhang"].pk
    shown = listed(as_user("staff").get(f"/accounts/audit/?target={pk}"))
    assert {e.target_id for e in shown} == {str(pk)}


def test_the_reveal_reason_is_shown(world, as_user, events):
    html = as_user("staff").get("/accounts/audit/?action=resident.reveal_id").content.decode()
    assert "hospital visit" in html


def test_supervisor_and_admin_see_every_community(world, as_user, events):
    for persona in ("supervisor", "admin"):
        shown = listed(as_user(persona).get("/accounts/audit/"))
        assert events.pk in {e.community_id for e in shown}, persona


@pytest.mark.parametrize(
    "persona",
    ["grid_a", "grid_b", "cadre", "leader_a1", "volunteer", "property", "resident", "outsider"],
)
def test_others_get_404(world, as_user, events, persona):
    assert as_user(persona).get("/accounts/audit/").status_code == 404


def test_anonymous_is_sent_to_login(world):
    response = Client().get("/accounts/audit/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_log_paginates(world, as_user, settings):
    settings.LINLI_PAGE_SIZE = 2
    first = as_user("staff").get("/accounts/audit/")
    assert len(first.context["page"].object_list) == 2
    assert first.context["page"].paginator.count == 5
    third = as_user("staff").get("/accounts/audit/?page=3")
    assert len(third.context["page"].object_list) == 1
