from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """Account security: second factor, lockout, idle timeout, password rules."""

    name = "accounts"
    verbose_name = _("Account security")
