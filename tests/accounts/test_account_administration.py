"""Administrators administer accounts, but cannot give themselves casework access or take an account over:

1. No one changes their own roles (memberships) or account status: not in the membership admin, not on their
   own user page, not through the service.
2. A privileged account's password or second factor changes only when a second administrator approves: one
   proposes, a different administrator (not the account holder either) approves, and only then is it applied.
3. An account whose password an administrator chose alone is not made privileged until its holder has chosen
   their own password (so rule 2 cannot be walked round by demoting, resetting and promoting again).
4. The auditors are told of every such change; the account holder of a password or second factor set for them.

A command run on the server by an operator is applied at once, with a reason, audited and told.
"""

from __future__ import annotations

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.hashers import check_password
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import administration
from accounts.models import (
    AccountChangeKind,
    AccountChangeRequest,
    AccountChangeStatus,
    PasswordChosenByAdministrator,
    SecurityNotice,
    SecurityNoticeKind,
)
from casework.access import policy
from casework.models import AuditAction, AuditEntry, Membership, Role, User
from tests.fixtures import PASSWORD, actor, make_user

from .conftest import sign_in

NEW_PASSWORD = "Fresh-horse-battery-77"
MEMBERSHIP_ADD = reverse("admin:casework_membership_add")
REQUESTS = reverse("admin:accounts_accountchangerequest_changelist")
ACCOUNT_SECURITY = reverse("admin:accounts_accountsecurity_changelist")


@pytest.fixture
def admin2(world):
    """A second administrator, to approve what the first proposes."""
    return make_user("admin2", world.b.committee, Role.ADMINISTRATOR, is_staff=True)


def grant(membership: Membership, *, by: User, approver: User) -> Membership:
    """Give a role the only way there is: one administrator proposes, another approves (rule 5)."""
    outcome = administration.save_membership(
        actor=actor(by), membership=membership, reason="asked by the bureau"
    )
    assert not outcome.applied
    administration.approve_change(actor=actor(approver), change=outcome.request)
    return Membership.objects.get(
        user=membership.user, bureau=membership.bureau, role=membership.role, school=membership.school
    )


def as_user(user: User) -> Client:
    client = Client()
    client.force_login(user)  # the second factor is passed by tests/conftest.py
    return client


def notices(kind: str, *, to: User | None = None, about: User | None = None):
    found = SecurityNotice.objects.filter(kind=kind)
    if to is not None:
        found = found.filter(recipient=to)
    if about is not None:
        found = found.filter(subject=about)
    return found


def password_page(user: User) -> str:
    return reverse("admin:auth_user_password_change", args=[user.pk])


def user_page(user: User) -> str:
    return reverse("admin:casework_user_change", args=[user.pk])


def user_form(user: User, memberships: list[Membership], extra: list[dict] | None = None, **flags) -> dict:
    """The POST of a user's admin page: the account fields and every membership row (plus ``extra`` new ones)."""
    joined = timezone.localtime(user.date_joined)
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "date_joined_0": joined.strftime("%Y-%m-%d"),
        "date_joined_1": joined.strftime("%H:%M:%S"),
        "last_login_0": "",
        "last_login_1": "",
    }
    for flag in ("is_active", "is_staff", "is_superuser"):
        if flags.get(flag, getattr(user, flag)):
            data[flag] = "on"
    rows = [
        {
            "id": m.pk,
            "user": user.pk,
            "bureau": m.bureau_id,
            "role": m.role,
            "school": m.school_id or "",
            "active": m.active,
        }
        for m in memberships
    ] + (extra or [])
    data.update(
        {
            "memberships-TOTAL_FORMS": len(rows),
            "memberships-INITIAL_FORMS": len(memberships),
            "memberships-MIN_NUM_FORMS": 0,
            "memberships-MAX_NUM_FORMS": 1000,
        }
    )
    for i, row in enumerate(rows):
        for key, value in row.items():
            if key == "active":
                if value:
                    data[f"memberships-{i}-active"] = "on"
            elif key == "DELETE":
                if value:
                    data[f"memberships-{i}-DELETE"] = "on"
            else:
                data[f"memberships-{i}-{key}"] = "" if value is None else value
    return data


# ---------------------------------------------------------------------------------------------------------
# 1. No one changes their own roles or account status
# ---------------------------------------------------------------------------------------------------------


class TestOwnRoles:
    def test_an_administrator_cannot_give_themselves_a_supervisor_membership(self, world):
        client = as_user(world.u.admin)
        response = client.post(
            MEMBERSHIP_ADD,
            {
                "user": world.u.admin.pk,
                "bureau": world.b.committee.pk,
                "role": Role.SUPERVISOR,
                "active": "on",
            },
        )
        assert response.status_code == 200  # the form again, with the refusal
        assert "another administrator" in response.content.decode() or "另一位" in response.content.decode()
        assert not Membership.objects.filter(user=world.u.admin, role=Role.SUPERVISOR).exists()
        # So the youth and the case exports stay out of reach.
        assert not policy.visible_youth(User.objects.get(pk=world.u.admin.pk)).exists()
        assert client.get(reverse("youth-list")).status_code == 403

    def test_another_administrator_may_give_someone_else_a_role(self, world, admin2):
        client = as_user(world.u.admin)
        response = client.post(
            MEMBERSHIP_ADD,
            {
                "user": world.u.officer.pk,
                "bureau": world.b.police.pk,
                "role": Role.SUPERVISOR,
                "active": "on",
                "reason": "acting head of unit from Monday",
            },
        )
        assert response.status_code == 302
        assert response.url == REQUESTS  # proposed, not given
        assert not Membership.objects.filter(user=world.u.officer, role=Role.SUPERVISOR).exists()
        change = AccountChangeRequest.objects.get(kind=AccountChangeKind.MEMBERSHIP)
        as_user(admin2).post(REQUESTS, {"action": "approve", "_selected_action": [change.pk]})
        assert Membership.objects.filter(user=world.u.officer, role=Role.SUPERVISOR, active=True).exists()

    def test_own_membership_is_read_only_in_the_membership_admin(self, world):
        client = as_user(world.u.admin)
        own = Membership.objects.get(user=world.u.admin)
        change = reverse("admin:casework_membership_change", args=[own.pk])
        assert client.get(change).status_code == 200  # shown
        response = client.post(
            change,
            {
                "user": world.u.admin.pk,
                "bureau": world.b.committee.pk,
                "role": Role.SUPERVISOR,
                "active": "on",
            },
        )
        assert response.status_code == 403
        assert (
            client.post(
                reverse("admin:casework_membership_delete", args=[own.pk]), {"post": "yes"}
            ).status_code
            == 403
        )
        own.refresh_from_db()
        assert own.role == Role.ADMINISTRATOR

    def test_moving_someone_elses_membership_onto_oneself_is_refused(self, world):
        client = as_user(world.u.admin)
        theirs = Membership.objects.get(user=world.u.supervisor)
        response = client.post(
            reverse("admin:casework_membership_change", args=[theirs.pk]),
            {
                "user": world.u.admin.pk,
                "bureau": world.b.committee.pk,
                "role": Role.SUPERVISOR,
                "active": "on",
            },
        )
        assert response.status_code == 200
        theirs.refresh_from_db()
        assert theirs.user_id == world.u.supervisor.pk

    def test_a_bulk_delete_that_includes_ones_own_membership_deletes_nothing(self, world):
        client = as_user(world.u.admin)
        own = Membership.objects.get(user=world.u.admin)
        other = Membership.objects.get(user=world.u.officer)
        response = client.post(
            reverse("admin:casework_membership_changelist"),
            {"action": "delete_selected", "_selected_action": [own.pk, other.pk], "post": "yes"},
        )
        assert response.status_code == 403
        assert Membership.objects.filter(pk__in=[own.pk, other.pk]).count() == 2

    def test_own_user_page_is_read_only_memberships_included(self, world):
        client = as_user(world.u.admin)
        admin = world.u.admin
        assert client.get(user_page(admin)).status_code == 200
        extra = [{"user": admin.pk, "bureau": world.b.committee.pk, "role": Role.SUPERVISOR, "active": True}]
        memberships = list(admin.memberships.all())
        response = client.post(user_page(admin), user_form(admin, memberships, extra, is_superuser=True))
        assert response.status_code == 403
        admin.refresh_from_db()
        assert not admin.is_superuser
        assert list(admin.memberships.values_list("role", flat=True)) == [Role.ADMINISTRATOR]

    def test_on_someone_elses_user_page_an_administrator_proposes_a_role(self, world, admin2):
        client = as_user(world.u.admin)
        officer = world.u.officer
        extra = [
            {
                "user": officer.pk,
                "bureau": world.b.police.pk,
                "role": Role.SUPERVISOR,
                "active": True,
                "reason": "acting head",
            }
        ]
        response = client.post(user_page(officer), user_form(officer, list(officer.memberships.all()), extra))
        assert response.status_code == 302, response.content[:2000]
        assert set(officer.memberships.values_list("role", flat=True)) == {Role.JUVENILE_OFFICER}
        change = AccountChangeRequest.objects.get(kind=AccountChangeKind.MEMBERSHIP, target=officer)
        assert (change.role, change.bureau, change.reason) == (Role.SUPERVISOR, world.b.police, "acting head")
        administration.approve_change(actor=actor(admin2), change=change)
        assert set(officer.memberships.values_list("role", flat=True)) == {
            Role.JUVENILE_OFFICER,
            Role.SUPERVISOR,
        }
        line = AuditEntry.objects.get(action=AuditAction.CREATE, object_type="membership")
        assert (line.username, line.detail["proposed_by"], line.detail["approved_by"]) == (
            "admin2",
            "admin",
            "admin2",
        )
        assert line.detail["membership"]["role"] == Role.SUPERVISOR

    def test_the_services_refuse_ones_own_memberships_whatever_calls_them(self, world, admin2):
        admin = world.u.admin
        with pytest.raises(PermissionDenied):
            administration.save_membership(
                actor=actor(admin),
                membership=Membership(user=admin, bureau=world.b.committee, role=Role.SUPERVISOR),
            )
        own = Membership.objects.get(user=admin)
        own.role = Role.SUPERVISOR
        with pytest.raises(PermissionDenied):
            administration.save_membership(actor=actor(admin), membership=own)
        with pytest.raises(PermissionDenied):
            administration.delete_membership(
                actor=actor(admin), membership=Membership.objects.get(user=admin)
            )
        assert list(admin.memberships.values_list("role", flat=True)) == [Role.ADMINISTRATOR]
        # The allowed side: someone else's, with a second administrator.
        grant(
            Membership(user=world.u.social, bureau=world.b.welfare, role=Role.SUPERVISOR),
            by=admin,
            approver=admin2,
        )
        assert world.u.social.memberships.filter(role=Role.SUPERVISOR).exists()

    def test_only_administrators_change_roles(self, world):
        with pytest.raises(PermissionDenied):
            administration.save_membership(
                actor=actor(world.u.supervisor),
                membership=Membership(user=world.u.officer, bureau=world.b.police, role=Role.SUPERVISOR),
            )

    def test_the_service_refuses_ones_own_account_status(self, world):
        admin = User.objects.get(pk=world.u.admin.pk)
        admin.is_superuser = True
        with pytest.raises(PermissionDenied):
            administration.save_account(actor=actor(world.u.admin), user=admin)
        assert not User.objects.get(pk=admin.pk).is_superuser
        officer = User.objects.get(pk=world.u.officer.pk)
        officer.is_active = False
        administration.save_account(actor=actor(world.u.admin), user=officer)
        assert not User.objects.get(pk=officer.pk).is_active


# ---------------------------------------------------------------------------------------------------------
# 2. The two-person rule for a privileged account's password and second factor
# ---------------------------------------------------------------------------------------------------------


class TestPasswords:
    def test_the_password_of_an_account_that_reads_no_youth_record_is_set_at_once(self, world):
        client = as_user(world.u.admin)
        newcomer = User.objects.create_user("newcomer", password=PASSWORD)  # no role yet
        response = client.post(
            password_page(newcomer), {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
        )
        assert response.status_code == 302
        newcomer.refresh_from_db()
        assert newcomer.check_password(NEW_PASSWORD)
        assert PasswordChosenByAdministrator.objects.filter(user=newcomer).exists()
        line = AuditEntry.objects.get(action=AuditAction.PASSWORD_CHANGE)
        assert (line.username, line.object_id, line.detail["set_by_administrator"]) == (
            "admin",
            str(newcomer.pk),
            True,
        )
        assert notices(SecurityNoticeKind.PASSWORD_SET, to=world.u.auditor, about=newcomer).exists()
        assert notices(SecurityNoticeKind.PASSWORD_SET, to=newcomer, about=newcomer).exists()

    # Case workers have no second factor: a password one administrator set alone would let them sign in as the
    # worker and read the worker's youth (insider review 8, F3).
    @pytest.mark.parametrize(
        "username",
        [
            "supervisor",
            "steward",
            "modeller",
            "auditor",
            "admin2",
            "officer",
            "guidance",
            "social",
            "counsellor",
        ],
    )
    def test_a_privileged_accounts_password_waits_for_a_second_administrator(self, world, admin2, username):
        target = User.objects.get(username=username)
        client = as_user(world.u.admin)
        response = client.post(
            password_page(target),
            {
                "password1": NEW_PASSWORD,
                "password2": NEW_PASSWORD,
                "reason": "called back on the bureau phone",
            },
        )
        assert response.status_code == 302
        target.refresh_from_db()
        assert target.check_password(PASSWORD)  # nothing changed yet
        change = AccountChangeRequest.objects.get(target=target)
        assert (change.kind, change.status, change.proposed_by) == (
            AccountChangeKind.PASSWORD,
            AccountChangeStatus.PENDING,
            world.u.admin,
        )
        assert NEW_PASSWORD not in change.password_hash and check_password(NEW_PASSWORD, change.password_hash)
        assert notices(SecurityNoticeKind.CHANGE_PROPOSED, to=world.u.auditor, about=target).exists()
        assert notices(SecurityNoticeKind.CHANGE_PROPOSED, to=admin2, about=target).exists()
        assert not notices(SecurityNoticeKind.CHANGE_PROPOSED, to=world.u.admin).exists()

    def test_staff_status_alone_makes_an_account_privileged(self, world):
        officer = world.u.officer
        officer.is_staff = True
        officer.save()
        outcome = administration.change_password(
            actor=actor(world.u.admin), user=officer, password=NEW_PASSWORD
        )
        assert not outcome.applied and outcome.request is not None

    def test_a_privileged_account_needs_a_reason(self, world):
        client = as_user(world.u.admin)
        response = client.post(
            password_page(world.u.supervisor), {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
        )
        assert response.status_code == 200
        assert not AccountChangeRequest.objects.exists()

    def test_the_proposer_cannot_approve_their_own_proposal(self, world, admin2):
        supervisor = world.u.supervisor
        outcome = administration.change_password(
            actor=actor(world.u.admin), user=supervisor, password=NEW_PASSWORD, reason="lost it"
        )
        client = as_user(world.u.admin)
        response = client.post(REQUESTS, {"action": "approve", "_selected_action": [outcome.request.pk]})
        assert response.status_code == 302
        outcome.request.refresh_from_db()
        assert outcome.request.status == AccountChangeStatus.PENDING
        supervisor.refresh_from_db()
        assert supervisor.check_password(PASSWORD)
        with pytest.raises(PermissionDenied):
            administration.approve_change(actor=actor(world.u.admin), change=outcome.request)

    def test_a_second_administrator_approves_and_only_then_it_applies(self, world, admin2):
        supervisor = world.u.supervisor
        outcome = administration.change_password(
            actor=actor(world.u.admin), user=supervisor, password=NEW_PASSWORD, reason="lost it"
        )
        response = as_user(admin2).post(
            REQUESTS, {"action": "approve", "_selected_action": [outcome.request.pk]}
        )
        assert response.status_code == 302
        change = AccountChangeRequest.objects.get(pk=outcome.request.pk)
        assert (change.status, change.decided_by, change.password_hash) == (
            AccountChangeStatus.APPROVED,
            admin2,
            "",
        )
        supervisor.refresh_from_db()
        assert supervisor.check_password(NEW_PASSWORD)
        # Two administrators chose it together: the account needs no further step.
        assert not PasswordChosenByAdministrator.objects.filter(user=supervisor).exists()
        line = AuditEntry.objects.get(action=AuditAction.PASSWORD_CHANGE)
        assert (line.username, line.detail["proposed_by"], line.detail["approved_by"]) == (
            "admin2",
            "admin",
            "admin2",
        )
        told = notices(SecurityNoticeKind.PASSWORD_SET, to=world.u.auditor, about=supervisor).get()
        assert told.actor_username == "admin" and told.detail["approved_by"] == "admin2"
        assert notices(SecurityNoticeKind.PASSWORD_SET, to=supervisor).exists()
        assert sign_in(Client(), "supervisor", NEW_PASSWORD).status_code == 302

    def test_the_account_holder_cannot_approve_a_change_to_their_own_account(self, world, admin2):
        admin3 = make_user("admin3", world.b.committee, Role.ADMINISTRATOR, is_staff=True)
        outcome = administration.change_password(
            actor=actor(world.u.admin), user=admin2, password=NEW_PASSWORD, reason="locked out of the phone"
        )
        with pytest.raises(PermissionDenied):
            administration.approve_change(actor=actor(admin2), change=outcome.request)
        admin2.refresh_from_db()
        assert admin2.check_password(PASSWORD)
        administration.approve_change(actor=actor(admin3), change=outcome.request)
        admin2.refresh_from_db()
        assert admin2.check_password(NEW_PASSWORD)

    def test_the_database_refuses_an_approval_by_the_proposer(self, world):
        outcome = administration.change_password(
            actor=actor(world.u.admin), user=world.u.supervisor, password=NEW_PASSWORD, reason="x"
        )
        with pytest.raises(IntegrityError), transaction.atomic():
            AccountChangeRequest.objects.filter(pk=outcome.request.pk).update(
                status=AccountChangeStatus.APPROVED, decided_by=world.u.admin
            )

    def test_only_administrators_approve(self, world):
        outcome = administration.change_password(
            actor=actor(world.u.admin), user=world.u.steward, password=NEW_PASSWORD, reason="x"
        )
        with pytest.raises(PermissionDenied):
            administration.approve_change(actor=actor(world.u.auditor), change=outcome.request)

    def test_a_rejected_request_applies_nothing(self, world, admin2):
        outcome = administration.change_password(
            actor=actor(world.u.admin), user=world.u.supervisor, password=NEW_PASSWORD, reason="x"
        )
        as_user(admin2).post(REQUESTS, {"action": "reject", "_selected_action": [outcome.request.pk]})
        change = AccountChangeRequest.objects.get(pk=outcome.request.pk)
        assert (change.status, change.password_hash) == (AccountChangeStatus.REJECTED, "")
        with pytest.raises(PermissionDenied):
            administration.approve_change(actor=actor(admin2), change=change)
        assert User.objects.get(pk=world.u.supervisor.pk).check_password(PASSWORD)
        assert notices(SecurityNoticeKind.CHANGE_REJECTED, to=world.u.admin).exists()
        assert notices(SecurityNoticeKind.CHANGE_REJECTED, to=world.u.auditor).exists()

    def test_a_request_lapses_after_a_day(self, world, admin2):
        outcome = administration.change_password(
            actor=actor(world.u.admin), user=world.u.supervisor, password=NEW_PASSWORD, reason="x"
        )
        AccountChangeRequest.objects.filter(pk=outcome.request.pk).update(
            proposed_at=timezone.now() - dt.timedelta(hours=25)
        )
        with pytest.raises(PermissionDenied):
            administration.approve_change(actor=actor(admin2), change=outcome.request)
        change = AccountChangeRequest.objects.get(pk=outcome.request.pk)
        assert (change.status, change.password_hash) == (AccountChangeStatus.LAPSED, "")
        assert User.objects.get(pk=world.u.supervisor.pk).check_password(PASSWORD)

    def test_one_request_at_a_time_per_account_and_change(self, world):
        administration.change_password(
            actor=actor(world.u.admin), user=world.u.supervisor, password=NEW_PASSWORD, reason="x"
        )
        with pytest.raises(PermissionDenied):
            administration.change_password(
                actor=actor(world.u.admin), user=world.u.supervisor, password="Another-horse-88", reason="y"
            )

    def test_an_administrator_sets_their_own_password_only_on_the_password_page(self, world):
        client = as_user(world.u.admin)
        response = client.post(
            password_page(world.u.admin), {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
        )
        assert response.status_code == 302
        assert response["Location"] == reverse("accounts:password_change")
        assert User.objects.get(pk=world.u.admin.pk).check_password(PASSWORD)
        with pytest.raises(PermissionDenied):
            administration.change_password(
                actor=actor(world.u.admin), user=world.u.admin, password=NEW_PASSWORD
            )


class TestSecondFactor:
    def test_a_privileged_accounts_reset_waits_for_a_second_administrator(self, world, admin2):
        supervisor = world.u.supervisor
        TOTPDevice.objects.create(user=supervisor, name="phone", confirmed=True)
        StaticDevice.objects.create(user=supervisor, name="Backup codes", confirmed=True)
        response = as_user(world.u.admin).post(
            ACCOUNT_SECURITY,
            {"action": "reset_second_factor", "_selected_action": [supervisor.pk], "reason": "phone stolen"},
        )
        assert response.status_code == 302
        assert TOTPDevice.objects.filter(user=supervisor).exists()  # not yet
        change = AccountChangeRequest.objects.get(target=supervisor)
        assert (change.kind, change.reason) == (AccountChangeKind.SECOND_FACTOR_RESET, "phone stolen")
        assert notices(SecurityNoticeKind.CHANGE_PROPOSED, to=world.u.auditor, about=supervisor).exists()

        as_user(world.u.admin).post(REQUESTS, {"action": "approve", "_selected_action": [change.pk]})
        assert TOTPDevice.objects.filter(
            user=supervisor
        ).exists()  # the proposer's approval counts for nothing
        as_user(admin2).post(REQUESTS, {"action": "approve", "_selected_action": [change.pk]})
        assert not TOTPDevice.objects.filter(user=supervisor).exists()
        assert not StaticDevice.objects.filter(user=supervisor).exists()
        line = AuditEntry.objects.get(action=AuditAction.OTP_RESET)
        assert (line.username, line.detail["proposed_by"], line.detail["devices"]) == ("admin2", "admin", 2)
        assert notices(SecurityNoticeKind.SECOND_FACTOR_RESET, to=world.u.auditor, about=supervisor).exists()
        assert notices(SecurityNoticeKind.SECOND_FACTOR_RESET, to=supervisor, about=supervisor).exists()

    def test_an_administrators_own_reset_is_approved_by_another(self, world, admin2):
        TOTPDevice.objects.create(user=world.u.admin, name="phone", confirmed=True)
        outcome = administration.reset_second_factor(
            actor=actor(world.u.admin), user=world.u.admin, reason="new phone"
        )
        assert not outcome.applied
        with pytest.raises(PermissionDenied):
            administration.approve_change(actor=actor(world.u.admin), change=outcome.request)
        administration.approve_change(actor=actor(admin2), change=outcome.request)
        assert not TOTPDevice.objects.filter(user=world.u.admin).exists()

    def test_an_ordinary_accounts_devices_are_removed_at_once(self, world):
        TOTPDevice.objects.create(user=world.u.officer, name="phone", confirmed=True)
        outcome = administration.reset_second_factor(actor=actor(world.u.admin), user=world.u.officer)
        assert outcome.applied
        assert not TOTPDevice.objects.filter(user=world.u.officer).exists()
        assert notices(
            SecurityNoticeKind.SECOND_FACTOR_RESET, to=world.u.auditor, about=world.u.officer
        ).exists()

    def test_django_otps_own_device_admin_is_not_offered(self, world):
        """Adding a known authenticator or backup code to someone's account would bypass the reset rule."""
        superuser = world.u.admin
        superuser.is_superuser = True
        superuser.save()
        client = as_user(superuser)
        assert client.get("/admin/otp_totp/totpdevice/add/").status_code == 404
        assert client.get("/admin/otp_static/staticdevice/add/").status_code == 404
        assert client.get("/admin/auth/group/").status_code == 404

    def test_failed_sign_ins_are_read_only_in_the_admin(self, world):
        AccessAttempt.objects.create(
            username="guidance",
            ip_address="10.0.0.1",
            user_agent="x",
            failures_since_start=3,
            attempt_time=timezone.now(),
        )
        client = as_user(world.u.admin)
        assert client.get(reverse("admin:axes_accessattempt_changelist")).status_code == 200
        attempt = AccessAttempt.objects.get()
        assert (
            client.post(
                reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"}
            ).status_code
            == 403
        )
        assert AccessAttempt.objects.exists()
        assert as_user(world.u.auditor).get(reverse("admin:axes_accessattempt_changelist")).status_code == 302


# ---------------------------------------------------------------------------------------------------------
# 3. No privileged role for an account whose password an administrator chose alone
# ---------------------------------------------------------------------------------------------------------


class TestNoWayRound:
    def test_demote_reset_and_promote_is_refused_until_the_holder_chooses_a_password(self, world, admin2):
        admin, supervisor = world.u.admin, world.u.supervisor
        membership = Membership.objects.get(user=supervisor)
        administration.delete_membership(actor=actor(admin), membership=membership)  # allowed: not one's own
        outcome = administration.change_password(actor=actor(admin), user=supervisor, password=NEW_PASSWORD)
        assert outcome.applied  # an ordinary account now
        with translation.override("en"), pytest.raises(PermissionDenied, match="own password"):
            administration.save_membership(
                actor=actor(admin),
                membership=Membership(user=supervisor, bureau=world.b.committee, role=Role.SUPERVISOR),
            )
        # A casework role that carries no privilege may still be given, by two administrators (rule 5).
        grant(
            Membership(user=supervisor, bureau=world.b.committee, role=Role.GUIDANCE_WORKER),
            by=admin,
            approver=admin2,
        )
        # The holder chooses their own password on the Password page; then the role may be given back.
        client = as_user(User.objects.get(pk=supervisor.pk))
        response = client.post(
            reverse("accounts:password_change"),
            {
                "old_password": NEW_PASSWORD,
                "new_password1": "Own-choice-horse-91",
                "new_password2": "Own-choice-horse-91",
            },
        )
        assert response.status_code == 302
        # Choosing their own password gives nothing by itself: the role still needs a second administrator.
        assert not supervisor.memberships.filter(role=Role.SUPERVISOR).exists()
        grant(
            Membership(user=supervisor, bureau=world.b.committee, role=Role.SUPERVISOR),
            by=admin,
            approver=admin2,
        )

    def test_deactivating_a_role_does_not_open_the_way_either(self, world):
        admin, supervisor = world.u.admin, world.u.supervisor
        membership = Membership.objects.get(user=supervisor)
        membership.active = False
        administration.save_membership(actor=actor(admin), membership=membership)
        assert administration.change_password(
            actor=actor(admin), user=supervisor, password=NEW_PASSWORD
        ).applied
        membership.active = True
        with pytest.raises(PermissionDenied):
            administration.save_membership(
                actor=actor(admin), membership=membership, reason="back from leave"
            )

    def test_staff_status_is_not_given_to_an_account_with_an_administrator_chosen_password(self, world):
        administration.change_password(
            actor=actor(world.u.admin), user=world.u.officer, password=NEW_PASSWORD
        )
        officer = User.objects.get(pk=world.u.officer.pk)
        officer.is_staff = True
        with pytest.raises(PermissionDenied):
            administration.save_account(actor=actor(world.u.admin), user=officer)

    def test_no_administrator_makes_an_account_superuser(self, world):
        """Insider review 8, F4: Django's strongest flag is not given from the admin site at all."""
        officer = User.objects.get(pk=world.u.officer.pk)
        officer.is_superuser = True
        with pytest.raises(PermissionDenied):
            administration.save_account(actor=actor(world.u.admin), user=officer)
        assert not User.objects.get(pk=officer.pk).is_superuser

    def test_staff_status_comes_only_with_an_administrator_role(self, world):
        officer = User.objects.get(pk=world.u.officer.pk)
        officer.is_staff = True
        with pytest.raises(PermissionDenied):
            administration.save_account(actor=actor(world.u.admin), user=officer)
        assert not User.objects.get(pk=officer.pk).is_staff
        # The allowed side: an account whose administrator role two administrators gave it.
        second = make_user("admin3", world.b.committee, Role.ADMINISTRATOR)
        second.is_staff = True
        administration.save_account(actor=actor(world.u.admin), user=second)
        assert User.objects.get(pk=second.pk).is_staff

    def test_a_new_account_with_a_typed_password_cannot_get_a_privileged_role_at_once(self, world, admin2):
        client = as_user(world.u.admin)
        data = {
            "username": "newsup",
            "usable_password": "true",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "memberships-TOTAL_FORMS": 1,
            "memberships-INITIAL_FORMS": 0,
            "memberships-MIN_NUM_FORMS": 0,
            "memberships-MAX_NUM_FORMS": 1000,
            "memberships-0-bureau": world.b.committee.pk,
            "memberships-0-role": Role.SUPERVISOR,
            "memberships-0-active": "on",
            "memberships-0-reason": "new committee supervisor",
        }
        response = client.post(reverse("admin:casework_user_add"), data)
        assert response.status_code == 200
        assert not User.objects.filter(username="newsup").exists()
        # Without a password the account is created with its role; its first password then needs two people.
        data.update({"usable_password": "false", "password1": "", "password2": ""})
        response = client.post(reverse("admin:casework_user_add"), data)
        assert response.status_code == 302, response.content[:3000]
        created = User.objects.get(username="newsup")
        assert not created.has_usable_password()
        # The role is proposed, not given (rule 5); once approved, the first password needs two people too.
        assert not created.memberships.exists()
        change = AccountChangeRequest.objects.get(kind=AccountChangeKind.MEMBERSHIP, target=created)
        assert notices(SecurityNoticeKind.CHANGE_PROPOSED, to=world.u.auditor, about=created).exists()
        administration.approve_change(actor=actor(admin2), change=change)
        assert created.memberships.filter(role=Role.SUPERVISOR).exists()
        outcome = administration.change_password(
            actor=actor(world.u.admin), user=created, password=NEW_PASSWORD, reason="new"
        )
        assert not outcome.applied
        assert notices(SecurityNoticeKind.ACCOUNT_CHANGED, to=world.u.auditor, about=created).exists()
        assert notices(SecurityNoticeKind.MEMBERSHIP_CHANGED, to=world.u.auditor, about=created).exists()


# ---------------------------------------------------------------------------------------------------------
# 4. The auditors are told, on their next page once fully signed in
# ---------------------------------------------------------------------------------------------------------


class TestNotices:
    def test_every_role_change_tells_every_auditor(self, world, admin2):
        auditor2 = make_user("auditor2", world.b.committee, Role.AUDITOR)
        membership = Membership.objects.get(user=world.u.officer)
        membership.role = Role.SUPERVISOR
        membership = grant(membership, by=world.u.admin, approver=admin2)
        for auditor in (world.u.auditor, auditor2):
            assert notices(SecurityNoticeKind.CHANGE_PROPOSED, to=auditor, about=world.u.officer).exists()
            told = notices(SecurityNoticeKind.MEMBERSHIP_CHANGED, to=auditor, about=world.u.officer).get()
            assert told.actor_username == "admin" and told.detail["change"] == "changed"
            assert told.detail["approved_by"] == "admin2"
        administration.delete_membership(actor=actor(world.u.admin), membership=membership)
        assert notices(SecurityNoticeKind.MEMBERSHIP_CHANGED, to=world.u.auditor).count() == 2

    def test_account_status_changes_tell_the_auditors(self, world):
        steward = User.objects.get(pk=world.u.steward.pk)
        steward.is_active = False
        administration.save_account(actor=actor(world.u.admin), user=steward)
        told = notices(SecurityNoticeKind.ACCOUNT_CHANGED, to=world.u.auditor, about=steward).get()
        assert told.detail == {"flags": {"is_active": False}}

    def test_the_auditor_sees_the_notice_on_the_next_page_once(self, world, admin2):
        membership = Membership.objects.get(user=world.u.officer)
        membership.role = Role.SUPERVISOR
        grant(membership, by=world.u.admin, approver=admin2)
        client = as_user(world.u.auditor)
        client.cookies["django_language"] = "en"
        page = client.get(reverse("audit-log"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert (
            "admin changed a role of officer from Juvenile police officer · police to Supervisor · police"
            in page
        )
        assert (
            notices(SecurityNoticeKind.MEMBERSHIP_CHANGED, to=world.u.auditor).get().delivered_at is not None
        )
        again = as_user(world.u.auditor).get(reverse("audit-log"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "changed a role of officer" not in again

    @pytest.mark.real_second_factor
    def test_notices_wait_until_the_second_factor_is_given(self, world, admin2):
        membership = Membership.objects.get(user=world.u.officer)
        membership.role = Role.SUPERVISOR
        grant(membership, by=world.u.admin, approver=admin2)
        TOTPDevice.objects.create(user=world.u.auditor, name="phone", confirmed=True)
        client = Client()
        sign_in(client, "auditor")
        page = client.get(reverse("accounts:verify"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "officer" not in page
        assert notices(SecurityNoticeKind.MEMBERSHIP_CHANGED, to=world.u.auditor).get().delivered_at is None

    def test_the_notice_is_in_traditional_chinese_by_default(self, world, admin2):
        membership = Membership.objects.get(user=world.u.officer)
        membership.role = Role.SUPERVISOR
        grant(membership, by=world.u.admin, approver=admin2)
        page = as_user(world.u.auditor).get(reverse("audit-log")).content.decode()
        assert "officer" in page and "督導" in page


# ---------------------------------------------------------------------------------------------------------
# A command run on the server by an operator
# ---------------------------------------------------------------------------------------------------------


class TestOperatorCommand:
    def test_a_reset_from_the_server_needs_a_reason(self, world):
        TOTPDevice.objects.create(user=world.u.supervisor, name="phone", confirmed=True)
        with pytest.raises(CommandError, match="--reason"):
            call_command("unlock_sign_in", "supervisor", "--reset-second-factor")
        assert TOTPDevice.objects.filter(user=world.u.supervisor).exists()

    def test_a_reset_from_the_server_applies_at_once_and_is_told(self, world):
        TOTPDevice.objects.create(user=world.u.supervisor, name="phone", confirmed=True)
        call_command(
            "unlock_sign_in", "supervisor", "--reset-second-factor", "--reason", "ticket 42, called back"
        )
        assert not TOTPDevice.objects.filter(user=world.u.supervisor).exists()
        line = AuditEntry.objects.get(action=AuditAction.OTP_RESET)
        assert (line.username, line.path, line.detail["reason"]) == (
            "",
            "system:manage.py unlock_sign_in",
            "ticket 42, called back",
        )
        told = notices(
            SecurityNoticeKind.SECOND_FACTOR_RESET, to=world.u.auditor, about=world.u.supervisor
        ).get()
        assert told.actor_username == "system:manage.py unlock_sign_in"
        assert notices(SecurityNoticeKind.SECOND_FACTOR_RESET, to=world.u.supervisor).exists()

    def test_an_actor_without_a_person_is_not_an_operator_unless_it_names_the_command(self, world):
        from casework.access.audit import Actor

        with pytest.raises(PermissionDenied):
            administration.reset_second_factor(
                actor=Actor(user=None, path="/admin/"), user=world.u.supervisor
            )


def test_the_admin_index_says_how_many_changes_wait_for_approval(world, admin2):
    client = as_user(admin2)
    assert "account-changes-waiting" not in client.get(reverse("admin:index")).content.decode()
    administration.change_password(
        actor=actor(world.u.admin), user=world.u.supervisor, password=NEW_PASSWORD, reason="x"
    )
    page = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "account-changes-waiting" in page
    assert "1 change to a privileged account is applied only when another administrator approves it." in page


def test_an_account_switched_off_and_on_again_by_one_administrator_has_no_role_until_one_is_approved(world):
    """Insider review 10, F3: re-activating a supervisor's account alone brought their role back."""
    from casework.access import policy

    supervisor = User.objects.get(pk=world.u.supervisor.pk)
    supervisor.is_active = False
    administration.save_account(actor=actor(world.u.admin), user=supervisor)
    supervisor = User.objects.get(pk=supervisor.pk)
    supervisor.is_active = True
    administration.save_account(actor=actor(world.u.admin), user=supervisor)
    supervisor = User.objects.get(pk=supervisor.pk)
    assert supervisor.is_active  # the allowed side: the account itself is back
    assert not Membership.objects.filter(user=supervisor, active=True).exists()
    assert not policy.principal_for(supervisor).roles


class TestUsernamesStayAsMade:
    """The access log names people by username (insider review 12, low): one administrator renaming an account
    would split a person's history in two, or let an account read in the log as someone who has left."""

    def test_the_service_refuses_a_rename_and_keeps_the_name_fields_editable(self, world):
        officer = User.objects.get(pk=world.u.officer.pk)
        officer.username = "someone_else"
        with pytest.raises(PermissionDenied):
            administration.save_account(actor=actor(world.u.admin), user=officer)
        assert User.objects.filter(username="officer").exists()
        # The allowed side: the person's name is changed in the name fields.
        officer = User.objects.get(pk=world.u.officer.pk)
        officer.last_name = "林"
        administration.save_account(actor=actor(world.u.admin), user=officer)
        assert User.objects.get(pk=officer.pk).last_name == "林"

    def test_the_admin_page_shows_the_username_read_only_and_a_posted_rename_changes_nothing(self, world):
        client = as_user(world.u.admin)
        officer = world.u.officer
        page = client.get(user_page(officer))
        assert page.status_code == 200
        assert 'name="username"' not in page.content.decode()
        data = user_form(officer, list(officer.memberships.all()))
        data.update(username="someone_else", first_name="小明")
        response = client.post(user_page(officer), data)
        assert response.status_code == 302, response.content.decode()[:2000]
        stored = User.objects.get(pk=officer.pk)
        assert (stored.username, stored.first_name) == ("officer", "小明")
        # A new account is still given its username.
        assert 'name="username"' in client.get(reverse("admin:casework_user_add")).content.decode()
