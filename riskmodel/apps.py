from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RiskmodelConfig(AppConfig):
    name = "riskmodel"
    verbose_name = _("Risk model")

    def ready(self) -> None:
        from casework.reports.annual_models import register_gate_reader
        from casework.triage.selectors import register_scores_shown

        from . import receivers  # noqa: F401 - connects the signal receivers
        from .readings import gate_figures
        from .service import scores_may_be_shown
        from .start_panels import register as register_start_panels

        # The triage queue shows no score while no model is active (casework does not import riskmodel).
        register_scores_shown(scores_may_be_shown)
        # The model stewards' start page, and the overrides a committee supervisor decides.
        register_start_panels()
        # The annual work report's table of the models in use, with the gate figures they were judged by.
        register_gate_reader(gate_figures)
