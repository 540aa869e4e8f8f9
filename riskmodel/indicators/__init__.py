"""The risk model's indicators: a documented catalogue of 44 features, their as-of computation, and labels.

Rules every indicator keeps (tested in ``tests/riskmodel/test_indicators.py``):

* **As of a date D, only what was known on D.** An event counts only when its knowledge date (the day the
  bureau learned of it) is on or before D; windows are then measured on the event date, so "the last 90
  days" means event date in ``(D - 90, D]`` among the events known on D. Cases count from the day they were
  opened, interventions from the day they were logged.
* **Sealed records count as never made.** Events are read through ``Event.objects``, which hides them.
* **No protected attribute is an indicator**: sex, indigenous status, new-immigrant parentage, district and
  low income as a group label are kept for the fairness audit only. Age is an indicator (see ``age_years``).
* **Indicators about other people** (the household) are marked ``about_others`` with the reason, and listed
  in :data:`ABOUT_OTHERS` so that the model report can run an ablation without them.
* Windowed counts, rates and time-decayed sums, not "ever" flags: nothing older than 730 days is used,
  except the rate of unexcused absence per school day (1095 days) and a household assistance status that is
  still valid.

Labels (:func:`label`) look into the future on purpose; features never do.

The catalogue is plain data, importable without Django; :func:`compute` and :func:`label` read the
database. ``python -m riskmodel.indicators`` rewrites ``docs/indicators.md`` from the catalogue.

Modules: ``catalogue`` (the indicators as data, the label variants), ``compute`` (as-of computation and
labels), ``docs`` (the generated page), ``bench`` (timing).
"""

from riskmodel.indicators.bench import bench
from riskmodel.indicators.catalogue import (
    ABOUT_OTHERS,
    ASSISTANCE_DEFAULT_DAYS,
    CATALOGUE,
    DOC_PATH,
    DOMAINS,
    HIGH_CONCERN_CODES,
    INDICATORS,
    KEYS,
    LABEL_DESCRIPTIONS,
    LABEL_VARIANTS,
    LOOKBACK_DAYS,
    MAX_AGE,
    MIN_AGE,
    PROTECTED_ATTRIBUTES,
    RATE_LOOKBACK_DAYS,
    RATE_PRIOR,
    RATE_PRIOR_DAYS,
    READS,
    SCHOOL_TERMS,
    SCHOOL_YEAR_START,
    SERIOUS_INCIDENT_SEVERITIES,
    SOURCES,
    SUBSTANTIATION_LAG_DAYS,
    VALUE_KINDS,
    Indicator,
)
from riskmodel.indicators.compute import compute, label, label_window_complete
from riskmodel.indicators.docs import render_markdown, write_docs

__all__ = [
    "ABOUT_OTHERS",
    "ASSISTANCE_DEFAULT_DAYS",
    "CATALOGUE",
    "DOC_PATH",
    "DOMAINS",
    "HIGH_CONCERN_CODES",
    "INDICATORS",
    "Indicator",
    "KEYS",
    "LABEL_DESCRIPTIONS",
    "LABEL_VARIANTS",
    "LOOKBACK_DAYS",
    "MAX_AGE",
    "MIN_AGE",
    "PROTECTED_ATTRIBUTES",
    "RATE_PRIOR",
    "RATE_PRIOR_DAYS",
    "RATE_LOOKBACK_DAYS",
    "READS",
    "SCHOOL_TERMS",
    "SCHOOL_YEAR_START",
    "SERIOUS_INCIDENT_SEVERITIES",
    "SOURCES",
    "SUBSTANTIATION_LAG_DAYS",
    "VALUE_KINDS",
    "bench",
    "compute",
    "label",
    "label_window_complete",
    "render_markdown",
    "write_docs",
]
