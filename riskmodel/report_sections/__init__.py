"""What the model report page shows (each model's report and ``/models/active/``), section by section.

Each section builder takes a registered model and returns the plain values its part of the page prints,
charts included (drawn by :mod:`charts`), or None when the model did not record what the section needs.
The figures come from the model's stored metrics and report and from :mod:`riskmodel.report`'s selectors.
"""

from __future__ import annotations

from riskmodel import readings

from .. import model_card
from ..models import RiskModel
from . import change, explanation, fairness, glance, performance


def report_context(model: RiskModel) -> dict:
    """Everything the report page shows, section by section."""
    fairness_section = fairness.fairness(model)
    gate = performance.gate_verdict(model)
    return {
        "glance": glance.at_a_glance(model, fairness=fairness_section, gate=gate),
        "fairness_chart": fairness.fairness_picture(fairness_section),
        "bands": performance.bands(model),
        "capacity": performance.capacity(model),
        "headline": performance.headline(model),
        "calibration": performance.calibration(model),
        "importance": explanation.importance(model),
        "beeswarm": explanation.beeswarm(model),
        "dependence": explanation.dependence(model),
        "interactions": explanation.interactions(model),
        "fairness": fairness_section,
        "label_variants": performance.label_variants(model),
        "ablation": performance.ablation(model),
        "gate": gate,
        "drift": change.drift(model),
        "comparison": change.comparison(model),
        "caveats": model_card.caveats(model),
        "label_text": readings.label_text(model.label_variant),
        "months": readings.horizon_months(model),
    }
