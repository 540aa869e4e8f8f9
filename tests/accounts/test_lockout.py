"""Five wrong passwords for one username lock that sign-in for 30 minutes, whether they come from one address or
from many; audited, and the account holder and the auditors are told."""

from __future__ import annotations

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import SecurityNotice, SecurityNoticeKind
from casework.models import AuditAction, AuditEntry

from .conftest import sign_in


def fail(client, username: str, times: int, **extra) -> None:
    for _ in range(times):
        sign_in(client, username, "wrong-password-123", **extra)


def test_four_failures_do_not_lock(client, world):
    fail(client, "guidance", 4)
    response = sign_in(client, "guidance")
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_the_fifth_failure_locks_even_the_right_password_out(client, world):
    fail(client, "guidance", 4)
    fifth = sign_in(client, "guidance", "wrong-password-123")
    assert fifth.status_code == 429
    response = sign_in(client, "guidance")
    assert response.status_code == 429
    assert client.get("/").status_code == 302  # not signed in
    body = response.content.decode()
    assert "30" in body
    assert 'href="/accounts/login/"' in body


def test_the_lockout_page_is_in_english_too(client, world):
    fail(client, "guidance", 5, HTTP_ACCEPT_LANGUAGE="en")
    response = sign_in(client, "guidance", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 429
    assert "Try again in 30 minutes." in response.content.decode()


def test_lockout_is_per_username_not_per_address(client, world):
    fail(client, "guidance", 5)
    # Another user from the same address may still sign in...
    assert sign_in(client, "social").status_code == 302
    client.post(reverse("logout"))
    # ...but the locked username is locked from every address.
    assert sign_in(client, "guidance", REMOTE_ADDR="10.0.0.9").status_code == 429


def test_failures_spread_over_addresses_lock_the_username(client, world):
    """Five guesses from five addresses lock as five from one would: the attacker cannot just move on."""
    for n in range(4):
        assert sign_in(client, "guidance", "wrong-password-123", REMOTE_ADDR=f"10.0.1.{n}").status_code == 200
    assert sign_in(client, "guidance", "wrong-password-123", REMOTE_ADDR="10.0.1.4").status_code == 429
    # The right password from yet another address is refused too, and so is the user's own desk.
    assert sign_in(client, "guidance", REMOTE_ADDR="10.0.1.99").status_code == 429
    assert sign_in(client, "guidance").status_code == 429
    assert client.get("/").status_code == 302
    # Other users are not affected, from any of those addresses.
    assert sign_in(client, "social", REMOTE_ADDR="10.0.1.0").status_code == 302


def test_four_failures_spread_over_addresses_do_not_lock(client, world):
    for n in range(4):
        sign_in(client, "guidance", "wrong-password-123", REMOTE_ADDR=f"10.0.2.{n}")
    assert sign_in(client, "guidance", REMOTE_ADDR="10.0.2.50").status_code == 302


def test_the_per_address_count_is_kept(client, world):
    """The username-and-address count is still there: its attempts are recorded per address."""
    fail(client, "guidance", 3)
    fail(client, "guidance", 1, REMOTE_ADDR="10.0.3.1")
    rows = {a.ip_address: a.failures_since_start for a in AccessAttempt.objects.filter(username="guidance")}
    assert rows == {"127.0.0.1": 3, "10.0.3.1": 1}
    assert sign_in(client, "guidance", "wrong-password-123").status_code == 429


def test_failures_and_lockouts_are_in_the_access_log(client, world):
    fail(client, "guidance", 5)
    sign_in(client, "guidance")
    failed = AuditEntry.objects.filter(action=AuditAction.LOGIN_FAILED, username="guidance")
    assert failed.count() == 6
    lockouts = AuditEntry.objects.filter(action=AuditAction.LOCKOUT, username="guidance")
    assert lockouts.count() == 2  # when it locked, and the refused try that followed
    assert lockouts.first().detail == {"ip_address": "127.0.0.1"}
    assert lockouts.first().ip_address == "127.0.0.1"


def test_the_cool_off_ends_after_30_minutes(client, world):
    fail(client, "guidance", 5)
    assert sign_in(client, "guidance").status_code == 429
    # Time travel: the failures happened 29 minutes ago, still locked; 31 minutes ago, free again.
    attempts = AccessAttempt.objects.filter(username="guidance")
    attempts.update(attempt_time=attempts.get().attempt_time - dt.timedelta(minutes=29))
    assert sign_in(client, "guidance").status_code == 429
    attempts.update(attempt_time=attempts.get().attempt_time - dt.timedelta(minutes=31))
    assert sign_in(client, "guidance").status_code == 302


def test_unlock_command_lifts_the_lockout_and_is_audited(client, world):
    fail(client, "guidance", 5)
    call_command("unlock_sign_in", "guidance")
    assert sign_in(client, "guidance").status_code == 302
    entry = AuditEntry.objects.get(action=AuditAction.UNLOCK)
    assert entry.object_id == str(world.u.guidance.pk)
    assert entry.path == "system:manage.py unlock_sign_in"


def test_an_administrator_unlocks_in_the_admin(client, world):
    fail(client, "guidance", 5)
    client.force_login(world.u.admin)  # second factor passed by tests/conftest.py
    response = client.post(
        reverse("admin:accounts_accountsecurity_changelist"),
        {"action": "unlock_sign_in", "_selected_action": [world.u.guidance.pk]},
    )
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username="guidance").exists()
    assert AuditEntry.objects.filter(action=AuditAction.UNLOCK, username="admin").exists()


@pytest.mark.parametrize("username", ["guidance", "supervisor"])
def test_admin_listing_refused_to_non_administrators(client, world, username):
    client.force_login(getattr(world.u, username))
    response = client.get(reverse("admin:accounts_accountsecurity_changelist"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


# ---------------------------------------------------------------------------------------------------------
# Notices: the account holder sees one at their next sign-in; the auditors are told
# ---------------------------------------------------------------------------------------------------------


def lockout_notices(**filters):
    return SecurityNotice.objects.filter(kind=SecurityNoticeKind.LOCKED_OUT, **filters)


def test_a_lockout_tells_the_account_holder_and_the_auditors_once(client, world):
    for n in range(5):
        sign_in(client, "guidance", "wrong-password-123", REMOTE_ADDR=f"10.0.4.{n}")
    sign_in(client, "guidance", REMOTE_ADDR="10.0.4.9")  # refused during the lockout: no second notice
    own = lockout_notices(recipient=world.u.guidance).get()
    assert own.subject == world.u.guidance
    assert own.detail["failures"] == 5
    assert own.detail["addresses"] == [f"10.0.4.{n}" for n in range(5)]
    told = lockout_notices(recipient=world.u.auditor).get()
    assert told.subject_username == "guidance"
    assert lockout_notices().count() == 2


def test_the_account_holder_sees_the_notice_at_the_next_sign_in(client, world):
    fail(client, "guidance", 5, REMOTE_ADDR="10.0.5.1")
    call_command("unlock_sign_in", "guidance")
    response = sign_in(client, "guidance", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Signing in to your account was locked" in page
    assert "10.0.5.1" in page
    # Shown once.
    assert (
        "Signing in to your account was locked"
        not in client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    )


def test_an_unknown_username_locks_but_tells_nobody(client, world):
    fail(client, "nobody-here", 5)
    assert sign_in(client, "nobody-here").status_code == 429
    assert not lockout_notices().exists()
    assert AuditEntry.objects.filter(action=AuditAction.LOCKOUT, username="nobody-here").exists()


def test_a_later_lockout_is_told_again(client, world):
    fail(client, "guidance", 5)
    SecurityNotice.objects.update(created_at=timezone.now() - dt.timedelta(minutes=31))
    AccessAttempt.objects.all().delete()
    fail(client, "guidance", 5)
    assert lockout_notices(recipient=world.u.guidance).count() == 2
