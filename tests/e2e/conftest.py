"""A live server on a free local port and Debian's Chromium driven by Playwright.

With CI=true a missing browser is a failure, never a skip.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from examcentre.extensions import db

from ..dbutil import on_ci

# Web-first assertions (expect) retry until this long: CI machines are small and shared.
expect.set_options(timeout=60_000)

CHROMIUM = os.environ.get("EXAMCENTRE_CHROMIUM", "/usr/bin/chromium")
# Where screenshots go, so that a person can look at what the test saw.
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium chromium-driver)"
        if on_ci():
            pytest.fail(message + "; CI=true: browser tests fail rather than skip")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def live_server(app):
    """The test app served over real HTTP in a background thread, with CSRF protection on
    as in production (the unit tests' app has it off): the pages' forms and exam.js must
    carry valid tokens."""
    app.config["WTF_CSRF_ENABLED"] = True
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    db.session.remove()


@pytest.fixture
def page_for(browser):
    contexts = []

    def _page(locale: str = "zh-CN", viewport=(1366, 768)):
        context = browser.new_context(
            locale=locale, viewport={"width": viewport[0], "height": viewport[1]}
        )
        contexts.append(context)
        page = context.new_page()
        # Generous: CI machines are small and shared; a test asserts behaviour, not speed.
        page.set_default_timeout(60_000)
        return page

    yield _page
    for context in contexts:
        context.close()


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
