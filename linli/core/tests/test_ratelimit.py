from django.test import RequestFactory

from linli.core.ratelimit import client_ip, over_limit


def test_the_limit_allows_that_many_then_refuses():
    results = [over_limit("t:a", limit=3, window_seconds=60) for _ in range(5)]
    assert results == [False, False, False, True, True]
    assert over_limit("t:b", limit=3, window_seconds=60) is False  # another key counts apart


def test_client_ip_trusts_forwarded_for_only_behind_a_proxy(settings):
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4")
    settings.LINLI_PROXY_COUNT = 0
    assert client_ip(request) == "10.0.0.1"
    settings.LINLI_PROXY_COUNT = 1
    assert client_ip(request) == "1.2.3.4"


def test_the_public_sign_up_answers_429_past_the_limit(world, client, settings):
    settings.LINLI_SIGNUP_PER_HOUR = 2
    for _ in range(2):
        assert client.post("/volunteer/signup", {}).status_code == 200  # form errors, counted
    response = client.post("/volunteer/signup", {})
    assert response.status_code == 429
    assert "Too many sign-ups" in response.content.decode()
