"""Logging in and out."""

from django.test import Client

from linli.testing import PASSWORD


def test_login_page_renders_for_anonymous(world):
    response = Client().get("/accounts/login/")
    assert response.status_code == 200
    assert 'name="password"' in response.content.decode()


def test_good_login_goes_home(world):
    client = Client()
    response = client.post("/accounts/login/", {"username": "staff", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/registry/residents/").status_code == 200


def test_login_follows_a_safe_next_only(world):
    client = Client()
    response = client.post(
        "/accounts/login/?next=/registry/verification/",
        {"username": "staff", "password": PASSWORD},
    )
    assert response["Location"] == "/registry/verification/"
    client = Client()
    response = client.post(
        "/accounts/login/?next=https://evil.example/",
        {"username": "staff", "password": PASSWORD},
    )
    assert response["Location"] == "/"


def test_bad_login_stays_on_the_page(world):
    client = Client()
    response = client.post("/accounts/login/", {"username": "staff", "password": "nope"})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert client.get("/registry/").status_code == 302


def test_a_logged_in_user_is_sent_on_from_the_login_page(world, as_user):
    assert as_user("staff").get("/accounts/login/").status_code == 302


def test_logout_ends_the_session(world, as_user):
    client = as_user("staff")
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert client.get("/registry/").status_code == 302


def test_session_cookie_is_http_only(world):
    client = Client()
    client.post("/accounts/login/", {"username": "staff", "password": PASSWORD})
    assert client.cookies["sessionid"]["httponly"]
