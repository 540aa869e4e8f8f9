"""The first administrator of a fresh installation: ``create_admin`` on a database that has only been migrated
(no demo, no fixture). It makes exactly one administrator, refuses a second, refuses a weak password, and the
new administrator must enrol a second factor before any page opens."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from casework.models import AuditAction, AuditEntry, Membership, Role, User

from .conftest import sign_in

pytestmark = [pytest.mark.django_db, pytest.mark.real_second_factor]

PASSWORD = "Kettle-orbit-9-lantern"


def create(monkeypatch, username="cityadmin", password=PASSWORD, **options):
    monkeypatch.setenv("FIRST_ADMIN_PASSWORD", password)
    call_command(
        "create_admin",
        username,
        email=f"{username}@example.test",
        password_env="FIRST_ADMIN_PASSWORD",
        **options,
    )


def test_the_first_administrator_is_created_audited_and_must_enrol_a_second_factor(client, monkeypatch):
    assert not Membership.objects.filter(role=Role.ADMINISTRATOR).exists()  # migrated only
    create(monkeypatch)
    user = User.objects.get(username="cityadmin")
    assert user.is_staff and user.check_password(PASSWORD)
    membership = Membership.objects.get(user=user)
    assert (
        membership.role == Role.ADMINISTRATOR and membership.bureau.kind == "committee" and membership.active
    )
    entry = AuditEntry.objects.get(action=AuditAction.CREATE, object_type="membership")
    assert entry.detail["first_administrator"] is True and PASSWORD not in json.dumps(entry.detail)

    response = sign_in(client, "cityadmin", PASSWORD)
    assert response.status_code == 302
    home = client.get("/")
    assert home.status_code == 302 and home["Location"].startswith(reverse("accounts:enrol"))
    assert client.get("/admin/").status_code == 302


def test_a_second_administrator_is_refused_while_one_is_active(monkeypatch):
    create(monkeypatch)
    with pytest.raises(CommandError, match="already exists"):
        create(monkeypatch, username="another")
    assert not User.objects.filter(username="another").exists()


def test_once_the_administrator_is_deactivated_a_new_first_one_may_be_created(monkeypatch):
    create(monkeypatch)
    Membership.objects.filter(role=Role.ADMINISTRATOR).update(active=False)
    create(monkeypatch, username="replacement")
    assert Membership.objects.filter(
        user__username="replacement", role=Role.ADMINISTRATOR, active=True
    ).exists()


def test_a_weak_password_is_refused_and_nothing_is_created(monkeypatch):
    with pytest.raises(CommandError):
        create(monkeypatch, password="password")
    assert not User.objects.filter(username="cityadmin").exists()
    assert not Membership.objects.exists() or not Membership.objects.filter(role=Role.ADMINISTRATOR).exists()


def test_without_a_terminal_or_a_variable_the_password_is_not_guessed(monkeypatch):
    monkeypatch.setattr("sys.stdin.isatty", lambda: False, raising=False)
    with pytest.raises(CommandError, match="password-env"):
        call_command("create_admin", "cityadmin", email="cityadmin@example.test")
    assert not User.objects.filter(username="cityadmin").exists()


def test_json_prints_one_summary_without_the_password(monkeypatch, capsys):
    create(monkeypatch, json=True)
    out = capsys.readouterr().out.strip()
    summary = json.loads(out)
    assert summary["username"] == "cityadmin" and summary["role"] == Role.ADMINISTRATOR
    assert PASSWORD not in out
