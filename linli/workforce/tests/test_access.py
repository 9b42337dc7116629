"""Who may open which workforce page and endpoint: every page, every persona, deny by default.

Readers (staff, grid workers, cadres, supervisors, admins) see the roster; only staff and
admins change it (a reader gets 403); everyone else gets 404, except on their own entry.
"""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from linli.accounts.models import ApiToken, hash_token
from linli.workforce.models import HoursEntry, PpeItem

PERSONAS = [
    "staff",
    "grid_a",
    "grid_b",
    "cadre",
    "leader_a1",
    "volunteer",
    "property",
    "resident",
    "supervisor",
    "admin",
    "outsider",
]
READERS = {"staff", "grid_a", "grid_b", "cadre", "supervisor", "admin"}
MANAGERS = {"staff", "admin"}


def pages(world, crew):
    li, zhao = crew["li"].pk, crew["zhao"].pk
    today = timezone.localdate().isoformat()
    return [
        # (name, method, url, data, expected for a manager, for a reader)
        ("roster", "get", "/workforce/", None, 200, 200),
        ("detail", "get", f"/workforce/{li}/", None, 200, 200),
        ("hours", "get", f"/workforce/{li}/hours/", None, 200, 200),
        ("certificate", "get", f"/workforce/{li}/certificate", None, 200, 200),
        ("care", "get", "/workforce/care/", None, 200, 200),
        ("ppe", "get", "/workforce/ppe/", None, 200, 200),
        ("new", "get", "/workforce/new/", None, 200, 403),
        ("edit", "get", f"/workforce/{li}/edit/", None, 200, 403),
        (
            "hours_add",
            "post",
            f"/workforce/{li}/hours/",
            {"day": today, "hours": "2", "note": "gate"},
            302,
            403,
        ),
        ("screening", "get", "/workforce/screening/", None, 200, 403),
        ("screening_detail", "get", f"/workforce/screening/{zhao}/", None, 200, 403),
        (
            "screening_test",
            "post",
            f"/workforce/screening/{zhao}/test/",
            {"test_date": today},
            302,
            403,
        ),
        (
            "screening_reject",
            "post",
            f"/workforce/screening/{zhao}/reject/",
            {"reason": "not local"},
            302,
            403,
        ),
        (
            "ppe_receive",
            "post",
            "/workforce/ppe/receive/",
            {"kind": "mask", "quantity": "100"},
            302,
            403,
        ),
        (
            "ppe_issue",
            "post",
            "/workforce/ppe/issue/",
            {"kind": "mask", "worker": li, "quantity": "1"},
            302,
            403,
        ),
    ]


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_page_answers_each_persona_as_designed(world, crew, as_user, persona):
    PpeItem.objects.create(community=world.community, kind="mask", stock=10)
    client = as_user(persona)
    for name, method, url, data, manager, reader in pages(world, crew):
        if persona in MANAGERS:
            expected = manager
        elif persona in READERS:
            expected = reader
        else:
            expected = 404
        response = getattr(client, method)(url, data or {})
        assert response.status_code == expected, (name, persona, response.status_code)


@pytest.mark.parametrize("persona", sorted(READERS - MANAGERS))
def test_a_reader_changes_nothing(world, crew, as_user, persona):
    PpeItem.objects.create(community=world.community, kind="mask", stock=10)
    client = as_user(persona)
    for _name, method, url, data, _m, _r in pages(world, crew):
        if method == "post":
            getattr(client, method)(url, data)
    crew["zhao"].refresh_from_db()
    assert crew["zhao"].status == "pending" and crew["zhao"].test_date is None
    assert PpeItem.objects.get().stock == 10
    assert not HoursEntry.objects.exists()


def test_a_worker_opens_their_own_entry_but_not_the_roster_or_others(world, crew, as_user):
    client = as_user("volunteer")
    own = crew["volunteer"].pk
    assert client.get("/workforce/").status_code == 404
    assert client.get(f"/workforce/{crew['li'].pk}/").status_code == 404
    assert client.get(f"/workforce/{crew['li'].pk}/certificate").status_code == 404
    assert client.get("/workforce/me/").url == f"/workforce/{own}/"
    assert client.get(f"/workforce/{own}/").status_code == 200
    assert client.get(f"/workforce/{own}/hours/").status_code == 200
    assert client.get(f"/workforce/{own}/certificate").status_code == 200
    # ...but may not add hours to their own ledger or edit their own entry.
    assert (
        client.post(f"/workforce/{own}/hours/", {"day": "2020-01-01", "hours": "9"}).status_code
        == 403
    )
    assert client.get(f"/workforce/{own}/edit/").status_code == 403
    assert as_user("outsider").get("/workforce/me/").status_code == 404


def test_staff_of_another_community_see_nothing_here(world, crew):
    from linli.accounts.choices import Role
    from linli.accounts.services import grant_role
    from linli.places.models import Community
    from linli.testing import make_user

    other = Community.objects.create(name="别的社区", code="other")
    user = make_user("other_staff")
    grant_role(user=user, role=Role.STAFF, community=other)
    client = Client()
    client.force_login(user)
    assert client.get(f"/workforce/{crew['li'].pk}/").status_code == 404
    assert client.get(f"/workforce/screening/{crew['zhao'].pk}/").status_code == 404
    assert (
        client.post(f"/workforce/screening/{crew['zhao'].pk}/reject/", {"reason": "x"}).status_code
        == 404
    )
    page = client.get("/workforce/")
    assert page.status_code == 200 and "李强" not in page.content.decode()


def test_the_volunteer_pages_need_a_login_and_a_roster_entry(world, crew, as_user):
    anonymous = Client()
    assert anonymous.get("/volunteer/signup").status_code == 200
    assert anonymous.get("/volunteer/status").status_code == 302
    assert anonymous.post("/volunteer/status/training").status_code == 302
    assert as_user("outsider").get("/volunteer/status").status_code == 404
    assert as_user("outsider").post("/volunteer/status/training").status_code == 404
    assert as_user("volunteer").get("/volunteer/status").status_code == 200
    assert anonymous.get("/workforce/").status_code == 302  # to the login page


# ------------------------------------------------------------------ API


def api_client(user) -> Client:
    raw = ApiToken.new_raw()
    ApiToken.objects.create(
        user=user,
        key_hash=hash_token(raw),
        prefix=raw[4:12],
        expires_at=timezone.now() + timedelta(days=1),
    )
    return Client(headers={"Authorization": f"Bearer {raw}"})


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_endpoint_answers_each_persona_as_designed(world, crew, persona):
    client = api_client(world.user(persona))
    listing = client.get("/api/v1/workers")
    one = client.get(f"/api/v1/workers/{crew['li'].pk}")
    if persona in READERS:
        assert listing.status_code == 200 and listing.json()["count"] == 5
        assert one.status_code == 200 and one.json()["name"] == "李强"
    else:
        assert listing.status_code == 403
        assert listing.json()["error"]["code"] == "forbidden"
        assert one.status_code == 404
        assert set(one.json()["error"]) == {"code", "message", "fields"}


def test_the_api_needs_authentication(world, crew):
    response = Client().get("/api/v1/workers")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_a_worker_reads_their_own_entry_through_the_api(world, crew):
    client = api_client(world.user("volunteer"))
    assert client.get(f"/api/v1/workers/{crew['volunteer'].pk}").status_code == 200
