"""Demo users with a second-factor role can sign in with the printed key or backup codes."""

from __future__ import annotations

import base64

import pytest
from django.core.management import call_command
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from casework.demo import DEMO_PASSWORD, USERS, ensure_demo_users, ensure_reference_data
from demo.second_factor import DEMO_BACKUP_CODES, demo_secret, ensure_demo_second_factors

from .conftest import totp_code

pytestmark = pytest.mark.real_second_factor


@pytest.fixture
def demo_users(db):
    ensure_demo_users(ensure_reference_data())
    return ensure_demo_second_factors()


def test_each_second_factor_demo_user_gets_a_fixed_demo_key(demo_users):
    assert {f.username for f in demo_users} == {
        "supervisor",
        "police_supervisor",
        "welfare_supervisor",
        "steward",
        "modeller",
        "auditor",
        "admin",
        "secretariat",
    }
    for factor in demo_users:
        assert factor.secret.startswith("DEMO")
        device = TOTPDevice.objects.get(user__username=factor.username, confirmed=True)
        assert device.key == base64.b32decode(factor.secret).hex()
        assert f"secret={factor.secret}" in factor.otpauth_url
    assert demo_secret("supervisor") == "DEMOSUPERVISORAAAAAAAAAAAAAAAAAA"
    assert len(USERS) == 12


def test_seeding_again_keeps_the_key_and_restores_the_backup_codes(client, demo_users):
    client.post(reverse("login"), {"username": "auditor", "password": DEMO_PASSWORD})
    assert client.post(reverse("accounts:verify"), {"code": DEMO_BACKUP_CODES[0]}).status_code == 302
    again = ensure_demo_second_factors()
    assert again == demo_users
    assert TOTPDevice.objects.filter(user__username="auditor").count() == 1
    other = client.__class__()
    other.post(reverse("login"), {"username": "auditor", "password": DEMO_PASSWORD})
    assert other.post(reverse("accounts:verify"), {"code": DEMO_BACKUP_CODES[0]}).status_code == 302


def test_demo_supervisor_signs_in_with_the_authenticator_code(client, demo_users):
    client.post(reverse("login"), {"username": "supervisor", "password": DEMO_PASSWORD})
    device = TOTPDevice.objects.get(user__username="supervisor")
    assert client.post(reverse("accounts:verify"), {"code": totp_code(device)}).status_code == 302
    assert client.get("/").status_code == 200


def test_demo_code_command_prints_the_current_code(demo_users, capsys, settings):
    settings.DEBUG = True
    call_command("demo_code", "steward")
    device = TOTPDevice.objects.get(user__username="steward")
    assert capsys.readouterr().out.strip() == totp_code(device)
