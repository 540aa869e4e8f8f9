"""Indicators and labels computed as of dates from the database: only what was known on each date, sealed
records never (see the package's docstring for the rules)."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from riskmodel.indicators.catalogue import (
    ASSISTANCE_DEFAULT_DAYS,
    HIGH_CONCERN_CODES,
    KEYS,
    LABEL_VARIANTS,
    LOOKBACK_DAYS,
    MAX_AGE,
    MIN_AGE,
    RATE_LOOKBACK_DAYS,
    RATE_PRIOR,
    RATE_PRIOR_DAYS,
    SCHOOL_TERMS,
    SCHOOL_YEAR_START,
    SERIOUS_INCIDENT_SEVERITIES,
    SUBSTANTIATION_LAG_DAYS,
)

# ---- computation ----------------------------------------------------------------------------------------------

_NONE = np.int64(1 << 40)  # "no date": after any as-of date
_NEVER = np.int64(-(1 << 40))  # "no event": before any as-of date
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
_TIER = re.compile(r"(\d+)")
_LEVELS = {"high": 3, "medium": 2, "low": 1}
_POLICE_KINDS = ("police_offence", "police_exposure", "police_deviant", "police_missing")


@dataclass
class _Rows:
    """Events (or other dated rows) as arrays, sorted by youth position, then date."""

    y: np.ndarray  # position of the youth in the population
    ed: np.ndarray  # event date (ordinal)
    kd: np.ndarray  # knowledge date (ordinal)
    extra: dict[str, np.ndarray] = field(default_factory=dict)

    @classmethod
    def build(cls, y, ed, kd, **extra) -> _Rows:
        y, ed, kd = (np.asarray(a, dtype=np.int64) for a in (y, ed, kd))
        order = np.lexsort((kd, ed, y))
        return cls(y[order], ed[order], kd[order], {k: np.asarray(v)[order] for k, v in extra.items()})

    def __getattr__(self, name: str) -> np.ndarray:
        try:
            return self.__dict__["extra"][name]
        except KeyError:
            raise AttributeError(name) from None

    def take(self, selector: np.ndarray) -> _Rows:
        return _Rows(self.y[selector], self.ed[selector], self.kd[selector],
                     {k: v[selector] for k, v in self.extra.items()})  # fmt: skip

    def known(self, d: int) -> np.ndarray:
        """Rows known on day ``d`` (and dated on or before it)."""
        return (self.kd <= d) & (self.ed <= d)

    def __len__(self) -> int:
        return len(self.y)


@dataclass
class _Loaded:
    ids: np.ndarray  # youth ids, sorted; position = index
    birth_md: np.ndarray  # month * 100 + day of the birth date
    birth_year: np.ndarray
    rows: dict[str, _Rows]
    n_events: int
    # Absences of the whole feed per (event month, knowledge month): (event month, knowledge month, count)
    # as ordinals, so the start of the feed can be found as of any date (see ``_feed_start``).
    absence_volume: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    @property
    def n(self) -> int:
        return len(self.ids)


def _to_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _as_of_dates(as_of) -> list[dt.date]:
    values = [as_of] if isinstance(as_of, (dt.date, str)) else list(as_of)
    return sorted({_to_date(v) for v in values})


def _ordinals(values: Sequence) -> np.ndarray:
    return np.fromiter(
        (_NONE if v is None else v.toordinal() for v in values), dtype=np.int64, count=len(values)
    )


def _text_ordinals(values: Sequence) -> np.ndarray:
    """ISO dates held as text in event details; blank or unreadable means no date."""
    out = np.full(len(values), _NONE, dtype=np.int64)
    for i, v in enumerate(values):
        if v:
            with contextlib.suppress(ValueError):
                out[i] = dt.date.fromisoformat(str(v)[:10]).toordinal()
    return out


def _truthy(value) -> bool:
    return value is True or str(value).strip().lower() in ("true", "1", "t", "y")


def _population(days: list[int], youth_ids: Iterable[int] | None):
    """Unmerged youth with a birth date who can be aged 12-17 on one of the days (a superset)."""
    from casework.models import Youth

    youth = Youth.objects.filter(
        merged_into__isnull=True,
        birth_date__isnull=False,
        birth_date__gt=dt.date.fromordinal(min(days) - 366 * (MAX_AGE + 1)),
        birth_date__lte=dt.date.fromordinal(max(days) - 365 * MIN_AGE),
    )
    if youth_ids is not None:
        youth = youth.filter(pk__in=list(youth_ids))
    return youth


def _load_population(youth) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Youth ids (sorted), and the month-day and year of their birth dates."""
    rows = sorted(youth.values_list("id", "birth_date"))
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    births = [r[1] for r in rows]
    return (
        ids,
        np.fromiter((b.month * 100 + b.day for b in births), dtype=np.int64, count=len(rows)),
        np.fromiter((b.year for b in births), dtype=np.int64, count=len(rows)),
    )


def _positions(ids: np.ndarray, youth_ids: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """Positions of ``youth_ids`` in the sorted ``ids``, and which of them are in the population."""
    ys = np.fromiter(youth_ids, dtype=np.int64, count=len(youth_ids))
    pos = np.searchsorted(ids, ys).clip(0, max(len(ids) - 1, 0))
    ok = (ids[pos] == ys) if len(ids) else np.zeros(len(ys), dtype=bool)
    return pos, ok


def _of_youth(queryset, youth_ids: list[int] | None, field: str = "youth_id"):
    """Rows of these youth, unordered. Without a list, every row: rows of youth outside the population are
    dropped after reading, which is much cheaper than a join over the whole timeline."""
    if youth_ids is not None:
        queryset = queryset.filter(**{f"{field}__in": youth_ids})
    return queryset.order_by()


def _load(days: list[int], youth_ids: Iterable[int] | None) -> _Loaded:
    """Read everything the indicators need for these as-of days, once, into arrays."""
    from django.db.models import Count, Q
    from django.db.models.fields.json import KT
    from django.db.models.functions import TruncDate, TruncMonth

    from casework.models import Case, Enrollment, Event, EventKind, Intervention

    youth_ids = None if youth_ids is None else sorted(set(youth_ids))
    ids, birth_md, birth_year = _load_population(_population(days, youth_ids))
    first, last = min(days), max(days)
    # Sealed events are hidden by the default manager; never use Event.all_objects here.
    events = _of_youth(
        Event.objects.filter(
            Q(event_date__gt=dt.date.fromordinal(first - LOOKBACK_DAYS))
            | Q(kind=EventKind.ABSENCE, event_date__gt=dt.date.fromordinal(first - RATE_LOOKBACK_DAYS))
            | Q(kind=EventKind.ASSISTANCE_STATUS),
            knowledge_date__lte=dt.date.fromordinal(last),
        ),
        youth_ids,
    )
    rows: dict[str, _Rows] = {}

    # Absences are most of the timeline: four plain columns, no details.
    a = list(
        events.filter(kind=EventKind.ABSENCE).values_list("youth_id", "code", "event_date", "knowledge_date")
    )
    n_events = len(a)
    y, ok = _positions(ids, [r[0] for r in a])
    code = np.fromiter(
        (1 if r[1] == "unexcused" else 2 if r[1] == "excused" else 0 for r in a), dtype=np.int8, count=len(a)
    )
    absences = _Rows.build(y[ok], _ordinals([r[2] for r in a])[ok], _ordinals([r[3] for r in a])[ok],
                           code=code[ok])  # fmt: skip
    del a
    # The same day reported twice counts once, from the first day it was known.
    order = np.lexsort((absences.kd, absences.ed, absences.code, absences.y))
    absences = absences.take(order)
    first_of_day = np.ones(len(absences), dtype=bool)
    first_of_day[1:] = (
        (absences.y[1:] != absences.y[:-1])
        | (absences.code[1:] != absences.code[:-1])
        | (absences.ed[1:] != absences.ed[:-1])
    )
    absences = absences.take(first_of_day)
    rows["absence"] = absences.take(np.lexsort((absences.ed, absences.y)))
    for name, value in (("unexcused", 1), ("excused", 2)):
        sub = absences.take(absences.code == value)  # already sorted by youth, then day
        # Consecutive school days: the business-day index goes up by one (Friday to Monday included).
        sub.extra["bday"] = np.busday_count(
            np.datetime64("1970-01-01"), (sub.ed - _EPOCH_ORDINAL).astype("datetime64[D]")
        )
        rows[name] = sub

    other = list(
        events.exclude(kind=EventKind.ABSENCE).values_list(
            "youth_id",
            "kind",
            "code",
            "event_date",
            "knowledge_date",
            KT("details__severity"),
            KT("details__level"),
            KT("details__substantiated"),
            KT("details__closed_on"),
            KT("details__ended_on"),
            KT("details__valid_to"),
        )
    )
    n_events += len(other)
    by_kind: dict[str, list[tuple]] = {}
    for r in other:
        by_kind.setdefault(r[1], []).append(r)
    del other

    def build(kind: str, /, **extra) -> _Rows:
        rs = by_kind.get(kind, [])
        y, ok = _positions(ids, [r[0] for r in rs])
        cols = {k: np.asarray(f(rs))[ok] for k, f in extra.items()}
        return _Rows.build(
            y[ok], _ordinals([r[3] for r in rs])[ok], _ordinals([r[4] for r in rs])[ok], **cols
        )

    for kind in ("dropout_reported", "dropout_returned"):
        rows[kind] = build(kind)
    rows["campus_incident"] = build(
        "campus_incident",
        serious=lambda rs: np.array([(r[5] or "") in SERIOUS_INCIDENT_SEVERITIES for r in rs], dtype=bool),
    )

    def tier(code: str) -> int:
        m = _TIER.search(code or "")
        return int(m.group(1)) if m else 0

    rows["counselling_tier"] = build(
        "counselling_tier",
        tier=lambda rs: np.array([tier(r[2]) for r in rs], dtype=np.float64),
        ended=lambda rs: _text_ordinals([r[9] for r in rs]),
    )
    by_kind["police"] = [r for k in _POLICE_KINDS for r in by_kind.get(k, [])]
    police = build(
        "police",
        kind=lambda rs: np.array([_POLICE_KINDS.index(r[1]) for r in rs], dtype=np.int8),
        code_name=lambda rs: np.array([r[2] or "" for r in rs], dtype=object),
    )
    _, police.extra["code"] = np.unique(police.code_name.astype(str), return_inverse=True)
    police.extra["has_code"] = police.code_name != ""
    for code in HIGH_CONCERN_CODES:
        police.extra[f"is_{code}"] = police.code_name == code
    rows["police"] = police
    for kind in ("child_protection", "fragile_family"):
        rows[kind] = build(
            kind,
            level=lambda rs: np.array([_LEVELS.get((r[6] or "").lower(), 0) for r in rs], dtype=np.float64),
            substantiated=lambda rs: np.array([_truthy(r[7]) for r in rs], dtype=bool),
            closed=lambda rs: _text_ordinals([r[8] for r in rs]),
        )
    assistance = build(
        "assistance_status",
        status=lambda rs: np.array([r[2] or "" for r in rs], dtype=object),
        valid_to=lambda rs: _text_ordinals([r[10] for r in rs]),
    )
    assistance.extra["end"] = np.where(
        assistance.valid_to == _NONE, assistance.ed + ASSISTANCE_DEFAULT_DAYS - 1, assistance.valid_to
    )
    rows["assistance_status"] = assistance

    # Casework: a case counts from the day it was opened, an intervention from the day it was logged.
    cases = list(
        _of_youth(Case.objects.all(), youth_ids).values_list(
            "youth_id", TruncDate("opened_at"), TruncDate("closed_at")
        )
    )
    y, ok = _positions(ids, [r[0] for r in cases])
    opened = _ordinals([r[1] for r in cases])[ok]
    rows["case"] = _Rows.build(y[ok], opened, opened, closed=_ordinals([r[2] for r in cases])[ok])
    interventions = list(
        _of_youth(Intervention.objects.all(), youth_ids, "case__youth_id").values_list(
            "case__youth_id", "occurred_on", TruncDate("created_at")
        )
    )
    y, ok = _positions(ids, [r[0] for r in interventions])
    rows["intervention"] = _Rows.build(
        y[ok], _ordinals([r[1] for r in interventions])[ok], _ordinals([r[2] for r in interventions])[ok]
    )
    # Rosters carry no knowledge date: an enrolment is taken as known from the day it began.
    enrolments = list(
        _of_youth(Enrollment.objects.filter(enrolled_on__isnull=False), youth_ids).values_list(
            "youth_id", "enrolled_on"
        )
    )
    y, ok = _positions(ids, [r[0] for r in enrolments])
    (m0, d0), (m1, d1) = SCHOOL_YEAR_START
    mid_year = np.array(
        [not ((m0, d0) <= (r[1].month, r[1].day) <= (m1, d1)) for r in enrolments], dtype=bool
    )
    began = _ordinals([r[1] for r in enrolments])[ok]
    rows["enrolment"] = _Rows.build(y[ok], began, began, mid_year=mid_year[ok])
    # The volume of the whole absence feed (every youth, whichever were asked for), to find where it starts.
    volume = list(
        Event.objects.filter(kind=EventKind.ABSENCE, knowledge_date__lte=dt.date.fromordinal(last))
        .annotate(em=TruncMonth("event_date"), km=TruncMonth("knowledge_date"))
        .values_list("em", "km")
        .annotate(n=Count("id"))
        .order_by()
    )
    absence_volume = (
        _ordinals([_to_date(v[0]) for v in volume]),
        _ordinals([_to_date(v[1]) for v in volume]),
        np.fromiter((v[2] for v in volume), dtype=np.int64, count=len(volume)),
    )
    return _Loaded(ids, birth_md, birth_year, rows, n_events, absence_volume)


def _feed_start(data: _Loaded, day: dt.date) -> int:
    """The first day of the absence feed as known on ``day`` (an ordinal): the first event month with at
    least a quarter of the median monthly volume, counting only absences learnt of in a month before
    ``day``'s, so a few back-dated rows do not make a history. After ``day`` when there is none."""
    if data.absence_volume is None or not len(data.absence_volume[0]):
        return day.toordinal() + 1
    em, km, n = data.absence_volume
    known = km < day.replace(day=1).toordinal()
    if not known.any():
        return day.toordinal() + 1
    months, inverse = np.unique(em[known], return_inverse=True)
    per_month = np.bincount(inverse, weights=n[known])
    first = np.flatnonzero(per_month >= 0.25 * np.median(per_month))[0]
    return int(months[first])


def _school_day_counts(lo: int, hi: int) -> np.ndarray:
    """Cumulative number of school days (term weekdays, ``SCHOOL_TERMS``): ``out[i]`` counts the school days in
    ``[lo, lo + i)``, for i in 0 .. hi - lo + 1."""
    ordinals = np.arange(lo, hi + 1)
    days = (ordinals - _EPOCH_ORDINAL).astype("datetime64[D]")
    month_start = days.astype("datetime64[M]")
    md = (
        (month_start.astype(np.int64) % 12 + 1) * 100
        + (days - month_start.astype("datetime64[D]")).astype(np.int64)
        + 1
    )
    in_term = np.zeros(len(ordinals), dtype=bool)
    for (m0, d0), (m1, d1) in SCHOOL_TERMS:
        a, b = m0 * 100 + d0, m1 * 100 + d1
        in_term |= ((md >= a) & (md <= b)) if a <= b else ((md >= a) | (md <= b))
    weekday = (ordinals - 1) % 7  # date.fromordinal(1) is a Monday
    return np.concatenate([[0], np.cumsum(in_term & (weekday < 5))])


def _ages(data: _Loaded, day: dt.date) -> np.ndarray:
    return day.year - data.birth_year - ((day.month * 100 + day.day) < data.birth_md)


def _age_months(data: _Loaded, day: dt.date) -> np.ndarray:
    """Completed months of age on ``day``."""
    month, dom = data.birth_md // 100, data.birth_md % 100
    return (day.year - data.birth_year) * 12 + (day.month - month) - (day.day < dom)


def _features_at(day: dt.date, data: _Loaded) -> dict[str, np.ndarray]:
    """Every indicator for every youth of the population, as of one day."""
    d = day.toordinal()
    n = data.n
    r = data.rows

    def count(rows: _Rows, mask: np.ndarray) -> np.ndarray:
        return np.bincount(rows.y[mask], minlength=n).astype(np.float64)

    def weighted(rows: _Rows, mask: np.ndarray, half_life: float) -> np.ndarray:
        w = 0.5 ** ((d - rows.ed[mask]) / half_life)
        return np.bincount(rows.y[mask], weights=w, minlength=n)

    def highest(rows: _Rows, mask: np.ndarray, values: np.ndarray, empty=0.0) -> np.ndarray:
        out = np.full(n, empty, dtype=values.dtype if values.dtype.kind == "i" else np.float64)
        np.maximum.at(out, rows.y[mask], values[mask])
        return out

    def last_date(rows: _Rows, mask: np.ndarray) -> np.ndarray:
        return highest(rows, mask, rows.ed, empty=_NEVER)

    def days_since(last: np.ndarray) -> np.ndarray:
        return np.where(last > d - LOOKBACK_DAYS, d - last, LOOKBACK_DAYS).astype(np.float64)

    def within(rows: _Rows, days: int) -> np.ndarray:
        return rows.ed > d - days

    f: dict[str, np.ndarray] = {}
    last_own = np.full(n, _NEVER, dtype=np.int64)
    kinds_365 = np.zeros(n)
    bureaus = {"school": np.zeros(n, dtype=bool), "police": np.zeros(n, dtype=bool),
               "welfare": np.zeros(n, dtype=bool)}  # fmt: skip

    def own(rows: _Rows, known: np.ndarray, bureau: str, kind_mask: np.ndarray | None = None) -> None:
        """Fold one kind of the youth's own records into the history aggregates."""
        nonlocal last_own, kinds_365
        mask = known if kind_mask is None else known & kind_mask
        np.maximum(last_own, last_date(rows, mask), out=last_own)
        present = count(rows, mask & within(rows, 365)) > 0
        kinds_365 = kinds_365 + present
        bureaus[bureau] |= present

    # ---- school
    u = r["unexcused"]
    ku = u.known(d)
    for days in (30, 90):
        f[f"unexcused_absence_days_{days}d"] = count(u, ku & within(u, days))
    # Per school day over three years, from the later of the first known enrolment and the feed's start.
    s = r["enrolment"]
    ks = s.known(d)
    begin = np.full(n, d + 1, dtype=np.int64)
    np.minimum.at(begin, s.y[ks], s.ed[ks])
    begin = np.maximum(begin, max(_feed_start(data, day), d - RATE_LOOKBACK_DAYS + 1))
    lo = d - RATE_LOOKBACK_DAYS + 1
    school_days = _school_day_counts(lo, d)
    exposure = (school_days[-1] - school_days[np.clip(begin, lo, d + 1) - lo]).astype(np.float64)
    f["unexcused_absence_rate_1095d"] = (
        100
        * (count(u, ku & within(u, RATE_LOOKBACK_DAYS)) + RATE_PRIOR * RATE_PRIOR_DAYS)
        / (exposure + RATE_PRIOR_DAYS)
    )
    e = r["excused"]
    f["excused_absence_days_90d"] = count(e, e.known(d) & within(e, 90))
    f["longest_unexcused_run_365d"] = _longest_run(u, ku & within(u, 365), n)
    a = r["absence"]
    own(a, a.known(d), "school")

    rep, ret = r["dropout_reported"], r["dropout_returned"]
    kr = rep.known(d) & within(rep, LOOKBACK_DAYS)
    last_report = last_date(rep, kr)
    last_return = last_date(ret, ret.known(d))
    f["dropout_reports_365d"] = count(rep, kr & within(rep, 365))
    f["days_since_dropout_report"] = days_since(last_report)
    f["in_dropout_now"] = ((last_report > _NEVER) & (last_return < last_report)).astype(np.float64)
    own(rep, kr, "school")
    own(ret, ret.known(d), "school")

    inc = r["campus_incident"]
    ki = inc.known(d)
    f["campus_incidents_90d"] = count(inc, ki & within(inc, 90))
    f["serious_campus_incidents_365d"] = count(inc, ki & within(inc, 365) & inc.serious)
    own(inc, ki, "school")

    c = r["counselling_tier"]
    kc = c.known(d) & within(c, LOOKBACK_DAYS)
    f["counselling_tier_now"] = highest(c, kc & (c.ended >= d), c.tier)
    f["counselling_tier_max_365d"] = highest(c, kc & (c.ended > d - 365), c.tier)
    own(c, kc, "school")

    s = r["enrolment"]
    ks = s.known(d) & s.mid_year
    for days in (365, 730):
        f[f"school_changes_{days}d"] = count(s, ks & within(s, days))

    # ---- police
    p = r["police"]
    kp = p.known(d) & within(p, LOOKBACK_DAYS)
    p365 = kp & within(p, 365)
    offence, exposure, deviant, missing = (p.kind == i for i in range(4))
    f["police_offence_contacts_180d"] = count(p, kp & offence & within(p, 180))
    f["police_offence_contacts_365d"] = count(p, p365 & offence)
    f["police_exposure_contacts_365d"] = count(p, p365 & exposure)
    f["police_deviant_contacts_365d"] = count(p, p365 & deviant)
    f["police_missing_searches_365d"] = count(p, p365 & missing)
    f["police_offence_exposure_decayed"] = weighted(p, kp & (offence | exposure), 180.0)
    f["police_deviant_decayed"] = weighted(p, p365 & deviant, 90.0)
    f["days_since_police_contact"] = days_since(last_date(p, kp))
    coded = p365 & p.has_code
    pairs = np.unique(p.y[coded] * (int(p.code.max(initial=0)) + 1) + p.code[coded])
    f["distinct_police_codes_365d"] = np.bincount(
        pairs // (int(p.code.max(initial=0)) + 1), minlength=n
    ).astype(np.float64)
    f["fraud_mule_contacts_365d"] = count(p, p365 & p.is_fraud_mule)
    f["drug_contacts_365d"] = count(p, p365 & p.is_drugs)
    f["weapon_contacts_365d"] = count(p, p365 & p.is_weapon)
    for i in range(4):
        own(p, kp, "police", p.kind == i)

    # ---- welfare
    cp = r["child_protection"]
    kcp = cp.known(d) & within(cp, LOOKBACK_DAYS)
    cp365 = kcp & within(cp, 365)
    f["child_protection_reports_365d"] = count(cp, cp365)
    f["substantiated_child_protection_365d"] = count(
        cp, cp365 & cp.substantiated & (cp.ed <= d - SUBSTANTIATION_LAG_DAYS)
    )
    f["child_protection_level_max_365d"] = highest(cp, cp365, cp.level)
    f["days_since_child_protection_report"] = days_since(last_date(cp, kcp))
    f["open_child_protection_report"] = (count(cp, kcp & (cp.closed > d)) > 0).astype(np.float64)
    own(cp, kcp, "welfare")

    ff = r["fragile_family"]
    kff = ff.known(d) & within(ff, LOOKBACK_DAYS)
    f["fragile_family_reports_365d"] = count(ff, kff & within(ff, 365))
    f["open_fragile_family_report"] = (count(ff, kff & (ff.closed > d)) > 0).astype(np.float64)

    h = r["assistance_status"]
    kh = h.known(d)
    valid_now = kh & (h.end >= d)
    f["household_low_income_status_now"] = (count(h, valid_now & (h.status == "low_income")) > 0).astype(
        np.float64
    )
    f["household_mid_low_income_status_now"] = (
        count(h, valid_now & (h.status == "mid_low_income")) > 0
    ).astype(np.float64)
    covered = (np.minimum(h.end, d) - np.maximum(h.ed, d - LOOKBACK_DAYS + 1) + 1).clip(0)
    days_covered = np.bincount(h.y[kh], weights=covered[kh], minlength=n).clip(0, LOOKBACK_DAYS)
    f["household_assistance_months_730d"] = days_covered * 24 / LOOKBACK_DAYS

    # ---- history
    k = r["case"]
    kk = k.known(d)
    f["cases_opened_730d"] = count(k, kk & within(k, LOOKBACK_DAYS))
    f["open_case_now"] = (count(k, kk & (k.closed > d)) > 0).astype(np.float64)
    f["cases_closed_365d"] = count(k, kk & (k.closed <= d) & (k.closed > d - 365))
    iv = r["intervention"]
    f["interventions_365d"] = count(iv, iv.known(d) & within(iv, 365))
    f["days_since_any_record"] = days_since(last_own)
    f["bureaus_with_records_365d"] = sum(b.astype(np.float64) for b in bureaus.values())
    f["distinct_event_kinds_365d"] = kinds_365
    f["age_years"] = _age_months(data, day) / 12.0
    return f


def _longest_run(rows: _Rows, mask: np.ndarray, n: int) -> np.ndarray:
    """Longest run of consecutive school days per youth among the masked rows (sorted by youth, day)."""
    out = np.zeros(n)
    idx = np.flatnonzero(mask)
    if not idx.size:
        return out
    y, b = rows.y[idx], rows.bday[idx]
    new = np.ones(idx.size, dtype=bool)
    new[1:] = (y[1:] != y[:-1]) | (b[1:] - b[:-1] > 1)
    starts = np.flatnonzero(new)
    lengths = np.diff(np.append(starts, idx.size)).astype(np.float64)
    np.maximum.at(out, y[starts], lengths)
    return out


def _compute_loaded(data: _Loaded, dates: list[dt.date]) -> pd.DataFrame:
    ids, as_of, columns = [], [], {key: [] for key in KEYS}
    for day in dates:
        ages = _ages(data, day)
        sel = np.flatnonzero((ages >= MIN_AGE) & (ages <= MAX_AGE))
        values = _features_at(day, data)
        if set(values) != set(KEYS):
            raise AssertionError(f"indicators computed differ from the catalogue: {set(values) ^ set(KEYS)}")
        ids.append(data.ids[sel])
        as_of.append(np.full(sel.size, day, dtype=object))
        for key in KEYS:
            columns[key].append(values[key][sel])
    frame = pd.DataFrame(
        {
            "youth_id": np.concatenate(ids) if ids else np.empty(0, dtype=np.int64),
            "as_of": np.concatenate(as_of) if as_of else np.empty(0, dtype=object),
            **{k: (np.concatenate(v) if v else np.empty(0)).astype(np.float64) for k, v in columns.items()},
        }
    )
    return frame.reset_index(drop=True)


def compute(as_of: dt.date | Sequence[dt.date], youth_ids: Iterable[int] | None = None) -> pd.DataFrame:
    """The 44 indicators, one row per (youth, as-of date) for youth aged 12-17 on that date.

    Columns: ``youth_id``, ``as_of`` (a ``datetime.date``), then the indicators in catalogue order, all
    float. Merged youth records and youth without a birth date are left out. Rows are ordered by as-of date,
    then youth id. Everything is read once and every as-of date is computed in vectorised passes.
    """
    dates = _as_of_dates(as_of)
    if not dates:
        return _compute_loaded(_Loaded(*(np.empty(0, dtype=np.int64),) * 3, {}, 0), [])
    data = _load([day.toordinal() for day in dates], youth_ids)
    return _compute_loaded(data, dates)


def label(
    as_of: dt.date | Sequence[dt.date],
    youth_ids: Iterable[int] | None = None,
    horizon_days: int = 365,
    variant: str = "default",
) -> pd.Series:
    """1 when an adverse outcome happens in ``(D, D + horizon_days]`` by EVENT date, else 0.

    Looks into the future on purpose and ignores knowledge dates: an outcome that happened in the horizon
    counts however late the bureau learned of it (check :func:`label_window_complete`). Sealed events do
    not count. The default outcome is a police contact of kind offence or exposure, a new dropout report
    or a substantiated child-protection report; variants ``police_only``, ``dropout_only`` and
    ``protection_only`` keep one of them. Indexed by (youth_id, as_of) over the same youth as
    :func:`compute`, in the same order.
    """
    from django.db.models import Q

    from casework.models import Event, EventKind

    if variant not in LABEL_VARIANTS:
        raise ValueError(f"unknown label variant {variant!r}; choose from {sorted(LABEL_VARIANTS)}")
    dates = _as_of_dates(as_of)
    index_names = ["youth_id", "as_of"]
    name = f"label_{variant}"
    if not dates:
        return pd.Series([], dtype=np.int64, name=name,
                         index=pd.MultiIndex.from_arrays([[], []], names=index_names))  # fmt: skip
    days = [day.toordinal() for day in dates]
    youth_ids = None if youth_ids is None else sorted(set(youth_ids))
    ids, birth_md, birth_year = _load_population(_population(days, youth_ids))
    kinds = LABEL_VARIANTS[variant]
    wanted = Q(kind__in=[k for k in kinds if k != EventKind.CHILD_PROTECTION])
    if EventKind.CHILD_PROTECTION in kinds:
        wanted |= Q(kind=EventKind.CHILD_PROTECTION, details__substantiated=True)
    found = list(
        _of_youth(
            Event.objects.filter(
                wanted,
                event_date__gt=dt.date.fromordinal(min(days)),
                event_date__lte=dt.date.fromordinal(max(days) + horizon_days),
            ),
            youth_ids,
        ).values_list("youth_id", "event_date")
    )
    pos, ok = _positions(ids, [r[0] for r in found])
    outcomes = _Rows.build(
        pos[ok], _ordinals([r[1] for r in found])[ok], _ordinals([r[1] for r in found])[ok]
    )
    data = _Loaded(ids, birth_md, birth_year, {}, 0)
    out_ids, out_dates, values = [], [], []
    for day, d in zip(dates, days, strict=True):
        ages = _ages(data, day)
        sel = np.flatnonzero((ages >= MIN_AGE) & (ages <= MAX_AGE))
        inside = (outcomes.ed > d) & (outcomes.ed <= d + horizon_days)
        hit = np.bincount(outcomes.y[inside], minlength=len(ids)) > 0
        out_ids.append(ids[sel])
        out_dates.append(np.full(sel.size, day, dtype=object))
        values.append(hit[sel].astype(np.int64))
    index = pd.MultiIndex.from_arrays([np.concatenate(out_ids), np.concatenate(out_dates)], names=index_names)
    return pd.Series(np.concatenate(values), index=index, name=name)


def label_window_complete(
    as_of: dt.date | Sequence[dt.date], data_end: dt.date, horizon_days: int = 365
) -> bool | list[bool]:
    """Whether the label's horizon ``(D, D + horizon_days]`` ends on or before ``data_end`` (the last day
    the data covers), so that the outcome is fully observable. A list of dates gives a list of answers."""
    end = _to_date(data_end)
    if isinstance(as_of, (dt.date, str)):
        return _to_date(as_of) + dt.timedelta(days=horizon_days) <= end
    return [_to_date(a) + dt.timedelta(days=horizon_days) <= end for a in as_of]
