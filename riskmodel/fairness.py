"""Bias audit of a scored table, group by group (in the manner of aequitas).

A row is *flagged* (predicted positive) when its score is at least the threshold. For each group the audit
counts true and false positives and negatives, derives the usual rates from them, and divides each rate by
the reference group's to give a *disparity*. ``docs/fairness.md`` explains every number for a supervisor.

Pure Python on numpy and pandas: no Django, no database. The ``fairness_audit`` management command reads a
CSV file and prints :func:`audit`'s result as JSON; the model report calls :func:`audit` and
:func:`audit_intersections` on a DataFrame.

Decisions on points ``FEEDS.md`` leaves open:

* Group values are strings (``1`` becomes ``"1"``); a missing group value forms the group ``""`` so that rows
  whose attribute is unknown are audited, not dropped. Groups are listed in sorted order.
* The default reference group is the largest group (most rows); a tie goes to the name that sorts first.
* A rate whose denominator is 0 is ``None``; a disparity is ``None`` when either rate is ``None`` or the
  reference rate is 0. Nothing is ever NaN or infinite.
* Labels may be spelt ``1``/``0``, ``1.0``/``0.0``, ``true``/``false``, ``Y``/``N``, ``yes``/``no`` or
  ``是``/``否`` (any case, surrounding spaces ignored) or be booleans; anything else, including a blank, is an
  error. Scores must be finite numbers; a blank is an error. Bad rows are named by their index (the CSV row
  number in the command; 1-based positions for plain sequences).

:func:`audit` returns FEEDS.md's keys (``threshold``, ``reference_group``, ``groups``, ``disparities``) and
adds:

* ``flags``: per group, the metrics whose disparity is outside the four-fifths band [0.8, 1.25] (the band's
  ends are inside it).
* ``undefined_disparities``: per group, the metrics whose own rate exists but whose disparity cannot be
  computed because the reference rate is 0 or ``None``; such a gap can be large, so it is listed rather than
  silently left unflagged.
* ``calibration``: per group, reliability-curve data in score deciles and the expected calibration error;
  ``None`` when some score is outside [0, 1] (the scores are then not probabilities).
* ``confidence_intervals`` (only when ``bootstrap > 0``): percentile bootstrap 95% intervals for every
  group's rates and disparities.

:func:`audit_counts` gives the same figures from each group's four counts instead of rows: the model report
and the API publish the audit that way, from counts rounded to a multiple of 5 (``riskmodel.report``).
"""

from __future__ import annotations

import itertools
import math
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "BAND",
    "CALIBRATION_BINS",
    "CONFIDENCE_LEVEL",
    "COUNTS",
    "DEFAULT_MIN_N",
    "GROUP_KEYS",
    "RATES",
    "Intersection",
    "audit",
    "audit_counts",
    "audit_intersections",
    "calibration",
    "default_reference_group",
    "disparities",
    "flags",
    "group_metrics",
    "intersections",
]

COUNTS = ("tp", "fp", "tn", "fn")
RATES = ("tpr", "fpr", "fnr", "tnr", "precision", "fdr", "for", "npv", "pprev", "ppr", "prev")
GROUP_KEYS = ("n", *COUNTS, *RATES)
"""The keys of each group's entry, in FEEDS.md's order."""

BAND = (0.8, 1.25)
"""The four-fifths band: a disparity inside it (ends included) is not flagged."""
CONFIDENCE_LEVEL = 0.95
CALIBRATION_BINS = 10
DEFAULT_MIN_N = 30
"""Smallest intersectional group :func:`intersections` reports; smaller groups are suppressed."""

# A ratio that should be exactly on the band's edge (0.4 / 0.5) may land a rounding error outside it.
_BAND_TOLERANCE = 1e-9

_LABEL_SPELLINGS = {
    "1": 1,
    "1.0": 1,
    "true": 1,
    "y": 1,
    "yes": 1,
    "是": 1,
    "0": 0,
    "0.0": 0,
    "false": 0,
    "n": 0,
    "no": 0,
    "否": 0,
}


# --------------------------------------------------------------------------------------------------
# Input checking
# --------------------------------------------------------------------------------------------------


def _as_series(values: Iterable[Any], what: str) -> pd.Series:
    if isinstance(values, pd.Series):
        series = values
    else:
        values = list(values)
        series = pd.Series(values, index=range(1, len(values) + 1), dtype=object)
    if series.empty:
        raise ValueError(f"no rows to audit ({what} is empty)")
    return series


def _examples(series: pd.Series, bad: np.ndarray) -> str:
    shown = [f"{_shown(series.iloc[i])} at row {series.index[i]}" for i in np.flatnonzero(bad)[:3]]
    more = int(bad.sum()) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def _shown(value: Any) -> str:
    return repr(value.item() if isinstance(value, np.generic) else value)


def _scores(values: Iterable[Any], name: str = "scores") -> np.ndarray:
    series = _as_series(values, name)
    if pd.api.types.is_bool_dtype(series.dtype):
        raise ValueError(f"{name} holds true/false values, not numeric scores")
    if pd.api.types.is_numeric_dtype(series.dtype):
        numbers = series.to_numpy(dtype=float, na_value=np.nan)
    else:
        text = series.astype(object).map(lambda v: v.strip() if isinstance(v, str) else v)
        numbers = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, na_value=np.nan, copy=True)
        # pd.to_numeric turns a Python bool into 0/1; a score of True is a wrong column, not a number.
        numbers[series.astype(object).map(lambda v: isinstance(v, bool)).to_numpy(dtype=bool)] = np.nan
    bad = ~np.isfinite(numbers)
    if bad.any():
        raise ValueError(f"{name} has values that are not finite numbers: {_examples(series, bad)}")
    return numbers


def _label_value(value: Any) -> int | None:
    if isinstance(value, bool | np.bool_):
        return int(value)
    if isinstance(value, int | np.integer | float | np.floating):
        return int(value) if value in (0, 1) else None
    if isinstance(value, str):
        return _LABEL_SPELLINGS.get(unicodedata.normalize("NFKC", value).strip().lower())
    return None


def _labels(values: Iterable[Any], name: str = "labels") -> np.ndarray:
    series = _as_series(values, name)
    # Read each distinct spelling once: a table of 100,000 rows has a handful of them.
    inverse, uniques = pd.factorize(series.astype(object), use_na_sentinel=False)
    lookup = np.array([_label_value(value) for value in uniques], dtype=object)
    codes = lookup[inverse]
    bad = np.array([code is None for code in lookup], dtype=bool)[inverse]
    if bad.any():
        raise ValueError(f"{name} must be 0/1 (or true/false, Y/N, yes/no, 是/否): {_examples(series, bad)}")
    return codes.astype(np.int8)


def _groups(values: Iterable[Any], name: str = "groups") -> np.ndarray:
    series = _as_series(values, name)
    return series.astype(object).map(lambda v: "" if _is_missing(v) else str(v)).to_numpy(dtype=object)


def _is_missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _is_whole(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _threshold(value: Any) -> float:
    try:
        threshold = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"threshold {value!r} is not a number") from None
    if not math.isfinite(threshold):
        raise ValueError(f"threshold {value!r} is not a finite number")
    return threshold


def _require_columns(df: pd.DataFrame, columns: Sequence[str]) -> None:
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"expected a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in dict.fromkeys(columns) if c not in df.columns]
    if missing:
        available = ", ".join(map(str, df.columns)) or "none"
        raise ValueError(f"missing column(s): {', '.join(missing)} (the table has: {available})")
    if df.empty:
        raise ValueError("the table has no rows")


def _check_lengths(*arrays: np.ndarray) -> None:
    if len({len(a) for a in arrays}) > 1:
        raise ValueError(
            f"scores, labels and groups differ in length: {', '.join(str(len(a)) for a in arrays)}"
        )


# --------------------------------------------------------------------------------------------------
# Counts and rates: one formula, used for point estimates (shape G) and bootstrap replicates (B x G)
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Counts:
    names: list[str]
    tp: np.ndarray
    fp: np.ndarray
    tn: np.ndarray
    fn: np.ndarray

    @property
    def n(self) -> np.ndarray:
        return self.tp + self.fp + self.tn + self.fn


def _count(scores: np.ndarray, labels: np.ndarray, groups: np.ndarray, threshold: float) -> _Counts:
    names, index = np.unique(groups.astype(str), return_inverse=True)
    flagged = scores >= threshold
    positive = labels == 1
    size = len(names)

    def tally(mask: np.ndarray) -> np.ndarray:
        return np.bincount(index[mask], minlength=size).astype(np.int64)

    return _Counts(
        names=[str(name) for name in names],
        tp=tally(flagged & positive),
        fp=tally(flagged & ~positive),
        tn=tally(~flagged & ~positive),
        fn=tally(~flagged & positive),
    )


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    numerator = np.asarray(numerator, dtype=float)
    denominator = np.broadcast_to(np.asarray(denominator, dtype=float), numerator.shape)
    out = np.full(numerator.shape, np.nan)
    np.divide(numerator, denominator, out=out, where=denominator != 0)
    return out


def _rates(tp: np.ndarray, fp: np.ndarray, tn: np.ndarray, fn: np.ndarray) -> dict[str, np.ndarray]:
    """Every rate for arrays of counts whose last axis is the group; NaN where a denominator is 0."""
    positives, negatives = tp + fn, fp + tn
    flagged, unflagged = tp + fp, fn + tn
    n = positives + negatives
    all_flagged = flagged.sum(axis=-1, keepdims=True)
    return {
        "tpr": _ratio(tp, positives),
        "fpr": _ratio(fp, negatives),
        "fnr": _ratio(fn, positives),
        "tnr": _ratio(tn, negatives),
        "precision": _ratio(tp, flagged),
        "fdr": _ratio(fp, flagged),
        "for": _ratio(fn, unflagged),
        "npv": _ratio(tn, unflagged),
        "pprev": _ratio(flagged, n),
        "ppr": _ratio(flagged, all_flagged),
        "prev": _ratio(positives, n),
    }


def _disparity_arrays(rates: Mapping[str, np.ndarray], reference: int) -> dict[str, np.ndarray]:
    return {
        metric: _ratio(values, values[..., reference : reference + 1]) for metric, values in rates.items()
    }


def _number(value: float) -> float | None:
    return None if not math.isfinite(value) else float(value)


# --------------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------------


def group_metrics(
    scores: Iterable[Any], labels: Iterable[Any], groups: Iterable[Any], threshold: float
) -> dict[str, dict[str, int | float | None]]:
    """Counts and rates per group; a row is flagged when its score is at least ``threshold``.

    Each group maps to ``n, tp, fp, tn, fn`` (ints) and ``tpr, fpr, fnr, tnr, precision, fdr, for, npv,
    pprev, ppr, prev`` (fractions in [0, 1], ``None`` when the denominator is 0). Raises ``ValueError`` on
    bad input.
    """
    score_values, label_values, group_values = _scores(scores), _labels(labels), _groups(groups)
    _check_lengths(score_values, label_values, group_values)
    return _metrics_from_counts(_count(score_values, label_values, group_values, _threshold(threshold)))


def _metrics_from_counts(counts: _Counts) -> dict[str, dict[str, int | float | None]]:
    rates = _rates(counts.tp, counts.fp, counts.tn, counts.fn)
    n = counts.n
    result: dict[str, dict[str, int | float | None]] = {}
    for i, name in enumerate(counts.names):
        entry: dict[str, int | float | None] = {"n": int(n[i])}
        entry.update({key: int(getattr(counts, key)[i]) for key in COUNTS})
        entry.update({metric: _number(rates[metric][i]) for metric in RATES})
        result[name] = entry
    return result


def default_reference_group(metrics: Mapping[str, Mapping[str, Any]]) -> str:
    """The largest group (most rows); a tie goes to the name that sorts first."""
    if not metrics:
        raise ValueError("there are no groups to choose a reference group from")
    return min(metrics, key=lambda name: (-metrics[name]["n"], str(name)))


def disparities(
    metrics: Mapping[str, Mapping[str, Any]], reference_group: str | None = None
) -> dict[str, dict[str, float | None]]:
    """Each group's rates divided by the reference group's (the largest group when not given).

    A ratio is ``None`` when either rate is ``None`` or the reference rate is 0. Raises ``ValueError`` for a
    reference group that is not among the groups.
    """
    reference = _reference(metrics, reference_group)
    result: dict[str, dict[str, float | None]] = {}
    for name, entry in metrics.items():
        ratios: dict[str, float | None] = {}
        for metric in RATES:
            own, base = entry.get(metric), metrics[reference].get(metric)
            ratios[metric] = None if own is None or base is None or base == 0 else float(own) / float(base)
        result[name] = ratios
    return result


def _reference(metrics: Mapping[str, Any], reference_group: Any) -> str:
    if reference_group is None:
        return default_reference_group(metrics)
    if reference_group not in metrics:
        known = ", ".join(repr(name) for name in sorted(metrics)) or "none"
        raise ValueError(f"reference group {reference_group!r} does not exist (groups: {known})")
    return reference_group


def flags(
    disparity: Mapping[str, Mapping[str, float | None]], band: tuple[float, float] = BAND
) -> dict[str, list[str]]:
    """Per group, the metrics whose disparity is outside ``band`` (ends included in the band)."""
    low, high = band
    return {
        name: [
            metric
            for metric in RATES
            if ratios.get(metric) is not None
            and (ratios[metric] < low - _BAND_TOLERANCE or ratios[metric] > high + _BAND_TOLERANCE)
        ]
        for name, ratios in disparity.items()
    }


def _undefined_disparities(
    metrics: Mapping[str, Mapping[str, Any]], disparity: Mapping[str, Mapping[str, float | None]]
) -> dict[str, list[str]]:
    return {
        name: [m for m in RATES if metrics[name][m] is not None and disparity[name][m] is None]
        for name in metrics
    }


def calibration(
    scores: Iterable[Any], labels: Iterable[Any], groups: Iterable[Any], bins: int = CALIBRATION_BINS
) -> dict[str, dict[str, Any]] | None:
    """Reliability-curve data per group: mean score against observed rate in deciles of the group's scores.

    Bins are the group's own score deciles (equal counts, except that tied scores stay in one bin, so a group
    can have fewer bins). Each group gives ``n``, ``mean_score``, ``observed_rate``, ``ece`` (expected
    calibration error: the row-weighted mean of ``|mean_score - observed_rate|`` over bins) and ``bins``
    (``n, score_min, score_max, mean_score, observed_rate`` each). ``None`` when any score is outside [0, 1].
    """
    score_values, label_values, group_values = _scores(scores), _labels(labels), _groups(groups)
    _check_lengths(score_values, label_values, group_values)
    return _calibration(score_values, label_values, group_values, bins)


def _calibration(scores: np.ndarray, labels: np.ndarray, groups: np.ndarray, bins: int = CALIBRATION_BINS):
    if bins < 1:
        raise ValueError("calibration needs at least one bin")
    if scores.min() < 0 or scores.max() > 1:
        return None
    result: dict[str, dict[str, Any]] = {}
    for name in sorted(set(groups)):
        mask = groups == name
        s, y = scores[mask], labels[mask].astype(float)
        edges = np.quantile(s, np.linspace(0, 1, bins + 1))
        index = np.searchsorted(edges[1:-1], s, side="right")
        count = np.bincount(index, minlength=bins)
        score_sum = np.bincount(index, weights=s, minlength=bins)
        label_sum = np.bincount(index, weights=y, minlength=bins)
        rows, error = [], 0.0
        for b in np.flatnonzero(count):
            in_bin = s[index == b]
            mean_score, observed = score_sum[b] / count[b], label_sum[b] / count[b]
            error += count[b] / len(s) * abs(mean_score - observed)
            rows.append(
                {
                    "n": int(count[b]),
                    "score_min": float(in_bin.min()),
                    "score_max": float(in_bin.max()),
                    "mean_score": float(mean_score),
                    "observed_rate": float(observed),
                }
            )
        result[name] = {
            "n": len(s),
            "mean_score": float(s.mean()),
            "observed_rate": float(y.mean()),
            "ece": float(error),
            "bins": rows,
        }
    return result


def _bootstrap(counts: _Counts, reference: int, resamples: int, seed: int) -> dict[str, Any]:
    """Percentile intervals from resampling rows with replacement within each group.

    Every audited number depends on a row only through its cell (tp, fp, tn or fn), so drawing n rows with
    replacement from a group is exactly drawing its four cell counts from Multinomial(n, cell shares). Drawing
    the counts gives the same distribution as resampling the rows, in time independent of the row count.
    A replicate in which a rate's denominator is 0 is left out of that rate's interval.
    """
    rng = np.random.default_rng(seed)
    n = counts.n
    cells = np.stack([counts.tp, counts.fp, counts.tn, counts.fn], axis=-1)  # G x 4
    draws = np.stack(
        [rng.multinomial(n[g], cells[g] / n[g], size=resamples) for g in range(len(counts.names))], axis=1
    )  # B x G x 4
    rates = _rates(draws[..., 0], draws[..., 1], draws[..., 2], draws[..., 3])
    ratios = _disparity_arrays(rates, reference)
    tail = (1 - CONFIDENCE_LEVEL) / 2 * 100

    def intervals(arrays: Mapping[str, np.ndarray]) -> dict[str, dict[str, list[float] | None]]:
        bounds = {}
        for metric, values in arrays.items():
            defined = np.isfinite(values)
            low = np.full(values.shape[1], np.nan)
            high = np.full(values.shape[1], np.nan)
            for g in np.flatnonzero(defined.any(axis=0)):
                low[g], high[g] = np.percentile(values[defined[:, g], g], [tail, 100 - tail])
            bounds[metric] = (low, high)
        return {
            name: {metric: _interval(*bounds[metric], g) for metric in RATES}
            for g, name in enumerate(counts.names)
        }

    return {
        "level": CONFIDENCE_LEVEL,
        "resamples": resamples,
        "seed": seed,
        "method": "percentile bootstrap, rows resampled with replacement within each group",
        "groups": intervals(rates),
        "disparities": intervals(ratios),
    }


def _interval(low: np.ndarray, high: np.ndarray, group: int) -> list[float] | None:
    return None if np.isnan(low[group]) else [float(low[group]), float(high[group])]


def audit(
    df: pd.DataFrame,
    score_col: str,
    label_col: str,
    group_col: str,
    threshold: float,
    reference_group: str | None = None,
    bootstrap: int = 0,
    seed: int = 0,
) -> dict[str, Any]:
    """The bias audit of a scored table, as the ``fairness_audit`` command prints it.

    Returns ``{"threshold", "reference_group", "groups", "disparities", "flags", "undefined_disparities",
    "calibration"}`` plus ``"confidence_intervals"`` when ``bootstrap`` (the number of resamples) is above 0;
    see the module docstring. ``seed`` makes the intervals reproducible. Raises ``ValueError`` on bad input.
    """
    _require_columns(df, [score_col, label_col, group_col])
    threshold = _threshold(threshold)
    if not _is_whole(bootstrap) or bootstrap < 0:
        raise ValueError(f"bootstrap must be a whole number of resamples, 0 or more (got {bootstrap!r})")
    if not _is_whole(seed) or seed < 0:
        raise ValueError(f"seed must be a whole number, 0 or more (got {seed!r})")
    scores = _scores(df[score_col], f"score column {score_col!r}")
    labels = _labels(df[label_col], f"label column {label_col!r}")
    groups = _groups(df[group_col], f"group column {group_col!r}")

    counts = _count(scores, labels, groups, threshold)
    metrics = _metrics_from_counts(counts)
    reference = _reference(metrics, None if reference_group is None else str(reference_group))
    disparity = disparities(metrics, reference)
    result: dict[str, Any] = {
        "threshold": threshold,
        "reference_group": reference,
        "groups": metrics,
        "disparities": disparity,
        "flags": flags(disparity),
        "undefined_disparities": _undefined_disparities(metrics, disparity),
        "calibration": _calibration(scores, labels, groups),
    }
    if bootstrap > 0:
        result["confidence_intervals"] = _bootstrap(
            counts, counts.names.index(reference), int(bootstrap), int(seed)
        )
    return result


def _denominators(counts: _Counts) -> dict[str, np.ndarray]:
    """The denominator of every rate, per group (as in :func:`_rates`)."""
    positives, negatives = counts.tp + counts.fn, counts.fp + counts.tn
    flagged, unflagged = counts.tp + counts.fp, counts.fn + counts.tn
    n = positives + negatives
    return {
        "tpr": positives,
        "fnr": positives,
        "fpr": negatives,
        "tnr": negatives,
        "precision": flagged,
        "fdr": flagged,
        "for": unflagged,
        "npv": unflagged,
        "pprev": n,
        "prev": n,
        "ppr": np.full_like(n, flagged.sum()),
    }


def audit_counts(
    counts: Mapping[str, Mapping[str, int]],
    threshold: float,
    reference_group: str | None = None,
    *,
    min_denominator: int = 0,
    bootstrap: int = 0,
    seed: int = 0,
) -> dict[str, Any]:
    """:func:`audit` from each group's four counts (``{group: {"tp", "fp", "tn", "fn"}}``) instead of rows, by
    the same formulas; for publishing an audit from rounded counts.

    A rate whose denominator is below ``min_denominator`` is ``None`` (too few to say), and so are its
    disparity and intervals. Bootstrap intervals resample the given counts (groups with no rows have none).
    Returns the keys of :func:`audit` except ``calibration``. Raises ``ValueError`` on negative counts.
    """
    threshold = _threshold(threshold)
    names = sorted(str(name) for name in counts)
    if not names:
        raise ValueError("there are no groups to audit")
    values = {key: np.array([int(counts[name][key]) for name in names], dtype=np.int64) for key in COUNTS}
    if any((v < 0).any() for v in values.values()):
        raise ValueError("counts must be 0 or more")
    table = _Counts(names=names, **values)
    metrics = _metrics_from_counts(table)
    low = {metric: base < min_denominator for metric, base in _denominators(table).items()}
    for i, name in enumerate(names):
        for metric in RATES:
            if low[metric][i]:
                metrics[name][metric] = None
    reference = _reference(metrics, None if reference_group is None else str(reference_group))
    disparity = disparities(metrics, reference)
    result: dict[str, Any] = {
        "threshold": threshold,
        "reference_group": reference,
        "groups": metrics,
        "disparities": disparity,
        "flags": flags(disparity),
        "undefined_disparities": _undefined_disparities(metrics, disparity),
    }
    rows = [i for i, n in enumerate(table.n) if n > 0]
    if bootstrap > 0 and reference in {names[i] for i in rows}:
        sample = _Counts(names=[names[i] for i in rows], **{key: values[key][rows] for key in COUNTS})
        intervals = _bootstrap(sample, sample.names.index(reference), int(bootstrap), int(seed))
        for part in ("groups", "disparities"):
            source = intervals[part]
            intervals[part] = {
                name: {
                    metric: None
                    if name not in source
                    or (part == "groups" and metrics[name][metric] is None)
                    or (part == "disparities" and disparity[name][metric] is None)
                    else source[name][metric]
                    for metric in RATES
                }
                for name in names
            }
        result["confidence_intervals"] = intervals
    return result


# --------------------------------------------------------------------------------------------------
# Intersections of two attributes
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Intersection:
    """The groups formed by one pair of attributes, e.g. ``sex=F & indigenous=Y``."""

    columns: tuple[str, str]
    labels: pd.Series
    """Per row of the table, its group's name, or ``None`` where the group is suppressed."""
    groups: dict[str, int]
    """Groups with at least ``min_n`` rows, and their row counts."""
    suppressed: dict[str, int]
    """Groups with fewer than ``min_n`` rows, and their row counts; not audited."""

    @property
    def name(self) -> str:
        return " & ".join(self.columns)

    def as_dict(self) -> dict[str, Any]:
        return {"columns": list(self.columns), "groups": self.groups, "suppressed": self.suppressed}


def intersections(
    df: pd.DataFrame, group_cols: Sequence[str], min_n: int = DEFAULT_MIN_N
) -> list[Intersection]:
    """The groups formed by every pair of ``group_cols``, keeping those with at least ``min_n`` rows.

    Group names read ``a=x & b=y`` with the columns in the order given and values as strings (a missing
    value is ``""``). Smaller groups are listed in ``suppressed`` with their row count and get a ``None``
    label, so the audit of a pair covers only the groups large enough to say something.
    """
    group_cols = list(dict.fromkeys(group_cols))
    if len(group_cols) < 2:
        raise ValueError("intersections need at least two group columns")
    _require_columns(df, group_cols)
    if not _is_whole(min_n) or min_n < 1:
        raise ValueError(f"min_n must be a whole number of rows, 1 or more (got {min_n!r})")
    values = {col: pd.Series(_groups(df[col], f"group column {col!r}"), index=df.index) for col in group_cols}
    result = []
    for first, second in itertools.combinations(group_cols, 2):
        labels = f"{first}=" + values[first] + f" & {second}=" + values[second]
        sizes = labels.value_counts()
        kept = sorted(str(name) for name, size in sizes.items() if size >= min_n)
        small = sorted(str(name) for name, size in sizes.items() if size < min_n)
        result.append(
            Intersection(
                columns=(first, second),
                labels=labels.where(labels.isin(kept), None).astype(object),
                groups={name: int(sizes[name]) for name in kept},
                suppressed={name: int(sizes[name]) for name in small},
            )
        )
    return result


def audit_intersections(
    df: pd.DataFrame,
    score_col: str,
    label_col: str,
    group_cols: Sequence[str],
    threshold: float,
    min_n: int = DEFAULT_MIN_N,
    bootstrap: int = 0,
    seed: int = 0,
) -> dict[str, Any]:
    """:func:`audit` for every pair of ``group_cols``, on the intersectional groups that numbers allow.

    Returns ``{"min_n", "pairs": {"a & b": {"columns", "groups", "suppressed", "audit"}}}``. Each pair's
    audit covers only the rows of its unsuppressed groups (so ``ppr`` is a share of those rows' flags), with
    the largest of them as reference; ``audit`` is ``None`` when every group of the pair is suppressed.
    """
    _require_columns(df, [score_col, label_col, *group_cols])
    pairs: dict[str, Any] = {}
    for pair in intersections(df, group_cols, min_n):
        keep = pair.labels.notna()
        frame = pd.DataFrame(
            {
                score_col: df.loc[keep, score_col],
                label_col: df.loc[keep, label_col],
                pair.name: pair.labels[keep],
            }
        )
        pairs[pair.name] = {
            **pair.as_dict(),
            "audit": (
                audit(frame, score_col, label_col, pair.name, threshold, bootstrap=bootstrap, seed=seed)
                if not frame.empty
                else None
            ),
        }
    return {"min_n": int(min_n), "pairs": pairs}


# ---------------------------------------------------------------------------------------------------------
# Which flags block a model, and which only warn (docs/fairness.md, "What the promotion gate does with
# the audit")
# ---------------------------------------------------------------------------------------------------------

PROTECTED = ("sex", "indigenous", "new_immigrant_parent", "district", "low_income")
"""Attributes that are never model inputs and whose groups the gate protects."""
CONTEXT = ("prev", "ppr")
"""Base rate and share of all flagged: context for reading the other rates, not something the model does."""
UNKNOWN_GROUPS = ("unknown", "")
"""Group values that say the attribute was not recorded."""
HARMS = {"fnr": "above", "tpr": "below", "fpr": "above"}
"""The errors that matter for an offer of help, and the direction that harms the group: missed children
(``fnr`` above the band; ``tpr``, the share of those in need who were flagged, below it: at a team's small
capacity most youth in need are not flagged in any group, so ``fnr`` barely moves and ``tpr`` shows the gap)
and families contacted without need (``fpr`` above the band)."""
MIN_EXPECTED_FLAGGED = 10
"""A missed-children finding blocks only when, at the reference group's rate, at least this many of the
group's youth with an outcome would have been flagged: with fewer, a group in which none was flagged is
what chance gives (zero of three, say) and its resampled interval is a point."""
BLOCKING = ("fnr", "tpr")
"""The harms that block promotion when firm and unexplained: missing children who need help, which the
programme exists to prevent. Contact without need (``fpr``) warns (docs/fairness.md says why)."""


def _firm(interval: Sequence[float] | None) -> bool:
    """The disparity's interval lies wholly outside the band: a finding, not noise."""
    return bool(interval) and (interval[0] > BAND[1] or interval[1] < BAND[0])


def youth_intervals(
    table: pd.DataFrame,
    score_col: str,
    label_col: str,
    group_cols: Sequence[str],
    threshold: float,
    cluster_col: str,
    references: Mapping[str, str],
    *,
    metrics: Sequence[str] = ("fnr", "tpr", "fpr", "prev"),
    resamples: int = 2000,
    family_level: float = CONFIDENCE_LEVEL,
    seed: int = 0,
) -> dict[str, Any]:
    """Intervals for the disparities the gate may block on, resampling **youth** (``cluster_col``) rather
    than rows, and wide enough for all the comparisons at once.

    A youth is in the test table once per test month and is usually flagged, or not, in every one of them:
    resampling rows as if they were independent (:func:`audit`'s intervals) makes the intervals about
    √months too narrow, and a handful of youth can look like a firm finding. And the gate looks at every
    group of every protected attribute (a dozen districts among them): with one 95 % interval each, some
    comparison would fall outside by chance alone. So each interval is at level 1 − (1 − ``family_level``) /
    m for the m (group, metric) comparisons (Bonferroni), so that all of them hold together with at least
    ``family_level`` confidence.
    """
    clusters = np.unique(table[cluster_col].to_numpy(), return_inverse=True)[1].reshape(-1)
    n_clusters = int(clusters.max()) + 1 if len(clusters) else 0
    flagged = _scores(table[score_col], "scores") >= float(threshold)
    labels = _labels(table[label_col], "labels").astype(bool)
    cells = np.stack([flagged & labels, flagged & ~labels, ~flagged & ~labels, ~flagged & labels], axis=1)
    per_attribute = {}
    for column in group_cols:
        names, index = np.unique(_groups(table[column], column), return_inverse=True)
        names = [str(n) for n in names]
        if references.get(column) not in names:
            continue
        # Cell counts per youth and group: the resampled totals are the youth's draw counts times these.
        counts = np.zeros((n_clusters, len(names) * 4))
        np.add.at(counts, (clusters[:, None], index[:, None] * 4 + np.arange(4)), cells.astype(float))
        per_attribute[column] = (names, names.index(references[column]), counts)
    comparisons = sum(len(names) - 1 for names, _, _ in per_attribute.values()) * len(metrics)
    level = 1 - (1 - family_level) / max(1, comparisons)
    tail = (1 - level) / 2 * 100
    rng = np.random.default_rng(seed)
    samples: dict[str, list[np.ndarray]] = {c: [] for c in per_attribute}
    for start in range(0, resamples if n_clusters else 0, 100):
        draws = rng.multinomial(
            n_clusters, np.full(n_clusters, 1 / n_clusters), size=min(100, resamples - start)
        )
        for column, (names, reference, counts) in per_attribute.items():
            totals = (draws @ counts).reshape(len(draws), len(names), 4)
            rates = _rates(totals[..., 0], totals[..., 1], totals[..., 2], totals[..., 3])
            ratios = _disparity_arrays({m: rates[m] for m in metrics}, reference)
            samples[column].append(np.stack([ratios[m] for m in metrics], axis=-1))  # B x G x M
    out: dict[str, Any] = {}
    for column, (names, reference, _counts) in per_attribute.items():
        values = (
            np.concatenate(samples[column]) if samples[column] else np.empty((0, len(names), len(metrics)))
        )
        out[column] = {}
        for g, name in enumerate(names):
            if g == reference:
                continue
            out[column][name] = {}
            for j, metric in enumerate(metrics):
                v = values[:, g, j]
                v = v[np.isfinite(v)]
                out[column][name][metric] = (
                    [float(x) for x in np.percentile(v, [tail, 100 - tail])] if len(v) else None
                )
    return {
        "method": "percentile bootstrap over youth, Bonferroni over the comparisons",
        "resamples": int(resamples),
        "family_level": family_level,
        "comparisons": comparisons,
        "level_each": round(level, 6),
        "intervals": out,
    }


def review(model_audit: Mapping[str, Any], youth: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Sort every flag of a model's audit (``{"by_attribute": {attribute: audit}, "pairs": …}``, as
    ``riskmodel.service`` builds it) into those that block promotion and those that only warn, each with
    the reason in a short code and the figures behind it. ``youth`` is :func:`youth_intervals`' result:
    the intervals that decide whether a finding is firm (without it, the audit's own row intervals).

    A flag **blocks** when all of these hold:

    * the attribute is protected (never a model input) and the group is a recorded value, not "unknown";
    * it says the group's children who needed help were missed more: ``fnr`` above the band or ``tpr``
      below it;
    * the finding is firm: the disparity's interval lies wholly outside the band;
    * the group's base rate does not explain it: with one threshold for everyone a group that needs help
      less often is flagged less, so more of its few outcomes are missed. The explanation holds when the
      base-rate disparity is below the band (0.8).

    * there is enough to tell: at the reference group's rate, at least ``MIN_EXPECTED_FLAGGED`` of the
      group's youth with an outcome would have been flagged (otherwise ``too_few_to_tell``).

    Everything else warns, with its reason: ``contact_warns`` (families contacted without need, ``fpr``,
    firm and unexplained: shown and explained in the report, not blocking), ``not_firm`` (the interval
    reaches into the band: could be chance), ``explained_by_base_rate``, ``not_a_harm`` (the group fares
    better, or a metric that is another view of the same counts), ``model_input`` (age),
    ``unrecorded_group``, ``intersection`` (pairs of attributes, many small groups and no intervals).
    """
    firm_intervals = (youth or {}).get("intervals") or {}
    blocking: list[dict] = []
    warnings: list[dict] = []
    for attribute, result in (model_audit.get("by_attribute") or {}).items():
        if not result:
            continue
        disparity = result.get("disparities") or {}
        row_intervals = ((result.get("confidence_intervals") or {}).get("disparities")) or {}
        for group, metrics in (result.get("flags") or {}).items():
            for metric in metrics or []:
                if metric in CONTEXT:
                    continue
                value = (disparity.get(group) or {}).get(metric)
                if youth is not None:
                    interval = ((firm_intervals.get(attribute) or {}).get(group) or {}).get(metric)
                else:
                    interval = (row_intervals.get(group) or {}).get(metric)
                prev = (disparity.get(group) or {}).get("prev")
                counts = (result.get("groups") or {}).get(group) or {}
                reference_tpr = ((result.get("groups") or {}).get(result.get("reference_group")) or {}).get(
                    "tpr"
                )
                expected = (
                    (counts.get("tp", 0) + counts.get("fn", 0)) * reference_tpr
                    if reference_tpr is not None and counts
                    else None
                )
                finding = {
                    "attribute": attribute,
                    "group": group,
                    "reference_group": result.get("reference_group"),
                    "metric": metric,
                    "disparity": value,
                    "interval": interval,
                    "prev_disparity": prev,
                }
                reason = _why_not_blocking(attribute, group, metric, value, interval, prev)
                if reason is None and (expected is None or expected < MIN_EXPECTED_FLAGGED):
                    reason = "too_few_to_tell"
                if reason is None:
                    blocking.append({**finding, "reason": "unexplained_harm"})
                elif reason == "contact_warns":
                    warnings.append({**finding, "reason": reason})  # with its figures: the report shows them
                else:
                    # A warning names the flag and why it does not block; its figures stay in the stored
                    # audit, behind the rounding the published audit applies to small groups.
                    warnings.append(
                        {k: finding[k] for k in ("attribute", "group", "metric")} | {"reason": reason}
                    )
    for name, pair in ((model_audit.get("pairs") or {}).get("pairs") or {}).items():
        for group, metrics in (((pair or {}).get("audit") or {}).get("flags") or {}).items():
            harms = [m for m in metrics or [] if m in HARMS]
            if harms:
                warnings.append(
                    {"attribute": name, "group": group, "metrics": harms, "reason": "intersection"}
                )
    return {
        "blocking": blocking,
        "warnings": warnings,
        "band": list(BAND),
        "intervals": {k: v for k, v in (youth or {}).items() if k != "intervals"},
    }


def _why_not_blocking(attribute, group, metric, value, interval, prev) -> str | None:
    if attribute not in PROTECTED:
        return "model_input"
    if str(group) in UNKNOWN_GROUPS:
        return "unrecorded_group"
    harmful = HARMS.get(metric)
    if value is None or harmful is None or (value <= BAND[1] if harmful == "above" else value >= BAND[0]):
        return "not_a_harm"
    if not _firm(interval):
        return "not_firm"
    # One threshold for everyone: a group that needs help less often is flagged less (more of its few
    # outcomes are missed); one that needs help more often is flagged more (more of its families who were
    # fine are contacted too).
    if prev is not None and (prev > BAND[1] if metric == "fpr" else prev < BAND[0]):
        return "explained_by_base_rate"
    if metric not in BLOCKING:
        return "contact_warns"
    return None
