"""The report's sections on change: how the scored population drifted from the test period and from run to
run, and how the model compares with the one before it."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

import charts
from casework.models import RiskBand
from riskmodel import readings
from riskmodel.readings import METRIC_NAMES, dec, indicator_name, pct, signed, test_metrics

from .. import pipeline, report
from ..models import RiskModel, ScoringRun

TOP_DRIFT = 12
PSI_MARKERS = ((pipeline.PSI_MODERATE, "0.1"), (pipeline.PSI_MAJOR, "0.25"))

DRIFT_LEVELS = {
    "stable": gettext_lazy("stable"),
    "moderate": gettext_lazy("moderate"),
    "major": gettext_lazy("major"),
}


def _drift_rows(run: ScoringRun) -> list[dict]:
    figures = run.figures or {}
    training = figures.get("drift_vs_training") or {}
    previous = figures.get("drift_vs_previous_run") or {}
    psi_t, levels_t = training.get("psi") or {}, training.get("levels") or {}
    psi_p, levels_p = previous.get("psi") or {}, previous.get("levels") or {}
    names = sorted(set(psi_t) | set(psi_p), key=lambda k: (k != "__score__", -(psi_t.get(k) or 0.0), k))
    return [
        {
            "key": key,
            "name": indicator_name(key),
            "psi_training": dec(psi_t.get(key)),
            "level_training": levels_t.get(key, ""),
            "level_training_text": DRIFT_LEVELS.get(levels_t.get(key, ""), "—"),
            "psi_previous": dec(psi_p.get(key)) if psi_p else "—",
            "level_previous": levels_p.get(key, ""),
            "level_previous_text": DRIFT_LEVELS.get(levels_p.get(key, ""), "—"),
            "value": psi_t.get(key) or 0.0,
            "previous_value": psi_p.get(key),
        }
        for key in names
    ]


def _psi_chart(rows: list[tuple[str, float, str]], *, id: str, title_text: str) -> charts.Chart | None:
    """PSI bars, one per (label, PSI, drift level), with the moderate and major thresholds marked."""
    return charts.hbar_chart(
        [
            charts.bar(label, value, text=f"{value:.3f}", css=f"drift-{level or 'stable'}")
            for label, value, level in rows
        ],
        id=id,
        title_text=title_text,
        tick_format=charts.number_format,
        markers=PSI_MARKERS,
    )


def _drift_chart(rows: list[dict], value: str, css: str, *, id: str, title_text: str) -> charts.Chart | None:
    """PSI bars for drift ``rows``, the value and level read from the keys ``value`` and ``css``."""
    return _psi_chart([(r["name"], r[value], r[css]) for r in rows], id=id, title_text=title_text)


def _run_history(runs: list[ScoringRun]) -> dict | None:
    """Each run's drift of the score against the previous run and the test period, oldest first."""
    if not runs:
        return None
    rows = []
    for run in reversed(runs):
        figures = report.run_drift(run.figures or {})
        rows.append(
            {
                "run": run,
                "as_of": run.as_of.isoformat(),
                "scored": run.scored,
                "psi_previous": dec(figures["score_psi_previous"]),
                "level_previous": figures["score_level_previous"],
                "level_previous_text": DRIFT_LEVELS.get(figures["score_level_previous"], "—"),
                "previous_as_of": figures["previous_as_of"],
                "psi_training": dec(figures["score_psi_training"]),
                "level_training": figures["score_level_training"],
                "level_training_text": DRIFT_LEVELS.get(figures["score_level_training"], "—"),
                "moved_previous": [indicator_name(k) for k in figures["moved_previous"]],
                "value": figures["score_psi_previous"],
            }
        )
    charted = [r for r in rows if r["value"] is not None]
    chart = _psi_chart(
        [
            (
                _("%(as_of)s (against %(previous)s)")
                % {"as_of": r["as_of"], "previous": r["previous_as_of"]},
                r["value"],
                r["level_previous"],
            )
            for r in charted
        ],
        id="drift-history-chart",
        title_text=_("Population stability index of the score, run by run"),
    )
    return {"rows": rows, "chart": chart}


def drift(model: RiskModel) -> dict | None:
    runs = report.latest_runs(model)
    if not runs:
        return None
    run = runs[0]
    rows = _drift_rows(run)
    top = sorted(rows, key=lambda r: -r["value"])[:TOP_DRIFT]
    previous_top = sorted(
        (r for r in rows if r["previous_value"] is not None), key=lambda r: -r["previous_value"]
    )[:TOP_DRIFT]
    figures = run.figures or {}
    band_counts = figures.get("bands") or {}
    total = sum(band_counts.values()) or 0
    test_bands = {b["band"]: b for b in readings.band_rows(model)}
    bands = [
        {
            "label": RiskBand(band).label if band in RiskBand.values else band,
            "n": band_counts.get(band, 0),
            "share": pct(band_counts.get(band, 0) / total) if total else "—",
            "test_share": (test_bands.get(band) or {}).get("share_text", "—"),
        }
        for band in pipeline.BANDS
    ]
    previous = figures.get("drift_vs_previous_run") or {}
    return {
        "run": run,
        "rows": rows,
        "top": top,
        "chart": _drift_chart(
            top,
            "value",
            "level_training",
            id="drift-chart",
            title_text=_("Population stability index per indicator"),
        ),
        "previous_top": previous_top,
        "previous_chart": _drift_chart(
            previous_top,
            "previous_value",
            "level_previous",
            id="drift-previous-chart",
            title_text=_("Population stability index per indicator, against the previous run"),
        ),
        "has_previous": bool(previous),
        "previous_as_of": previous.get("as_of", ""),
        "history": _run_history(runs),
        "bands": bands,
        "flagged": [indicator_name(k) for k in (figures.get("drift_vs_training") or {}).get("flagged") or []],
    }


def _raw(value: float | None) -> str:
    """The stored number as it is, for the machine-readable value of a rounded figure."""
    return "" if value is None else repr(float(value))


def _comparison_row(
    key: str, name: str, before: float | None, this: float | None, higher_better: bool | None
) -> dict:
    """One metric of both models side by side, with the stored values kept for ``<data value>``."""
    change = None if before is None or this is None else this - before
    is_rate = key == "prevalence" or key.startswith("precision_at_")
    text = pct if is_rate else (lambda v: readings.metric_text(key, v))
    return {
        "key": key,
        "name": name,
        "before": text(before),
        "before_raw": _raw(before),
        "this": text(this),
        "this_raw": _raw(this),
        "change": "—" if change is None else (readings.points(change) if is_rate else signed(change)),
        "css": ""
        if change is None or higher_better is None or abs(change) < 1e-9
        else ("weight-pos" if (change > 0) == higher_better else "weight-neg"),
    }


def _paired_importance_chart(importance: list[dict], series: list[charts.Series]) -> charts.Chart | None:
    """Both models' average effect of each indicator, the previous model's bar above this one's."""
    rows = []
    for r in importance:
        bars = []
        for s, value in zip(series, (r["before"], r["now"]), strict=True):
            text = "—" if value is None else f"{value:.3f}"
            segments = (
                [] if value is None else [charts.Segment(abs(value), s.css, f"{r['name']}, {s.name}: {text}")]
            )
            bars.append(charts.Bar(segments, text))
        rows.append(charts.Row(r["name"], bars, title=r["name"]))
    return charts.hbar_chart(
        rows,
        id="comparison-importance-chart",
        title_text=_("Average effect of the top indicators, both models"),
        tick_format=charts.number_format,
        legend=series,
    )


def comparison(model: RiskModel) -> dict | None:
    predecessor = report.previous_model(model)
    if predecessor is None:
        return None
    previous = predecessor.model
    this, before = test_metrics(model), test_metrics(previous)
    rows = [
        _comparison_row(name, METRIC_NAMES[name], before.get(name), this.get(name), higher_better)
        for name, higher_better in (
            ("roc_auc", True),
            ("average_precision", True),
            ("brier", False),
            ("ece", False),
            ("prevalence", None),
        )
    ]
    before_k = {i.get("k"): i for i in before.get("at_k") or []}
    this_k = {i.get("k"): i for i in this.get("at_k") or []}
    capacities = sorted(k for k in set(before_k) | set(this_k) if k is not None)
    for k in capacities:
        rows.append(
            _comparison_row(
                f"precision_at_{k}",
                _("Precision at k = %(k)s") % {"k": k},
                (before_k.get(k) or {}).get("precision"),
                (this_k.get(k) or {}).get("precision"),
                True,
            )
        )
    series = [charts.Series(previous.label, "series-random"), charts.Series(model.label, "series-model")]
    at_k_chart = charts.grouped_bar_chart(
        [
            charts.Group(
                f"k = {k}", [(before_k.get(k) or {}).get("precision"), (this_k.get(k) or {}).get("precision")]
            )
            for k in capacities
        ],
        series,
        id="comparison-at-k-chart",
        title_text=_("Precision at each capacity k, both models"),
        value_text=pct,
    )
    changes = report.importance_change(
        (model.report or {}).get("importance") or [], (previous.report or {}).get("importance") or []
    )
    importance = [
        {
            **c,
            "name": indicator_name(c["key"]),
            "rank_now_text": c["rank_now"] or "—",
            "rank_before_text": c["rank_before"] or "—",
            "now_text": dec(c["now"]),
            "before_text": dec(c["before"]),
            "change_text": signed(c["change"]),
            "css": ""
            if c["change"] is None or abs(c["change"]) < 0.0005
            else ("shap-up" if c["change"] > 0 else "shap-down"),
        }
        for c in changes
    ]
    return {
        "previous": previous,
        "reason": predecessor.reason,
        "rows": rows,
        "at_k_chart": at_k_chart,
        "importance": importance,
        "importance_chart": _paired_importance_chart(importance, series),
        "top": report.TOP_COMPARED,
        "facts": [
            (_("Trained on what was known by"), previous.as_of.isoformat(), model.as_of.isoformat()),
            (_("Status"), previous.get_status_display(), model.get_status_display()),
            (
                _("Promotion gate"),
                _("passed") if (previous.gate or {}).get("passed") else _("not passed"),
                _("passed") if (model.gate or {}).get("passed") else _("not passed"),
            ),
            (
                _("Test rows"),
                str(before.get("n", "—")),
                str(this.get("n", "—")),
            ),
        ],
    }
