from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RiskmodelConfig(AppConfig):
    name = "riskmodel"
    verbose_name = _("Risk model")

    def ready(self) -> None:
        from . import receivers  # noqa: F401 - connects the signal receivers
