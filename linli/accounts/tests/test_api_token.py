"""POST /api/v1/auth/token: a username and password for a bearer token."""

import pytest
from django.test import Client

from linli.accounts.models import ApiToken, hash_token
from linli.core.models import AuditEvent
from linli.testing import PASSWORD


def issue(username, password):
    return Client().post(
        "/api/v1/auth/token",
        {"username": username, "password": password},
        content_type="application/json",
    )


def error_of(response, status):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    return body["error"]


def test_good_credentials_give_a_token_that_works_as_bearer(world):
    response = issue("grid_a", PASSWORD)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["username"] == "grid_a"
    assert body["token"].startswith("lnl_")
    client = Client(headers={"Authorization": f"Bearer {body['token']}"})
    listing = client.get("/api/v1/residents")
    assert listing.status_code == 200
    assert listing.json()["count"] == 3  # grid A's three residents, as grid_a


def test_only_the_tokens_hash_is_stored(world):
    raw = issue("staff", PASSWORD).json()["token"]
    token = ApiToken.objects.get()
    assert token.key_hash == hash_token(raw)
    assert raw not in (token.key_hash, token.prefix)
    assert token.user == world.user("staff")
    assert token.expires_at > token.created_at


def test_issuing_a_token_is_audited(world):
    issue("staff", PASSWORD)
    event = AuditEvent.objects.get(action="auth.token_issue")
    assert event.actor == world.user("staff")
    assert event.target_type == "accounts.apitoken"


@pytest.mark.parametrize(
    ("username", "password"),
    [("grid_a", "wrong-password"), ("nobody", PASSWORD), ("grid_a", "")],
)
def test_bad_credentials_get_401_in_the_error_shape(world, username, password):
    error = error_of(issue(username, password), 401)
    assert error["code"] == "bad_credentials"
    assert error["message"]
    assert not ApiToken.objects.exists()


def test_an_inactive_user_gets_no_token(world):
    user = world.user("staff")
    user.is_active = False
    user.save()
    error_of(issue("staff", PASSWORD), 401)


def test_missing_fields_are_named(world):
    response = Client().post(
        "/api/v1/auth/token", {"username": "staff"}, content_type="application/json"
    )
    error = error_of(response, 422)
    assert error["code"] == "invalid"
    assert "password" in error["fields"]


def test_malformed_json_is_a_clean_error(world):
    response = Client().post("/api/v1/auth/token", "{not json", content_type="application/json")
    assert response.status_code in (400, 422)
    error_of(response, response.status_code)


def test_the_token_endpoint_needs_no_token(world):
    # auth=None on the route: it must not demand the bearer token it hands out.
    response = Client(headers={"Authorization": "Bearer lnl_garbage"}).post(
        "/api/v1/auth/token",
        {"username": "staff", "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 200


def test_token_use_is_stamped(world):
    raw = issue("staff", PASSWORD).json()["token"]
    assert ApiToken.objects.get().last_used_at is None
    Client(headers={"Authorization": f"Bearer {raw}"}).get("/api/v1/residents")
    assert ApiToken.objects.get().last_used_at is not None
