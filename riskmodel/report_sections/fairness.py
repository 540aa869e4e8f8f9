"""The report's fairness section: the audit as published, group by group and for pairs of attributes."""

from __future__ import annotations

import math

from django.utils.translation import gettext as _

import charts
from casework.reports.suppression import RATE_MIN_BASE, ROUNDING_BASE
from casework.words import labelled
from riskmodel import readings
from riskmodel.readings import FAIRNESS_METRIC_GLOSSES, FAIRNESS_METRIC_NAMES, FAIRNESS_METRICS, dec, pct

from .. import report
from ..models import RiskModel


def _ci(interval) -> str:
    if not interval or interval[0] is None or interval[1] is None:
        return ""
    return f"{interval[0]:.2f}–{interval[1]:.2f}"


def fairness(model: RiskModel) -> dict | None:
    """The fairness tables, from the audit as published (``report.published_fairness``, as the API gives it):
    rounded counts, and rates, ratios and flags computed from them."""
    fairness = report.published_fairness(model)
    by_attribute = readings.in_order(fairness.get("by_attribute"), readings.ATTRIBUTE_NAMES)
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
                        "ratio_value": ratio if group != reference else None,
                        "interval": (intervals.get(group) or {}).get(metric) if group != reference else None,
                        "ci": _ci((intervals.get(group) or {}).get(metric)) if group != reference else "",
                        "flagged": flagged,
                        "key": metric in readings.KEY_FAIRNESS_METRICS,
                        "undefined": metric in (undefined.get(group) or []),
                    }
                )
            cal = calibration.get(group) if isinstance(calibration, dict) else None
            if (metrics.get("n") or 0) < RATE_MIN_BASE:
                # A handful of youth: their rates would single them out (and rounding would decide them).
                rows.append(
                    {
                        "group": group,
                        "name": readings.group_name(attribute, group),
                        "n": "—" if metrics.get("n") is None else metrics["n"],
                        "small": True,
                    }
                )
                continue
            rows.append(
                {
                    "group": group,
                    "name": readings.group_name(attribute, group),
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
                "name": readings.attribute_name(attribute),
                "reference": readings.group_name(attribute, reference or ""),
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
                    "pair": " × ".join(readings.attribute_name(c) for c in pair.get("columns") or [])
                    or pair_name,
                    "name": readings.pair_group_name(group),
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
                        for m in readings.KEY_FAIRNESS_METRICS
                    ],
                }
            )
        for group, n in sorted((pair.get("suppressed") or {}).items()):
            shown_n = "—" if n is None else n
            pairs.append(
                {"name": readings.pair_group_name(group), "n": shown_n, "suppressed": True, "cells": []}
            )
    return {
        "threshold": pct(fairness.get("threshold"), 2),
        "capacity": ((model.report or {}).get("capacity_threshold") or {}).get("k"),
        "metrics": [
            {"key": m, "name": FAIRNESS_METRIC_NAMES[m], "gloss": FAIRNESS_METRIC_GLOSSES[m]}
            for m in FAIRNESS_METRICS
        ],
        "pair_metrics": [FAIRNESS_METRIC_NAMES[m] for m in readings.KEY_FAIRNESS_METRICS],
        "attributes": attributes,
        "pairs": pairs,
        "min_n": (fairness.get("pairs") or {}).get("min_n", 30),
        "rounding_base": ROUNDING_BASE,
        "rate_min_base": RATE_MIN_BASE,
    }


RATIO_TICKS = (0.25, 0.5, 0.8, 1.0, 1.25, 2.0, 4.0)
TOLERANCE = (0.8, 1.25)


def _ratio_text(ratio: float) -> str:
    return f"×{ratio:.2f}".rstrip("0").rstrip(".") if ratio != 1 else "×1"


def fairness_picture(section: dict | None):
    """The key disparities as one picture: each group's ratio to its reference group with its 95 % interval,
    on a log scale, against the 0.8–1.25 band. Groups too small to publish rates are left out, as in the
    tables; a picture with nothing to draw is None."""
    if not section:
        return None
    rows = []
    for attribute in section["attributes"]:
        for row in attribute["rows"]:
            if row.get("small") or row.get("reference"):
                continue
            for cell in row["cells"]:
                metric, ratio = cell["metric"], cell["ratio_value"]
                if metric not in ("fnr", "pprev") or ratio is None or ratio <= 0:
                    continue
                low, high = cell["interval"] or (None, None)
                label = (
                    f"{labelled(attribute['name'], row['name'])} · {readings.FAIRNESS_METRIC_NAMES[metric]}"
                )
                text = _ratio_text(ratio) + (
                    f" ({_ratio_text(low)}–{_ratio_text(high)})" if low and high and low > 0 else ""
                )
                outside = not (TOLERANCE[0] <= ratio <= TOLERANCE[1])
                rows.append(
                    charts.Interval(
                        label=label,
                        estimate=math.log(ratio),
                        low=math.log(low) if low and low > 0 else None,
                        high=math.log(high) if high and high > 0 else None,
                        text=text,
                        css="series-flagged" if outside else "series-matched",
                    )
                )
    if not rows:
        return None
    needed = max(abs(v) for r in rows for v in (r.estimate, r.low, r.high) if v is not None)
    extent = max(math.log(1.5), needed * 1.05)
    ticks = [math.log(t) for t in RATIO_TICKS if abs(math.log(t)) <= extent]
    return charts.interval_chart(
        rows,
        id="fairness-chart",
        title_text=_("Each group's rate against its reference group, with 95 % intervals"),
        tick_format=lambda v: _ratio_text(round(math.exp(v), 2)),
        ticks=ticks,
        extent=extent,
        markers=[math.log(t) for t in TOLERANCE],
    )
