from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    """Subject access: everything held about one youth, for a lawful request. Stands on casework,
    integrations and riskmodel (it reads all three and none of them imports it)."""

    name = "privacy"
    verbose_name = _("Privacy")
