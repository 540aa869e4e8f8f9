"""Account security in a real browser: a supervisor enrols an authenticator; every role's main pages, the
API docs and the admin run under the Content-Security-Policy without a single violation."""

from __future__ import annotations

import base64

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from casework.models import AuditAction, AuditEntry
from tests.browser.conftest import PASSWORD, SCREENSHOT_DIR, login, nav_hrefs, snap

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROLE_USERS = [
    "officer",
    "guidance",
    "social",
    "counsellor",
    "supervisor",
    "steward",
    "modeller",
    "auditor",
    "admin",
]


def watch_csp(page) -> list[str]:
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            "Content Security Policy" in message.text and violations.append(f"{page.url}: {message.text}")
        ),
    )
    return violations


def test_supervisor_enrols_an_authenticator(page, live_server, world):
    violations = watch_csp(page)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "supervisor")
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    # No device yet: the enrolment page, with a QR code drawn inline and the key to type by hand.
    assert page.url.startswith(f"{live_server.url}/account/second-factor/enrol/")
    expect(page.locator("svg.qr-code")).to_be_visible()
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    snap(page, "account_01_enrol")

    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    page.fill("#id_code", f"{TOTP(key).token():06d}")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").first.click()
    assert page.url.startswith(f"{live_server.url}/account/second-factor/backup-codes/")
    expect(page.locator("ul.backup-codes li")).to_have_count(10)
    snap(page, "account_02_backup_codes")

    with page.expect_navigation():
        page.locator("main a.button").click()
    assert page.url == f"{live_server.url}/"
    assert TOTPDevice.objects.get(user=world.u.supervisor).confirmed
    assert AuditEntry.objects.filter(action=AuditAction.OTP_ENROLLED, username="supervisor").exists()
    snap(page, "account_03_supervisor_home")
    assert violations == []


def test_verify_page_after_password(page, live_server, world):
    violations = watch_csp(page)
    TOTPDevice.objects.create(user=world.u.auditor, name="phone", confirmed=True)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "auditor")
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert page.url.startswith(f"{live_server.url}/account/second-factor/verify/")
    page.fill("#id_code", "000000")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").first.click()
    expect(page.locator("main .error")).to_be_visible()
    snap(page, "account_04_verify_refused")
    assert violations == []


def test_lockout_page(page, live_server, world):
    violations = watch_csp(page)
    for _ in range(5):
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", "guidance")
        page.fill("#id_password", "not-the-password")
        with page.expect_navigation():
            page.locator("main form button[type=submit]").click()
    expect(page.locator("main h1")).to_be_visible()
    assert "30" in page.locator("main").inner_text()
    snap(page, "account_05_lockout")
    assert violations == []


def test_every_roles_main_pages_satisfy_the_csp(new_page, live_server, world):
    violations: list[str] = []
    visited = 0
    for username in ROLE_USERS:
        page = new_page()
        violations += watch_csp(page)
        login(page, live_server, username)
        for href in nav_hrefs(page):
            page.goto(f"{live_server.url}{href}")
            page.wait_for_load_state("networkidle")
            visited += 1
        page.goto(f"{live_server.url}/account/password/")
        snap(page, f"account_06_password_{username}")
        page.context.close()
    assert visited > 20
    assert violations == []


def test_api_docs_and_admin_satisfy_the_csp(page, live_server, world):
    violations = watch_csp(page)
    login(page, live_server, "admin")
    page.goto(f"{live_server.url}/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_be_visible()
    page.wait_for_load_state("networkidle")
    # Swagger UI sets element.style from its script (allowed by the CSP), so snap()'s DOM check for
    # style= attributes does not apply here; the console would show any refused inline code.
    assert not page.problems, page.problems
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT_DIR / "account_07_api_docs.png"), full_page=True)
    for path in [
        "/admin/",
        "/admin/accounts/accountsecurity/",
        "/admin/casework/user/",
        "/admin/casework/user/add/",
    ]:
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
    snap(page, "account_08_admin_user_add")
    page.goto(f"{live_server.url}/admin/accounts/accountsecurity/")
    snap(page, "account_09_admin_account_security")
    assert violations == []
