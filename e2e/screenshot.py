"""Take docs/screenshot.png: the home dashboard as a community staff member sees it.

    .venv/bin/python e2e/screenshot.py [--out docs/screenshot.png]

Builds a throw-away database in a temporary LINLI_DATA_DIR (the demo community from
`manage.py seed_demo` when that command exists, else the small test community), serves it with
`manage.py runserver` and photographs the dashboard in Debian's chromium. ./var is not touched.
"""

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def manage(*args, env):
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True)


def has_command(name, env):
    listing = subprocess.run(
        [PYTHON, "manage.py", "help", "--commands"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return name in listing


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (our own local server)
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"the server at {url} did not come up")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshot.png"))
    parser.add_argument("--lang", default="zh-CN", help="browser locale (zh-CN or en)")
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="linli-shot-") as data_dir:
        env = {
            **os.environ,
            "LINLI_DATA_DIR": data_dir,
            # DEBUG serves static files through the finders: no collectstatic needed.
            "DEBUG": "true",
            "LINLI_TASKS_BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
        }
        env.pop("DATABASE_URL", None)
        manage("migrate", "--noinput", "--verbosity", "0", env=env)
        if has_command("seed_demo", env):
            manage("seed_demo", env=env)
            username = "staff1"
            password = os.environ.get("LINLI_DEMO_PASSWORD", "linli-demo")
        else:
            print("no seed_demo command yet: using the small test community")
            code = "from linli.testing import PASSWORD, build_world; build_world(); print(PASSWORD)"
            out = subprocess.run(
                [PYTHON, "manage.py", "shell", "--no-imports", "-c", code],
                cwd=ROOT,
                env=env,
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            username, password = "staff", out.strip().splitlines()[-1]

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [PYTHON, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_until_up(f"{base}/healthz")
            shoot(base, username, password, options)
        finally:
            server.terminate()
            server.wait(timeout=10)
    print(f"wrote {options.out}")


def shoot(base, username, password, options):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        context = browser.new_context(
            locale=options.lang,
            timezone_id="Asia/Shanghai",
            viewport={"width": 1280, "height": 900},
        )
        page = context.new_page()
        page.goto(f"{base}/accounts/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.click("form.stack button.primary")
        expect(page.locator(".cards")).to_be_visible()
        Path(options.out).parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=options.out)
        browser.close()


if __name__ == "__main__":
    main()
