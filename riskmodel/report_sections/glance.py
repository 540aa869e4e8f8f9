"""The report's first screen: what the model is for, how good it is against simple alternatives, how it
treats groups and what changed, in plain words written from the figures below it (never a fixed sentence that
could contradict them)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from riskmodel import readings
from riskmodel.readings import test_metrics

from .. import report
from ..models import RiskModel
from .fairness import TOLERANCE


def _share(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.0f}%"


def at_a_glance(model: RiskModel, *, fairness: dict | None, gate: dict | None) -> list[str]:
    test = test_metrics(model)
    lines = [
        _(
            "It estimates each young person's chance of an adverse outcome within %(months)s months (%(label)s), so "
            "that help is offered first where it is most needed. A score is never a finding about a child."
        )
        % {"months": readings.horizon_months(model), "label": readings.label_text(model.label_variant)}
    ]
    auc = test.get("roc_auc")
    if auc is not None:
        baselines = (model.metrics or {}).get("baselines") or {}
        lr = (baselines.get("logistic_regression") or {}).get("roc_auc")
        focal = (baselines.get("focal_count") or {}).get("roc_auc")
        lines.append(
            _(
                "On months it had never seen, it ranked a youth who later had an adverse outcome above one who did "
                "not %(model)s of the time; a simple logistic regression did so %(lr)s of the time, a count of "
                "focal events %(focal)s, and chance 50%%."
            )
            % {"model": _share(auc), "lr": _share(lr), "focal": _share(focal)}
        )
    if gate:
        lines.append(
            _(
                "It passed the promotion gate, which asks it to beat chance and the simple methods with confidence."
            )
            if gate.get("passed")
            else _("It did not pass the promotion gate: see why below before relying on it.")
        )
    if fairness:
        outside = []
        compared = 0
        for attribute in fairness.get("attributes") or []:
            for row in attribute["rows"]:
                if row.get("small") or row.get("reference"):
                    continue
                compared += 1
                for cell in row["cells"]:
                    if cell["metric"] in ("fnr", "pprev") and cell["flagged"]:
                        outside.append(
                            f"{attribute['name']} {row['name']} ({readings.FAIRNESS_METRIC_NAMES[cell['metric']]})"
                        )
        if compared:
            low, high = TOLERANCE
            lines.append(
                _(
                    "Of %(n)s groups compared with their reference group, none is missed or flagged more than "
                    "%(low)s–%(high)s times as often."
                )
                % {"n": compared, "low": low, "high": high}
                if not outside
                else _(
                    "Of %(n)s groups compared with their reference group, %(m)s differ beyond %(low)s–%(high)s in how "
                    "often they are missed or flagged: %(which)s. The fairness section says whether each gap may be "
                    "chance."
                )
                % {
                    "n": compared,
                    "m": len(outside),
                    "low": low,
                    "high": high,
                    "which": "、".join(outside[:4]),
                }
            )
    predecessor = report.previous_model(model)
    if predecessor is not None and auc is not None:
        before = test_metrics(predecessor.model).get("roc_auc")
        if before is not None:
            lines.append(
                _("Compared with %(previous)s, its ROC AUC went from %(before).3f to %(after).3f.")
                % {"previous": predecessor.model.label, "before": before, "after": auc}
            )
    return lines
