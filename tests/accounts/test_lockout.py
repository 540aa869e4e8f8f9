"""Five wrong passwords for one username from one address lock that sign-in for 30 minutes; audited."""

from __future__ import annotations

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.urls import reverse

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


def test_lockout_is_per_username_and_address(client, world):
    fail(client, "guidance", 5)
    # Another user from the same address, and the same user from another address, may still sign in.
    assert sign_in(client, "social").status_code == 302
    client.post(reverse("logout"))
    assert sign_in(client, "guidance", REMOTE_ADDR="10.0.0.9").status_code == 302


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
