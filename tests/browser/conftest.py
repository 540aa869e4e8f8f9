"""Browser-test fixtures: one headless Debian Chromium per session, a fresh browser context per test.

Chromium comes from apt (``/usr/bin/chromium``); ``playwright install`` is never used. Without it the browser
tests skip with a reason, unless ``REQUIRE_BROWSER=1`` (CI), in which case they fail.
"""

from __future__ import annotations

import os
import re
import time
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


def current_totp_code(username: str) -> str:
    """The next unused code of the user's confirmed authenticator, computed like the phone app would.

    django-otp accepts each time step once; a second sign-in within 30 seconds takes the next step (within
    the device's tolerance) or waits for it.
    """
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user__username=username, confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    step = max(totp.t(), device.last_t + 1)
    if step > totp.t() + device.tolerance:
        # Both usable steps are spent: wait until the clock reaches the next one.
        time.sleep(device.t0 + (step - device.tolerance - device.drift) * device.step - time.time() + 0.2)
    totp.time = device.t0 + (step - device.drift) * device.step + 0.5
    return f"{totp.token():0{device.digits}d}"


def ensure_authenticator(username: str) -> None:
    """Users whose role needs a second factor get a confirmed authenticator if they have none yet."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.services import SECOND_FACTOR_ROLES
    from casework.models import User

    user = User.objects.get(username=username)
    needs_factor = user.memberships.filter(active=True, role__in=SECOND_FACTOR_ROLES).exists()
    if needs_factor and not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        TOTPDevice.objects.create(user=user, name="browser test authenticator", confirmed=True)


def login(page, live_server, username: str, password: str = PASSWORD) -> None:
    """Sign in through the login form (and the second-factor page, for roles that need it); wait for the
    start page."""
    ensure_authenticator(username)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    if page.url.startswith(f"{live_server.url}/account/second-factor/verify/"):
        page.fill("#id_code", current_totp_code(username))
        with page.expect_navigation():
            page.locator("main form button[type=submit]").first.click()
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
