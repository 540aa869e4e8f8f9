"""Does outreach help? The comparison of reached youth with comparable youth not reached (``docs/evaluation.md``).

Pure numbers: no database, no Django. The input is a *panel*, one row per youth and month at risk of being
reached:

* ``unit``: the youth; ``period``: the month (any sortable value);
* ``treated``: 1 on the month the youth was first reached, 0 on months before it; rows after a youth's first
  reach are left out by the caller, so every control row is a youth not reached yet;
* the outcome columns (1 when an adverse outcome happened in the window after the month, else 0);
* covariates: what was known about the youth at the start of the month (score, band, recent records).

The estimate is the effect of being reached on the reached (ATT), as a difference in the share with an adverse
outcome: reached minus matched comparison, so a negative figure means fewer adverse outcomes after outreach.

How: a logistic model of the chance to be reached given the covariates (the propensity); each reached youth is
matched, within the same month (and band when given), to the ``k`` youth not reached whose propensity is
nearest, with replacement, inside a caliper of 0.2 standard deviations of its logit (Austin 2011); reached
youth without a match inside the caliper are left out and counted. The 95 % interval is Newcombe's hybrid score
interval for a difference of two shares, the comparison group counted at its effective size (controls used for
several reached youth count once per use, weighted). The naive comparison (reached against every youth-month not
reached, unmatched) is computed beside it, to show why matching matters.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

CALIPER_SD = 0.2
NEIGHBOURS = 5
MAX_CONTROLS_FOR_FIT = 200_000  # the propensity is fitted on a sample of controls, reweighted
MIN_TREATED = 20  # fewer reached youth than this: too few to tell, no estimate


@dataclass
class Balance:
    covariate: str
    before: float  # standardised mean difference, reached against every control
    after: float  # reached against their matched controls


@dataclass
class Estimate:
    outcome: str
    treated: int  # reached youth in the panel
    matched: int  # of them, matched inside the caliper
    unmatched: int
    controls: int  # distinct control rows used
    treated_rate: float | None = None  # outcome share among the matched reached
    control_rate: float | None = None  # among their matched controls (weighted as matched)
    effect: float | None = None  # treated_rate - control_rate
    low: float | None = None
    high: float | None = None
    naive_treated_rate: float | None = None
    naive_control_rate: float | None = None
    naive_effect: float | None = None
    naive_low: float | None = None
    naive_high: float | None = None
    balance: list[Balance] = field(default_factory=list)
    refused: str = ""  # why there is no estimate

    @property
    def interval_excludes_zero(self) -> bool:
        return self.low is not None and (self.low > 0 or self.high < 0)

    def as_dict(self) -> dict:
        out = {k: v for k, v in self.__dict__.items() if k != "balance"}
        out["balance"] = [b.__dict__ for b in self.balance]
        return out


Z95 = 1.959963984540054


def wilson(p: float, n: float, z: float = Z95) -> tuple[float, float]:
    """Wilson's score interval for a share ``p`` of ``n`` (which may be an effective, fractional size)."""
    if n <= 0:
        return 0.0, 1.0
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return float(max(0.0, centre - half)), float(min(1.0, centre + half))


def difference_interval(p1: float, n1: float, p2: float, n2: float) -> tuple[float, float]:
    """Newcombe's hybrid score interval (1998, method 10) for ``p1 - p2``: it keeps its coverage when an outcome
    is rare or absent in a group, where a bootstrap of a share of 0 collapses to a point."""
    l1, u1 = wilson(p1, n1)
    l2, u2 = wilson(p2, n2)
    d = p1 - p2
    return float(d - np.hypot(p1 - l1, u2 - p2)), float(d + np.hypot(u1 - p1, p2 - l2))


def _smd(a: np.ndarray, b: np.ndarray, wb: np.ndarray | None = None) -> float:
    """Standardised mean difference (pooled SD of the unweighted groups), 0 when both are constant."""
    mb = np.average(b, weights=wb) if b.size else 0.0
    sd = np.sqrt((a.var() + b.var()) / 2) if a.size and b.size else 0.0
    return 0.0 if sd == 0 else float((a.mean() - mb) / sd)


def propensity_logit(frame: pd.DataFrame, covariates: list[str], seed: int = 0) -> np.ndarray:
    """The logit of the chance to be reached, from a logistic regression on the covariates.

    Controls beyond ``MAX_CONTROLS_FOR_FIT`` are sampled for the fit and weighted back up, so the fit stays a
    few seconds on a national-size panel; the model is then applied to every row."""
    X = frame[covariates].to_numpy(dtype=float)
    y = frame["treated"].to_numpy(dtype=int)
    rng = np.random.default_rng(seed)
    controls = np.flatnonzero(y == 0)
    weight = np.ones(len(frame))
    fit_rows = np.arange(len(frame))
    if controls.size > MAX_CONTROLS_FOR_FIT:
        keep = rng.choice(controls, MAX_CONTROLS_FOR_FIT, replace=False)
        fit_rows = np.concatenate([np.flatnonzero(y == 1), keep])
        weight[keep] = controls.size / MAX_CONTROLS_FOR_FIT
    scaler = StandardScaler().fit(X[fit_rows])
    Z = scaler.transform(X)
    model = LogisticRegression(C=1.0, max_iter=500)
    model.fit(Z[fit_rows], y[fit_rows], sample_weight=weight[fit_rows])
    return model.decision_function(Z)


def match(
    frame: pd.DataFrame, logit: np.ndarray, *, exact: tuple[str, ...] = ("period",), k: int = NEIGHBOURS
) -> tuple[np.ndarray, list[np.ndarray]]:
    """For each reached row, the row numbers of its ``k`` nearest controls in the same ``exact`` cell.

    Returns the reached rows that found at least one control inside the caliper, and for each its controls.
    """
    caliper = CALIPER_SD * float(np.std(logit)) if logit.size > 1 else 0.0
    treated_rows: list[int] = []
    matched: list[np.ndarray] = []
    keys = frame.groupby(list(exact), sort=False).ngroup().to_numpy() if exact else np.zeros(len(frame), int)
    treated_flag = frame["treated"].to_numpy(dtype=bool)
    order_by_key = np.argsort(keys, kind="stable")
    bounds = np.flatnonzero(np.diff(keys[order_by_key])) + 1
    for rows in np.split(order_by_key, bounds):
        t_rows = rows[treated_flag[rows]]
        c_rows = rows[~treated_flag[rows]]
        if not t_rows.size or not c_rows.size:
            continue
        order = np.argsort(logit[c_rows], kind="stable")
        c_sorted = c_rows[order]
        c_logit = logit[c_sorted]
        for t in t_rows:
            at = int(np.searchsorted(c_logit, logit[t]))
            lo, hi = max(0, at - k), min(c_sorted.size, at + k)
            window = np.arange(lo, hi)
            distance = np.abs(c_logit[window] - logit[t])
            nearest = window[np.argsort(distance, kind="stable")[:k]]
            nearest = nearest[np.abs(c_logit[nearest] - logit[t]) <= caliper]
            if nearest.size:
                treated_rows.append(int(t))
                matched.append(c_sorted[nearest])
    return np.asarray(treated_rows, dtype=np.int64), matched


def estimate(
    frame: pd.DataFrame,
    covariates: list[str],
    outcome: str,
    *,
    exact: tuple[str, ...] = ("period",),
    k: int = NEIGHBOURS,
    seed: int = 0,
    logit: np.ndarray | None = None,
) -> Estimate:
    """The matched and the naive effect of being reached on ``outcome``, with 95 % intervals."""
    frame = frame[frame[outcome].notna()].reset_index(drop=True)
    if logit is not None and len(logit) != len(frame):
        raise ValueError("the propensity must have one value per row with a known outcome")
    treated_flag = frame["treated"].to_numpy(dtype=bool)
    n_treated = int(treated_flag.sum())
    result = Estimate(outcome=outcome, treated=n_treated, matched=0, unmatched=n_treated, controls=0)
    if n_treated < MIN_TREATED:
        result.refused = "too_few_reached"
        return result
    if treated_flag.all():
        result.refused = "no_comparison"
        return result
    if logit is None:
        logit = propensity_logit(frame, covariates, seed=seed)
    y = frame[outcome].to_numpy(dtype=float)

    # naive: every reached row against every control row
    yt_all, yc_all = y[treated_flag], y[~treated_flag]
    result.naive_treated_rate = float(yt_all.mean())
    result.naive_control_rate = float(yc_all.mean())
    result.naive_effect = result.naive_treated_rate - result.naive_control_rate
    result.naive_low, result.naive_high = difference_interval(
        result.naive_treated_rate, yt_all.size, result.naive_control_rate, yc_all.size
    )

    t_rows, sets = match(frame, logit, exact=exact, k=k)
    result.matched = int(t_rows.size)
    result.unmatched = n_treated - result.matched
    if result.matched < MIN_TREATED:
        result.refused = "too_few_matched"
        return result
    control_mean = np.asarray([y[s].mean() for s in sets])
    result.treated_rate = float(y[t_rows].mean())
    result.control_rate = float(control_mean.mean())
    result.effect = result.treated_rate - result.control_rate
    used = np.unique(np.concatenate(sets))
    result.controls = int(used.size)
    # each control weighs 1/k for every reached youth it stands for; the weights sum to the matched count
    weights = np.zeros(len(frame))
    for s in sets:
        weights[s] += 1.0 / s.size
    w = weights[weights > 0]
    effective = float(w.sum() ** 2 / (w**2).sum())
    result.low, result.high = difference_interval(
        result.treated_rate, t_rows.size, result.control_rate, effective
    )

    # balance: each covariate before and after matching (controls weighted by how often they were matched)
    for name in covariates:
        x = frame[name].to_numpy(dtype=float)
        after = _smd(x[t_rows], x[weights > 0], weights[weights > 0])
        result.balance.append(Balance(name, _smd(x[treated_flag], x[~treated_flag]), after))
    return result
