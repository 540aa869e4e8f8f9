"""Selectors for the model explanation report that supervisors read (each model's report, and
``/models/active/`` for the model that scores the youth): which model it is compared with, how an
indicator's effect moves with its value, how the indicators' importance changed between two models, and how
the scored population drifted from one scoring run to the next.

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

from . import model_card
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
    entry = model_card.activation(model)
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
