"""Password rules beyond Django's own: no reuse of recent passwords, no username inside the password."""

from __future__ import annotations

from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


class PasswordHistoryValidator:
    """Refuse any of the user's last ``keep`` passwords; remember each new one (as its hash)."""

    def __init__(self, keep: int = 5):
        self.keep = keep

    def validate(self, password: str, user=None) -> None:
        if user is None or user.pk is None:
            return
        from .models import PasswordHistory

        recent = list(
            PasswordHistory.objects.filter(user=user).values_list("password", flat=True)[: self.keep]
        )
        # The current password counts even when it was set without save() noticing (create_user, fixtures).
        if user.has_usable_password():
            recent.append(user.password)
        for encoded in recent:
            if check_password(password, encoded):
                raise ValidationError(
                    ngettext(
                        "You used this password recently. Choose one you have not used for your last password.",
                        "You used this password recently. Choose one different from your last %(keep)d passwords.",
                        self.keep,
                    ),
                    code="password_reused",
                    params={"keep": self.keep},
                )

    def password_changed(self, password: str, user=None) -> None:
        # Called by User.save() after set_password(): user.password already holds the new hash.
        if user is None or user.pk is None or not user.has_usable_password():
            return
        from .models import PasswordHistory

        PasswordHistory.objects.create(user=user, password=user.password)
        stale = PasswordHistory.objects.filter(user=user).values_list("pk", flat=True)[self.keep :]
        PasswordHistory.objects.filter(pk__in=list(stale)).delete()

    def get_help_text(self) -> str:
        return ngettext(
            "Your password can't be your previous password.",
            "Your password can't be one of your last %(keep)d passwords.",
            self.keep,
        ) % {"keep": self.keep}


class UsernameNotInPasswordValidator:
    """Refuse a password that contains the username (in any letter case)."""

    def validate(self, password: str, user=None) -> None:
        username = (user.get_username() if user is not None else "") or ""
        if len(username) >= 3 and username.lower() in password.lower():
            raise ValidationError(
                _("Your password can't contain your username."), code="password_has_username"
            )

    def get_help_text(self) -> str:
        return _("Your password can't contain your username.")
