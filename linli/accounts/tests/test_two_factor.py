"""Two-step login (TOTP) for staff accounts: login page and API token endpoint."""

from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from linli.accounts import services
from linli.core.models import AuditEvent
from linli.testing import PASSWORD


def current_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def enable_totp(user) -> TOTPDevice:
    device = services.totp_start(user=user)
    services.totp_confirm(user=user, token=current_code(device))
    device.refresh_from_db()
    device.last_t = -1  # allow the same code again in the test that follows
    device.save()
    return device


def test_setup_page_shows_a_qr_code_and_confirming_turns_it_on(world, as_user):
    client = as_user("staff")
    page = client.get("/accounts/two-step/")
    assert page.status_code == 200
    assert b"<svg" in page.content
    device = TOTPDevice.objects.get(user=world.user("staff"), confirmed=False)
    response = client.post("/accounts/two-step/", {"token": current_code(device), "action": "on"})
    assert response.status_code == 302
    assert TOTPDevice.objects.get(user=world.user("staff")).confirmed
    assert AuditEvent.objects.filter(action="auth.2fa_enable").exists()


def test_a_wrong_code_does_not_turn_it_on(world, as_user):
    client = as_user("staff")
    client.get("/accounts/two-step/")
    response = client.post("/accounts/two-step/", {"token": "000000", "action": "on"})
    assert response.status_code == 200
    assert "does not match" in response.content.decode() or "不" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=world.user("staff"), confirmed=True).exists()


def test_login_asks_for_the_code_once_enabled(world, client):
    device = enable_totp(world.user("staff"))
    without = client.post("/accounts/login/", {"username": "staff", "password": PASSWORD})
    assert without.status_code == 200  # the form again, with an error
    assert "_auth_user_id" not in client.session
    ok = client.post(
        "/accounts/login/",
        {"username": "staff", "password": PASSWORD, "otp_token": current_code(device)},
    )
    assert ok.status_code == 302
    assert client.session["_auth_user_id"] == str(world.user("staff").pk)


def test_login_without_two_step_needs_only_the_password(world, client):
    response = client.post("/accounts/login/", {"username": "grid_a", "password": PASSWORD})
    assert response.status_code == 302


def test_api_token_needs_the_code_once_enabled(world, client):
    device = enable_totp(world.user("staff"))
    refused = client.post(
        "/api/v1/auth/token",
        {"username": "staff", "password": PASSWORD},
        content_type="application/json",
    )
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "otp_required"
    issued = client.post(
        "/api/v1/auth/token",
        {"username": "staff", "password": PASSWORD, "otp_token": current_code(device)},
        content_type="application/json",
    )
    assert issued.status_code == 200
    assert issued.json()["token"].startswith("lnl_")
