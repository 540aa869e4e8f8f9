from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RiskmodelConfig(AppConfig):
    name = "riskmodel"
    verbose_name = _("Risk model")

    def ready(self) -> None:
        from casework.selectors_triage import register_active_scoring

        from . import receivers  # noqa: F401 - connects the signal receivers
        from .service import active_model_label

        # The triage queue shows scores only while a model is active (casework does not import riskmodel).
        register_active_scoring(active_model_label)
