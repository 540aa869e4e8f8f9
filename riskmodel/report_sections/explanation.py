"""The report's sections on what drives the model: the indicators' average effect, the beeswarm of individual
effects, how each indicator's effect moves with its value (small multiples), and the pairs of indicators
whose interaction drives the top of the list."""

from __future__ import annotations

from django.utils.translation import get_language
from django.utils.translation import gettext as _

import charts
from riskmodel import readings
from riskmodel.readings import dec, indicator_name, pct, signed

from .. import indicators, report
from ..models import RiskModel

TOP_INDICATORS = 15


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


def importance(model: RiskModel) -> dict | None:
    importance = (model.report or {}).get("importance") or []
    if not importance:
        return None
    top = importance[:TOP_INDICATORS]
    chart = charts.hbar_chart(
        [
            charts.bar(
                indicator_name(i["key"]),
                i["mean_abs_shap"],
                text=f"{i['mean_abs_shap']:.3f}",
                css="bar-importance",
            )
            for i in top
        ],
        id="importance-chart",
        title_text=_("Average size of each indicator's effect on the score"),
        tick_format=charts.number_format,
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


def beeswarm(model: RiskModel) -> dict | None:
    beeswarm = (model.report or {}).get("beeswarm") or []
    chart = charts.beeswarm_chart(
        [charts.Swarm(indicator_name(b["key"]), [tuple(p) for p in b.get("points") or []]) for b in beeswarm],
        id="beeswarm-chart",
        title_text=_("Summary of individual effects (beeswarm)"),
        low_text=_("value: low"),
        high_text=_("high"),
        direction_text=_("← lowers the score · raises the score →"),
    )
    if chart is None:
        return None
    rows = []
    for item in beeswarm:
        points = item.get("points") or []
        if not points:
            continue
        values = sorted(p[0] for p in points)
        ranks = charts.value_ranks([p[1] for p in points])
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


def dependence(model: RiskModel) -> dict | None:
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
            charts.Panel(
                name,
                [
                    charts.Bin(
                        c["short"],
                        c["mean"],
                        c["text"],
                        _("%(name)s, %(bin)s: %(shap)s on average, %(n)s youth")
                        % {"name": name, "bin": c["label"], "shap": c["text"], "n": c["n"]},
                    )
                    for c in cells
                ],
            )
        )
        rows.append({"key": item["key"], "name": name, "bins": cells, "reading": _direction(bins)})
    chart = charts.small_multiples_chart(
        panels,
        id="dependence-chart",
        title_text=_("Average effect by value, per indicator"),
        up_text=_("raises the score"),
        down_text=_("lowers the score"),
    )
    if chart is None:
        return None
    means = [c["mean"] for r in rows for c in r["bins"]]
    sample = max((sum(c["n"] for c in r["bins"]) for r in rows), default=0)
    return {
        "chart": chart,
        "rows": rows,
        "sample": sample,
        "low": signed(min(0.0, *means), 2),
        "high": signed(max(0.0, *means), 2),
    }


def interactions(model: RiskModel) -> dict | None:
    """The pairs of indicators whose interaction drives the top of the list (SHAP interaction values of the
    scoring model for its own top k youth), one row each with a sentence made from its figures. Models
    trained before these were recorded have none, and the section is left out."""
    data = (model.report or {}).get("top_of_list_interactions") or {}
    rows = []
    for pair in data.get("pairs") or []:
        main_a, main_b = pair["main_abs"]
        direction = readings.interaction_direction(pair)
        rows.append(
            {
                "keys": pair["keys"],
                "a": indicator_name(pair["keys"][0]),
                "b": indicator_name(pair["keys"][1]),
                "mean_abs": readings.log_odds(pair["mean_abs"]),
                "mean": readings.log_odds(pair["mean"], sign=True),
                "main_a": readings.log_odds(main_a),
                "main_b": readings.log_odds(main_b),
                "of_main": pct(pair["mean_abs"] / (main_a + main_b), 0) if main_a + main_b else "—",
                "direction": direction,
                "direction_text": readings.INTERACTION_DIRECTIONS[direction],
                "css": {"up": "shap-up", "down": "shap-down"}.get(direction, ""),
                "sentence": readings.interaction_sentence(pair),
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
