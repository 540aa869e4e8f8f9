"""Browser-test fixtures: one headless Debian Chromium per session, a fresh browser context per test.

Chromium comes from apt (``/usr/bin/chromium``); ``playwright install`` is never used. Without it the browser
tests skip with a reason, unless ``REQUIRE_BROWSER=1`` (CI), in which case they fail.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# Playwright's sync API runs an asyncio event loop in this thread, which trips Django's async-safety check
# on every ORM call the test itself makes (fixtures, assertions against the database).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

from tests.fixtures import PASSWORD, world  # noqa: E402, F401

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Date pickers and other browser-drawn controls in the caseworkers' language.
    "--lang=zh-TW",
]
DESKTOP = {"width": 1280, "height": 800}
TABLET = {"width": 768, "height": 1024}
PHONE = {"width": 390, "height": 844}
# What a Taiwanese caseworker's browser asks for; Django maps zh-TW to zh-hant.
DEFAULT_LOCALE = "zh-TW"
SCREENSHOT_DIR = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def _unavailable(reason: str):
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(f"REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(f"browser tests need Debian's chromium: {reason}")


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium shared by the whole session."""
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed in this environment")
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
    except Exception:
        playwright.stop()
        raise  # chromium is there but does not start: always a failure, never a skip
    yield browser
    browser.close()
    playwright.stop()


@pytest.fixture
def new_page(browser) -> Iterator[Callable[..., object]]:
    """Factory for pages, each in its own context (own cookies, own session); all closed after the test."""
    contexts = []

    def make(viewport: dict | None = None, locale: str = DEFAULT_LOCALE):
        context = browser.new_context(viewport=viewport or DESKTOP, locale=locale)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        # Broken stylesheets, icons or scripts, and script errors, are collected for snap() to report.
        page.problems = []
        page.on(
            "response",
            lambda r: (
                r.status >= 400
                and r.request.resource_type != "document"
                and page.problems.append(f"{r.status} {r.url}")
            ),
        )
        page.on("pageerror", lambda error: page.problems.append(f"script error: {error}"))
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    """A desktop-sized page (1280x800) in a fresh context."""
    return new_page()


def login(page, live_server, username: str, password: str = PASSWORD) -> None:
    """Sign in through the login form and wait for the start page."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert page.url == f"{live_server.url}/", f"{username} did not reach the start page (at {page.url})"


def nav_hrefs(page) -> list[str]:
    """The links of the main navigation, in order."""
    return page.locator("header nav .nav a").evaluate_all("links => links.map(a => a.getAttribute('href'))")


def html_lang(page) -> str:
    return page.locator("html").get_attribute("lang")


def snap(page, name: str) -> Path:
    """Check the page loaded cleanly and holds no inline code (a strict CSP is coming); save a screenshot."""
    assert not page.problems, f"{page.url}: {page.problems}"
    # style="" is skipped: Playwright's own screenshots leave empty style attributes on hidden inputs.
    inline = page.locator('script:not([src]), [style]:not([style=""])').count()
    assert inline == 0, f"{page.url}: {inline} inline <script> or style= attribute(s)"
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def horizontal_overflow(page) -> tuple[int, int]:
    """(document scroll width, viewport width)."""
    return tuple(page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]"))
