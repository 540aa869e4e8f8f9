"""Pages about risk models for model stewards and supervisors: the registry, each model's report (what its
bands mean, how well it finds youth, how calibrated it is, what drives it and how each indicator's effect
moves with its value, how it treats groups, how the population has drifted since and from run to run, and
how it compares with the model before it), the same report for whichever model is active now, and its
model card; and making a model the active one.

Charts are inline SVG drawn from coordinates computed here (no scripts, no inline styles: a CSP forbids
them); every chart has a table with the same numbers right under it. Refusals (403, 404, a promotion the
rules do not allow) are written to the access log, as on every other page.
"""

from __future__ import annotations

import bisect
import math
import unicodedata
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from casework import policy
from casework.audit import Actor, record, record_list
from casework.models import AuditAction, RiskBand
from casework.pages import require
from casework.reports import RATE_MIN_BASE, ROUNDING_BASE

from . import gate, indicators, model_card, pipeline, promotion, report, service
from .model_card import (
    BASELINE_GLOSSES,
    BASELINE_NAMES,
    BASELINES,
    FAIRNESS_METRIC_GLOSSES,
    FAIRNESS_METRIC_NAMES,
    FAIRNESS_METRICS,
    GATE_NAMES,
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
from .models import RiskModel, ScoringRun

TOP_INDICATORS = 15
TOP_DRIFT = 12
DRIFT_LEVELS = {
    "stable": gettext_lazy("stable"),
    "moderate": gettext_lazy("moderate"),
    "major": gettext_lazy("major"),
}

# ---------------------------------------------------------------------------------------------------------
# Promotion (shared with the API)
# ---------------------------------------------------------------------------------------------------------


def promote(*, model: RiskModel, actor: Actor, override_reason: str = "") -> RiskModel:
    """Make ``model`` the active one through :func:`service.activate_model`, refusing in plain words a model
    without a report (no one could read what its bands mean) or one that failed the gate: a person never
    overrides the gate alone (``override_reason`` is not enough; see :mod:`riskmodel.promotion`)."""
    if not model_card.has_report(model):
        raise ValidationError(
            _("%(label)s has no report (bands, metrics, explanations), so it cannot be made active.")
            % {"label": model.label},
            code="no_report",
        )
    return service.activate_model(model=model, actor=actor)


# ---------------------------------------------------------------------------------------------------------
# Chart geometry (inline SVG)
# ---------------------------------------------------------------------------------------------------------

CHART_WIDTH = 720
FONT = 12  # px in the chart's own units


def nice_max(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 times a power of ten at or above ``value``."""
    if not value or value <= 0 or not math.isfinite(value):
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power * (1 + 1e-9):
            return step * power
    return 10 * power


def text_width(text: str, size: float = FONT) -> float:
    """Rough width of text: East Asian characters are about one em wide, others about half."""
    return sum(size if unicodedata.east_asian_width(c) in "WF" else size * 0.56 for c in text)


def fit(text: str, width: float, size: float = FONT) -> str:
    """``text``, shortened with an ellipsis to fit ``width``."""
    if text_width(text, size) <= width:
        return text
    while text and text_width(text + "…", size) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def axis_max(value: float, n: int = 4) -> float:
    """The top of an axis from 0 that shows ``value``: a whole number of round steps (about ``n``)."""
    if not value or value <= 0 or not math.isfinite(value):
        return 1.0
    step = nice_max(value / n)
    return step * math.ceil(value / step - 1e-9)


def _ticks(maximum: float, fmt: Callable[[float], str], n: int = 4) -> list[tuple[float, str]]:
    """Ticks at round steps (about ``n`` of them) from 0 to ``maximum``."""
    step = nice_max(maximum / n)
    count = int(maximum / step + 1e-9)
    return [(step * i, fmt(step * i)) for i in range(count + 1)]


def _trim(text: str) -> str:
    return text.rstrip("0").rstrip(".") if "." in text else text


def _pct_tick(value: float) -> str:
    return _trim(f"{value * 100:.1f}") + "%"


def _num_tick(value: float) -> str:
    return _trim(f"{value:.3f}")


def value_ranks(values: list[float | None]) -> list[float | None]:
    """Each value's quantile in its own list: the share of the others that are strictly lower (so tied values,
    such as the many zeros of a count, all sit at the bottom)."""
    known = sorted(v for v in values if v is not None)
    if not known:
        return [None] * len(values)
    return [None if v is None else bisect.bisect_left(known, v) / len(known) for v in values]


def hbar_chart(
    items: list[dict],
    *,
    fmt: Callable[[float], str],
    tick_fmt: Callable[[float], str] | None = None,
    maximum: float | None = None,
    markers: tuple[tuple[float, str], ...] = (),
    label_width: int = 250,
    row: int = 24,
) -> dict:
    """Horizontal bars: ``items`` are dicts with ``label``, ``value`` and optionally ``css``."""
    top, axis = 20 if markers else 6, 28
    plot_x = label_width + 10
    plot_w = CHART_WIDTH - plot_x - 70
    values = [abs(i["value"] or 0.0) for i in items]
    maximum = maximum or axis_max(max([*values, *(m[0] for m in markers)], default=0.0))
    bars = []
    for n, item in enumerate(items):
        value = abs(item["value"] or 0.0)
        width = plot_w * min(value, maximum) / maximum
        y = top + n * row
        bars.append(
            {
                "y": y + 4,
                "h": row - 8,
                "w": round(width, 1),
                "label": fit(item["label"], label_width),
                "title": f"{item['label']}: {fmt(item['value'])}",
                "label_y": y + row / 2 + FONT * 0.35,
                "text": fmt(item["value"]),
                "text_x": round(plot_x + width + 4, 1),
                "css": item.get("css", ""),
            }
        )
    plot_bottom = top + len(items) * row
    return {
        "width": CHART_WIDTH,
        "height": plot_bottom + axis,
        "label_x": label_width,
        "plot_x": plot_x,
        "plot_w": plot_w,
        "plot_top": top,
        "plot_bottom": plot_bottom,
        "bars": bars,
        "ticks": [
            {"x": round(plot_x + plot_w * v / maximum, 1), "text": t}
            for v, t in _ticks(maximum, tick_fmt or fmt)
        ],
        "tick_y": plot_bottom + 16,
        "markers": [
            {"x": round(plot_x + plot_w * min(v, maximum) / maximum, 1), "text": t} for v, t in markers
        ],
    }


def grouped_bar_chart(groups: list[dict], series: list[dict], *, fmt: Callable[[float], str]) -> dict:
    """Vertical bars in groups (one group per capacity k, one bar per method)."""
    height, left, bottom, top = 300, 52, 40, 40
    plot_w = CHART_WIDTH - left - 12
    plot_h = height - top - bottom
    values = [v for g in groups for v in g["values"] if v is not None]
    maximum = axis_max(max(values, default=0.0))
    slot = plot_w / max(1, len(groups))
    bar_w = min(28.0, (slot - 24) / max(1, len(series)))
    out = []
    for n, group in enumerate(groups):
        x0 = left + n * slot + (slot - bar_w * len(series)) / 2
        bars = []
        for s, value in enumerate(group["values"]):
            h = 0.0 if value is None else plot_h * min(value, maximum) / maximum
            bars.append(
                {
                    "x": round(x0 + s * bar_w, 1),
                    "y": round(top + plot_h - h, 1),
                    "w": round(bar_w - 2, 1),
                    "h": round(h, 1),
                    "css": series[s]["css"],
                    "title": f"{series[s]['name']}, {group['label']}: {fmt(value) if value is not None else '—'}",
                }
            )
        out.append({"label": group["label"], "x": round(left + n * slot + slot / 2, 1), "bars": bars})
    legend, x = [], left
    for s in series:
        legend.append({"x": x, "text": s["name"], "css": s["css"]})
        x += 24 + text_width(s["name"]) + 18
    return {
        "width": CHART_WIDTH,
        "height": height,
        "left": left,
        "right": CHART_WIDTH - 12,
        "top": top,
        "bottom": top + plot_h,
        "groups": out,
        "label_y": top + plot_h + 18,
        "ticks": [
            {"y": round(top + plot_h - plot_h * v / maximum, 1), "text": t}
            for v, t in _ticks(maximum, _pct_tick)
        ],
        "legend": legend,
    }


def calibration_chart(points: list[dict]) -> dict | None:
    """Reliability points (mean score, observed rate) against the diagonal of perfect calibration."""
    if not points:
        return None
    width, height, left, bottom, top, right = 520, 420, 60, 48, 14, 18
    plot_w, plot_h = width - left - right, height - top - bottom
    maximum = axis_max(max(max(p["mean_score"], p["observed"]) for p in points) * 1.05)

    def x(v):
        return round(left + plot_w * min(v, maximum) / maximum, 1)

    def y(v):
        return round(top + plot_h - plot_h * min(v, maximum) / maximum, 1)

    dots = [
        {
            "cx": x(p["mean_score"]),
            "cy": y(p["observed"]),
            "title": _("average score %(score)s, observed %(seen)s, %(n)s rows")
            % {"score": pct(p["mean_score"], 2), "seen": pct(p["observed"], 2), "n": p["n"]},
        }
        for p in points
    ]
    return {
        "width": width,
        "height": height,
        "left": left,
        "right": width - right,
        "top": top,
        "bottom": top + plot_h,
        "diagonal": {"x1": x(0), "y1": y(0), "x2": x(maximum), "y2": y(maximum)},
        "line": " ".join(f"{d['cx']},{d['cy']}" for d in dots),
        "dots": dots,
        "xticks": [{"x": x(v), "text": t} for v, t in _ticks(maximum, _pct_tick)],
        "yticks": [{"y": y(v), "text": t} for v, t in _ticks(maximum, _pct_tick)],
        "xlabel_x": left + plot_w / 2,
        "xlabel_y": height - 8,
        "ylabel_x": 14,
        "ylabel_y": top + plot_h / 2,
    }


def beeswarm_chart(beeswarm: list[dict]) -> dict | None:
    """One row per indicator; a dot per sampled youth at its SHAP value, stacked where dots would overlap,
    coloured by the indicator's value from low (blue) to high (red)."""
    rows = [b for b in beeswarm if b.get("points")]
    if not rows:
        return None
    label_width, row, top, axis, radius = 220, 40, 8, 30, 2.2
    plot_x = label_width + 12
    plot_w = CHART_WIDTH - plot_x - 16
    values = [p[0] for b in rows for p in b["points"]]
    low, high = min(values + [0.0]), max(values + [0.0])
    span = (high - low) or 1.0
    low, high = low - span * 0.03, high + span * 0.03
    span = high - low

    def x(v):
        return plot_x + plot_w * (v - low) / span

    out = []
    for n, item in enumerate(rows):
        centre = top + n * row + row / 2
        limit = row / 2 - radius - 1
        bucket_counts: dict[int, int] = {}
        # One path per colour, a dot being a zero-length line with round caps: a tenth of the markup of
        # 400 circles per row.
        paths: dict[int, list[str]] = {}
        # The stored value is scaled between the indicator's smallest and largest value, so a skewed count
        # would be almost all "low"; its rank in the sample is the quantile the colour stands for.
        points = item["points"]
        ranks = value_ranks([p[1] for p in points])
        for (shap_value, _value), rank in sorted(zip(points, ranks, strict=True), key=lambda p: p[0][0]):
            cx = x(shap_value)
            bucket = int(cx // (radius * 1.6))
            k = bucket_counts.get(bucket, 0)
            bucket_counts[bucket] = k + 1
            step = (k + 1) // 2 * (radius * 1.3) * (1 if k % 2 else -1)
            if abs(step) > limit:
                step = math.copysign(abs(step) % limit, step)
            shade = min(4, int(rank * 5)) if rank is not None else 2
            paths.setdefault(shade, []).append(f"M{cx:.1f} {centre + step:.1f}h0")
        out.append(
            {
                "label": fit(indicator_name(item["key"]), label_width),
                "title": indicator_name(item["key"]),
                "label_y": centre + FONT * 0.35,
                "line_y": top + n * row + row,
                "paths": [{"css": f"bee-{shade}", "d": "".join(d)} for shade, d in sorted(paths.items())],
            }
        )
    bottom = top + len(rows) * row
    tick_step = nice_max(span / 5)
    first = math.ceil(low / tick_step) * tick_step
    ticks = []
    v = first
    while v <= high + 1e-12:
        ticks.append({"x": round(x(v), 1), "text": f"{v:+.1f}" if abs(v) > 1e-12 else "0"})
        v += tick_step
    return {
        "width": CHART_WIDTH,
        "height": bottom + axis + 26,
        "label_x": label_width,
        "plot_x": plot_x,
        "plot_right": plot_x + plot_w,
        "top": top,
        "bottom": bottom,
        "zero_x": round(x(0.0), 1),
        "rows": out,
        "ticks": ticks,
        "tick_y": bottom + 16,
        "legend_y": bottom + axis + 12,
        # The colour key sits under the indicator names, the direction key under the dots.
        "legend": [{"x": 96 + i * 16, "css": f"bee-{i}"} for i in range(5)],
        "legend_low_x": 92,
        "legend_high_x": 96 + 5 * 16 + 4,
    }


def paired_hbar_chart(
    items: list[dict],
    *,
    series: list[dict],
    fmt: Callable[[float], str],
    tick_fmt: Callable[[float], str] | None = None,
    label_width: int = 280,
) -> dict | None:
    """Two horizontal bars per row on one scale (the previous model's and this one's): ``items`` are dicts
    with ``label`` and ``values`` (two numbers, None where a model has none); ``series`` name the two."""
    if not items:
        return None
    top, axis, row, bar = 30, 28, 32, 12
    plot_x = label_width + 10
    plot_w = CHART_WIDTH - plot_x - 70
    maximum = axis_max(max((v for i in items for v in i["values"] if v is not None), default=0.0))
    rows = []
    for n, item in enumerate(items):
        y = top + n * row
        bars = []
        for s, value in enumerate(item["values"]):
            width = 0.0 if value is None else plot_w * min(abs(value), maximum) / maximum
            text = "—" if value is None else fmt(value)
            bar_y = y + 3 + s * (bar + 1)
            bars.append(
                {
                    "y": bar_y,
                    "h": bar,
                    "w": round(width, 1),
                    "css": series[s]["css"],
                    "text": text,
                    "text_x": round(plot_x + width + 4, 1),
                    "text_y": bar_y + bar - 2,
                    "title": f"{item['label']}, {series[s]['name']}: {text}",
                }
            )
        rows.append(
            {
                "label": fit(item["label"], label_width),
                "title": item["label"],
                "label_y": y + (2 * bar + 7) / 2 + FONT * 0.35,
                "bars": bars,
            }
        )
    plot_bottom = top + len(items) * row
    legend, x = [], plot_x
    for s in series:
        legend.append({"x": x, "text": s["name"], "css": s["css"]})
        x += 24 + text_width(s["name"]) + 18
    return {
        "width": CHART_WIDTH,
        "height": plot_bottom + axis,
        "label_x": label_width,
        "plot_x": plot_x,
        "plot_top": top,
        "plot_bottom": plot_bottom,
        "rows": rows,
        "ticks": [
            {"x": round(plot_x + plot_w * v / maximum, 1), "text": t}
            for v, t in _ticks(maximum, tick_fmt or fmt)
        ],
        "tick_y": plot_bottom + 16,
        "legend": legend,
    }


def dependence_chart(panels: list[dict], *, columns: int = 3) -> dict | None:
    """Small multiples, one panel per indicator: a bar per value bin at the bin's mean SHAP value, above
    the zero line when the bin raises the score and below it when it lowers it. All panels share one scale,
    so a tall bar means a large effect whichever the indicator. ``panels`` are dicts with ``title`` and
    ``bins`` (dicts with ``label``, ``mean``, ``title``)."""
    panels = [p for p in panels if p["bins"]]
    if not panels:
        return None
    gap, title_h, plot_h, label_h, pad = 18, 20, 104, 16, 14
    panel_w = CHART_WIDTH / columns
    inner_w = panel_w - gap
    panel_h = title_h + plot_h + label_h + 12
    means = [b["mean"] for p in panels for b in p["bins"]]
    high, low = max(0.0, *means), min(0.0, *means)
    span = (high - low) or 1.0

    def y(value: float, top: float) -> float:
        return top + title_h + pad + (plot_h - 2 * pad) * (high - value) / span

    out = []
    for i, panel in enumerate(panels):
        x0 = (i % columns) * panel_w + gap / 2
        top = (i // columns) * panel_h
        zero = y(0.0, top)
        slot = inner_w / len(panel["bins"])
        bar_w = min(30.0, slot * 0.7)
        bars = []
        for j, b in enumerate(panel["bins"]):
            centre = x0 + slot * (j + 0.5)
            end = y(b["mean"], top)
            bars.append(
                {
                    "x": round(centre - bar_w / 2, 1),
                    "y": round(min(end, zero), 1),
                    "w": round(bar_w, 1),
                    "h": round(abs(zero - end), 1),
                    "css": "bee-4" if b["mean"] > 0 else "bee-0" if b["mean"] < 0 else "series-random",
                    "label": fit(b["label"], slot - 2, 11),
                    "label_x": round(centre, 1),
                    "value": signed(b["mean"], 2),
                    "value_y": round(end - 4 if b["mean"] >= 0 else end + 12, 1),
                    "title": b["title"],
                }
            )
        out.append(
            {
                "title": fit(panel["title"], inner_w),
                "full_title": panel["title"],
                "x": round(x0, 1),
                "x2": round(x0 + inner_w, 1),
                "title_y": top + 14,
                "zero_y": round(zero, 1),
                "label_y": top + title_h + plot_h + 12,
                "bars": bars,
            }
        )
    bottom = math.ceil(len(panels) / columns) * panel_h
    legend, x = [], gap / 2
    for css, text in (("bee-4", _("raises the score")), ("bee-0", _("lowers the score"))):
        legend.append({"x": round(x, 1), "text_x": round(x + 18, 1), "css": css, "text": text})
        x += 18 + text_width(text, 11) + 18
    return {
        "width": CHART_WIDTH,
        "height": bottom + 22,
        "panels": out,
        "legend": legend,
        "legend_y": bottom + 6,
        "legend_text_y": bottom + 16,
        "low": signed(low, 2),
        "high": signed(high, 2),
    }


# ---------------------------------------------------------------------------------------------------------
# What the report page shows, section by section (each returns None when the model did not record it)
# ---------------------------------------------------------------------------------------------------------


def _bands(model: RiskModel) -> dict | None:
    rows = model_card.band_rows(model)
    if not rows:
        return None
    prevalence = test_metrics(model).get("prevalence")
    markers = ((prevalence, _("all youth %(rate)s") % {"rate": pct(prevalence)}),) if prevalence else ()
    chart = hbar_chart(
        [{"label": r["label"], "value": r["observed_rate"] or 0.0, "css": f"band-{r['band']}"} for r in rows],
        fmt=pct,
        tick_fmt=_pct_tick,
        markers=markers,
        label_width=110,
        row=30,
    )
    return {"rows": rows, "chart": chart, "months": model_card.horizon_months(model)}


def _capacity(model: RiskModel) -> dict | None:
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
    series = [{"name": str(BASELINE_NAMES[m]), "css": f"series-{m}"} for m in methods]
    chart = grouped_bar_chart(
        [
            {"label": f"k = {item.get('k')}", "values": [lookup(m, i).get("precision") for m in methods]}
            for i, item in enumerate(at_k)
        ],
        series,
        fmt=pct,
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


def _headline(model: RiskModel) -> dict | None:
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
                "model": model_card.metric_text(name, test.get(name)),
                "others": [model_card.metric_text(name, (baselines[b] or {}).get(name)) for b in methods],
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


def _calibration(model: RiskModel) -> dict | None:
    points = test_metrics(model).get("reliability") or []
    if not points:
        return None
    return {
        "chart": calibration_chart(points),
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


def _direction(dependence: list[dict]) -> str:
    known = [d["mean_shap"] for d in dependence if d.get("mean_shap") is not None]
    if len(known) < 2:
        return ""
    if len(known) == 3:
        low, middle, high = known
        if middle - max(low, high) > 0.05:
            return _("middle values raise the score most")
        if min(low, high) - middle > 0.05:
            return _("middle values lower the score most")
    change = known[-1] - known[0]
    if change > 0.05:
        return _("higher values raise the score")
    if change < -0.05:
        return _("higher values lower the score")
    return _("little change across values")


def _importance(model: RiskModel) -> dict | None:
    importance = (model.report or {}).get("importance") or []
    if not importance:
        return None
    top = importance[:TOP_INDICATORS]
    chart = hbar_chart(
        [
            {"label": indicator_name(i["key"]), "value": i["mean_abs_shap"], "css": "bar-importance"}
            for i in top
        ],
        fmt=lambda v: f"{v:.3f}",
        tick_fmt=_num_tick,
        label_width=280,
    )

    def row(rank: int, item: dict) -> dict:
        return {
            "rank": rank,
            "key": item["key"],
            "name": indicator_name(item["key"]),
            "mean_abs_shap": f"{item['mean_abs_shap']:.3f}",
            "share_nonzero": pct(item.get("share_nonzero")),
            "household": item["key"] in indicators.ABOUT_OTHERS,
        }

    dependence = []
    for item in top:
        thirds = {d["range"]: d for d in item.get("dependence") or []}
        cells = []
        for part in ("low", "middle", "high"):
            d = thirds.get(part) or {}
            value = d.get("mean_shap")
            cells.append(
                {
                    "text": signed(value, 2) if value is not None else "—",
                    "n": d.get("n", 0),
                    "css": ""
                    if value is None or abs(value) < 0.005
                    else ("shap-up" if value > 0 else "shap-down"),
                }
            )
        dependence.append(
            {
                "name": indicator_name(item["key"]),
                "key": item["key"],
                "cells": cells,
                "reading": _direction(item.get("dependence") or []),
            }
        )
    return {
        "chart": chart,
        "top": [row(n, item) for n, item in enumerate(top, 1)],
        "rest": [row(n, item) for n, item in enumerate(importance[TOP_INDICATORS:], TOP_INDICATORS + 1)],
        "total": len(importance),
        "dependence": dependence,
        "base_value": dec((model.report or {}).get("shap_base_value"), 2),
    }


def _beeswarm(model: RiskModel) -> dict | None:
    beeswarm = (model.report or {}).get("beeswarm") or []
    chart = beeswarm_chart(beeswarm)
    if chart is None:
        return None
    rows = []
    for item in beeswarm:
        points = item.get("points") or []
        if not points:
            continue
        values = sorted(p[0] for p in points)
        ranks = value_ranks([p[1] for p in points])
        low = [p[0] for p, r in zip(points, ranks, strict=True) if r is not None and r < 1 / 3]
        high = [p[0] for p, r in zip(points, ranks, strict=True) if r is not None and r >= 2 / 3]
        rows.append(
            {
                "name": indicator_name(item["key"]),
                "key": item["key"],
                "n": len(points),
                "min": signed(values[0], 2),
                "median": signed(values[len(values) // 2], 2),
                "max": signed(values[-1], 2),
                "low_mean": signed(sum(low) / len(low), 2) if low else "—",
                "low_n": len(low),
                "high_mean": signed(sum(high) / len(high), 2) if high else "—",
                "high_n": len(high),
            }
        )
    return {"chart": chart, "rows": rows}


def _position(value: float) -> str:
    return f"{value * 100:.0f}%"


def _bin_labels(key: str, low: float, high: float) -> tuple[str, str]:
    """A value bin of the stored sample (values scaled 0..1 between the indicator's lowest and highest
    value in the test period) in words for the table and in short for the chart."""
    item = indicators.INDICATORS.get(key)
    if item is not None and item.value_kind == "flag" and low == high and low in (0.0, 1.0):
        text = item.format_value(low, get_language() or "zh")
        return text, text
    if low == high:
        if low == 0:
            return _("the lowest value"), "0%"
        if low == 1:
            return _("the highest value"), "100%"
        return _("at %(at)s of the range") % {"at": _position(low)}, _position(low)
    short = f"{low * 100:.0f}–{_position(high)}"
    return _("%(low)s to %(high)s of the range") % {"low": _position(low), "high": _position(high)}, short


def _dependence(model: RiskModel) -> dict | None:
    """Binned mean SHAP values per indicator, from the beeswarm sample, as small multiples and a table."""
    panels, rows = [], []
    for item in (model.report or {}).get("beeswarm") or []:
        bins = report.sample_dependence(item.get("points") or [])
        if not bins:
            continue
        name = indicator_name(item["key"])
        cells = []
        for b in bins:
            words, short = _bin_labels(item["key"], b["low"], b["high"])
            cells.append(
                {
                    "label": words,
                    "short": short,
                    "n": b["n"],
                    "mean": b["mean_shap"],
                    "text": signed(b["mean_shap"], 2),
                    "css": ""
                    if abs(b["mean_shap"]) < 0.005
                    else ("shap-up" if b["mean_shap"] > 0 else "shap-down"),
                }
            )
        panels.append(
            {
                "title": name,
                "bins": [
                    {
                        "label": c["short"],
                        "mean": c["mean"],
                        "title": _("%(name)s, %(bin)s: %(shap)s on average, %(n)s youth")
                        % {"name": name, "bin": c["label"], "shap": c["text"], "n": c["n"]},
                    }
                    for c in cells
                ],
            }
        )
        rows.append({"key": item["key"], "name": name, "bins": cells, "reading": _direction(bins)})
    chart = dependence_chart(panels)
    if chart is None:
        return None
    sample = max((sum(c["n"] for c in r["bins"]) for r in rows), default=0)
    return {"chart": chart, "rows": rows, "sample": sample}


def _interactions(model: RiskModel) -> dict | None:
    """The pairs of indicators whose interaction drives the top of the list (SHAP interaction values of the
    scoring model for its own top k youth), one row each with a sentence made from its figures. Models
    trained before these were recorded have none, and the section is left out."""
    data = (model.report or {}).get("top_of_list_interactions") or {}
    rows = []
    for pair in data.get("pairs") or []:
        main_a, main_b = pair["main_abs"]
        direction = model_card.interaction_direction(pair)
        rows.append(
            {
                "keys": pair["keys"],
                "a": indicator_name(pair["keys"][0]),
                "b": indicator_name(pair["keys"][1]),
                "mean_abs": model_card.log_odds(pair["mean_abs"]),
                "mean": model_card.log_odds(pair["mean"], sign=True),
                "main_a": model_card.log_odds(main_a),
                "main_b": model_card.log_odds(main_b),
                "of_main": pct(pair["mean_abs"] / (main_a + main_b), 0) if main_a + main_b else "—",
                "direction": direction,
                "direction_text": model_card.INTERACTION_DIRECTIONS[direction],
                "css": {"up": "shap-up", "down": "shap-down"}.get(direction, ""),
                "sentence": model_card.interaction_sentence(pair),
            }
        )
    if not rows:
        return None
    return {
        "rows": rows,
        "k": data.get("k"),
        "n": data.get("n"),
        "as_of": data.get("as_of"),
        "share": pct(data.get("interaction_share"), 0),
    }


def _ci(interval) -> str:
    if not interval or interval[0] is None or interval[1] is None:
        return ""
    return f"{interval[0]:.2f}–{interval[1]:.2f}"


def _fairness(model: RiskModel) -> dict | None:
    """The fairness tables, from the audit as published (``report.published_fairness``, as the API gives it):
    rounded counts, and rates, ratios and flags computed from them."""
    fairness = report.published_fairness(model)
    by_attribute = model_card.in_order(fairness.get("by_attribute"), model_card.ATTRIBUTE_NAMES)
    if not by_attribute:
        return None
    attributes = []
    for attribute, audit in by_attribute:
        groups = audit.get("groups") or {}
        disparities = audit.get("disparities") or {}
        flags = audit.get("flags") or {}
        undefined = audit.get("undefined_disparities") or {}
        calibration = audit.get("calibration") or {}
        intervals = (audit.get("confidence_intervals") or {}).get("disparities") or {}
        reference = audit.get("reference_group")
        rows = []
        for group in sorted(groups, key=lambda g: (g != reference, -(groups[g].get("n") or 0), g)):
            metrics = groups[group]
            cells = []
            for metric in FAIRNESS_METRICS:
                ratio = (disparities.get(group) or {}).get(metric)
                # A different base rate (prev) is a fact about the group, not something the model did.
                flagged = metric in (flags.get(group) or []) and metric != "prev"
                cells.append(
                    {
                        "metric": metric,
                        "rate": pct(metrics.get(metric)),
                        "ratio": f"×{ratio:.2f}" if ratio is not None and group != reference else "",
                        "ci": _ci((intervals.get(group) or {}).get(metric)) if group != reference else "",
                        "flagged": flagged,
                        "key": metric in model_card.KEY_FAIRNESS_METRICS,
                        "undefined": metric in (undefined.get(group) or []),
                    }
                )
            cal = calibration.get(group) if isinstance(calibration, dict) else None
            if (metrics.get("n") or 0) < RATE_MIN_BASE:
                # A handful of youth: their rates would single them out (and rounding would decide them).
                rows.append(
                    {
                        "group": group,
                        "name": model_card.group_name(attribute, group),
                        "n": "—" if metrics.get("n") is None else metrics["n"],
                        "small": True,
                    }
                )
                continue
            rows.append(
                {
                    "group": group,
                    "name": model_card.group_name(attribute, group),
                    "reference": group == reference,
                    "n": metrics.get("n"),
                    "cells": cells,
                    "ece": dec((cal or {}).get("ece")),
                    "scores_vs_seen": (
                        f"{pct(cal.get('mean_score'))} / {pct(cal.get('observed_rate'))}"
                        if cal and cal.get("observed_rate") is not None
                        else "—"
                    ),
                    "flagged": any(c["flagged"] and c["key"] for c in cells),
                }
            )
        attributes.append(
            {
                "attribute": attribute,
                "name": model_card.attribute_name(attribute),
                "reference": model_card.group_name(attribute, reference or ""),
                "rows": rows,
                "has_ci": bool(intervals),
            }
        )
    pairs = []
    pairs_audit = ((fairness.get("pairs") or {}).get("pairs")) or {}
    for pair_name, pair in sorted(pairs_audit.items()):
        audit = pair.get("audit") or {}
        groups = audit.get("groups") or {}
        disparities = audit.get("disparities") or {}
        flags = audit.get("flags") or {}
        for group in sorted(groups, key=lambda g: (-(groups[g].get("n") or 0), g)):
            metrics = groups[group]
            pairs.append(
                {
                    "pair": " × ".join(model_card.attribute_name(c) for c in pair.get("columns") or [])
                    or pair_name,
                    "name": model_card.pair_group_name(group),
                    "reference": group == audit.get("reference_group"),
                    "n": metrics.get("n"),
                    "cells": [
                        {
                            "rate": pct(metrics.get(m)),
                            "ratio": (
                                f"×{(disparities.get(group) or {}).get(m):.2f}"
                                if (disparities.get(group) or {}).get(m) is not None
                                and group != audit.get("reference_group")
                                else ""
                            ),
                            "flagged": m in (flags.get(group) or []),
                        }
                        for m in model_card.KEY_FAIRNESS_METRICS
                    ],
                }
            )
        for group, n in sorted((pair.get("suppressed") or {}).items()):
            shown_n = "—" if n is None else n
            pairs.append(
                {"name": model_card.pair_group_name(group), "n": shown_n, "suppressed": True, "cells": []}
            )
    return {
        "threshold": pct(fairness.get("threshold"), 2),
        "capacity": ((model.report or {}).get("capacity_threshold") or {}).get("k"),
        "metrics": [
            {"key": m, "name": FAIRNESS_METRIC_NAMES[m], "gloss": FAIRNESS_METRIC_GLOSSES[m]}
            for m in FAIRNESS_METRICS
        ],
        "pair_metrics": [FAIRNESS_METRIC_NAMES[m] for m in model_card.KEY_FAIRNESS_METRICS],
        "attributes": attributes,
        "pairs": pairs,
        "min_n": (fairness.get("pairs") or {}).get("min_n", 30),
        "rounding_base": ROUNDING_BASE,
        "rate_min_base": RATE_MIN_BASE,
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


def _label_variants(model: RiskModel) -> dict | None:
    variants = (model.metrics or {}).get("label_variants") or {}
    if not variants:
        return None
    capacities = _capacities(model)
    rows = [
        {
            **_evaluation_row(
                LABEL_NAMES.get(model.label_variant, model.label_variant), test_metrics(model), capacities
            ),
            "text": model_card.label_text(model.label_variant),
            "own": True,
        }
    ]
    for variant, result in model_card.in_order(variants, LABEL_NAMES):
        rows.append(
            {
                **_evaluation_row(LABEL_NAMES.get(variant, variant), result, capacities),
                "text": model_card.label_text(variant),
            }
        )
    return {"rows": rows, "capacities": capacities}


def _ablation(model: RiskModel) -> dict | None:
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
                "change": model_card.points(b - a) if a is not None and b is not None else "—",
            }
        )
    return {
        "rows": rows,
        "excluded": [indicator_name(k) for k in ablation.get("excluded") or []],
        "sentence": model_card.ablation_sentence(model),
    }


def _gate(model: RiskModel) -> dict | None:
    """The gate's verdict, one row per check with the sentence made from the figures it judged; for a model
    judged by the earlier gate (no evidence recorded), its checks by name only."""
    verdict = model.gate or {}
    if not verdict:
        return None
    sentences = model_card.gate_sentences(verdict)
    if sentences:
        rows = sentences
    else:
        rows = [
            {"key": key, "name": GATE_NAMES.get(key, key), "passed": passed, "text": ""}
            for key, passed in model_card.in_order(verdict.get("checks") or {}, GATE_NAMES)
        ]
    entry = model_card.activation(model)
    detail = (entry.detail or {}) if entry else {}
    return {
        "passed": gate.passed(verdict),
        "current": gate.is_current(verdict),
        "overridable": gate.overridable(verdict),
        "refusal": model_card.gate_refusal(verdict) if gate.is_current(verdict) else "",
        "failed": model_card.failed_names(verdict),
        "rows": rows,
        "override_reason": detail.get("override_reason") or "",
        "proposed_by": detail.get("proposed_by") or "",
        "approved_by": detail.get("approved_by") or "",
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


def _drift_chart(rows: list[dict], value: str, css: str) -> dict | None:
    """PSI bars for drift ``rows``, the value and level read from the keys ``value`` and ``css``."""
    if not rows:
        return None
    return hbar_chart(
        [{"label": r["name"], "value": r[value], "css": f"drift-{r[css] or 'stable'}"} for r in rows],
        fmt=lambda v: f"{v:.3f}",
        tick_fmt=_num_tick,
        markers=((pipeline.PSI_MODERATE, "0.1"), (pipeline.PSI_MAJOR, "0.25")),
        label_width=280,
    )


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
    chart = (
        hbar_chart(
            [
                {
                    "label": _("%(as_of)s (against %(previous)s)")
                    % {"as_of": r["as_of"], "previous": r["previous_as_of"]},
                    "value": r["value"],
                    "css": f"drift-{r['level_previous'] or 'stable'}",
                }
                for r in charted
            ],
            fmt=lambda v: f"{v:.3f}",
            tick_fmt=_num_tick,
            markers=((pipeline.PSI_MODERATE, "0.1"), (pipeline.PSI_MAJOR, "0.25")),
            label_width=280,
        )
        if charted
        else None
    )
    return {"rows": rows, "chart": chart}


def _drift(model: RiskModel) -> dict | None:
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
    test_bands = {b["band"]: b for b in model_card.band_rows(model)}
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
        "chart": _drift_chart(top, "value", "level_training"),
        "previous_top": previous_top,
        "previous_chart": _drift_chart(previous_top, "previous_value", "level_previous"),
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
    text = pct if is_rate else (lambda v: model_card.metric_text(key, v))
    return {
        "key": key,
        "name": name,
        "before": text(before),
        "before_raw": _raw(before),
        "this": text(this),
        "this_raw": _raw(this),
        "change": "—" if change is None else (model_card.points(change) if is_rate else signed(change)),
        "css": ""
        if change is None or higher_better is None or abs(change) < 1e-9
        else ("weight-pos" if (change > 0) == higher_better else "weight-neg"),
    }


def _comparison(model: RiskModel) -> dict | None:
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
    series = [
        {"name": previous.label, "css": "series-random"},
        {"name": model.label, "css": "series-model"},
    ]
    at_k_chart = (
        grouped_bar_chart(
            [
                {
                    "label": f"k = {k}",
                    "values": [
                        (before_k.get(k) or {}).get("precision"),
                        (this_k.get(k) or {}).get("precision"),
                    ],
                }
                for k in capacities
            ],
            series,
            fmt=pct,
        )
        if capacities
        else None
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
        "importance_chart": paired_hbar_chart(
            [{"label": r["name"], "values": [r["before"], r["now"]]} for r in importance],
            series=series,
            fmt=lambda v: f"{v:.3f}",
            tick_fmt=_num_tick,
        ),
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


def report_context(model: RiskModel) -> dict:
    """Everything the report page shows, section by section."""
    return {
        "bands": _bands(model),
        "capacity": _capacity(model),
        "headline": _headline(model),
        "calibration": _calibration(model),
        "importance": _importance(model),
        "beeswarm": _beeswarm(model),
        "dependence": _dependence(model),
        "interactions": _interactions(model),
        "fairness": _fairness(model),
        "label_variants": _label_variants(model),
        "ablation": _ablation(model),
        "gate": _gate(model),
        "drift": _drift(model),
        "comparison": _comparison(model),
        "caveats": model_card.caveats(model),
        "label_text": model_card.label_text(model.label_variant),
        "months": model_card.horizon_months(model),
    }


# ---------------------------------------------------------------------------------------------------------
# Pages
# ---------------------------------------------------------------------------------------------------------


def _model_or_404(request, version: int) -> RiskModel:
    model = RiskModel.objects.select_related("trained_by").filter(version=version).first()
    if model is None:
        record(
            Actor.from_request(request),
            AuditAction.DENIED,
            detail={
                "path": request.path,
                "status": 404,
                "object_type": "riskmodel",
                "object_id": str(version),
            },
        )
        raise Http404
    return model


def _list_row(model: RiskModel) -> dict:
    test = test_metrics(model)
    return {
        "model": model,
        "label_name": LABEL_NAMES.get(model.label_variant, model.label_variant),
        "roc_auc": dec(test.get("roc_auc")),
        "average_precision": dec(test.get("average_precision")),
        "ece": dec(test.get("ece")),
        # None for a model judged by the earlier gate, which no longer decides anything.
        "gate": gate.passed(model.gate) if gate.is_current(model.gate) else None,
        "has_report": model_card.has_report(model),
    }


@login_required
def model_list(request):
    """Every registered model, newest first."""
    require(policy.can_read_model_reports(request.user))
    models = list(RiskModel.objects.defer("booster").order_by("-version"))
    record_list(Actor.from_request(request), "riskmodel", count=len(models))
    return render(request, "riskmodel/model_list.html", {"rows": [_list_row(m) for m in models]})


def _render_report(request, model: RiskModel, *, part: str, active: RiskModel | None):
    record(Actor.from_request(request), AuditAction.VIEW, model, detail={"part": part})
    context = report_context(model)
    context.update(
        model=model,
        has_report=model_card.has_report(model),
        can_promote=policy.can_promote_models(request.user),
        active=active,
        is_active_report=part == "active report",
        override=promotion.open_override(model),
        overrides=promotion.overrides_of(model),
        may_propose=policy.can_propose_model_override(request.user),
        may_decide=policy.can_decide_model_override(request.user),
        min_reason=promotion.MIN_REASON_LENGTH,
    )
    return render(request, "riskmodel/model_report.html", context)


@login_required
def model_report(request, version: int):
    require(policy.can_read_model_reports(request.user))
    model = _model_or_404(request, version)
    return _render_report(request, model, part="report", active=service.active_model())


@login_required
def active_report(request):
    """The report on the model that scores the youth now, compared with the one before it; when no model
    is active, a page that says so (not a 404: the address stays valid while models come and go)."""
    require(policy.can_read_model_reports(request.user))
    model = service.active_model()
    if model is None:
        record(
            Actor.from_request(request), AuditAction.VIEW, detail={"part": "active report", "active": None}
        )
        latest = RiskModel.objects.defer("booster").order_by("-version").first()
        return render(request, "riskmodel/no_active_model.html", {"latest": latest})
    return _render_report(request, model, part="active report", active=model)


@login_required
def model_card_page(request, version: int):
    require(policy.can_read_model_reports(request.user))
    model = _model_or_404(request, version)
    record(Actor.from_request(request), AuditAction.VIEW, model, detail={"part": "model card"})
    return render(
        request,
        "riskmodel/model_card.html",
        {"model": model, "title": model_card.title(model), "sections": model_card.sections(model)},
    )


def _refused(request, model: RiskModel, exc: Exception, what: str) -> None:
    """A refused promotion step: in the access log, and told to the person in plain words."""
    text = " ".join(getattr(exc, "messages", None) or [str(exc)])
    record(
        Actor.from_request(request),
        AuditAction.DENIED,
        model,
        detail={what: text, "code": getattr(exc, "code", "") or ""},
    )
    messages.error(request, text)


@login_required
def model_activate(request, version: int):
    """POST: make a model that passed the gate the active one (Post/Redirect/Get back to its report)."""
    require(policy.can_promote_models(request.user))
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    model = _model_or_404(request, version)
    try:
        promote(model=model, actor=Actor.from_request(request))
    except ValidationError as exc:
        _refused(request, model, exc, "activate")
    else:
        messages.success(
            request,
            _("%(label)s is now the active model. The next scoring run uses it.") % {"label": model.label},
        )
    return redirect("riskmodel:model-report", version=model.version)


@login_required
def model_override_propose(request, version: int):
    """POST: a model steward proposes to make active a model that failed an overridable check, with a
    written reason; a supervisor of the committee decides (:mod:`riskmodel.promotion`)."""
    require(policy.can_promote_models(request.user) and policy.can_propose_model_override(request.user))
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    model = _model_or_404(request, version)
    try:
        promotion.propose_override(
            model=model, actor=Actor.from_request(request), reason=request.POST.get("reason", "")
        )
    except ValidationError as exc:
        _refused(request, model, exc, "propose_override")
    else:
        messages.success(
            request,
            _(
                "Your proposal is recorded. A supervisor of the committee decides whether %(label)s becomes active."
            )
            % {"label": model.label},
        )
    return redirect("riskmodel:model-report", version=model.version)


@login_required
def model_override_decide(request, version: int, pk: int, decision: str):
    """POST: a supervisor of the committee (not the proposer) approves or rejects a proposed override."""
    require(policy.can_promote_models(request.user) and policy.can_decide_model_override(request.user))
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    model = _model_or_404(request, version)
    override = model.overrides.filter(pk=pk).first()
    if override is None or decision not in ("approve", "reject"):
        raise Http404
    note = request.POST.get("note", "")
    try:
        if decision == "approve":
            promotion.approve_override(override=override, actor=Actor.from_request(request), note=note)
        else:
            promotion.reject_override(override=override, actor=Actor.from_request(request), note=note)
    except ValidationError as exc:
        _refused(request, model, exc, f"{decision}_override")
    else:
        messages.success(
            request,
            _("%(label)s is now the active model. The next scoring run uses it.") % {"label": model.label}
            if decision == "approve"
            else _("The proposal is rejected; %(label)s stays a candidate.") % {"label": model.label},
        )
    return redirect("riskmodel:model-report", version=model.version)
