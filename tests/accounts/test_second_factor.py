"""A second factor is required for supervisors, stewards, auditors and administrators; other roles are not
asked for one. Every step is audited."""

from __future__ import annotations

import base64
import re

import pytest
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AccountChangeRequest
from accounts.services import BACKUP_CODE_COUNT
from casework.models import AuditAction, AuditEntry, Role
from tests.fixtures import make_user

from .conftest import sign_in, totp_code

pytestmark = pytest.mark.real_second_factor

ENROL = reverse("accounts:enrol")
VERIFY = reverse("accounts:verify")
BACKUP = reverse("accounts:backup_codes")


def actions(username: str) -> list[str]:
    return list(AuditEntry.objects.filter(username=username).order_by("id").values_list("action", flat=True))


@pytest.mark.parametrize(
    "username", ["supervisor", "police_supervisor", "steward", "modeller", "auditor", "admin"]
)
def test_second_factor_roles_without_device_are_sent_to_enrolment(client, world, username):
    response = sign_in(client, username)
    assert response.status_code == 302
    home = client.get("/")
    assert home.status_code == 302
    assert home["Location"] == f"{ENROL}?next=%2F"


@pytest.mark.parametrize("username", ["officer", "guidance", "social", "counsellor"])
def test_other_roles_are_never_asked_for_a_second_factor(client, world, username):
    sign_in(client, username)
    assert client.get("/").status_code == 200
    assert client.get("/api/me/").status_code == 200
    # Nor can they be pushed into enrolment.
    assert client.get(ENROL).status_code == 302
    assert not TOTPDevice.objects.filter(user__username=username).exists()


def test_enrolment_shows_qr_code_and_secret_then_backup_codes_once(client, world):
    sign_in(client, "supervisor")
    page = client.get(f"{ENROL}?next=/cases/")
    assert page.status_code == 200
    html = page.content.decode()
    svg = re.search(r"<svg[^>]*>.*?</svg>", html, re.S).group(0)
    assert 'class="qr-code"' in svg
    assert "style=" not in svg
    device = TOTPDevice.objects.get(user=world.u.supervisor, confirmed=False)
    shown_secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', html).group(1)
    secret = shown_secret.replace(" ", "")
    assert base64.b32decode(secret + "=" * (-len(secret) % 8)).hex() == device.key
    # Reloading keeps the same secret (the phone may already have scanned it).
    assert shown_secret in client.get(ENROL).content.decode()

    response = client.post(ENROL, {"code": totp_code(device), "next": "/cases/"})
    assert response.status_code == 302
    assert response["Location"].startswith(BACKUP)
    device.refresh_from_db()
    assert device.confirmed

    codes_page = client.get(response["Location"])
    assert codes_page.status_code == 200
    tokens = set(StaticToken.objects.filter(device__user=world.u.supervisor).values_list("token", flat=True))
    assert len(tokens) == BACKUP_CODE_COUNT
    assert all(token in codes_page.content.decode() for token in tokens)
    # Shown once: the page does not come back.
    again = client.get(BACKUP)
    assert again.status_code == 302
    assert not any(token in client.get("/").content.decode() for token in tokens)
    # Enrolment verified this session: the user is in.
    assert client.get("/").status_code == 200
    assert AuditAction.OTP_ENROLLED in actions("supervisor")


def test_enrolment_refuses_a_wrong_code_and_audits_it(client, world):
    sign_in(client, "auditor")
    client.get(ENROL)
    device = TOTPDevice.objects.get(user=world.u.auditor)
    response = client.post(ENROL, {"code": "000000" if totp_code(device) != "000000" else "111111"})
    assert response.status_code == 200
    assert "error" in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    assert client.get("/").status_code == 302
    assert AuditEntry.objects.filter(username="auditor", action=AuditAction.OTP_FAILED).exists()


def test_password_alone_cannot_enrol_a_new_device_once_one_is_confirmed(client, world, confirmed_device):
    sign_in(client, "supervisor")
    response = client.get(ENROL)
    assert response.status_code == 302
    assert response["Location"].startswith(VERIFY)
    assert TOTPDevice.objects.filter(user=world.u.supervisor).count() == 1


def test_before_verification_pages_redirect_and_the_api_refuses(client, world, confirmed_device):
    sign_in(client, "supervisor")
    for path in ["/", "/cases/", "/admin/", reverse("accounts:password_change")]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith(VERIFY), path
    api = client.get("/api/youth/")
    assert api.status_code == 403
    assert api.json()["detail"]
    assert client.get("/api/docs/").status_code == 403
    # Still reachable: the second-factor pages, language switching and signing out.
    assert client.get(VERIFY).status_code == 200
    assert client.post(reverse("set_language"), {"language": "en", "next": VERIFY}).status_code == 302
    assert client.post(reverse("logout")).status_code == 302
    assert client.get("/").status_code == 302
    assert client.get("/")["Location"].startswith(reverse("login"))


def test_verification_with_the_authenticator_code_lets_the_user_in(client, world, confirmed_device):
    sign_in(client, "supervisor")
    response = client.post(VERIFY, {"code": totp_code(confirmed_device), "next": "/cases/"})
    assert response.status_code == 302
    assert response["Location"] == "/cases/"
    assert actions("supervisor")[-1] == AuditAction.OTP_VERIFIED
    assert client.get("/").status_code == 200
    assert client.get("/api/youth/").status_code == 200
    entry = AuditEntry.objects.filter(username="supervisor", action=AuditAction.OTP_VERIFIED).get()
    assert entry.detail == {"method": "authenticator"}


def test_verification_refuses_a_wrong_code_and_audits_it(client, world, confirmed_device):
    sign_in(client, "supervisor")
    wrong = "123456" if totp_code(confirmed_device) != "123456" else "654321"
    response = client.post(VERIFY, {"code": wrong})
    assert response.status_code == 200
    assert client.get("/").status_code == 302
    assert AuditEntry.objects.filter(username="supervisor", action=AuditAction.OTP_FAILED).count() == 1


def test_an_external_next_is_ignored(client, world, confirmed_device):
    sign_in(client, "supervisor")
    response = client.post(VERIFY, {"code": totp_code(confirmed_device), "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_repeated_wrong_codes_are_throttled(client, world, confirmed_device):
    sign_in(client, "supervisor")
    client.post(VERIFY, {"code": "000001"})
    client.post(VERIFY, {"code": "000002"})
    # The right code right after two wrong ones is refused until the back-off has passed.
    response = client.post(VERIFY, {"code": totp_code(confirmed_device)})
    assert response.status_code == 200
    assert "Wait" in response.content.decode() or "秒" in response.content.decode()
    assert client.get("/").status_code == 302
    confirmed_device.refresh_from_db()
    assert confirmed_device.throttling_failure_count >= 1


def test_a_backup_code_works_once(client, world, confirmed_device):
    device = StaticDevice.objects.create(user=world.u.supervisor, name="Backup codes", confirmed=True)
    device.token_set.create(token="abcd2345")
    sign_in(client, "supervisor")
    response = client.post(VERIFY, {"code": "ABCD 2345"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    entry = AuditEntry.objects.filter(username="supervisor", action=AuditAction.OTP_VERIFIED).get()
    assert entry.detail == {"method": "backup_code"}

    client.post(reverse("logout"))
    sign_in(client, "supervisor")
    again = client.post(VERIFY, {"code": "abcd2345"})
    assert again.status_code == 200
    assert client.get("/").status_code == 302


def test_an_administrator_resets_a_second_factor_in_the_admin(client, world, confirmed_device):
    StaticDevice.objects.create(user=world.u.supervisor, name="Backup codes", confirmed=True)
    admin_device = TOTPDevice.objects.create(user=world.u.admin, name="phone", confirmed=True)
    sign_in(client, "admin")
    client.post(VERIFY, {"code": totp_code(admin_device)})
    changelist = reverse("admin:accounts_accountsecurity_changelist")
    assert client.get(changelist).status_code == 200
    response = client.post(
        changelist,
        {
            "action": "reset_second_factor",
            "_selected_action": [world.u.supervisor.pk],
            "reason": "lost phone",
        },
    )
    assert response.status_code == 302
    # The supervisor's account is privileged: the reset waits for a second administrator
    # (tests/accounts/test_account_administration.py has the whole rule).
    assert TOTPDevice.objects.filter(user=world.u.supervisor).exists()
    admin2 = make_user("admin2", world.b.committee, Role.ADMINISTRATOR, is_staff=True)
    admin2_device = TOTPDevice.objects.create(user=admin2, name="phone", confirmed=True)
    second = client.__class__()
    sign_in(second, "admin2")
    second.post(VERIFY, {"code": totp_code(admin2_device)})
    change = AccountChangeRequest.objects.get(target=world.u.supervisor)
    response = second.post(
        reverse("admin:accounts_accountchangerequest_changelist"),
        {"action": "approve", "_selected_action": [change.pk]},
    )
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=world.u.supervisor).exists()
    assert not StaticDevice.objects.filter(user=world.u.supervisor).exists()
    entry = AuditEntry.objects.get(action=AuditAction.OTP_RESET)
    assert (entry.username, entry.object_id) == ("admin2", str(world.u.supervisor.pk))
    assert entry.detail["proposed_by"] == "admin"
    # The supervisor enrols again at the next sign-in.
    other = client.__class__()
    sign_in(other, "supervisor")
    assert other.get("/")["Location"].startswith(ENROL)


def test_only_administrators_reach_the_reset(client, world):
    device = TOTPDevice.objects.create(user=world.u.auditor, name="phone", confirmed=True)
    sign_in(client, "auditor")
    client.post(VERIFY, {"code": totp_code(device)})
    changelist = reverse("admin:accounts_accountsecurity_changelist")
    response = client.post(
        changelist, {"action": "reset_second_factor", "_selected_action": [world.u.supervisor.pk]}
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    assert not AuditEntry.objects.filter(action=AuditAction.OTP_RESET).exists()


def test_force_login_marks_second_factor_roles_verified_outside_this_module(world):
    """The suite-wide helper (tests/conftest.py) is off here: force_login alone does not pass."""
    from django.test import Client

    client = Client()
    client.force_login(world.u.supervisor)
    assert client.get("/").status_code == 302
