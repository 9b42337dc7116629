import pytest
from django.test import Client
from django.utils import translation

from linli.testing import build_world


@pytest.fixture(autouse=True)
def _test_settings(settings):
    # Background jobs run in-process in tests; the real worker is exercised by the e2e tests.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.AXES_ENABLED = False
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
