"""Who may open which registry page: every page, every persona, deny by default.

Outside their area a user gets 404 (they cannot learn a record exists); inside it, a page for an
action their role does not allow gives 403.
"""

import io

import pytest
from django.test import Client
from django.utils.html import escape
from openpyxl import load_workbook

from linli.core.models import AuditEvent, Job
from linli.residents.models import Resident, Verification

REVEAL = {"reason": "delivery of medicine"}
VERIFY = {"method": "door", "note": "seen at home"}


def pages(world):
    """(name, method, url, data) for every registry, accounts and core page (not import),
    aimed at 张伟, who lives in building A1 of grid A (the resident persona's household)."""
    zhang = world.residents["zhang"]
    household = zhang.household_id
    job = Job.objects.create(kind="test", created_by=world.user("staff"))
    return [
        ("home", "get", "/", None),
        ("dashboard", "get", "/registry/", None),
        ("list", "get", "/registry/residents/", None),
        ("new", "get", "/registry/residents/new/", None),
        ("export", "get", "/registry/residents/export.xlsx", None),
        ("detail", "get", f"/registry/residents/{zhang.pk}/", None),
        ("edit", "get", f"/registry/residents/{zhang.pk}/edit/", None),
        ("verify", "post", f"/registry/residents/{zhang.pk}/verify/", VERIFY),
        ("reveal", "post", f"/registry/residents/{zhang.pk}/reveal-id/", REVEAL),
        ("household", "get", f"/registry/households/{household}/", None),
        ("household_add", "get", f"/registry/households/{household}/add/", None),
        ("building", "get", f"/registry/buildings/{world.building_a1.pk}/", None),
        ("verification", "get", "/registry/verification/", None),
        ("audit", "get", "/accounts/audit/", None),
        ("job", "get", f"/jobs/{job.pk}", None),
    ]


OK, REDIRECT, FORBIDDEN, NOT_FOUND = 200, 302, 403, 404
ALL_OK = {
    "home": REDIRECT,
    "dashboard": OK,
    "list": OK,
    "new": OK,
    "export": OK,
    "detail": OK,
    "edit": OK,
    "verify": REDIRECT,  # back to the record, with a message
    "reveal": OK,
    "household": OK,
    "household_add": OK,
    "building": OK,
    "verification": OK,
    "audit": NOT_FOUND,
    "job": NOT_FOUND,  # a job is seen by the person who started it
}
NOTHING = {
    "home": REDIRECT,  # to the dashboard, which then refuses
    "dashboard": NOT_FOUND,
    "list": NOT_FOUND,
    "new": FORBIDDEN,
    "export": FORBIDDEN,
    "detail": NOT_FOUND,
    "edit": NOT_FOUND,
    "verify": NOT_FOUND,
    "reveal": NOT_FOUND,
    "household": NOT_FOUND,
    "household_add": NOT_FOUND,
    "building": NOT_FOUND,
    "verification": NOT_FOUND,
    "audit": NOT_FOUND,
    "job": NOT_FOUND,
}
READ_ONLY = {
    **ALL_OK,
    "new": FORBIDDEN,
    "export": FORBIDDEN,
    "edit": FORBIDDEN,
    "verify": FORBIDDEN,
    "reveal": FORBIDDEN,
    "household_add": FORBIDDEN,
}
EXPECTED = {
    "admin": {**ALL_OK, "audit": OK, "job": OK},
    "staff": {**ALL_OK, "audit": OK, "job": OK},
    "grid_a": ALL_OK,
    # Grid B's worker works in the same community but not in 张伟's grid.
    "grid_b": {
        **ALL_OK,
        "detail": NOT_FOUND,
        "edit": NOT_FOUND,
        "verify": NOT_FOUND,
        "reveal": NOT_FOUND,
        "household": NOT_FOUND,
        "household_add": NOT_FOUND,
        "building": NOT_FOUND,
    },
    # A dispatched cadre reads and verifies door to door but does not edit or reveal.
    "cadre": {**READ_ONLY, "verify": REDIRECT},
    "leader_a1": READ_ONLY,
    "supervisor": {**READ_ONLY, "audit": OK},
    # The resident's own household: the worker pages send them there.
    "resident": {
        **READ_ONLY,
        "dashboard": REDIRECT,
        "list": REDIRECT,
        "verification": REDIRECT,
        "building": NOT_FOUND,
    },
    "volunteer": NOTHING,
    "property": NOTHING,
    "outsider": NOTHING,
}


def fetch(client, method, url, data):
    if method == "post":
        return client.post(url, data)
    return client.get(url)


@pytest.mark.parametrize("persona", sorted(EXPECTED))
def test_every_page_answers_each_persona_as_its_role_allows(world, as_user, persona):
    client = as_user(persona)
    got = {}
    for name, method, url, data in pages(world):
        got[name] = fetch(client, method, url, data).status_code
    assert got == EXPECTED[persona]


def test_anonymous_is_sent_to_login_from_every_page(world):
    client = Client()
    for name, method, url, data in pages(world):
        response = fetch(client, method, url, data)
        assert response.status_code == 302, name
        assert response["Location"].startswith("/accounts/login/?next="), name


def test_resident_pages_redirect_to_own_household(world, as_user):
    client = as_user("resident")
    household = world.residents["zhang"].household_id
    for url in ("/registry/", "/registry/residents/", "/registry/verification/"):
        response = client.get(url)
        assert response["Location"] == f"/registry/households/{household}/"


def test_home_sends_workers_to_the_dashboard(world, as_user):
    assert as_user("staff").get("/")["Location"] == "/registry/"


def test_a_refusal_says_why(world, as_user):
    response = as_user("cadre").get(f"/registry/residents/{world.residents['zhang'].pk}/edit/")
    assert response.status_code == 403
    error = response.context["error"]
    assert error.code == "forbidden"
    assert escape(error.message) in response.content.decode()


# Grid isolation: grid A's worker reaches nothing of grid B, by any page.


def other_area_pages(resident, building):
    return [
        ("get", f"/registry/residents/{resident.pk}/", None),
        ("get", f"/registry/residents/{resident.pk}/edit/", None),
        ("post", f"/registry/residents/{resident.pk}/edit/", {"name": "改名"}),
        ("post", f"/registry/residents/{resident.pk}/verify/", VERIFY),
        ("post", f"/registry/residents/{resident.pk}/reveal-id/", REVEAL),
        ("get", f"/registry/households/{resident.household_id}/", None),
        ("get", f"/registry/households/{resident.household_id}/add/", None),
        ("post", f"/registry/households/{resident.household_id}/add/", {"name": "新人"}),
        ("get", f"/registry/buildings/{building.pk}/", None),
    ]


def test_grid_worker_gets_404_for_every_page_of_another_grid(world, as_user):
    client = as_user("grid_a")
    chen = world.residents["chen"]
    events, verifications = AuditEvent.objects.count(), Verification.objects.count()
    for method, url, data in other_area_pages(chen, world.building_b1):
        assert fetch(client, method, url, data).status_code == 404, url
    # Nothing was verified, revealed or changed on the way.
    assert AuditEvent.objects.count() == events
    assert Verification.objects.count() == verifications
    assert Resident.objects.get(pk=chen.pk).name == "陈明"


def test_building_leader_gets_404_outside_their_building(world, as_user):
    client = as_user("leader_a1")
    wang = world.residents["wang"]  # building A2, same grid
    for method, url, data in other_area_pages(wang, world.building_a2):
        assert fetch(client, method, url, data).status_code == 404, url


def test_resident_gets_404_for_a_neighbours_household(world, as_user):
    client = as_user("resident")
    wang = world.residents["wang"]
    for method, url, data in other_area_pages(wang, world.building_a2):
        assert fetch(client, method, url, data).status_code == 404, url


def names_in(response) -> set[str]:
    html = response.content.decode()
    return {name for name in ("张伟", "李芳", "王秀英", "陈明", "单小红") if name in html}


def test_grid_worker_list_shows_only_their_grid(world, as_user):
    response = as_user("grid_a").get("/registry/residents/")
    assert names_in(response) == {"张伟", "李芳", "王秀英"}
    assert response.context["page"].paginator.count == 3


def test_grid_filter_for_another_grid_shows_nothing(world, as_user):
    response = as_user("grid_a").get(f"/registry/residents/?grid={world.grid_b.pk}")
    assert names_in(response) == set()


def test_building_leader_list_shows_only_their_building(world, as_user):
    response = as_user("leader_a1").get("/registry/residents/")
    assert names_in(response) == {"张伟", "李芳"}


def test_supervisor_reads_everything(world, as_user):
    response = as_user("supervisor").get("/registry/residents/")
    assert names_in(response) == {"张伟", "李芳", "王秀英", "陈明", "单小红"}


def test_resident_household_page_shows_own_household_only(world, as_user):
    household = world.residents["zhang"].household_id
    response = as_user("resident").get(f"/registry/households/{household}/")
    assert names_in(response) == {"张伟", "李芳"}
    assert "Add a member" not in response.content.decode()


def test_building_page_of_grid_worker_lists_own_building(world, as_user):
    response = as_user("grid_a").get(f"/registry/buildings/{world.building_a1.pk}/")
    assert names_in(response) == {"张伟", "李芳"}


def export_names(response) -> list[str]:
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    return sorted(row[4] for row in rows[1:])


def test_grid_worker_export_contains_only_their_grid(world, as_user):
    response = as_user("grid_a").get("/registry/residents/export.xlsx")
    assert export_names(response) == sorted(["张伟", "李芳", "王秀英"])


def test_export_asking_for_another_grid_is_empty(world, as_user):
    response = as_user("grid_a").get(f"/registry/residents/export.xlsx?grid={world.grid_b.pk}")
    assert export_names(response) == []


def test_staff_export_has_everyone_masked_and_is_audited(world, as_user):
    response = as_user("staff").get("/registry/residents/export.xlsx")
    assert export_names(response) == sorted(["张伟", "李芳", "王秀英", "陈明", "单小红"])
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).active
    ids = [row[7] for row in list(sheet.iter_rows(values_only=True))[1:]]
    assert all("**********" in i for i in ids)
    event = AuditEvent.objects.get(action="resident.export")
    assert event.actor == world.user("staff")
    assert event.detail["rows"] == 5
    assert event.community_id == world.community.pk


def test_cadre_cannot_export(world, as_user):
    response = as_user("cadre").get("/registry/residents/export.xlsx")
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="resident.export").exists()
