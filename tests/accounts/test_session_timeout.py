"""A session ends after 30 minutes without a request, and 8 hours after sign-in whatever the activity."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.middleware import LAST_ACTIVITY, SIGNED_IN_AT
from casework.models import AuditAction, AuditEntry


def travel(client, key: str, seconds: float) -> None:
    """Move a session clock back, as if that much time had passed."""
    session = client.session
    session[key] -= seconds
    session.save()


def test_idle_timeout_default_is_30_minutes():
    assert settings.SESSION_IDLE_TIMEOUT == 30 * 60
    assert settings.SESSION_COOKIE_AGE == 8 * 60 * 60


def test_activity_within_30_minutes_keeps_the_session(client, world):
    client.force_login(world.u.guidance)
    travel(client, LAST_ACTIVITY, 29 * 60)
    assert client.get("/").status_code == 200
    travel(client, LAST_ACTIVITY, 29 * 60)  # the request above counted as activity
    assert client.get("/").status_code == 200


def test_after_30_idle_minutes_the_user_is_signed_out_with_a_message(client, world):
    client.force_login(world.u.guidance)
    travel(client, LAST_ACTIVITY, 31 * 60)
    response = client.get("/cases/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next=%2Fcases%2F"
    login_page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en")
    assert "You were signed out after 30 minutes without activity." in login_page.content.decode()
    assert client.get("/").status_code == 302
    entry = AuditEntry.objects.get(action=AuditAction.SESSION_TIMEOUT)
    assert entry.username == "guidance"
    assert entry.detail["reason"] == "idle"


def test_idle_api_request_is_refused(client, world):
    client.force_login(world.u.guidance)
    travel(client, LAST_ACTIVITY, 31 * 60)
    assert client.get("/api/me/").status_code == 403


def test_eight_hours_after_sign_in_the_session_ends_even_when_active(client, world):
    client.force_login(world.u.guidance)
    travel(client, SIGNED_IN_AT, 8 * 60 * 60 + 1)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert AuditEntry.objects.get(action=AuditAction.SESSION_TIMEOUT).detail["reason"] == "absolute"


@pytest.mark.real_second_factor
def test_idle_timeout_applies_before_the_second_factor_too(client, world):
    client.force_login(world.u.supervisor)
    travel(client, LAST_ACTIVITY, 31 * 60)
    response = client.get(reverse("accounts:verify"))
    assert response["Location"].startswith(reverse("login"))
