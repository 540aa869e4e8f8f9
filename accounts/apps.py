from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """Account security: second factor, lockout, idle timeout, password rules."""

    name = "accounts"
    verbose_name = _("Account security")

    def ready(self):
        from axes.signals import user_locked_out
        from django.contrib.auth.signals import user_logged_in

        from . import signals, start_panels
        from .middleware import mark_signed_in

        user_logged_in.connect(mark_signed_in, dispatch_uid="accounts_mark_signed_in")
        user_locked_out.connect(signals.record_lockout, dispatch_uid="accounts_record_lockout")
        # The administrators' start page (casework does not import accounts: each app registers its panels).
        start_panels.register()
