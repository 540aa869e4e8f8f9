"""The session key changes when the second factor is given, so a session id seen before the second factor
(after the password only) cannot be used to ride on the verified session."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from .conftest import sign_in, totp_code

pytestmark = pytest.mark.real_second_factor

VERIFY = reverse("accounts:verify")
ENROL = reverse("accounts:enrol")


def session_id(client: Client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def client_with_session(session_key: str) -> Client:
    other = Client()
    other.cookies[settings.SESSION_COOKIE_NAME] = session_key
    return other


def test_verifying_the_authenticator_code_gives_a_new_session_id(client, world, confirmed_device):
    sign_in(client, "supervisor")
    before = session_id(client)
    assert client.get("/")["Location"].startswith(VERIFY)  # the password-only session, not yet verified

    response = client.post(VERIFY, {"code": totp_code(confirmed_device), "next": "/"})
    assert response.status_code == 302
    after = session_id(client)
    assert after != before
    assert client.get("/").status_code == 200  # the new session is signed in and verified

    # The old id is gone from the store: presented again, it is a stranger's cookie.
    assert not SessionStore().exists(before)
    stale = client_with_session(before)
    response = stale.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_backup_code_also_gives_a_new_session_id(client, world, confirmed_device):
    device = StaticDevice.objects.create(user=world.u.supervisor, name="Backup codes", confirmed=True)
    device.token_set.create(token="abcd2345")
    sign_in(client, "supervisor")
    before = session_id(client)
    assert client.post(VERIFY, {"code": "abcd2345"}).status_code == 302
    assert session_id(client) != before
    assert not SessionStore().exists(before)
    assert client_with_session(before).get("/")["Location"].startswith(reverse("login"))


def test_confirming_a_new_authenticator_gives_a_new_session_id(client, world):
    sign_in(client, "auditor")
    client.get(ENROL)
    device = TOTPDevice.objects.get(user=world.u.auditor, confirmed=False)
    before = session_id(client)
    response = client.post(ENROL, {"code": totp_code(device)})
    assert response.status_code == 302
    assert session_id(client) != before
    assert not SessionStore().exists(before)
    # The backup codes, kept in the session for the next page, survive the new id.
    assert client.get(response["Location"]).status_code == 200


def test_a_wrong_code_keeps_the_session_id(client, world, confirmed_device):
    """Rotation belongs to success: a refused code changes nothing (and the user is still not in)."""
    sign_in(client, "supervisor")
    before = session_id(client)
    wrong = "123456" if totp_code(confirmed_device) != "123456" else "654321"
    assert client.post(VERIFY, {"code": wrong}).status_code == 200
    assert session_id(client) == before
    assert client.get("/")["Location"].startswith(VERIFY)
