"""Browser tests: Playwright's sync API driving Debian's chromium against pytest-django's
live server. Never `playwright install`: the browser is /usr/bin/chromium (`.ci/run` installs
it with apt).

linli/conftest.py is not visible from here, so the test-settings tweaks are repeated, except
that django-axes stays ON: the login page goes through it as it does in production.
"""

import os
from pathlib import Path

import pytest

# Playwright's sync API runs an asyncio loop in this thread; Django refuses ORM calls from a
# thread with a running loop unless told that this is safe (it is: the loop is Playwright's).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from linli.testing import PASSWORD, build_world  # noqa: E402

CHROMIUM = os.environ.get("LINLI_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).parent / "artifacts"


@pytest.fixture(autouse=True)
def _e2e_settings(settings):
    # Background jobs run in-process: the import job finishes inside the upload request.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # No collectstatic in tests: plain storage (no manifest) and the live server's static
    # handler serves linli/static through the finders.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.WHITENOISE_USE_FINDERS = True
    settings.AXES_ENABLED = True


@pytest.fixture
def world(transactional_db):
    return build_world()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (bash .ci/run does it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def console_errors():
    """Console errors of the page (a CSP violation shows up here) and failed sub-resources
    (a stylesheet or script that did not load), as text."""
    return []


def _watch(page, errors):
    def on_console(message):
        # Failed loads are reported with their URL by on_response instead.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            errors.append(message.text)

    def on_response(response):
        # Browsers ask for /favicon.ico on their own; its 404 is not the page's fault.
        kind = response.request.resource_type
        if response.status >= 400 and kind != "document" and "favicon" not in response.url:
            errors.append(f"{response.status} {response.url}")

    page.on("console", on_console)
    page.on("response", on_response)
    page.on("pageerror", lambda exc: errors.append(str(exc)))


@pytest.fixture
def page(request, browser, console_errors):
    context = browser.new_context(
        locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    _watch(page, console_errors)
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=ARTIFACTS / f"{request.node.name}.png", full_page=True)
    context.close()


def pytest_collection_modifyitems(items):
    for item in items:
        item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    # Keep each phase's report on the test item so `page` can screenshot failures.
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def login(page, live_server):
    """login("staff") fills in the login form as a persona and submits it."""

    def submit(username, password=PASSWORD):
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.click("form.stack button.primary")
        page.wait_for_load_state()
        return page

    return submit


PHONE = {"width": 390, "height": 844}


def _phone_page(request, browser, console_errors, suffix):
    """A page at a phone's size with cookies of its own; its console errors go to the same list
    as `page`'s, and a failing test leaves a screenshot of it too."""
    context = browser.new_context(
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    _watch(page, console_errors)
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=ARTIFACTS / f"{request.node.name}-{suffix}.png", full_page=True)
    context.close()


@pytest.fixture
def phone(request, browser, console_errors):
    """A volunteer's (or resident's) phone beside a staff member's desk (`page`)."""
    yield from _phone_page(request, browser, console_errors, "phone")


@pytest.fixture
def second_phone(request, browser, console_errors):
    """Another person's phone, so a test can drive two phones and a desk at once."""
    yield from _phone_page(request, browser, console_errors, "phone2")
