"""What account security keeps: earlier password hashes, and an admin view of each user's sign-in safeguards."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.models import User


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
