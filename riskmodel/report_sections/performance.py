"""The report's sections on what the model does: its bands, how well it finds youth at each capacity, its
headline metrics against simpler methods, calibration, other label definitions, the model without household
indicators, and the promotion gate's verdict."""

from __future__ import annotations

from django.utils.translation import gettext as _

import charts
from riskmodel import gate_text, readings
from riskmodel.gate_text import GATE_NAMES
from riskmodel.readings import (
    BASELINE_GLOSSES,
    BASELINE_NAMES,
    BASELINES,
    HEADLINE,
    LABEL_NAMES,
    METRIC_GLOSSES,
    METRIC_NAMES,
    dec,
    indicator_name,
    pct,
    signed,
    test_metrics,
)

from .. import gate, model_card
from ..models import RiskModel


def bands(model: RiskModel) -> dict | None:
    rows = readings.band_rows(model)
    if not rows:
        return None
    prevalence = test_metrics(model).get("prevalence")
    markers = ((prevalence, _("all youth %(rate)s") % {"rate": pct(prevalence)}),) if prevalence else ()
    chart = charts.hbar_chart(
        [
            charts.bar(
                r["label"],
                r["observed_rate"] or 0.0,
                text=pct(r["observed_rate"] or 0.0),
                css=f"band-{r['band']}",
            )
            for r in rows
        ],
        id="bands-chart",
        title_text=_("Observed outcome rate per band"),
        tick_format=charts.percent_format,
        markers=markers,
    )
    return {"rows": rows, "chart": chart, "months": readings.horizon_months(model)}


def capacity(model: RiskModel) -> dict | None:
    test = test_metrics(model)
    at_k = test.get("at_k") or []
    if not at_k:
        return None
    baselines = (model.metrics or {}).get("baselines") or {}
    methods = ["model", *[b for b in BASELINES if b in baselines]]

    def lookup(method: str, i: int) -> dict:
        items = test.get("at_k") if method == "model" else (baselines.get(method) or {}).get("at_k")
        items = items or []
        return items[i] if i < len(items) else {}

    rows = []
    for i, item in enumerate(at_k):
        cells = []
        for method in methods:
            found = lookup(method, i)
            cells.append(
                {
                    "precision": pct(found.get("precision")),
                    "recall": pct(found.get("recall")),
                    "hits": round(found["precision"] * found["k"])
                    if found.get("precision") is not None and found.get("k")
                    else None,
                    "k": found.get("k"),
                }
            )
        rows.append({"k": item.get("k"), "cells": cells})
    chart = charts.grouped_bar_chart(
        [
            charts.Group(f"k = {item.get('k')}", [lookup(m, i).get("precision") for m in methods])
            for i, item in enumerate(at_k)
        ],
        [charts.Series(str(BASELINE_NAMES[m]), f"series-{m}") for m in methods],
        id="capacity-chart",
        title_text=_("Precision at each capacity k"),
        value_text=pct,
    )
    return {
        "methods": [
            {"key": m, "name": BASELINE_NAMES[m], "gloss": BASELINE_GLOSSES.get(m, "")} for m in methods
        ],
        "rows": rows,
        "chart": chart,
        "test_rows": test.get("n"),
        "test_months": len(((model.metrics or {}).get("split") or {}).get("test") or []),
    }


def headline(model: RiskModel) -> dict | None:
    test = test_metrics(model)
    if not test:
        return None
    baselines = (model.metrics or {}).get("baselines") or {}
    methods = [b for b in BASELINES if b in baselines]
    rows = []
    for name in HEADLINE:
        rows.append(
            {
                "key": name,
                "name": METRIC_NAMES[name],
                "gloss": METRIC_GLOSSES[name],
                "model": readings.metric_text(name, test.get(name)),
                "others": [readings.metric_text(name, (baselines[b] or {}).get(name)) for b in methods],
            }
        )
    return {
        "methods": [BASELINE_NAMES[m] for m in methods],
        "rows": rows,
        "uncalibrated_ece": dec((model.metrics or {}).get("uncalibrated_ece")),
        "ece": dec(test.get("ece")),
    }


def _calibration_reading(gap: float) -> str:
    if abs(gap) < 0.005:
        return _("about right")
    return _("scores too low") if gap > 0 else _("scores too high")


def calibration(model: RiskModel) -> dict | None:
    points = test_metrics(model).get("reliability") or []
    if not points:
        return None
    return {
        "chart": charts.calibration_chart(
            [
                charts.Point(
                    p["mean_score"],
                    p["observed"],
                    _("average score %(score)s, observed %(seen)s, %(n)s rows")
                    % {"score": pct(p["mean_score"], 2), "seen": pct(p["observed"], 2), "n": p["n"]},
                )
                for p in points
            ],
            id="calibration-chart",
            title_text=_("Calibration curve"),
            x_label=_("Average score in the group"),
            y_label=_("Observed outcome rate"),
            diagonal_title=_("Perfect calibration: observed rate equals the score"),
        ),
        "rows": [
            {
                "n": p["n"],
                "mean_score": pct(p["mean_score"], 2),
                "observed": pct(p["observed"], 2),
                "gap": signed((p["observed"] - p["mean_score"]) * 100, 2),
                "reading": _calibration_reading(p["observed"] - p["mean_score"]),
            }
            for p in points
        ],
    }


def _evaluation_row(name, result: dict, capacities: list[int]) -> dict:
    at_k = {item.get("k"): item for item in result.get("at_k") or []}
    return {
        "name": name,
        "prevalence": pct(result.get("prevalence")),
        "roc_auc": dec(result.get("roc_auc")),
        "average_precision": dec(result.get("average_precision")),
        "at_k": [pct((at_k.get(k) or {}).get("precision")) for k in capacities],
    }


def _capacities(model: RiskModel) -> list[int]:
    return [item.get("k") for item in test_metrics(model).get("at_k") or []]


def label_variants(model: RiskModel) -> dict | None:
    variants = (model.metrics or {}).get("label_variants") or {}
    if not variants:
        return None
    capacities = _capacities(model)
    rows = [
        {
            **_evaluation_row(
                LABEL_NAMES.get(model.label_variant, model.label_variant), test_metrics(model), capacities
            ),
            "text": readings.label_text(model.label_variant),
            "own": True,
        }
    ]
    for variant, result in readings.in_order(variants, LABEL_NAMES):
        rows.append(
            {
                **_evaluation_row(LABEL_NAMES.get(variant, variant), result, capacities),
                "text": readings.label_text(variant),
            }
        )
    return {"rows": rows, "capacities": capacities}


def ablation(model: RiskModel) -> dict | None:
    ablation = (model.report or {}).get("ablation_without_household") or {}
    without = ablation.get("test") or {}
    if not without:
        return None
    test = test_metrics(model)
    rows = []
    for name in ("roc_auc", "average_precision", "brier", "ece"):
        a, b = test.get(name), without.get(name)
        rows.append(
            {
                "name": METRIC_NAMES[name],
                "with": dec(a),
                "without": dec(b),
                "change": signed(b - a) if a is not None and b is not None else "—",
            }
        )
    at_with = {i.get("k"): i for i in test.get("at_k") or []}
    for item in without.get("at_k") or []:
        a = (at_with.get(item.get("k")) or {}).get("precision")
        b = item.get("precision")
        rows.append(
            {
                "name": _("Precision at k = %(k)s") % {"k": item.get("k")},
                "with": pct(a),
                "without": pct(b),
                "change": readings.points(b - a) if a is not None and b is not None else "—",
            }
        )
    return {
        "rows": rows,
        "excluded": [indicator_name(k) for k in ablation.get("excluded") or []],
        "sentence": model_card.ablation_sentence(model),
    }


def gate_verdict(model: RiskModel) -> dict | None:
    """The gate's verdict, one row per check with the sentence made from the figures it judged; for a model
    judged by the earlier gate (no evidence recorded), its checks by name only."""
    verdict = model.gate or {}
    if not verdict:
        return None
    sentences = gate_text.gate_sentences(verdict)
    if sentences:
        rows = sentences
    else:
        rows = [
            {"key": key, "name": GATE_NAMES.get(key, key), "passed": passed, "text": ""}
            for key, passed in readings.in_order(verdict.get("checks") or {}, GATE_NAMES)
        ]
    entry = readings.activation(model)
    detail = (entry.detail or {}) if entry else {}
    return {
        "passed": gate.passed(verdict),
        "current": gate.is_current(verdict),
        "overridable": gate.overridable(verdict),
        "refusal": gate_text.gate_refusal(verdict) if gate.is_current(verdict) else "",
        "failed": gate_text.failed_names(verdict),
        "rows": rows,
        "override_reason": detail.get("override_reason") or "",
        "proposed_by": detail.get("proposed_by") or "",
        "approved_by": detail.get("approved_by") or "",
    }
