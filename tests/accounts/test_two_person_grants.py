"""No single administrator gives any account access to youth data (the insider review's F2).

5. Giving or widening a role (a membership added, re-activated, or moved to another role, bureau, school or
   person) is only proposed, with a reason; a second administrator, who is not the account holder either,
   approves it. Removing or deactivating a membership applies at once. The auditors are told of each.
6. An account whose password an administrator chose alone (a new account, or a password set for someone) can
   do nothing but choose its own password; choosing it grants nothing by itself.
7. Until the second factor is given and the password is the holder's own, pages show no role-dependent
   navigation (F5); the admin's password page shows every error it refuses with.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import administration
from accounts.models import (
    AccountChangeKind,
    AccountChangeRequest,
    AccountChangeStatus,
    PasswordChosenByAdministrator,
    SecurityNoticeKind,
)
from casework.models import AuditAction, AuditEntry, Membership, Role, User
from tests.fixtures import PASSWORD, actor, make_user

from .conftest import sign_in
from .test_account_administration import as_user, notices, password_page

SOCK_PASSWORD = "Zqx-puppet-pass-2026!"
OWN_PASSWORD = "Own-choice-horse-91"
MEMBERSHIP_ADD = reverse("admin:casework_membership_add")
MEMBERSHIPS = reverse("admin:casework_membership_changelist")
USER_ADD = reverse("admin:casework_user_add")
REQUESTS = reverse("admin:accounts_accountchangerequest_changelist")
PASSWORD_PAGE = reverse("accounts:password_change")


@pytest.fixture
def admin2(world):
    return make_user("admin2", world.b.committee, Role.ADMINISTRATOR, is_staff=True)


def create_sock(client: Client) -> User:
    """Step 1 of F2: an administrator creates an account with a password they chose and no roles."""
    response = client.post(
        USER_ADD,
        {
            "username": "sock",
            "usable_password": "true",
            "password1": SOCK_PASSWORD,
            "password2": SOCK_PASSWORD,
            "memberships-TOTAL_FORMS": 0,
            "memberships-INITIAL_FORMS": 0,
            "memberships-MIN_NUM_FORMS": 0,
            "memberships-MAX_NUM_FORMS": 1000,
        },
    )
    assert response.status_code == 302, response.content[:2000]
    return User.objects.get(username="sock")


def add_membership(client: Client, user: User, bureau, role: str, reason: str = "asked by the bureau"):
    return client.post(
        MEMBERSHIP_ADD,
        {"user": user.pk, "bureau": bureau.pk, "role": role, "active": "on", "reason": reason},
    )


def choose_own_password(client: Client, old: str, new: str = OWN_PASSWORD, next_url: str = ""):
    url = PASSWORD_PAGE + (f"?next={next_url}" if next_url else "")
    return client.post(url, {"old_password": old, "new_password1": new, "new_password2": new})


# ---------------------------------------------------------------------------------------------------------
# The insider's walk, step by step
# ---------------------------------------------------------------------------------------------------------


class TestTheSockPuppet:
    def test_one_administrator_alone_cannot_give_a_second_account_youth_access(self, world):
        admin_client = as_user(world.u.admin)
        sock = create_sock(admin_client)
        assert PasswordChosenByAdministrator.objects.filter(user=sock).exists()

        # Step 2: case-working roles are proposals too; nothing is given.
        assert add_membership(admin_client, sock, world.b.police, Role.JUVENILE_OFFICER).status_code == 302
        assert add_membership(admin_client, sock, world.b.committee, Role.GUIDANCE_WORKER).status_code == 302
        assert not sock.memberships.exists()
        assert (
            AccountChangeRequest.objects.filter(target=sock, status=AccountChangeStatus.PENDING).count() == 2
        )

        # Step 3: signing in as sock leads only to the Password page; the API refuses.
        sock_client = Client()
        assert sign_in(sock_client, "sock", SOCK_PASSWORD).status_code == 302
        page = sock_client.get(reverse("home"))
        assert page.status_code == 302 and page.url.startswith(PASSWORD_PAGE)
        assert sock_client.get(reverse("api:youth-list")).status_code == 403
        assert sock_client.get(reverse("api:case-list")).status_code == 403

        # Step 4: choosing "their own" password (whoever knew the old one) opens the gate but grants nothing.
        assert choose_own_password(sock_client, SOCK_PASSWORD).status_code == 302
        assert not PasswordChosenByAdministrator.objects.filter(user=sock).exists()
        assert sock_client.get(reverse("youth-list")).status_code == 403  # no role: no youth pages
        api = sock_client.get(reverse("api:youth-list"))
        assert api.status_code == 403 or api.json()["count"] == 0, api.content

        # Step 5: the supervisor role is a proposal as well; the proposer cannot approve it.
        assert add_membership(admin_client, sock, world.b.committee, Role.SUPERVISOR).status_code == 302
        pending = list(AccountChangeRequest.objects.filter(target=sock, status=AccountChangeStatus.PENDING))
        assert len(pending) == 3
        admin_client.post(REQUESTS, {"action": "approve", "_selected_action": [c.pk for c in pending]})
        assert not sock.memberships.exists()
        for change in pending:
            with pytest.raises(PermissionDenied):
                administration.approve_change(actor=actor(world.u.admin), change=change)
        assert not sock.memberships.exists()

    def test_the_allowed_side_a_second_administrator_approves(self, world, admin2):
        admin_client = as_user(world.u.admin)
        sock = create_sock(admin_client)
        add_membership(
            admin_client, sock, world.b.committee, Role.GUIDANCE_WORKER, reason="new hire, ticket 7"
        )
        change = AccountChangeRequest.objects.get(target=sock)
        listing = as_user(admin2).get(REQUESTS, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "new hire, ticket 7" in listing
        as_user(admin2).post(REQUESTS, {"action": "approve", "_selected_action": [change.pk]})
        membership = sock.memberships.get()
        assert (membership.role, membership.bureau, membership.active) == (
            Role.GUIDANCE_WORKER,
            world.b.committee,
            True,
        )
        line = AuditEntry.objects.get(action=AuditAction.CREATE, object_type="membership")
        assert (line.detail["proposed_by"], line.detail["approved_by"]) == ("admin", "admin2")
        told = notices(SecurityNoticeKind.MEMBERSHIP_CHANGED, to=world.u.auditor, about=sock).get()
        assert told.detail["approved_by"] == "admin2"
        # Still the holder's first sign-in: their own password first.
        sock_client = Client()
        sign_in(sock_client, "sock", SOCK_PASSWORD)
        assert sock_client.get(reverse("api:youth-list")).status_code == 403
        choose_own_password(sock_client, SOCK_PASSWORD)
        assert sock_client.get(reverse("api:youth-list")).status_code == 200


# ---------------------------------------------------------------------------------------------------------
# Rule 5: which changes wait and which apply at once
# ---------------------------------------------------------------------------------------------------------


class TestWhatWaits:
    @pytest.mark.parametrize("role", sorted(administration.ACCESS_ROLES))
    def test_every_role_that_reaches_youth_data_is_proposed(self, world, role):
        school = world.schools["J01"] if role == Role.SCHOOL_COUNSELLOR else None
        membership = Membership(user=world.u.guidance, bureau=world.b.welfare, role=role, school=school)
        outcome = administration.save_membership(
            actor=actor(world.u.admin), membership=membership, reason="x"
        )
        assert not outcome.applied and outcome.request.kind == AccountChangeKind.MEMBERSHIP
        assert not world.u.guidance.memberships.filter(role=role, bureau=world.b.welfare).exists()

    def test_every_role_is_an_access_role(self):
        assert set(Role.values) == administration.ACCESS_ROLES

    @pytest.mark.parametrize(
        "change",
        [
            {"role": Role.SUPERVISOR},
            {"bureau": "committee"},
            {"user": "social"},
        ],
    )
    def test_moving_an_active_membership_is_a_new_grant(self, world, change):
        membership = Membership.objects.get(user=world.u.officer)
        for field, value in change.items():
            if field == "bureau":
                membership.bureau = world.b.committee
            elif field == "user":
                membership.user = world.u.social
            else:
                membership.role = value
        outcome = administration.save_membership(
            actor=actor(world.u.admin), membership=membership, reason="x"
        )
        assert not outcome.applied
        stored = Membership.objects.get(pk=membership.pk)
        assert (stored.user, stored.role, stored.bureau) == (
            world.u.officer,
            Role.JUVENILE_OFFICER,
            world.b.police,
        )

    def test_reactivating_is_a_grant_deactivating_and_removing_apply_at_once(self, world):
        membership = Membership.objects.get(user=world.u.officer)
        membership.active = False
        assert administration.save_membership(actor=actor(world.u.admin), membership=membership).applied
        assert not Membership.objects.get(pk=membership.pk).active
        assert notices(
            SecurityNoticeKind.MEMBERSHIP_CHANGED, to=world.u.auditor, about=world.u.officer
        ).exists()
        membership.active = True
        outcome = administration.save_membership(
            actor=actor(world.u.admin), membership=membership, reason="x"
        )
        assert not outcome.applied and not Membership.objects.get(pk=membership.pk).active
        administration.delete_membership(actor=actor(world.u.admin), membership=membership)
        assert not Membership.objects.filter(pk=membership.pk).exists()

    def test_a_grant_needs_a_reason(self, world):
        membership = Membership(user=world.u.social, bureau=world.b.welfare, role=Role.SUPERVISOR)
        with pytest.raises(PermissionDenied):
            administration.save_membership(actor=actor(world.u.admin), membership=membership, reason="  ")
        response = add_membership(
            as_user(world.u.admin), world.u.social, world.b.welfare, Role.SUPERVISOR, ""
        )
        assert response.status_code == 200  # the form again, the error beside the reason
        assert not AccountChangeRequest.objects.exists()

    def test_the_same_grant_waits_once(self, world):
        membership = Membership(user=world.u.social, bureau=world.b.welfare, role=Role.SUPERVISOR)
        administration.save_membership(actor=actor(world.u.admin), membership=membership, reason="x")
        with pytest.raises(PermissionDenied):
            administration.save_membership(
                actor=actor(world.u.admin),
                membership=Membership(user=world.u.social, bureau=world.b.welfare, role=Role.SUPERVISOR),
                reason="again",
            )

    def test_a_proposal_tells_the_auditors_and_the_other_administrators(self, world, admin2):
        membership = Membership(user=world.u.social, bureau=world.b.welfare, role=Role.SUPERVISOR)
        administration.save_membership(actor=actor(world.u.admin), membership=membership, reason="x")
        assert notices(SecurityNoticeKind.CHANGE_PROPOSED, to=world.u.auditor, about=world.u.social).exists()
        assert notices(SecurityNoticeKind.CHANGE_PROPOSED, to=admin2, about=world.u.social).exists()
        page = as_user(world.u.auditor).get(reverse("audit-log"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "admin proposes giving social the role Supervisor · welfare" in page

    def test_bulk_deactivation_applies_at_once_and_refuses_ones_own(self, world):
        client = as_user(world.u.admin)
        other = Membership.objects.get(user=world.u.officer)
        own = Membership.objects.get(user=world.u.admin)
        client.post(MEMBERSHIPS, {"action": "deactivate", "_selected_action": [own.pk, other.pk]})
        assert Membership.objects.get(pk=other.pk).active and Membership.objects.get(pk=own.pk).active
        client.post(MEMBERSHIPS, {"action": "deactivate", "_selected_action": [other.pk]})
        assert not Membership.objects.get(pk=other.pk).active


class TestWhoApproves:
    def test_the_account_holder_cannot_approve_a_role_for_themselves(self, world, admin2):
        admin3 = make_user("admin3", world.b.committee, Role.ADMINISTRATOR, is_staff=True)
        membership = Membership(user=admin2, bureau=world.b.committee, role=Role.AUDITOR)
        outcome = administration.save_membership(
            actor=actor(world.u.admin), membership=membership, reason="x"
        )
        with pytest.raises(PermissionDenied):
            administration.approve_change(actor=actor(admin2), change=outcome.request)
        assert not admin2.memberships.filter(role=Role.AUDITOR).exists()
        administration.approve_change(actor=actor(admin3), change=outcome.request)
        assert admin2.memberships.filter(role=Role.AUDITOR).exists()

    def test_only_an_administrator_approves(self, world):
        membership = Membership(user=world.u.social, bureau=world.b.welfare, role=Role.SUPERVISOR)
        outcome = administration.save_membership(
            actor=actor(world.u.admin), membership=membership, reason="x"
        )
        with pytest.raises(PermissionDenied):
            administration.approve_change(actor=actor(world.u.supervisor), change=outcome.request)

    def test_a_grant_lapses_after_a_day(self, world, admin2):
        membership = Membership(user=world.u.social, bureau=world.b.welfare, role=Role.SUPERVISOR)
        outcome = administration.save_membership(
            actor=actor(world.u.admin), membership=membership, reason="x"
        )
        AccountChangeRequest.objects.filter(pk=outcome.request.pk).update(
            proposed_at=timezone.now() - dt.timedelta(hours=25)
        )
        with pytest.raises(PermissionDenied):
            administration.approve_change(actor=actor(admin2), change=outcome.request)
        assert AccountChangeRequest.objects.get(pk=outcome.request.pk).status == AccountChangeStatus.LAPSED
        assert not world.u.social.memberships.filter(role=Role.SUPERVISOR).exists()

    def test_a_rejected_grant_gives_nothing_and_tells_the_proposer(self, world, admin2):
        membership = Membership(user=world.u.social, bureau=world.b.welfare, role=Role.SUPERVISOR)
        outcome = administration.save_membership(
            actor=actor(world.u.admin), membership=membership, reason="x"
        )
        administration.reject_change(actor=actor(admin2), change=outcome.request)
        assert not world.u.social.memberships.filter(role=Role.SUPERVISOR).exists()
        assert notices(SecurityNoticeKind.CHANGE_REJECTED, to=world.u.admin).exists()

    def test_a_membership_changed_since_the_proposal_is_not_applied(self, world, admin2):
        membership = Membership.objects.get(user=world.u.officer)
        membership.role = Role.SUPERVISOR
        outcome = administration.save_membership(
            actor=actor(world.u.admin), membership=membership, reason="x"
        )
        stored = Membership.objects.get(pk=membership.pk)
        stored.active = False
        administration.save_membership(actor=actor(admin2), membership=stored)
        with pytest.raises(PermissionDenied):
            administration.approve_change(actor=actor(admin2), change=outcome.request)
        assert not Membership.objects.get(pk=membership.pk).active

    def test_an_administrator_chosen_password_set_after_the_proposal_stops_a_privileged_grant(
        self, world, admin2
    ):
        """Rule 3 is checked again at approval: propose supervisor, then set the account's password alone."""
        newcomer = User.objects.create_user("newcomer", password=PASSWORD)  # no role yet: set at once
        membership = Membership(user=newcomer, bureau=world.b.welfare, role=Role.SUPERVISOR)
        outcome = administration.save_membership(
            actor=actor(world.u.admin), membership=membership, reason="x"
        )
        assert administration.change_password(
            actor=actor(world.u.admin), user=newcomer, password="Fresh-horse-battery-77"
        ).applied
        with translation.override("en"), pytest.raises(PermissionDenied, match="own password"):
            administration.approve_change(actor=actor(admin2), change=outcome.request)
        assert not newcomer.memberships.filter(role=Role.SUPERVISOR).exists()


# ---------------------------------------------------------------------------------------------------------
# Rule 6: the "choose your own password" gate
# ---------------------------------------------------------------------------------------------------------


class TestOwnPasswordFirst:
    def test_a_password_an_administrator_set_must_be_replaced_before_anything_else(self, world):
        # One administrator sets a password alone only on an account that reads no youth record (rule 2).
        newcomer = User.objects.create_user("newcomer", password=PASSWORD)
        administration.change_password(
            actor=actor(world.u.admin), user=newcomer, password="Fresh-horse-battery-77"
        )
        client = Client()
        sign_in(client, "newcomer", "Fresh-horse-battery-77")
        for url in (reverse("home"), reverse("triage-queue"), reverse("youth-list")):
            response = client.get(url)
            assert response.status_code == 302 and response.url.startswith(PASSWORD_PAGE), url
        assert client.get(reverse("api:me")).status_code == 403
        page = client.get(PASSWORD_PAGE, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert reverse("triage-queue") not in page  # no role menu on the gate page
        response = choose_own_password(client, "Fresh-horse-battery-77", next_url=reverse("home"))
        assert response.status_code == 302 and response.url == reverse("home")
        assert client.get(reverse("home")).status_code == 200
        assert client.get(reverse("api:me")).status_code == 200

    def test_the_same_password_again_is_refused(self, world):
        newcomer = User.objects.create_user("newcomer", password=PASSWORD)
        administration.change_password(
            actor=actor(world.u.admin), user=newcomer, password="Fresh-horse-battery-77"
        )
        client = Client()
        sign_in(client, "newcomer", "Fresh-horse-battery-77")
        choose_own_password(client, "Fresh-horse-battery-77", new="Fresh-horse-battery-77")
        assert PasswordChosenByAdministrator.objects.filter(user=newcomer).exists()

    def test_users_who_chose_their_own_password_are_not_gated(self, world):
        """The allowed side: the test world's users (created directly, like seed_demo's) go straight in."""
        client = Client()
        sign_in(client, "officer", PASSWORD)
        assert client.get(reverse("triage-queue")).status_code == 200

    def test_demo_users_seeded_by_the_operator_sign_in_without_a_forced_change(self, db):
        from casework.demo import DEMO_PASSWORD, ensure_demo_users, ensure_reference_data

        ensure_demo_users(ensure_reference_data())
        assert not PasswordChosenByAdministrator.objects.exists()
        client = Client()
        sign_in(client, "officer", DEMO_PASSWORD)
        assert client.get(reverse("triage-queue")).status_code == 200

    def test_an_account_created_with_a_password_is_gated(self, world):
        sock = create_sock(as_user(world.u.admin))
        client = Client()
        sign_in(client, "sock", SOCK_PASSWORD)
        assert client.get(reverse("home")).url.startswith(PASSWORD_PAGE)
        assert PasswordChosenByAdministrator.objects.get(user=sock).chosen_by == world.u.admin


# ---------------------------------------------------------------------------------------------------------
# F5: half-signed-in pages show no roles; the admin's password page shows its errors
# ---------------------------------------------------------------------------------------------------------


class TestNothingBeforeTheSecondFactor:
    @pytest.mark.real_second_factor
    def test_the_verify_page_shows_no_role_navigation(self, world):
        TOTPDevice.objects.create(user=world.u.steward, name="phone", confirmed=True)
        client = Client()
        sign_in(client, "steward")
        page = client.get(reverse("accounts:verify"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
        for url in (reverse("integrations:batch-list"), reverse("identity-register"), reverse("home")):
            assert f'href="{url}"' not in page
        assert "Data steward" not in page

    def test_once_verified_the_navigation_is_shown(self, world):
        client = Client()
        client.force_login(world.u.steward)  # the suite passes the second factor
        page = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert f'href="{reverse("integrations:batch-list")}"' in page

    def test_the_admin_password_page_shows_why_it_refused(self, world):
        with translation.override("en"):
            response = as_user(world.u.admin).post(
                password_page(world.u.supervisor),
                {"password1": "Fresh-horse-battery-77", "password2": "Fresh-horse-battery-77"},
                HTTP_ACCEPT_LANGUAGE="en",
            )
        page = response.content.decode()
        assert response.status_code == 200
        assert "Give the reason the second administrator will read." in page
        assert 'name="reason"' in page
