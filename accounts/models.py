"""What account security keeps: earlier password hashes, and an admin view of each user's sign-in safeguards."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.models import Bureau, Membership, Role, School, User


class PasswordHistory(models.Model):
    """One password a user has held, as its hash; new passwords may not repeat the most recent ones."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="password_history"
    )
    password = models.CharField(_("password hash"), max_length=128)
    set_at = models.DateTimeField(_("set at"), default=timezone.now)

    class Meta:
        ordering = ["-set_at", "-id"]
        verbose_name = _("earlier password")
        verbose_name_plural = _("password history")

    def __str__(self) -> str:
        return f"{self.user_id} {self.set_at:%Y-%m-%d %H:%M}"


class AccountSecurity(User):
    """The users seen from the sign-in side: second factor, lockouts (admin actions live on this view)."""

    class Meta:
        proxy = True
        verbose_name = _("account security")
        verbose_name_plural = _("account security")


# ---------------------------------------------------------------------------------------------------------
# Account administration: the two-person rule, and notices about account changes
# ---------------------------------------------------------------------------------------------------------

# How long a proposed change waits for a second administrator before it lapses (and its password hash is
# dropped). A day covers a shift change; an older request is proposed again.
CHANGE_REQUEST_VALID_HOURS = 24


class AccountChangeKind(models.TextChoices):
    PASSWORD = "password", _("Set the password")
    SECOND_FACTOR_RESET = "second_factor_reset", _("Reset the second factor")
    MEMBERSHIP = "membership", _("Give or widen a role")


class AccountChangeStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting a second administrator")
    APPROVED = "approved", _("Approved and applied")
    REJECTED = "rejected", _("Rejected or withdrawn")
    LAPSED = "lapsed", _("Lapsed (not approved in time)")


class AccountChangeRequest(models.Model):
    """A change proposed by one administrator and applied only when a different administrator, who is not the
    account holder either, approves it (``accounts.administration``): a privileged account's password or
    second factor, or any role given or widened (a membership added, re-activated, or moved to another role,
    bureau, school or person), since every role reaches youth data or the platform itself."""

    kind = models.CharField(_("change"), max_length=24, choices=AccountChangeKind.choices)
    target = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="account_change_requests",
        verbose_name=_("account"),
    )
    reason = models.TextField(_("reason"), blank=True)
    # The new password, as a hash only; emptied once the request is decided or lapses.
    password_hash = models.CharField(max_length=128, blank=True, editable=False)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("proposed by")
    )
    proposed_at = models.DateTimeField(_("proposed at"), default=timezone.now)
    status = models.CharField(
        _("status"), max_length=16, choices=AccountChangeStatus.choices, default=AccountChangeStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    # For a role (kind MEMBERSHIP): the membership as it would be once approved, and the one it changes
    # (none for a new membership) with how it stood when proposed, so a stale proposal is not applied.
    role = models.CharField(_("role"), max_length=32, choices=Role.choices, blank=True)
    bureau = models.ForeignKey(
        Bureau, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("bureau")
    )
    school = models.ForeignKey(
        School, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("school")
    )
    membership = models.ForeignKey(
        Membership,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("membership changed"),
    )
    membership_before = models.JSONField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-proposed_at", "-id"]
        verbose_name = _("account change request")
        verbose_name_plural = _("account change requests")
        constraints = [
            # The two-person rule, kept by the database too: whoever approves is neither the proposer nor the
            # person whose account changes.
            models.CheckConstraint(
                condition=~models.Q(status="approved")
                | (
                    models.Q(decided_by__isnull=False)
                    & ~models.Q(decided_by=models.F("proposed_by"))
                    & ~models.Q(decided_by=models.F("target"))
                ),
                name="account_change_approved_by_another",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.target}"

    @property
    def lapses_at(self):
        import datetime as dt

        return self.proposed_at + dt.timedelta(hours=CHANGE_REQUEST_VALID_HOURS)

    @property
    def has_lapsed(self) -> bool:
        return self.status == AccountChangeStatus.PENDING and timezone.now() >= self.lapses_at


class PasswordChosenByAdministrator(models.Model):
    """Present while a user's current password was chosen by an administrator alone (not by the user, and not
    approved by a second administrator). Such an account is not given a privileged role until the user has
    chosen their own password: otherwise an administrator could set the password of an ordinary account,
    or of one they had just demoted, and then make it privileged."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    chosen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    chosen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("password chosen by an administrator")
        verbose_name_plural = _("passwords chosen by an administrator")

    def __str__(self) -> str:
        return f"{self.user_id} {self.chosen_at:%Y-%m-%d %H:%M}"


class SecurityNoticeKind(models.TextChoices):
    LOCKED_OUT = "locked_out", _("Sign-in locked")
    PASSWORD_SET = "password_set", _("Password set by an administrator")
    SECOND_FACTOR_RESET = "second_factor_reset", _("Second factor reset")
    CHANGE_PROPOSED = "change_proposed", _("Account change awaits a second administrator")
    CHANGE_REJECTED = "change_rejected", _("Account change rejected")
    MEMBERSHIP_CHANGED = "membership_changed", _("Role changed")
    ACCOUNT_CHANGED = "account_changed", _("Account changed")


class SecurityNotice(models.Model):
    """A notice about an account's security for one person: the auditors (every change to an account's
    password, second factor, roles or status), the account holder (a lockout, a password or second factor set
    for them) and the other administrators (a change awaiting approval).

    Kept here rather than in the casework inbox: it is not about a youth, and auditors and administrators have
    no casework inbox. It is shown to the recipient as a message on their next page once they are fully signed
    in (``accounts.notices.deliver``); the same event is always in the access log too.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="security_notices"
    )
    kind = models.CharField(_("kind"), max_length=24, choices=SecurityNoticeKind.choices)
    # Whose account the notice is about (kept as a name as well, in case the account is deleted).
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    subject_username = models.CharField(max_length=150, blank=True)
    actor_username = models.CharField(max_length=150, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("security notice")
        verbose_name_plural = _("security notices")
        indexes = [models.Index(fields=["recipient", "delivered_at"])]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_id}"
