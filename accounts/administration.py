"""Account administration: roles (memberships), account status, passwords and second factors set by someone
other than the account holder.

Every change goes through one function here, which checks the rules, writes the access-log line and sends the
notices (``accounts.notices``). The Django admin calls these functions; so must any future page, API or command.

The rules, against an administrator who would give themselves casework access or take over an account:

1. **No one changes their own roles or account status**: their memberships (adding, editing, removing) and
   their ``is_active``/``is_staff``/``is_superuser`` flags. Another administrator does it.
2. **A privileged account's password or second factor, and a case worker's password, change only with a
   second administrator** (the two-person rule). Privileged: holds an active supervisor, data-steward,
   model-steward, auditor or administrator membership, or is staff or superuser (``is_privileged``). A case
   worker (an active officer, guidance, social-worker or counsellor membership) has no second factor, so a
   password one administrator set alone would let them sign in as the worker and read the worker's youth
   (insider review 8, F3): ``holds_access`` covers both. One administrator proposes
   (``AccountChangeRequest``, the new password kept as a hash only); a *different* administrator, who is also
   not the account holder, approves, and only then is it applied. Requests lapse after
   ``CHANGE_REQUEST_VALID_HOURS``. An administrator sets their own password on the Password page, which asks
   for the current one, never here.
3. **An account whose password an administrator chose alone is not made privileged** until its holder has
   chosen their own password (``PasswordChosenByAdministrator``). Without this, rule 2 could be walked around:
   set the password of an ordinary (or just demoted) account, then give it a privileged role. While the mark
   is there the account can do nothing but choose its own password (``accounts.middleware``).
4. **The auditors are told of every such change** (roles, account status, passwords and second factors set by
   someone else, requests proposed and rejected); the account holder is told when their own password or second
   factor was set for them.
5. **No single administrator gives an account access** (switching an account off ends its roles too, so
   switching it on again gives nothing until roles are approved anew) (``ACCESS_ROLES``: every case-working and privileged
   role). Adding a membership, re-activating one, or moving one to another role, bureau, school or person is
   only *proposed* (``AccountChangeRequest`` of kind ``membership``, with a reason); a different administrator,
   who is not the account holder either, approves it. Removing or deactivating a membership (narrowing) is
   applied at once. Without this an administrator could create a second account, give it casework roles and
   sign in as it (the insider review's F2); rule 3's mark does not stop that, since whoever knows the password
   an administrator chose can "choose their own" and so clear it.

A command run on the server by an operator (``Actor.system``, e.g. ``manage.py unlock_sign_in
--reset-second-factor``) applies at once: whoever runs commands on the server can already change the
database directly, so a second approval there would only pretend to protect. It is audited with the command
as actor and its reason, and the auditors and the account holder are told, like any other change.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import password_validation
from django.contrib.auth.hashers import make_password
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp import devices_for_user

from casework.access import policy
from casework.access.audit import Actor, record
from casework.models import CASEWORK_ROLES, AuditAction, Membership, Role, User

from . import notices
from .models import (
    AccountChangeKind,
    AccountChangeRequest,
    AccountChangeStatus,
    PasswordChosenByAdministrator,
    SecurityNoticeKind,
)
from .services import SECOND_FACTOR_ROLES

# The roles whose holders a second factor protects are the ones a takeover would be worth most for.
PRIVILEGED_ROLES = SECOND_FACTOR_ROLES
# Roles whose grant needs a second administrator (rule 5): the case-working roles read youth records, the
# privileged ones read or change the platform's data about youth. Today that is every role; a role added later
# outside both sets would be given at once, so it has to be placed here on purpose.
ACCESS_ROLES = CASEWORK_ROLES | PRIVILEGED_ROLES
ACCOUNT_FLAGS = ("is_active", "is_staff", "is_superuser")
# Fields of a user an administrator may edit; changes to them are listed in the access log.
ACCOUNT_FIELDS = ("username", "first_name", "last_name", "email", *ACCOUNT_FLAGS)


@dataclass(frozen=True)
class MembershipOutcome:
    """What became of a membership change: applied now (removals, deactivations), or proposed."""

    applied: bool
    membership: Membership
    request: AccountChangeRequest | None = None


@dataclass(frozen=True)
class ChangeOutcome:
    """What became of a password or second-factor change: applied now, or waiting for a second administrator."""

    applied: bool
    request: AccountChangeRequest | None = None


# ---------------------------------------------------------------------------------------------------------
# Who is who
# ---------------------------------------------------------------------------------------------------------


def is_privileged(user: User) -> bool:
    """True for staff, superusers and holders of an active privileged membership (whether the account is
    active or not: deactivating an account must not be a way round the two-person rule)."""
    if user.is_staff or user.is_superuser:
        return True
    if user.pk is None:
        return False
    return Membership.objects.filter(user_id=user.pk, active=True, role__in=PRIVILEGED_ROLES).exists()


def holds_access(user: User) -> bool:
    """True for a privileged account and for one with an active case-working role: whoever signs in as it
    reads youth records, so its password is not set by one administrator alone (rule 2)."""
    if is_privileged(user):
        return True
    return (
        user.pk is not None
        and Membership.objects.filter(user_id=user.pk, active=True, role__in=ACCESS_ROLES).exists()
    )


def password_chosen_by_administrator(user: User) -> bool:
    """True while the user's password is one an administrator chose alone (rule 3)."""
    if user.pk is None:
        return user.has_usable_password()
    return PasswordChosenByAdministrator.objects.filter(user_id=user.pk).exists()


def _person(actor: Actor) -> User | None:
    user = actor.user
    return user if getattr(user, "is_authenticated", False) else None


def _require_administrator(actor: Actor) -> User:
    user = _person(actor)
    if user is None or not policy.can_administer(user):
        raise PermissionDenied(_("Only administrators change accounts."))
    return user


def _is_operator(actor: Actor) -> bool:
    """A command run on the server: nobody signed in, and the actor names the command."""
    return _person(actor) is None and (actor.path or "").startswith("system:")


def _describe(membership: Membership | None) -> dict | None:
    if membership is None:
        return None
    return {
        "role": membership.role,
        "bureau": membership.bureau.code if membership.bureau_id else "",
        "school": membership.school.code if membership.school_id else "",
        "active": bool(membership.active),
    }


# ---------------------------------------------------------------------------------------------------------
# Roles (memberships)
# ---------------------------------------------------------------------------------------------------------


def _grants_privilege(before: Membership | None, after: Membership) -> bool:
    if not after.active or after.role not in PRIVILEGED_ROLES:
        return False
    return (
        before is None
        or not before.active
        or before.role not in PRIVILEGED_ROLES
        or before.user_id != after.user_id
    )


def grants_access(before: Membership | None, after: Membership | None) -> bool:
    """True when saving ``after`` over ``before`` gives its holder access they did not have: a new active
    membership, a re-activated one, or an active one moved to another role, bureau, school or person. Only
    deactivating (or removing) narrows; any other change to an active membership is a new grant."""
    if after is None or not after.active or after.role not in ACCESS_ROLES:
        return False
    if before is None or not before.active:
        return True
    return (before.user_id, before.role, before.bureau_id, before.school_id) != (
        after.user_id,
        after.role,
        after.bureau_id,
        after.school_id,
    )


def check_membership_change(
    *, by: User, before: Membership | None, after: Membership | None, password_chosen: bool | None = None
) -> None:
    """Raise PermissionDenied when ``by`` may not change a membership from ``before`` to ``after`` (None for an
    addition or a removal). ``password_chosen`` overrides the lookup of rule 3 for an account being created."""
    holders = {m.user_id for m in (before, after) if m is not None}
    if by.pk in holders:
        raise PermissionDenied(_("No one changes their own roles: another administrator does it."))
    if after is not None and _grants_privilege(before, after):
        chosen = (
            password_chosen if password_chosen is not None else password_chosen_by_administrator(after.user)
        )
        if chosen:
            raise PermissionDenied(
                _(
                    "The password of %(user)s was chosen by an administrator. They choose their own password "
                    "(on the Password page) before they are given a privileged role."
                )
                % {"user": after.user.get_username()}
            )


def save_membership(
    *, actor: Actor, membership: Membership, via: str = "admin", reason: str = ""
) -> MembershipOutcome:
    """Add or change a membership (rules 1, 3, 4 and 5): a change that gives access is proposed to a second
    administrator; one that does not (deactivating, or editing an inactive membership) is applied at once."""
    by = _require_administrator(actor)
    with transaction.atomic():
        before = (
            Membership.objects.select_for_update(of=("self",))
            .select_related("bureau", "school")
            .filter(pk=membership.pk)
            .first()
            if membership.pk
            else None
        )
        check_membership_change(by=by, before=before, after=membership)
        if grants_access(before, membership):
            return MembershipOutcome(
                applied=False,
                membership=membership,
                request=_propose_membership(actor=actor, before=before, after=membership, reason=reason),
            )
        _apply_membership(actor=actor, before=before, membership=membership, via=via)
    return MembershipOutcome(applied=True, membership=membership)


def _apply_membership(
    *,
    actor: Actor,
    before: Membership | None,
    membership: Membership,
    via: str,
    proposed_by: User | None = None,
    approved_by: User | None = None,
    request: AccountChangeRequest | None = None,
) -> None:
    was, now = _describe(before), _describe(membership)
    membership.save()
    detail = {"via": via, "membership": now, "before": was}
    if approved_by is not None:
        detail.update({"proposed_by": proposed_by.get_username(), "approved_by": approved_by.get_username()})
        detail["request"] = request.pk
    record(actor, AuditAction.CREATE if before is None else AuditAction.UPDATE, membership, detail=detail)
    subjects = [membership.user]
    if before is not None and before.user_id != membership.user_id:
        subjects.append(before.user)
    if was != now or len(subjects) > 1:
        told = {"change": "added" if before is None else "changed", "membership": now, "before": was}
        if approved_by is not None:
            told["approved_by"] = approved_by.get_username()
        for subject in subjects:
            notices.send(
                notices.auditors(),
                SecurityNoticeKind.MEMBERSHIP_CHANGED,
                subject=subject,
                actor=proposed_by.get_username() if proposed_by is not None else notices.actor_name(actor),
                detail=told,
            )


def _propose_membership(
    *, actor: Actor, before: Membership | None, after: Membership, reason: str
) -> AccountChangeRequest:
    """Rule 5: the grant waits for a second administrator (one identical proposal waits at a time)."""
    by = _person(actor)
    if not (reason or "").strip():
        raise PermissionDenied(_("Give the reason the second administrator will read."))
    same = AccountChangeRequest.objects.select_for_update().filter(
        kind=AccountChangeKind.MEMBERSHIP,
        status=AccountChangeStatus.PENDING,
        target_id=after.user_id,
        role=after.role,
        bureau_id=after.bureau_id,
        school_id=after.school_id,
        membership_id=before.pk if before is not None else None,
    )
    for change in same:
        if change.has_lapsed:
            _lapse(change)
        else:
            raise PermissionDenied(
                _("The same role for %(user)s already awaits a second administrator.")
                % {"user": after.user.get_username()}
            )
    described, was = _describe(after), _describe(before)
    change = AccountChangeRequest.objects.create(
        kind=AccountChangeKind.MEMBERSHIP,
        target_id=after.user_id,
        reason=reason.strip(),
        proposed_by=by,
        role=after.role,
        bureau_id=after.bureau_id,
        school_id=after.school_id,
        membership=before,
        membership_before=was,
    )
    record(
        actor,
        AuditAction.CREATE,
        change,
        detail={
            "change": AccountChangeKind.MEMBERSHIP,
            "target": after.user.get_username(),
            "reason": change.reason,
            "membership": described,
            "before": was,
            "password_chosen_by_administrator": password_chosen_by_administrator(after.user),
        },
    )
    notices.send(
        [*notices.auditors(), *notices.administrators(besides=[by])],
        SecurityNoticeKind.CHANGE_PROPOSED,
        subject=after.user,
        actor=by.get_username(),
        detail={"change": AccountChangeKind.MEMBERSHIP, "request": change.pk, "membership": described},
    )
    return change


def _approve_membership(*, actor: Actor, by: User, change: AccountChangeRequest) -> None:
    """Apply an approved grant, checked again as it stands now (rules 1 and 3, and nothing changed since)."""
    before = None
    if change.membership_before is not None:
        before = (
            Membership.objects.select_for_update(of=("self",))
            .select_related("bureau", "school", "user")
            .filter(pk=change.membership_id)
            .first()
        )
        if before is None or _describe(before) != change.membership_before:
            raise PermissionDenied(
                _("The membership changed after this was proposed: reject it and propose it again.")
            )
    if before is not None:
        membership = Membership.objects.get(pk=before.pk)
        membership.role, membership.bureau_id, membership.school_id = (
            change.role,
            change.bureau_id,
            change.school_id,
        )
        membership.user_id, membership.active = change.target_id, True
    else:
        membership = Membership.objects.filter(
            user_id=change.target_id, bureau_id=change.bureau_id, role=change.role, school_id=change.school_id
        ).first() or Membership(
            user_id=change.target_id, bureau_id=change.bureau_id, role=change.role, school_id=change.school_id
        )
        before = Membership.objects.filter(pk=membership.pk).select_related("bureau", "school").first()
        membership.active = True
    check_membership_change(by=change.proposed_by, before=before, after=membership)
    check_membership_change(by=by, before=before, after=membership)
    _apply_membership(
        actor=actor,
        before=before,
        membership=membership,
        via="account change request",
        proposed_by=change.proposed_by,
        approved_by=by,
        request=change,
    )


def delete_membership(*, actor: Actor, membership: Membership, via: str = "admin") -> None:
    """Remove a membership (rules 1 and 4)."""
    by = _require_administrator(actor)
    with transaction.atomic():
        check_membership_change(by=by, before=membership, after=None)
        was = _describe(membership)
        record(
            actor,
            AuditAction.DELETE,
            membership,
            detail={"via": via, "was": str(membership), "membership": was},
        )
        subject = membership.user
        membership.delete()
        notices.send(
            notices.auditors(),
            SecurityNoticeKind.MEMBERSHIP_CHANGED,
            subject=subject,
            actor=notices.actor_name(actor),
            detail={"change": "removed", "membership": was},
        )


# ---------------------------------------------------------------------------------------------------------
# Account status
# ---------------------------------------------------------------------------------------------------------


def check_account_change(*, by: User, before: User | None, after: User) -> None:
    """Raise PermissionDenied when ``by`` may not save ``after`` (``before``: as stored, None when new)."""
    if before is not None and before.get_username() != after.get_username():
        # The access log names people by their username, kept as written: a rename would split one person's
        # history in two, or let a new account read as someone who has left. A person's name is changed in the
        # name fields; a username stays what it was made.
        raise PermissionDenied(
            _("A username is not changed once the account exists: it names the person in the access log.")
        )
    changed = before is not None and any(
        getattr(before, flag) != getattr(after, flag) for flag in ACCOUNT_FLAGS
    )
    if changed and after.pk == by.pk:
        raise PermissionDenied(_("No one changes their own account status: another administrator does it."))
    gained = {
        flag
        for flag in ("is_staff", "is_superuser")
        if getattr(after, flag) and (before is None or not getattr(before, flag))
    }
    if "is_superuser" in gained:
        raise PermissionDenied(
            _(
                "Superuser status is not given here: the first administrator is made on the server (create_admin)."
            )
        )
    if "is_staff" in gained and not (
        after.pk is not None
        and Membership.objects.filter(user_id=after.pk, active=True, role=Role.ADMINISTRATOR).exists()
    ):
        raise PermissionDenied(
            _(
                "Staff status comes with an administrator role, which a second administrator approves: give "
                "the role first."
            )
        )
    gains = bool(gained)
    if gains and password_chosen_by_administrator(after):
        raise PermissionDenied(
            _(
                "The password of %(user)s was chosen by an administrator. They choose their own password "
                "(on the Password page) before they are made staff or superuser."
            )
            % {"user": after.get_username()}
        )


def create_account(*, actor: Actor, user: User, via: str = "admin") -> User:
    """Create an account; a password typed in by the administrator counts as chosen by them (rule 3)."""
    by = _require_administrator(actor)
    with transaction.atomic():
        check_account_change(by=by, before=None, after=user)
        chosen = user.has_usable_password()
        user.save()
        if chosen:
            PasswordChosenByAdministrator.objects.create(user=user, chosen_by=by)
        record(
            actor, AuditAction.CREATE, user, detail={"via": via, "password_chosen_by_administrator": chosen}
        )
        notices.send(
            notices.auditors(),
            SecurityNoticeKind.ACCOUNT_CHANGED,
            subject=user,
            actor=notices.actor_name(actor),
            detail={"created": True, "password_chosen_by_administrator": chosen},
        )
    return user


def save_account(*, actor: Actor, user: User, via: str = "admin") -> User:
    """Save an administrator's edit of an account (names, e-mail, status); status changes tell the auditors."""
    by = _require_administrator(actor)
    with transaction.atomic():
        before = User.objects.select_for_update().get(pk=user.pk)
        check_account_change(by=by, before=before, after=user)
        changed = [field for field in ACCOUNT_FIELDS if getattr(before, field) != getattr(user, field)]
        # The password is never changed through this path (see change_password).
        user.password = before.password
        user.save()
        detail = {"via": via, "changed": changed}
        if before.is_active and not user.is_active:
            # An account switched off loses its roles with it: switching it on again gives no access until a
            # second administrator approves each role anew (rule 5; insider review 10, F3).
            ended = list(Membership.objects.filter(user=user, active=True).values_list("pk", flat=True))
            Membership.objects.filter(pk__in=ended).update(active=False)
            detail["memberships_ended"] = ended
        record(actor, AuditAction.UPDATE, user, detail=detail)
        flags = {flag: getattr(user, flag) for flag in ACCOUNT_FLAGS if flag in changed}
        if flags:
            notices.send(
                notices.auditors(),
                SecurityNoticeKind.ACCOUNT_CHANGED,
                subject=user,
                actor=notices.actor_name(actor),
                detail={"flags": flags},
            )
    return user


# ---------------------------------------------------------------------------------------------------------
# Passwords and second factors set by someone else (rule 2)
# ---------------------------------------------------------------------------------------------------------


def change_password(*, actor: Actor, user: User, password: str | None, reason: str = "") -> ChangeOutcome:
    """Set (or, with ``password=None``, turn off) the password of someone else's account: at once for an
    account that reads no youth record, as a request awaiting a second administrator for one that does
    (``holds_access``: privileged or case-working)."""
    if password is not None:
        password_validation.validate_password(password, user)
    encoded = make_password(password)
    if _is_operator(actor):
        _apply_password(actor=actor, user=user, encoded=encoded, proposed_by=None, approved_by=None)
        return ChangeOutcome(applied=True)
    by = _require_administrator(actor)
    if user.pk == by.pk:
        raise PermissionDenied(
            _("Change your own password on the Password page, which asks for your current password.")
        )
    if holds_access(user):
        return ChangeOutcome(
            applied=False,
            request=_propose(
                actor=actor, user=user, kind=AccountChangeKind.PASSWORD, reason=reason, encoded=encoded
            ),
        )
    _apply_password(actor=actor, user=user, encoded=encoded, proposed_by=by, approved_by=None, reason=reason)
    return ChangeOutcome(applied=True)


def reset_second_factor(*, actor: Actor, user: User, reason: str = "") -> ChangeOutcome:
    """Remove every second-factor device of an account (the holder enrols again at the next sign-in): at once
    for an ordinary account or from a server command, as a request awaiting a second administrator for a
    privileged one (including the administrator's own)."""
    if _is_operator(actor):
        _apply_second_factor_reset(actor=actor, user=user, proposed_by=None, approved_by=None, reason=reason)
        return ChangeOutcome(applied=True)
    by = _require_administrator(actor)
    if is_privileged(user):
        return ChangeOutcome(
            applied=False,
            request=_propose(
                actor=actor, user=user, kind=AccountChangeKind.SECOND_FACTOR_RESET, reason=reason
            ),
        )
    _apply_second_factor_reset(actor=actor, user=user, proposed_by=by, approved_by=None, reason=reason)
    return ChangeOutcome(applied=True)


def _locked_pending(change: AccountChangeRequest) -> AccountChangeRequest:
    """The request, locked for the caller's transaction; refused unless it still waits for a decision."""
    change = (
        AccountChangeRequest.objects.select_for_update(of=("self",))
        .select_related("target", "proposed_by")
        .get(pk=change.pk)
    )
    if change.status != AccountChangeStatus.PENDING:
        raise PermissionDenied(_("This request has already been decided."))
    return change


def approve_change(*, actor: Actor, change: AccountChangeRequest) -> None:
    """A second administrator approves a proposed change, which is applied now."""
    by = _require_administrator(actor)
    lapsed = False
    with transaction.atomic():
        change = _locked_pending(change)
        if change.has_lapsed:
            _lapse(change)
            lapsed = True
        elif by.pk == change.proposed_by_id:
            raise PermissionDenied(_("You proposed this change: another administrator approves it."))
        elif by.pk == change.target_id:
            raise PermissionDenied(_("A change to your own account is approved by another administrator."))
        else:
            if change.kind == AccountChangeKind.MEMBERSHIP:
                _approve_membership(actor=actor, by=by, change=change)
            elif change.kind == AccountChangeKind.PASSWORD:
                _apply_password(
                    actor=actor,
                    user=change.target,
                    encoded=change.password_hash,
                    proposed_by=change.proposed_by,
                    approved_by=by,
                    reason=change.reason,
                    request=change,
                )
            else:
                _apply_second_factor_reset(
                    actor=actor,
                    user=change.target,
                    proposed_by=change.proposed_by,
                    approved_by=by,
                    reason=change.reason,
                    request=change,
                )
            _decide(change, AccountChangeStatus.APPROVED, by)
            record(actor, AuditAction.UPDATE, change, detail={"status": AccountChangeStatus.APPROVED})
    if lapsed:
        raise PermissionDenied(_("This request lapsed before it was approved: propose it again."))


def reject_change(*, actor: Actor, change: AccountChangeRequest) -> None:
    """Any administrator rejects a proposed change (the proposer withdraws it); nothing is applied."""
    by = _require_administrator(actor)
    with transaction.atomic():
        change = _locked_pending(change)
        _decide(change, AccountChangeStatus.REJECTED, by)
        record(actor, AuditAction.UPDATE, change, detail={"status": AccountChangeStatus.REJECTED})
        notices.send(
            [*notices.auditors(), change.proposed_by],
            SecurityNoticeKind.CHANGE_REJECTED,
            subject=change.target,
            actor=change.proposed_by.get_username(),
            detail={
                "change": change.kind,
                "decided_by": by.get_username(),
                "membership": _requested_membership(change),
            },
        )


def _requested_membership(change: AccountChangeRequest) -> dict | None:
    if change.kind != AccountChangeKind.MEMBERSHIP:
        return None
    return {
        "role": change.role,
        "bureau": change.bureau.code if change.bureau_id else "",
        "school": change.school.code if change.school_id else "",
        "active": True,
    }


def lapse_overdue_requests() -> int:
    """Mark requests nobody approved in time as lapsed, dropping their password hashes."""
    overdue = [
        c for c in AccountChangeRequest.objects.filter(status=AccountChangeStatus.PENDING) if c.has_lapsed
    ]
    for change in overdue:
        _lapse(change)
    return len(overdue)


def own_password_changed(*, user: User) -> None:
    """The holder chose their own password (Password page): it is no longer one an administrator chose."""
    PasswordChosenByAdministrator.objects.filter(user_id=user.pk).delete()


def _propose(*, actor: Actor, user: User, kind: str, reason: str, encoded: str = "") -> AccountChangeRequest:
    by = _person(actor)
    with transaction.atomic():
        waiting = AccountChangeRequest.objects.select_for_update().filter(
            target=user, kind=kind, status=AccountChangeStatus.PENDING
        )
        for change in waiting:
            if change.has_lapsed:
                _lapse(change)
            else:
                raise PermissionDenied(
                    _("A request to %(change)s of %(user)s already awaits a second administrator.")
                    % {"change": notices.change_name(kind), "user": user.get_username()}
                )
        change = AccountChangeRequest.objects.create(
            kind=kind, target=user, reason=reason, password_hash=encoded, proposed_by=by
        )
        record(
            actor,
            AuditAction.CREATE,
            change,
            detail={"change": kind, "target": user.get_username(), "reason": reason},
        )
        notices.send(
            [*notices.auditors(), *notices.administrators(besides=[by])],
            SecurityNoticeKind.CHANGE_PROPOSED,
            subject=user,
            actor=by.get_username(),
            detail={"change": kind, "request": change.pk},
        )
    return change


def _decide(change: AccountChangeRequest, status: str, by: User | None) -> None:
    change.status = status
    change.decided_by = by
    change.decided_at = timezone.now()
    change.password_hash = ""
    change.save(update_fields=["status", "decided_by", "decided_at", "password_hash"])


def _lapse(change: AccountChangeRequest) -> None:
    _decide(change, AccountChangeStatus.LAPSED, None)


def _change_detail(*, proposed_by: User | None, approved_by: User | None, reason: str, request) -> dict:
    detail = {"set_by_administrator": True, "reason": reason}
    if proposed_by is not None:
        detail["proposed_by"] = proposed_by.get_username()
    if approved_by is not None:
        detail["approved_by"] = approved_by.get_username()
    if request is not None:
        detail["request"] = request.pk
    return detail


def _apply_password(
    *,
    actor: Actor,
    user: User,
    encoded: str,
    proposed_by: User | None,
    approved_by: User | None,
    reason: str = "",
    request: AccountChangeRequest | None = None,
) -> None:
    with transaction.atomic():
        user.password = encoded
        user.save(update_fields=["password"])
        # Keep the password history (its validator reads the new hash from the user, not the plain password).
        password_validation.password_changed("", user)
        usable = user.has_usable_password()
        if proposed_by is not None and approved_by is None and usable:
            PasswordChosenByAdministrator.objects.update_or_create(
                user=user, defaults={"chosen_by": proposed_by, "chosen_at": timezone.now()}
            )
        else:
            PasswordChosenByAdministrator.objects.filter(user=user).delete()
        detail = _change_detail(
            proposed_by=proposed_by, approved_by=approved_by, reason=reason, request=request
        )
        detail["unusable"] = not usable
        record(actor, AuditAction.PASSWORD_CHANGE, user, detail=detail)
        who = proposed_by.get_username() if proposed_by is not None else notices.actor_name(actor)
        notice = {"approved_by": approved_by.get_username() if approved_by else "", "unusable": not usable}
        notices.send(
            notices.auditors(), SecurityNoticeKind.PASSWORD_SET, subject=user, actor=who, detail=notice
        )
        if usable:
            notices.send([user], SecurityNoticeKind.PASSWORD_SET, subject=user, actor=who, detail=notice)


def _apply_second_factor_reset(
    *,
    actor: Actor,
    user: User,
    proposed_by: User | None,
    approved_by: User | None,
    reason: str = "",
    request: AccountChangeRequest | None = None,
) -> int:
    with transaction.atomic():
        devices = list(devices_for_user(user, confirmed=None))
        for device in devices:
            device.delete()
        detail = _change_detail(
            proposed_by=proposed_by, approved_by=approved_by, reason=reason, request=request
        )
        detail["devices"] = len(devices)
        record(actor, AuditAction.OTP_RESET, user, detail=detail)
        who = proposed_by.get_username() if proposed_by is not None else notices.actor_name(actor)
        notice = {"approved_by": approved_by.get_username() if approved_by else ""}
        notices.send(
            [*notices.auditors(), user],
            SecurityNoticeKind.SECOND_FACTOR_RESET,
            subject=user,
            actor=who,
            detail=notice,
        )
    return len(devices)
