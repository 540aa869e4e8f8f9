"""Notices about account security: who gets one, what it says, and how it reaches them.

A notice is written in the same transaction as the change it reports (``accounts.administration``,
``accounts.signals``) and shown to its recipient as a message on their next page once they are fully signed in
(password and, where required, second factor), by ``deliver`` from ``SecondFactorMiddleware``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from django.contrib import messages
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from casework.access.audit import Actor
from casework.models import Role, User

from .models import AccountChangeKind, SecurityNotice, SecurityNoticeKind

# Looking for new notices costs a query; once a minute per session is soon enough.
CHECKED_AT = "accounts_notices_checked_at"
CHECK_INTERVAL = 60
# A flood of notices (many changes while an auditor was away) is summed up rather than listed.
MAX_SHOWN = 5


def auditors() -> list[User]:
    """Everyone who holds an active auditor membership on an active account."""
    return list(
        User.objects.filter(
            is_active=True, memberships__active=True, memberships__role=Role.AUDITOR
        ).distinct()
    )


def administrators(*, besides: Iterable[User] = ()) -> list[User]:
    """Everyone who holds an active administrator membership, except ``besides``."""
    skip = {user.pk for user in besides}
    return [
        user
        for user in User.objects.filter(
            is_active=True, memberships__active=True, memberships__role=Role.ADMINISTRATOR
        ).distinct()
        if user.pk not in skip
    ]


def actor_name(actor: Actor) -> str:
    """The person who acted, or the server command when nobody signed in did."""
    user = actor.user if getattr(actor.user, "is_authenticated", False) else None
    if user is not None:
        return user.get_username()
    return actor.path or "system"


def send(
    recipients: Iterable[User],
    kind: str,
    *,
    subject: User | None,
    actor: str = "",
    detail: dict | None = None,
) -> int:
    """Write one notice per recipient (each person once); returns how many were written."""
    unique = {user.pk: user for user in recipients if user is not None}
    SecurityNotice.objects.bulk_create(
        [
            SecurityNotice(
                recipient=user,
                kind=kind,
                subject=subject,
                subject_username=subject.get_username() if subject is not None else "",
                actor_username=actor[:150],
                detail=detail or {},
            )
            for user in unique.values()
        ]
    )
    return len(unique)


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def change_name(kind: str) -> str:
    """The change a request asks for, as it reads after "asks to"."""
    if kind == AccountChangeKind.PASSWORD:
        return _("set the password")
    if kind == AccountChangeKind.MEMBERSHIP:
        return _("give a role")
    return _("reset the second factor")


def notice_text(notice: SecurityNotice) -> str:
    """One notice in words, in the language of the request that shows it."""
    detail = notice.detail or {}
    names = {
        "user": notice.subject_username or "—",
        "actor": notice.actor_username or "—",
        "at": _when(notice.created_at),
        "approver": detail.get("approved_by", ""),
    }
    own = notice.subject_id is not None and notice.subject_id == notice.recipient_id
    kind = notice.kind
    if kind == SecurityNoticeKind.LOCKED_OUT:
        names["failures"] = detail.get("failures", 0)
        names["addresses"] = ", ".join(detail.get("addresses") or []) or "—"
        if own:
            return (
                _(
                    "Signing in to your account was locked at %(at)s after %(failures)s wrong passwords, from "
                    "%(addresses)s. If that was not you, tell your administrator and an auditor."
                )
                % names
            )
        return (
            _(
                "Signing in as %(user)s was locked at %(at)s after %(failures)s wrong passwords, from %(addresses)s."
            )
            % names
        )
    if kind == SecurityNoticeKind.PASSWORD_SET:
        if own:
            return (
                _(
                    "Your password was set by %(actor)s at %(at)s. If you did not ask for this, tell an auditor."
                )
                % names
            )
        if names["approver"]:
            return _("%(actor)s set the password of %(user)s at %(at)s, approved by %(approver)s.") % names
        if detail.get("unusable"):
            return _("%(actor)s turned off password sign-in for %(user)s at %(at)s.") % names
        return _("%(actor)s set the password of %(user)s at %(at)s.") % names
    if kind == SecurityNoticeKind.SECOND_FACTOR_RESET:
        if own:
            return (
                _(
                    "Your second factor was reset by %(actor)s at %(at)s: you set up your authenticator again at "
                    "your next sign-in. If you did not ask for this, tell an auditor."
                )
                % names
            )
        if names["approver"]:
            return (
                _("%(actor)s reset the second factor of %(user)s at %(at)s, approved by %(approver)s.")
                % names
            )
        return _("%(actor)s reset the second factor of %(user)s at %(at)s.") % names
    if kind == SecurityNoticeKind.CHANGE_PROPOSED and detail.get("change") == AccountChangeKind.MEMBERSHIP:
        names["membership"] = membership_label(detail.get("membership"))
        return (
            _(
                "%(actor)s proposes giving %(user)s the role %(membership)s (%(at)s). It is applied only when "
                "another administrator approves it: Administration, Account change requests."
            )
            % names
        )
    if kind == SecurityNoticeKind.CHANGE_REJECTED and detail.get("change") == AccountChangeKind.MEMBERSHIP:
        names["membership"] = membership_label(detail.get("membership"))
        names["decided_by"] = detail.get("decided_by", "—")
        return (
            _(
                "The proposal of %(actor)s to give %(user)s the role %(membership)s was rejected by "
                "%(decided_by)s at %(at)s."
            )
            % names
        )
    if kind == SecurityNoticeKind.CHANGE_PROPOSED:
        names["change"] = change_name(detail.get("change", ""))
        return (
            _(
                "%(actor)s asks to %(change)s of %(user)s (%(at)s). It is applied only when another "
                "administrator approves it: Administration, Account change requests."
            )
            % names
        )
    if kind == SecurityNoticeKind.CHANGE_REJECTED:
        names["change"] = change_name(detail.get("change", ""))
        names["decided_by"] = detail.get("decided_by", "—")
        return (
            _("The request of %(actor)s to %(change)s of %(user)s was rejected by %(decided_by)s at %(at)s.")
            % names
        )
    if kind == SecurityNoticeKind.MEMBERSHIP_CHANGED:
        names["membership"] = membership_label(detail.get("membership"))
        change = detail.get("change")
        if change == "added" and names["approver"]:
            return (
                _("%(actor)s gave %(user)s the role %(membership)s at %(at)s, approved by %(approver)s.")
                % names
            )
        if change == "added":
            return _("%(actor)s gave %(user)s the role %(membership)s at %(at)s.") % names
        if change == "removed":
            return _("%(actor)s removed the role %(membership)s from %(user)s at %(at)s.") % names
        names["before"] = membership_label(detail.get("before"))
        if names["approver"]:
            return (
                _(
                    "%(actor)s changed a role of %(user)s from %(before)s to %(membership)s at %(at)s, approved "
                    "by %(approver)s."
                )
                % names
            )
        return _("%(actor)s changed a role of %(user)s from %(before)s to %(membership)s at %(at)s.") % names
    if kind == SecurityNoticeKind.ACCOUNT_CHANGED:
        if detail.get("created"):
            if detail.get("password_chosen_by_administrator"):
                return (
                    _(
                        "%(actor)s created the account %(user)s at %(at)s, with a password the administrator chose."
                    )
                    % names
                )
            return _("%(actor)s created the account %(user)s at %(at)s.") % names
        names["changes"] = ", ".join(
            _flag_change_text(name, value) for name, value in detail.get("flags", {}).items()
        )
        return _("%(actor)s changed the account %(user)s at %(at)s: %(changes)s.") % names
    return _("An account-security notice about %(user)s (%(at)s).") % names


def membership_label(described: dict | None) -> str:
    """A membership as notices and messages show it: role · bureau (· school) (inactive)."""
    if not described:
        return "—"
    role = described.get("role", "")
    parts = [Role(role).label if role in Role.values else role, described.get("bureau", "")]
    if described.get("school"):
        parts.append(described["school"])
    text = " · ".join(str(part) for part in parts if part)
    if not described.get("active", True):
        text += " " + _("(inactive)")
    return text


def _flag_change_text(name: str, value: bool) -> str:
    labels = {
        "is_active": (_("activated"), _("deactivated")),
        "is_staff": (_("staff status on"), _("staff status off")),
        "is_superuser": (_("superuser on"), _("superuser off")),
    }
    on, off = labels.get(name, (name, name))
    return on if value else off


def deliver(request) -> int:
    """Show the signed-in user the notices waiting for them, as messages on this page; returns how many."""
    session = request.session
    now = time.time()
    checked = session.get(CHECKED_AT)
    if checked is not None and now - checked < CHECK_INTERVAL:
        return 0
    session[CHECKED_AT] = now
    waiting = list(
        SecurityNotice.objects.filter(recipient=request.user, delivered_at__isnull=True).order_by(
            "created_at", "id"
        )
    )
    if not waiting:
        return 0
    for notice in waiting[:MAX_SHOWN]:
        messages.warning(request, notice_text(notice))
    if len(waiting) > MAX_SHOWN:
        messages.warning(
            request,
            ngettext(
                "%(count)d more account-security notice; every change is also in the access log.",
                "%(count)d more account-security notices; every change is also in the access log.",
                len(waiting) - MAX_SHOWN,
            )
            % {"count": len(waiting) - MAX_SHOWN},
        )
    SecurityNotice.objects.filter(pk__in=[notice.pk for notice in waiting]).update(
        delivered_at=timezone.now()
    )
    return len(waiting)


def lockout(*, username: str) -> bool:
    """Tell the account holder and the auditors that signing in as ``username`` was locked, once per lockout.

    A username with no account gets no notice (the access log has every try): otherwise anyone could fill the
    auditors' notices by guessing names.
    """
    from axes.models import AccessAttempt
    from django.conf import settings

    user = User.objects.filter(username=username).first()
    if user is None:
        return False
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    if SecurityNotice.objects.filter(
        recipient=user, subject=user, kind=SecurityNoticeKind.LOCKED_OUT, created_at__gte=since
    ).exists():
        return False
    attempts = list(AccessAttempt.objects.filter(username=username, attempt_time__gte=since))
    addresses = sorted({a.ip_address for a in attempts if a.ip_address})
    detail = {"failures": sum(a.failures_since_start for a in attempts), "addresses": addresses}
    send([user, *auditors()], SecurityNoticeKind.LOCKED_OUT, subject=user, actor="", detail=detail)
    return True
