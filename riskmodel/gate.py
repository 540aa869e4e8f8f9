"""The promotion gate: what a model must show on its test months before it may score youth.

Pure numpy on plain arrays and dicts (no database), so every check can be tested with a hand-built model or
hand-built figures. :func:`evidence` runs the paired bootstrap over youth; :func:`decide` turns the evidence,
the calibration figures, the fairness audit and the SHAP additivity error into checks and a verdict;
:func:`sentences` says the verdict in words made from the figures. ``docs/risk-model.md`` ("Promotion gate")
gives the reasons for each rule; ``docs/fairness.md`` says which fairness results block and which only warn.

Statistics, in short:

* **Paired bootstrap over youth.** A youth appears in up to three test months, and those rows are not
  independent, so the resampling unit is the youth: each resample draws the test youth with replacement and
  keeps all of a drawn youth's rows, the same draw for the model and every baseline (paired), so the noise the
  scorers share cancels out of their difference.
* **Random order** is compared with its expectation (ROC AUC 0.5; precision at k equal to the base rate of
  the resample), not with one random draw, whose own noise would only widen the interval.
* "Better than X" is a one-sided claim: it holds when the one-sided 95 % lower bound of (model − X) (the
  5th percentile of the resampled differences) is above 0, and "X is shown better" when the upper bound is
  below 0. The report shows the two-sided 95 % interval beside it. Every check must pass, so the verdict is
  an intersection–union test: requiring all of them keeps each one's error rate and needs no correction
  for their number.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np

CONFIDENCE = 0.95

# Checks in the order the report lists them. A failed SIGNAL check means the test months do not show that
# the model orders youth better than chance (or cannot tell): no override can make such a model active.
CHECKS = (
    "enough_test_outcomes",
    "beats_random_order_auc",
    "beats_random_order_precision",
    "baselines_auc",
    "baselines_precision",
    "calibrated",
    "fairness_explained",
    "shap_additive",
)
SIGNAL_CHECKS = ("enough_test_outcomes", "beats_random_order_auc", "beats_random_order_precision")
BASELINES = ("focal_count", "logistic_regression")
METRICS = ("roc_auc", "precision_at_k")


@dataclass(frozen=True)
class Rules:
    """The gate's thresholds; recorded with every verdict."""

    # Youth with an adverse outcome in the test months. With fewer, the interval of a ROC AUC is about ±0.1
    # wide: too wide to tell a model from chance.
    min_test_outcomes: int = 30
    resamples: int = 1000
    confidence: float = CONFIDENCE
    # Against the simple baselines: "not_worse" (no baseline is shown to do better: the interval of
    # model - baseline does not lie wholly below 0) or "better" (the interval lies wholly above 0).
    baselines: str = "not_worse"
    max_ece: float = 0.05
    # Calibration in the large: the interval of observed outcome rate / mean score must reach into this band
    # (a firm over- or under-estimate fails).
    observed_to_expected: tuple[float, float] = (0.8, 1.25)
    max_shap_error: float = 1e-6

    def as_dict(self) -> dict:
        out = asdict(self)
        out["observed_to_expected"] = list(self.observed_to_expected)
        return out


# --------------------------------------------------------------------------------------------------------
# Weighted metrics: a bootstrap resample is a weight per row (how often its youth was drawn)
# --------------------------------------------------------------------------------------------------------


class _Order:
    """One scorer's order of the test rows, computed once and reused by every resample. ``months`` (one
    value per row) makes precision at k a team's: the top k of each test month, averaged over the months."""

    def __init__(self, scores: np.ndarray, months: np.ndarray):
        scores = np.asarray(scores, dtype=float)
        self.ascending = np.argsort(scores, kind="stable")
        ordered = scores[self.ascending]
        # Tied scores share a group: a positive and a negative with the same score count half (as in
        # scikit-learn's roc_auc_score).
        self.tie_group = np.concatenate([[0], np.cumsum(ordered[1:] != ordered[:-1])]) if len(scores) else []
        self.groups = int(self.tie_group[-1]) + 1 if len(scores) else 0
        # Each month's rows, highest score first, ties in row order (as at_k takes them).
        self.by_month = [
            rows[np.argsort(-scores[rows], kind="stable")]
            for rows in (np.flatnonzero(months == m) for m in np.unique(months))
        ]

    def auc(self, w: np.ndarray, y: np.ndarray) -> float:
        wa, ya = w[self.ascending], y[self.ascending]
        pos = np.bincount(self.tie_group, weights=wa * ya, minlength=self.groups)
        neg = np.bincount(self.tie_group, weights=wa * (1 - ya), minlength=self.groups)
        total_pos, total_neg = pos.sum(), neg.sum()
        if total_pos <= 0 or total_neg <= 0:
            return float("nan")
        below = np.cumsum(neg) - neg
        return float(np.sum(pos * (below + 0.5 * neg)) / (total_pos * total_neg))

    def precision_at(self, w: np.ndarray, y: np.ndarray, k: int) -> float:
        values = []
        for rows in self.by_month:
            wd, yd = w[rows], y[rows]
            reach = min(k, wd.sum())
            if reach <= 0:
                continue
            before = np.cumsum(wd) - wd
            taken = np.clip(reach - before, 0, wd)  # the row at the boundary counts for the copies that fit
            values.append(np.sum(taken * yd) / reach)
        return float(np.mean(values)) if values else float("nan")


def _weights(youth_index: np.ndarray, n_youth: int, rng: np.random.Generator) -> np.ndarray:
    drawn = np.bincount(rng.integers(0, n_youth, n_youth), minlength=n_youth)
    return drawn[youth_index].astype(float)


def _interval(values: np.ndarray, confidence: float) -> list[float] | None:
    """The two-sided interval at ``confidence`` (what the report shows)."""
    values = values[np.isfinite(values)]
    if not len(values):
        return None
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return [round(float(low), 5), round(float(high), 5)]


def _bounds(values: np.ndarray, confidence: float) -> list[float] | None:
    """The one-sided bounds at ``confidence``: below the lower one, or above the upper one, lies a share
    1 - ``confidence`` of the resamples. "Better than X" is a one-sided claim, so it is decided on these."""
    values = values[np.isfinite(values)]
    if not len(values):
        return None
    low, high = np.percentile(values, [(1 - confidence) * 100, confidence * 100])
    return [round(float(low), 5), round(float(high), 5)]


def evidence(
    youth: Sequence,
    y: Sequence,
    scores: Mapping[str, Sequence[float]],
    *,
    months: Sequence | None = None,
    capacity: int,
    resamples: int = 1000,
    confidence: float = CONFIDENCE,
    seed: int = 0,
) -> dict:
    """Paired bootstrap over youth of ROC AUC and precision at ``capacity`` for ``scores["model"]`` and each
    baseline in ``scores``, and of the model's difference from each baseline and from random order.

    ``youth`` names each test row's youth (rows of one youth are resampled together), ``y`` is 0/1 and
    ``months`` the as-of month of each row: precision at ``capacity`` is the share of outcomes among each
    month's top ``capacity`` youth, averaged over the months (what a team that reaches that many youth a
    month would find). Returns
    the point estimates on the test rows, the 95 % interval of each, and per comparison the difference and
    its interval (``None`` where a resample had no outcome or no non-outcome).
    """
    y = np.asarray(y, dtype=float)
    youth_index = np.unique(np.asarray(youth), return_inverse=True)[1].reshape(-1)
    n_youth = int(youth_index.max()) + 1 if len(youth_index) else 0
    names = list(scores)
    months = np.zeros(len(y)) if months is None else np.asarray(months)
    orders = {name: _Order(np.asarray(scores[name], dtype=float), months) for name in names}
    ones = np.ones(len(y))
    model_scores = np.asarray(scores["model"], dtype=float)

    def measure(w: np.ndarray) -> dict[str, dict[str, float]]:
        out = {name: {"roc_auc": o.auc(w, y), "precision_at_k": o.precision_at(w, y, capacity)}
               for name, o in orders.items()}  # fmt: skip
        # Random order's expectation in this resample.
        out["random_order"] = {"roc_auc": 0.5, "precision_at_k": float(np.sum(w * y) / np.sum(w))}
        # Calibration in the large: observed outcomes over the outcomes the model's scores expect.
        expected = np.sum(w * model_scores)
        out["observed_to_expected"] = float(np.sum(w * y) / expected) if expected > 0 else float("nan")
        return out

    point = measure(ones)
    rng = np.random.default_rng(seed)
    draws = [measure(_weights(youth_index, n_youth, rng)) for _ in range(resamples if n_youth else 0)]
    comparisons = [c for c in [*names, "random_order"] if c != "model"]

    def series(name: str, metric: str) -> np.ndarray:
        return np.array([d[name][metric] for d in draws], dtype=float)

    result = {
        "capacity": int(capacity),
        "resamples": len(draws),
        "confidence": confidence,
        "seed": seed,
        "method": "paired percentile bootstrap over youth",
        "youth": n_youth,
        "months": int(len(np.unique(months))),
        "rows": len(y),
        "youth_with_outcome": int(len(np.unique(youth_index[y > 0]))) if len(y) else 0,
        "outcomes": int(y.sum()),
        "scorers": {},
        "differences": {},
    }
    for name in [*names, "random_order"]:
        result["scorers"][name] = {
            metric: {
                "value": _round(point[name][metric]),
                "interval": _interval(series(name, metric), confidence) if draws else None,
            }
            for metric in METRICS
        }
    result["observed_to_expected"] = {
        "value": _round(point["observed_to_expected"]),
        "interval": (
            _interval(np.array([d["observed_to_expected"] for d in draws]), confidence) if draws else None
        ),
    }
    for other in comparisons:
        result["differences"][other] = {
            metric: {
                "value": _round(point["model"][metric] - point[other][metric]),
                "interval": (
                    _interval(series("model", metric) - series(other, metric), confidence) if draws else None
                ),
                "bounds": (
                    _bounds(series("model", metric) - series(other, metric), confidence) if draws else None
                ),
            }
            for metric in METRICS
        }
    return result


def _round(value: float) -> float | None:
    return round(float(value), 5) if np.isfinite(value) else None


# --------------------------------------------------------------------------------------------------------
# The verdict
# --------------------------------------------------------------------------------------------------------


def _limits(difference: Mapping | None) -> list[float] | None:
    """The one-sided bounds of a difference (the two-sided interval for figures recorded without them)."""
    difference = difference or {}
    return difference.get("bounds") or difference.get("interval")


def _above(difference: Mapping | None) -> bool:
    """Shown better with 95 % confidence: the one-sided lower bound of the difference is above 0."""
    limits = _limits(difference)
    return bool(limits) and limits[0] > 0


def _below(difference: Mapping | None) -> bool:
    """Shown worse with 95 % confidence: the one-sided upper bound of the difference is below 0."""
    limits = _limits(difference)
    return bool(limits) and limits[1] < 0


def _against_baselines(differences: Mapping, metric: str, rule: str) -> bool:
    present = [b for b in BASELINES if b in differences]
    if not present:
        return False
    if rule == "better":
        return all(_above(differences[b].get(metric)) for b in present)
    return all(
        (differences[b].get(metric) or {}).get("interval") is not None
        and not _below(differences[b].get(metric))
        for b in present
    )


def decide(
    *,
    evidence: Mapping,
    calibration: Mapping,
    fairness_review: Mapping,
    shap_error: float | None,
    rules: Rules | None = None,
) -> dict:
    """The gate's verdict from its inputs: ``evidence`` (:func:`evidence`), ``calibration`` (``{"ece": …}``
    on the test rows), ``fairness_review`` (:func:`riskmodel.fairness.review`) and the SHAP additivity
    error. Every check must pass."""
    rules = rules or Rules()
    differences = evidence.get("differences") or {}
    random_order = differences.get("random_order") or {}
    ratio = evidence.get("observed_to_expected") or {}
    low, high = rules.observed_to_expected
    ece = calibration.get("ece")
    checks = {
        "enough_test_outcomes": int(evidence.get("youth_with_outcome") or 0) >= rules.min_test_outcomes,
        "beats_random_order_auc": _above(random_order.get("roc_auc")),
        "beats_random_order_precision": _above(random_order.get("precision_at_k")),
        "baselines_auc": _against_baselines(differences, "roc_auc", rules.baselines),
        "baselines_precision": _against_baselines(differences, "precision_at_k", rules.baselines),
        # The interval of observed / expected must reach into the band: only a firm miscalibration fails.
        "calibrated": ece is not None
        and ece <= rules.max_ece
        and bool(ratio.get("interval"))
        and ratio["interval"][1] >= low
        and ratio["interval"][0] <= high,
        "fairness_explained": not fairness_review.get("blocking"),
        "shap_additive": shap_error is not None and shap_error < rules.max_shap_error,
    }
    failed = [c for c in CHECKS if not checks[c]]
    return {
        "rules": rules.as_dict(),
        "checks": checks,
        "passed": all(checks.values()),
        "failed": failed,
        # Without signal no reason can justify using the scores: no one can override these.
        "overridable": not any(c in SIGNAL_CHECKS for c in failed),
        "evidence": dict(evidence),
        "calibration": dict(calibration),
        "fairness": dict(fairness_review),
        "shap_error": shap_error,
    }


# --------------------------------------------------------------------------------------------------------
# Reading a stored verdict
# --------------------------------------------------------------------------------------------------------


def is_current(stored: Mapping | None) -> bool:
    """A verdict of this gate (with its evidence), not of the earlier one that let chance models through."""
    return bool(stored) and "evidence" in stored and "failed" in stored


def passed(stored: Mapping | None) -> bool:
    return is_current(stored) and bool(stored.get("passed"))


def overridable(stored: Mapping | None) -> bool:
    """Failed, but only on checks that two people may override with a written reason."""
    return is_current(stored) and not stored.get("passed") and bool(stored.get("overridable"))
