"""Selectors for the model explanation report that supervisors read (each model's report, and
``/models/active/`` for the model that scores the youth): which model it is compared with, how an
indicator's effect moves with its value, how the indicators' importance changed between two models, how
the scored population drifted from one scoring run to the next, and the fairness audit as it is published
(:func:`published_fairness`, also the API's).

The computations take plain lists and arrays, so they can be tested without a database; the functions that
read the registry or the access log say so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from django.db.models import Q

from casework.models import AuditAction, AuditEntry
from casework.reports.suppression import RATE_MIN_BASE, ROUNDING_BASE, Release, published_rate
from riskmodel import readings

from . import fairness, service
from .models import RiskModel, ScoringRun

DEPENDENCE_BINS = 5
TOP_COMPARED = 10
RUN_HISTORY = 12
SCORE = "__score__"


# ---------------------------------------------------------------------------------------------------------
# Which model to compare with
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Predecessor:
    """The model a report compares with, and why that one."""

    model: RiskModel
    reason: Literal["active_before", "previous_version"]


def previous_model(model: RiskModel) -> Predecessor | None:
    """The model that was active just before ``model`` was last made active (read from the access log,
    which keeps every activation), or else the latest earlier version; None for the first model."""
    entry = readings.activation(model)
    if entry is not None:
        before = (
            AuditEntry.objects.filter(
                Q(at__lt=entry.at) | Q(at=entry.at, pk__lt=entry.pk),
                object_type=RiskModel._meta.model_name,
                action=AuditAction.UPDATE,
                detail__activated=True,
            )
            .exclude(object_id=str(model.pk))
            .order_by("-at", "-pk")
            .values_list("object_id", flat=True)
            .first()
        )
        found = (
            RiskModel.objects.defer("booster").filter(pk=int(before)).first()
            if before and before.isdigit()
            else None
        )
        if found is not None:
            return Predecessor(found, "active_before")
    found = RiskModel.objects.defer("booster").filter(version__lt=model.version).order_by("-version").first()
    return Predecessor(found, "previous_version") if found is not None else None


# ---------------------------------------------------------------------------------------------------------
# Dependence: how an indicator's effect moves with its value
# ---------------------------------------------------------------------------------------------------------


def dependence_summary(
    values: Sequence[float | None] | np.ndarray,
    shap_values: Sequence[float | None] | np.ndarray,
    *,
    max_bins: int = DEPENDENCE_BINS,
) -> list[dict]:
    """The mean SHAP value in bins of an indicator's value, lowest values first.

    With at most ``max_bins`` distinct values each value is its own bin (a flag, a level, a rare count);
    otherwise the bins hold about equal numbers of youth, and youth with the same value always share a bin
    (so the many zeros of a count make one bin rather than several alike). Rows where either number is
    missing are left out. Each bin gives its smallest and largest value (``low``, ``high``), its number of
    youth (``n``) and the mean SHAP value (``mean_shap``).
    """
    if max_bins < 1:
        raise ValueError("max_bins must be at least 1")
    v = np.asarray([np.nan if x is None else x for x in values], dtype=float)
    s = np.asarray([np.nan if x is None else x for x in shap_values], dtype=float)
    if v.shape != s.shape:
        raise ValueError("values and shap_values must have the same length")
    known = ~(np.isnan(v) | np.isnan(s))
    v, s = v[known], s[known]
    if not len(v):
        return []
    distinct = np.unique(v)
    if len(distinct) <= max_bins:
        cuts = distinct[:-1]
    else:
        # Cut at values that occur ("lower"), so no bin between two cuts is empty.
        cuts = np.unique(np.quantile(v, np.arange(1, max_bins) / max_bins, method="lower"))
    # Bin i holds the values in (cuts[i-1], cuts[i]]; the last bin the values above the last cut.
    index = np.searchsorted(cuts, v, side="left")
    out = []
    for i in range(len(cuts) + 1):
        members = index == i
        if not members.any():
            continue
        out.append(
            {
                "low": float(v[members].min()),
                "high": float(v[members].max()),
                "n": int(members.sum()),
                "mean_shap": float(s[members].mean()),
            }
        )
    return out


def sample_dependence(
    points: Sequence[Sequence[float | None]], *, max_bins: int = DEPENDENCE_BINS
) -> list[dict]:
    """:func:`dependence_summary` of one indicator's stored beeswarm sample, whose points are
    ``[SHAP value, value scaled to 0..1 between the indicator's lowest and highest value in the test
    period]``; ``low`` and ``high`` are on that 0..1 scale."""
    return dependence_summary([p[1] for p in points], [p[0] for p in points], max_bins=max_bins)


# ---------------------------------------------------------------------------------------------------------
# How the indicators' importance changed between two models
# ---------------------------------------------------------------------------------------------------------


def importance_change(current: list[dict], previous: list[dict], *, top: int = TOP_COMPARED) -> list[dict]:
    """For every indicator in the top ``top`` of either model (the registry's ``report.importance`` lists,
    largest mean |SHAP| first): its rank and mean |SHAP| in each model (None where the model did not use
    it), and the change of mean |SHAP|. Ordered by importance in the current model, then in the previous,
    then by rank (so indicators of equal weight keep the models' own order)."""
    now = {item["key"]: (rank, item["mean_abs_shap"]) for rank, item in enumerate(current, 1)}
    before = {item["key"]: (rank, item["mean_abs_shap"]) for rank, item in enumerate(previous, 1)}
    keys = [item["key"] for item in current[:top]]
    keys += [item["key"] for item in previous[:top] if item["key"] not in set(keys)]
    rows = []
    for key in keys:
        rank_now, value_now = now.get(key, (None, None))
        rank_before, value_before = before.get(key, (None, None))
        rows.append(
            {
                "key": key,
                "rank_now": rank_now,
                "rank_before": rank_before,
                "now": value_now,
                "before": value_before,
                "change": None if value_now is None or value_before is None else value_now - value_before,
                "entered_top": rank_now is not None and rank_now <= top and (rank_before or top + 1) > top,
                "left_top": rank_before is not None and rank_before <= top and (rank_now or top + 1) > top,
            }
        )
    last = len(current) + len(previous) + 1
    rows.sort(
        key=lambda r: (
            -(r["now"] or 0.0),
            -(r["before"] or 0.0),
            r["rank_now"] or last,
            r["rank_before"] or last,
        )
    )
    return rows


# ---------------------------------------------------------------------------------------------------------
# Drift from run to run
# ---------------------------------------------------------------------------------------------------------


def latest_runs(model: RiskModel, *, limit: int = RUN_HISTORY) -> list[ScoringRun]:
    """The model's latest scoring runs, one per as-of date (the last one made: a re-run replaces that
    date's scores), newest date first (reads the registry)."""
    # Deduplicated here rather than with DISTINCT ON, which SQLite (the demo's database) lacks.
    runs: dict = {}
    for run in model.scoring_runs.order_by("-as_of", "-created_at", "-pk").iterator():
        runs.setdefault(run.as_of, run)
        if len(runs) > limit:
            break
    return list(runs.values())[:limit]


def run_drift(figures: dict) -> dict:
    """One scoring run's drift figures in one place: the score's PSI and level against the test period and
    against the previous run, and the indicators whose level was not stable (``moved_*``)."""
    training = (figures or {}).get("drift_vs_training") or {}
    previous = (figures or {}).get("drift_vs_previous_run") or {}

    def moved(drift: dict) -> list[str]:
        levels = drift.get("levels") or {}
        return sorted(k for k, level in levels.items() if k != SCORE and level in ("moderate", "major"))

    return {
        "score_psi_training": (training.get("psi") or {}).get(SCORE),
        "score_level_training": (training.get("levels") or {}).get(SCORE, ""),
        "score_psi_previous": (previous.get("psi") or {}).get(SCORE),
        "score_level_previous": (previous.get("levels") or {}).get(SCORE, ""),
        "previous_as_of": previous.get("as_of", ""),
        "moved_training": moved(training),
        "moved_previous": moved(previous),
    }


# ---------------------------------------------------------------------------------------------------------
# The fairness audit as it is published
# ---------------------------------------------------------------------------------------------------------

ALL = "all"


class _FairnessRelease:
    """The counts of one model's fairness audit, declared to a ``casework.reports.suppression.Release`` with what ties
    them together: a group's counts add up to its size, each attribute's groups add up to the test period's
    counts (which a reader knows from the model's metrics), and a group's calibration bins add up to its size
    and to its youth with an outcome."""

    def __init__(self, model: RiskModel, totals: dict[str, int]):
        self.release = Release()
        self.prefix = f"risk-model:{model.pk}"
        for column, n in totals.items():
            self.release.known((ALL, column), n)
        self.release.known((ALL, "n"), sum(totals.values()))

    def count(self, name: tuple, n: int) -> None:
        self.release.count(name, n, f"{self.prefix}:" + "/".join(map(str, name)))

    def audit(self, scope: tuple, audit: dict, *, unaudited: Sequence[tuple] = ()) -> None:
        """Declare one audit's counts; ``unaudited`` names the sizes of groups of the same rows left out of it
        (small intersections), which hold an unseen part of each count."""
        groups = audit.get("groups") or {}
        for group, metrics in groups.items():
            self.count((*scope, group, "n"), int(metrics.get("n") or 0))
            for column in fairness.COUNTS:
                self.count((*scope, group, column), int(metrics.get(column) or 0))
            self.release.adds_up([(*scope, group, "n")], [(*scope, group, c) for c in fairness.COUNTS])
        calibration = audit.get("calibration")
        for group, cal in (calibration if isinstance(calibration, dict) else {}).items():
            bins = _bin_counts(cal)
            for i, (size, positives) in enumerate(bins):
                self.count((*scope, group, "bin", i, "n"), size)
                self.count((*scope, group, "bin", i, "pos"), positives)
                self.release.at_most((*scope, group, "bin", i, "pos"), (*scope, group, "bin", i, "n"))
            if group in groups:
                self.release.adds_up(
                    [(*scope, group, "n")], [(*scope, group, "bin", i, "n") for i in range(len(bins))]
                )
                self.release.adds_up(
                    [(*scope, group, "tp"), (*scope, group, "fn")],
                    [(*scope, group, "bin", i, "pos") for i in range(len(bins))],
                )
        if unaudited:
            size = sum(self.release.cells[name].n for name in unaudited)
            for column in fairness.COUNTS:
                self.release.unseen(("unaudited", scope, column), 0, size)
            self.release.adds_up([("unaudited", scope, c) for c in fairness.COUNTS], list(unaudited))
        for column in fairness.COUNTS:
            rest = [("unaudited", scope, column)] if unaudited else []
            self.release.adds_up([(ALL, column)], [*((*scope, g, column) for g in groups), *rest])
        self.release.adds_up([(ALL, "n")], [*((*scope, g, "n") for g in groups), *unaudited])


def _bin_counts(cal: dict) -> list[tuple[int, int]]:
    """Each calibration bin's youth and youth with an outcome (the stored bins give the size and the rate)."""
    out = []
    for b in cal.get("bins") or []:
        n = int(b.get("n") or 0)
        out.append((n, int(round((b.get("observed_rate") or 0.0) * n))))
    return out


def _published_audit(audit: dict, scope: tuple, shown: dict) -> dict:
    """One audit recomputed from the published counts (``fairness.audit_counts``), with its calibration. A
    group of fewer than ``RATE_MIN_BASE`` youth (as published) gets its rounded counts and nothing else."""
    groups = audit.get("groups") or {}
    sizes = {group: shown.get((*scope, group, "n")) for group in groups}
    counts = {}
    for group in groups:
        cells = {c: shown.get((*scope, group, c)) for c in fairness.COUNTS}
        if None not in cells.values() and sizes[group] is not None:
            counts[group] = cells
    reference = audit.get("reference_group")
    ci = audit.get("confidence_intervals") or {}
    if reference not in counts or (sizes[reference] or 0) < RATE_MIN_BASE:
        return {
            "threshold": audit.get("threshold"),
            "reference_group": reference,
            "groups": {},
            "calibration": None,
        }
    out = fairness.audit_counts(
        counts,
        audit.get("threshold", 0.0),
        reference,
        min_denominator=RATE_MIN_BASE,
        bootstrap=int(ci.get("resamples") or 0),
        seed=int(ci.get("seed") or 0),
    )
    intervals = out.get("confidence_intervals") or {}
    for group in groups:
        small = group not in counts or (sizes[group] or 0) < RATE_MIN_BASE
        entry = out["groups"].setdefault(group, {})
        entry.update({c: shown.get((*scope, group, c)) for c in fairness.COUNTS}, n=sizes[group])
        if small:
            entry.update(dict.fromkeys(fairness.RATES))
            out["disparities"][group] = dict.fromkeys(fairness.RATES)
            out["flags"][group] = []
            out["undefined_disparities"][group] = []
            for part in ("groups", "disparities"):
                if part in intervals:
                    intervals[part][group] = dict.fromkeys(fairness.RATES)
    calibration = audit.get("calibration")
    if not isinstance(calibration, dict):
        out["calibration"] = None
        return out
    published = {}
    for group, cal in calibration.items():
        metrics = out["groups"].get(group) or {}
        small = (metrics.get("n") or 0) < RATE_MIN_BASE
        bins = []
        for i, stored_bin in enumerate(cal.get("bins") or []):
            size, positives = (
                shown.get((*scope, group, "bin", i, "n")),
                shown.get((*scope, group, "bin", i, "pos")),
            )
            rate = None if small else published_rate(positives, size)
            bins.append(
                {
                    "n": size,
                    "mean_score": stored_bin.get("mean_score") if rate is not None else None,
                    "observed_rate": rate,
                }
            )
        shown_bins = [b for b in bins if b["observed_rate"] is not None]
        weight = sum(b["n"] for b in shown_bins)
        ece = (
            sum(b["n"] / weight * abs(b["mean_score"] - b["observed_rate"]) for b in shown_bins)
            if bins and len(shown_bins) == len(bins) and weight
            else None
        )
        published[group] = {
            "n": metrics.get("n"),
            "mean_score": None if small else cal.get("mean_score"),
            "observed_rate": None if small else metrics.get("prev"),
            "ece": ece,
            "bins": bins,
        }
    out["calibration"] = published
    return out


def published_fairness(model: RiskModel) -> dict:
    """The model's fairness audit as the report page and the API publish it.

    Every count of youth (each group's flagged and missed youth, each calibration bin's youth with and
    without an outcome, each intersection's size) is rounded to a multiple of 5 by
    ``casework.reports.suppression.Release``, the one way counts of young people are published, so that no group's or
    bin's count can be read off or worked out from the others. A group's size is the sum of its rounded
    counts; every rate, ratio, flag and interval is computed from the rounded counts
    (``fairness.audit_counts``) and withheld when it rests on fewer than ``RATE_MIN_BASE``; calibration bins
    give their rounded size, mean score and observed rate (withheld likewise) but never the lowest and highest
    score in them, which are single youths' scores. The stored audit, with exact counts, stays behind the
    promotion gate and the model card's summary."""
    stored = model.fairness or {}
    by_attribute = stored.get("by_attribute") or {}
    if not by_attribute:
        return {}
    first = next(iter(by_attribute.values()))
    totals = {
        c: sum(int(m.get(c) or 0) for m in (first.get("groups") or {}).values()) for c in fairness.COUNTS
    }
    builder = _FairnessRelease(model, totals)
    for attribute, audit in by_attribute.items():
        builder.audit(("attr", attribute), audit)
    pairs = (stored.get("pairs") or {}).get("pairs") or {}
    for name, pair in pairs.items():
        small = [("pair", name, group, "n") for group in pair.get("suppressed") or {}]
        for group, n in (pair.get("suppressed") or {}).items():
            builder.count(("pair", name, group, "n"), int(n))
        builder.audit(("pair", name), pair.get("audit") or {}, unaudited=small)
    shown = builder.release.publish()

    published_attributes = {
        attribute: _published_audit(audit, ("attr", attribute), shown)
        for attribute, audit in by_attribute.items()
    }
    published_pairs = {}
    for name, pair in pairs.items():
        audit = _published_audit(pair["audit"], ("pair", name), shown) if pair.get("audit") else None
        published_pairs[name] = {
            "columns": pair.get("columns") or [],
            "groups": {g: shown.get(("pair", name, g, "n")) for g in pair.get("groups") or {}},
            "suppressed": {g: shown.get(("pair", name, g, "n")) for g in pair.get("suppressed") or {}},
            "audit": audit,
        }
    flag_summary = {}
    for attribute, audit in published_attributes.items():
        flagged = {
            g: [m for m in metrics if m not in service.CONTEXT_METRICS]
            for g, metrics in (audit.get("flags") or {}).items()
        }
        flagged = {g: m for g, m in flagged.items() if m}
        if flagged:
            flag_summary[attribute] = flagged
    return {
        "threshold": stored.get("threshold"),
        "rounding": {"base": ROUNDING_BASE, "rate_min_base": RATE_MIN_BASE},
        "by_attribute": published_attributes,
        "pairs": {
            "min_n": (stored.get("pairs") or {}).get("min_n", fairness.DEFAULT_MIN_N),
            "pairs": published_pairs,
        },
        "flag_summary": flag_summary,
    }
