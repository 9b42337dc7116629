"""Who may call which /api/v1 endpoint: every endpoint, every persona, with bearer tokens.

Refusals come in the one error shape {"error": {"code", "message", "fields"}}.
"""

from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from linli.accounts.models import ApiToken, hash_token
from linli.core.models import AuditEvent
from linli.residents.idnumber import make_id_number
from linli.residents.models import Resident, Verification


def api_client(user) -> Client:
    raw = ApiToken.new_raw()
    ApiToken.objects.create(
        user=user,
        key_hash=hash_token(raw),
        prefix=raw[4:12],
        expires_at=timezone.now() + timedelta(days=1),
    )
    return Client(headers={"Authorization": f"Bearer {raw}"})


def call(client, method, url, body=None):
    if method == "get":
        return client.get(url)
    return getattr(client, method)(url, body or {}, content_type="application/json")


def assert_error_shape(response, status, code=None):
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["message"]
    assert isinstance(body["error"]["fields"], dict)
    if code:
        assert body["error"]["code"] == code
    return body["error"]


def endpoints(world, target="zhang"):
    """(name, method, url, body) for every registry endpoint, aimed at one resident."""
    resident = world.residents[target]
    household = resident.household_id
    return [
        ("list", "get", "/api/v1/residents", None),
        ("get", "get", f"/api/v1/residents/{resident.pk}", None),
        (
            "create",
            "post",
            "/api/v1/residents",
            {
                "household_id": household,
                "name": "赵新",
                "id_number": make_id_number("420106", date(1990, 4, 1), 51),
            },
        ),
        ("patch", "patch", f"/api/v1/residents/{resident.pk}", {"note": "changed"}),
        ("reveal", "post", f"/api/v1/residents/{resident.pk}/reveal-id", {"reason": "medicine"}),
        ("verify", "post", f"/api/v1/residents/{resident.pk}/verify", {"method": "door"}),
        ("household", "get", f"/api/v1/households/{household}", None),
    ]


ALL = {
    "list": 200,
    "get": 200,
    "create": 201,
    "patch": 200,
    "reveal": 200,
    "verify": 200,
    "household": 200,
}
READ_ONLY = {**ALL, "create": 403, "patch": 403, "reveal": 403, "verify": 403}
# Another area's worker lists their own area; someone with no area at all is refused.
NOTHING = {**{name: 404 for name in ALL}, "list": 200, "create": 403}
NO_AREA = {**NOTHING, "list": 403}
EXPECTED = {
    "admin": ALL,
    "staff": ALL,
    "grid_a": ALL,
    # Grid B's worker may create in their own grid, but 张伟's household is not in it.
    "grid_b": {**NOTHING, "create": 400},
    "cadre": {**READ_ONLY, "verify": 200},
    "leader_a1": READ_ONLY,
    "supervisor": READ_ONLY,
    "resident": READ_ONLY,
    "volunteer": NO_AREA,
    "property": NO_AREA,
    "outsider": NO_AREA,
}


@pytest.mark.parametrize("persona", sorted(EXPECTED))
def test_every_endpoint_answers_each_persona_as_its_role_allows(world, persona):
    client = api_client(world.user(persona))
    got = {}
    for name, method, url, body in endpoints(world):
        response = call(client, method, url, body)
        got[name] = response.status_code
        if response.status_code >= 400:
            assert_error_shape(response, response.status_code)
    assert got == EXPECTED[persona]


def test_list_shows_nothing_outside_the_area(world):
    body = api_client(world.user("grid_b")).get("/api/v1/residents").json()
    assert "张伟" not in {item["name"] for item in body["items"]}


@pytest.mark.parametrize("persona", ["volunteer", "property", "outsider"])
def test_list_refuses_someone_without_an_area(world, persona):
    response = api_client(world.user(persona)).get("/api/v1/residents")
    assert_error_shape(response, 403)


def test_anonymous_gets_401_from_every_endpoint(world):
    client = Client()
    for name, method, url, body in endpoints(world):
        error = assert_error_shape(call(client, method, url, body), 401, "unauthenticated")
        assert error["fields"] == {}, name


def test_a_wrong_or_expired_token_gets_401(world):
    wrong = Client(headers={"Authorization": "Bearer lnl_not-a-token"})
    assert_error_shape(wrong.get("/api/v1/residents"), 401, "unauthenticated")
    client = api_client(world.user("staff"))
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_error_shape(client.get("/api/v1/residents"), 401, "unauthenticated")


def test_a_deactivated_users_token_gets_401(world):
    client = api_client(world.user("staff"))
    world.user("staff").__class__.objects.filter(username="staff").update(is_active=False)
    assert_error_shape(client.get("/api/v1/residents"), 401)


def test_grid_worker_gets_404_for_every_endpoint_of_another_grid(world):
    client = api_client(world.user("grid_a"))
    events, verifications = AuditEvent.objects.count(), Verification.objects.count()
    for name, method, url, body in endpoints(world, target="chen"):
        if name in {"list", "create"}:
            continue
        assert_error_shape(call(client, method, url, body), 404, "not_found")
    assert AuditEvent.objects.count() == events
    assert Verification.objects.count() == verifications
    assert Resident.objects.get(pk=world.residents["chen"].pk).note == ""


def test_grid_worker_cannot_create_in_another_grids_household(world):
    chen = world.residents["chen"]
    response = api_client(world.user("grid_a")).post(
        "/api/v1/residents",
        {"household_id": chen.household_id, "name": "赵新", "sex": "M", "birth_date": "1990-01-01"},
        content_type="application/json",
    )
    error = assert_error_shape(response, 400, "invalid")
    assert list(error["fields"]) == ["household_id"]
    assert not Resident.objects.filter(name="赵新").exists()


def test_grid_worker_cannot_move_a_resident_into_another_grid(world):
    zhang, chen = world.residents["zhang"], world.residents["chen"]
    response = api_client(world.user("grid_a")).patch(
        f"/api/v1/residents/{zhang.pk}",
        {"household_id": chen.household_id},
        content_type="application/json",
    )
    error = assert_error_shape(response, 400)
    assert "household_id" in error["fields"]
    zhang.refresh_from_db()
    assert zhang.household_id != chen.household_id


def test_grid_worker_api_list_has_only_their_grid(world):
    client = api_client(world.user("grid_a"))
    body = client.get("/api/v1/residents?page_size=200").json()
    assert body["count"] == 3
    assert {item["name"] for item in body["items"]} == {"张伟", "李芳", "王秀英"}
    other = client.get(f"/api/v1/residents?grid={world.grid_b.pk}").json()
    assert other["count"] == 0 and other["items"] == []


def test_building_leader_api_sees_only_their_building(world):
    client = api_client(world.user("leader_a1"))
    body = client.get("/api/v1/residents").json()
    assert {item["name"] for item in body["items"]} == {"张伟", "李芳"}
    assert_error_shape(client.get(f"/api/v1/residents/{world.residents['wang'].pk}"), 404)
    wang_household = world.residents["wang"].household_id
    assert_error_shape(client.get(f"/api/v1/households/{wang_household}"), 404)


def test_resident_api_sees_only_their_household(world):
    client = api_client(world.user("resident"))
    body = client.get("/api/v1/residents").json()
    assert {item["name"] for item in body["items"]} == {"张伟", "李芳"}
    assert_error_shape(client.get(f"/api/v1/residents/{world.residents['chen'].pk}"), 404)
    error = assert_error_shape(
        client.patch(
            f"/api/v1/residents/{world.residents['zhang'].pk}",
            {"phone": "13900000000"},
            content_type="application/json",
        ),
        403,
        "forbidden",
    )
    assert error["message"]


def test_cadre_verifies_but_cannot_edit_or_reveal(world):
    client = api_client(world.user("cadre"))
    zhang = world.residents["zhang"]
    ok = client.post(
        f"/api/v1/residents/{zhang.pk}/verify", {"method": "door"}, content_type="application/json"
    )
    assert ok.status_code == 200 and ok.json()["verified_at"]
    for url, body in (
        (f"/api/v1/residents/{zhang.pk}/reveal-id", {"reason": "just curious"}),
        ("/api/v1/residents", {"household_id": zhang.household_id, "name": "赵新"}),
    ):
        assert_error_shape(client.post(url, body, content_type="application/json"), 403)
    assert_error_shape(
        client.patch(
            f"/api/v1/residents/{zhang.pk}", {"note": "x"}, content_type="application/json"
        ),
        403,
    )
    assert not AuditEvent.objects.filter(action="resident.reveal_id").exists()


def test_supervisor_reads_all_but_cannot_write(world):
    client = api_client(world.user("supervisor"))
    assert client.get("/api/v1/residents").json()["count"] == 5
    chen = world.residents["chen"]
    assert client.get(f"/api/v1/residents/{chen.pk}").status_code == 200
    assert_error_shape(
        client.patch(
            f"/api/v1/residents/{chen.pk}", {"note": "x"}, content_type="application/json"
        ),
        403,
    )


def test_the_browser_session_also_authenticates(world, as_user):
    response = as_user("grid_a").get("/api/v1/residents")
    assert response.status_code == 200
    assert response.json()["count"] == 3
