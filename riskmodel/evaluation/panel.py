"""The platform's own records as a panel for the outreach evaluation (``docs/evaluation.md``).

One row per youth in scope and month start ``D`` of the period, for youth not reached before the month that
ends on ``D``:

* **reached** (``treated``): the youth's first case was opened in the month before ``D`` (for the breakdowns:
  the first case led by a bureau, or the first intervention of a kind);
* **what was known at ``D``**: the risk model's 44 indicators (recent and long records from every bureau), the
  active model's score and band computed from them (the score the committee would have read then, with today's
  model), and the age;
* **outcome**: an adverse outcome (the risk model's label: an offence or exposure contact, a new dropout, a
  substantiated child-protection report) in the 6 or 12 months after ``D``, by event date; unknown (left out)
  while that window has not ended.

Sealed records are erased before anything reads them, so they count nowhere, as in every report.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from django.db.models import Min

from casework.models import Case, Intervention
from riskmodel import indicators, pipeline, service

HORIZONS = {"y6": 182, "y12": 365}
BAND_CODE = {band: i for i, band in enumerate(pipeline.BANDS)}


def month_starts(start: dt.date, end: dt.date) -> list[dt.date]:
    """The first day of every month whose previous month overlaps ``[start, end]``: the month ``D - 1`` is when
    youth are reached, ``D`` when what was known is read and the outcome window opens."""
    first = (start.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    out = []
    day = first
    while day <= (end.replace(day=1) + dt.timedelta(days=32)).replace(day=1):
        out.append(day)
        day = (day + dt.timedelta(days=32)).replace(day=1)
    return out


def _previous_month(day: dt.date) -> dt.date:
    return (day - dt.timedelta(days=1)).replace(day=1)


def _month_of(value) -> dt.date:
    day = value.date() if isinstance(value, dt.datetime) else value
    return day.replace(day=1)


@dataclass
class Panel:
    frame: pd.DataFrame
    covariates: list[str]
    periods: list[dt.date]
    model_label: str | None
    first_case_month: dict[int, dt.date] = field(default_factory=dict)
    groups: dict[str, dict[int, dt.date]] = field(default_factory=dict)  # "bureau:police" -> youth -> month


def _first_months(queryset, date_field: str) -> dict[int, dt.date]:
    rows = queryset.values("youth_id").annotate(first=Min(date_field))
    return {r["youth_id"]: _month_of(r["first"]) for r in rows}


def build(start: dt.date, end: dt.date, *, today: dt.date) -> Panel:
    """The panel of youth-months whose month of reach falls in ``[start, end]``."""
    periods = [d for d in month_starts(start, end) if d <= today]
    first_case = _first_months(Case.objects.all(), "opened_at")
    groups: dict[str, dict[int, dt.date]] = {}
    for code in Case.objects.values_list("lead_bureau__code", flat=True).distinct():
        groups[f"bureau:{code}"] = _first_months(Case.objects.filter(lead_bureau__code=code), "opened_at")
    for kind in Intervention.objects.values_list("kind", flat=True).distinct():
        groups[f"kind:{kind}"] = {
            r["case__youth_id"]: _month_of(r["first"])
            for r in Intervention.objects.filter(kind=kind)
            .values("case__youth_id")
            .annotate(first=Min("occurred_on"))
        }
    model = service.active_model()
    if not periods:
        return Panel(pd.DataFrame(), [], [], model.label if model else None, first_case, groups)
    X = indicators.compute(periods)
    features = [i.key for i in indicators.CATALOGUE]
    covariates = list(features)
    if model is not None and not X.empty:
        estimator = service.estimator_for(model)
        raw = estimator.predict_raw(X[estimator.features])
        p = estimator.calibrator.predict(raw)
        bands = model.report.get("bands", {})
        on, cuts = (raw, bands["cutoffs_raw"]) if "cutoffs_raw" in bands else (p, bands.get("cutoffs"))
        X["score"] = p
        X["band"] = [BAND_CODE[pipeline.band_of(float(v), cuts)] for v in on] if cuts else 0
        covariates = ["score", *covariates]
    else:
        X["band"] = 0
    for name, days in HORIZONS.items():
        y = indicators.label(periods, horizon_days=days).rename(name).astype(float)
        X = X.set_index(["youth_id", "as_of"]).join(y, how="left").reset_index()
        complete = [d + dt.timedelta(days=days) <= today for d in X["as_of"]]
        X.loc[~np.asarray(complete, dtype=bool), name] = np.nan
    reach_month = np.asarray([_previous_month(d) for d in X["as_of"]], dtype=object)
    first = np.asarray([first_case.get(int(y)) for y in X["youth_id"]], dtype=object)
    not_before = np.asarray(
        [f is None or f >= m for f, m in zip(first, reach_month, strict=True)], dtype=bool
    )
    X = X[not_before].reset_index(drop=True)
    reach_month = reach_month[not_before]
    first = first[not_before]
    X["treated"] = np.asarray([f == m for f, m in zip(first, reach_month, strict=True)], dtype=int)
    X["unit"] = X["youth_id"]
    X["period"] = X["as_of"]
    # a covariate that is the same everywhere tells the propensity nothing and breaks its scaling
    covariates = [c for c in covariates if X[c].nunique() > 1] if len(X) else covariates
    return Panel(X, covariates, periods, model.label if model else None, first_case, groups)


def for_group(panel: Panel, group: str) -> pd.DataFrame:
    """The panel with ``treated`` redefined: reached by this bureau's first case, or first intervention of this
    kind, in the month before ``D``. Youth reached otherwise in that month are left out of the comparison."""
    months = panel.groups.get(group, {})
    frame = panel.frame
    reach_month = [_previous_month(d) for d in frame["as_of"]]
    treated = np.asarray(
        [months.get(int(y)) == m for y, m in zip(frame["youth_id"], reach_month, strict=True)], dtype=bool
    )
    out = frame[treated | (frame["treated"].to_numpy() == 0)].copy()
    out["treated"] = treated[treated | (frame["treated"].to_numpy() == 0)].astype(int)
    return out.reset_index(drop=True)
