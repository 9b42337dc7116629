"""Log in through the login page (django-axes on, as in production)."""

import base64
import re
import time

from django_otp.oath import hotp
from playwright.sync_api import expect

from linli.residents.models import Resident
from linli.testing import PASSWORD


def test_staff_logs_in_and_lands_on_the_dashboard(world, page, live_server, login, console_errors):
    login("staff")

    expect(page).to_have_url(re.compile(r"/registry/$"))
    total = Resident.objects.count()
    assert total == 5
    # The first card is the resident count of the staff member's community.
    expect(page.locator(".cards .card b").first).to_have_text(str(total))
    expect(page.locator("nav.main")).to_be_visible()
    expect(page.locator(".who")).to_have_text("staff")
    # The stylesheet and script were served and applied (no CSP or static-file failure).
    rules = page.evaluate("Array.from(document.styleSheets).map(s => s.cssRules.length)")
    assert rules and rules[0] > 0
    assert page.request.get(f"{live_server.url}/static/linli/linli.js").ok
    assert console_errors == []


def test_wrong_password_shows_the_error_and_stays_out(world, page, live_server, login):
    login("staff", "not-the-password")

    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.locator(".error[role=alert]")).to_be_visible()
    expect(page.locator("nav.main")).to_have_count(0)
    # Nothing behind the login is reachable.
    page.goto(f"{live_server.url}/registry/residents/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))


def test_a_resident_login_goes_to_their_own_household(world, page, login):
    login("resident")

    household = world.residents["zhang"].household
    expect(page).to_have_url(re.compile(rf"/registry/households/{household.pk}/$"))
    expect(page.locator("main")).to_contain_text("张伟")
    expect(page.locator("main")).to_contain_text("李芳")
    expect(page.locator("main")).not_to_contain_text("陈明")


def authenticator_code(secret: str, *, steps_ahead: int = 0) -> str:
    """What a phone's authenticator app shows for `secret` (RFC 6238, 30-second steps)."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return f"{hotp(key, int(time.time()) // 30 + steps_ahead):06d}"


def test_staff_turns_on_two_step_login_and_then_needs_the_code(world, page, live_server, login):
    login("staff")
    page.click("a.who")
    expect(page).to_have_url(re.compile(r"/accounts/two-step/$"))
    expect(page.locator(".qr svg")).to_be_visible()
    secret = page.locator("main code").inner_text().strip()
    page.fill("input[name=token]", authenticator_code(secret))
    page.click("button[name=action][value=enable]")
    expect(page.locator("button[name=action][value=disable]")).to_be_visible()
    page.click("form[action$='/accounts/logout/'] button")
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))

    # The password alone no longer opens the account.
    login("staff")
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.locator(".error[role=alert]")).to_be_visible()
    expect(page.locator("nav.main")).to_have_count(0)

    # With the code it does. (The code that turned it on cannot be used twice, so take the
    # next one; the authenticator accepts one step of clock drift.)
    page.fill("input[name=username]", "staff")
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=otp_token]", authenticator_code(secret, steps_ahead=1))
    page.click("form.stack button.primary")
    expect(page).to_have_url(re.compile(r"/registry/$"))
    expect(page.locator("nav.main")).to_be_visible()
