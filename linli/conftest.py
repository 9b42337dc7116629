import sqlite3

import pytest
from django.core.cache import cache
from django.db import connection, connections
from django.test import Client
from django.utils import translation

from linli.testing import build_world


@pytest.fixture(autouse=True)
def _test_settings(settings):
    # Background jobs run in-process in tests; the real worker is exercised by the e2e tests.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.AXES_ENABLED = False
    cache.clear()  # rate-limit counters must not leak from one test into the next
    # Fast hashing: the personas' passwords are hashed once per test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _english(settings):
    """Tests read messages in English; test_i18n checks the Chinese default on its own."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def as_user(world):
    """as_user("grid_a") -> a test client logged in as that persona."""

    def login(name):
        client = Client()
        client.force_login(world.user(name))
        return client

    return login


@pytest.fixture
def shared_database(tmp_path):
    """Returns `share()`: after it, every connection (this thread's and new threads') uses one
    database that separate connections can all reach, for tests of concurrent writers.

    PostgreSQL already is one. pytest-django's SQLite test database lives in memory, where
    extra connections share one cache that answers "table is locked" at once instead of
    waiting, so on SQLite `share()` copies it (schema and the rows made so far) to a file
    opened with the settings the app runs with: WAL and IMMEDIATE transactions, so that
    concurrent writers queue for the lock as they do in production."""
    swapped = {}

    def share():
        if connection.vendor != "sqlite" or not connection.is_in_memory_db():
            return
        path = tmp_path / "shared.sqlite3"
        connection.ensure_connection()
        copy = sqlite3.connect(path)
        connection.connection.backup(copy)
        copy.close()
        swapped["settings"] = connections.settings["default"]
        swapped["connection"] = connections["default"]
        connections.settings["default"] = {**swapped["settings"], "NAME": str(path)}
        connections["default"] = connections.create_connection("default")

    yield share
    if swapped:
        connections["default"].close()
        connections.settings["default"] = swapped["settings"]
        connections["default"] = swapped["connection"]
