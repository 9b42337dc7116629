"""Health test helpers: an API client with a bearer token, and reading the one error shape."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from linli.accounts.models import ApiToken, hash_token


def api_client(user) -> Client:
    raw = ApiToken.new_raw()
    ApiToken.objects.create(
        user=user,
        key_hash=hash_token(raw),
        prefix=raw[4:12],
        expires_at=timezone.now() + timedelta(days=1),
    )
    return Client(headers={"Authorization": f"Bearer {raw}"})


@pytest.fixture
def as_api(world):
    """as_api("grid_a") -> a client sending that persona's bearer token."""
    return lambda name: api_client(world.user(name))


def error_of(response, status) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    return body["error"]
