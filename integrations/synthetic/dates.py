"""Day numbers, the school calendar and the date spellings of the feed contract.

Dates inside the generator are integer day numbers (days since 1970-01-01, as ``numpy.datetime64[D]``)
so that whole columns can be handled at once.
"""

from __future__ import annotations

import datetime
from functools import lru_cache

import numpy as np

EPOCH_ORDINAL = datetime.date(1970, 1, 1).toordinal()
ROC_OFFSET = 1911

# Spellings allowed by FEEDS.md. "roc_slash" drops the leading zero of a 2-digit ROC year (98/03/12).
DATE_STYLES = ("iso", "roc_slash3", "roc_slash", "roc_compact", "roc_dot")


def day(d: datetime.date) -> int:
    """Day number of a date."""
    return d.toordinal() - EPOCH_ORDINAL


def to_date(n: int) -> datetime.date:
    """Date of a day number."""
    return datetime.date.fromordinal(int(n) + EPOCH_ORDINAL)


def add_years(d: datetime.date, years: int) -> datetime.date:
    """Same calendar day ``years`` later (29 February becomes 28 February)."""
    try:
        return d.replace(year=d.year + years)
    except ValueError:
        return d.replace(year=d.year + years, day=28)


def month_starts(first: datetime.date, count: int) -> list[datetime.date]:
    """First days of ``count`` consecutive months starting with the month of ``first``."""
    out = []
    y, m = first.year, first.month
    for _ in range(count):
        out.append(datetime.date(y, m, 1))
        m += 1
        if m == 13:
            y, m = y + 1, 1
    return out


def ymd(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vectorised (year, month, day) of day numbers."""
    d = np.asarray(days).astype("datetime64[D]")
    y = d.astype("datetime64[Y]").astype(np.int64) + 1970
    m = d.astype("datetime64[M]").astype(np.int64) % 12 + 1
    dd = (d - d.astype("datetime64[M]")).astype(np.int64) + 1
    return y, m, dd


def iso_strings(days: np.ndarray) -> np.ndarray:
    """Vectorised ISO spelling of day numbers."""
    return np.datetime_as_string(np.asarray(days).astype("datetime64[D]"), unit="D")


def format_date(d: datetime.date | None, style: str) -> str:
    """Spell a date in one of :data:`DATE_STYLES`; ``None`` is blank."""
    if d is None:
        return ""
    return format_ymd(d.year, d.month, d.day, style)


def format_ymd(year: int, month: int, day_: int, style: str) -> str:
    """Spell year, month and day (not checked: broken rows use impossible ones) in ``style``."""
    if style == "iso":
        return f"{year:04d}-{month:02d}-{day_:02d}"
    roc = year - ROC_OFFSET
    if style == "roc_slash3":
        return f"{roc:03d}/{month:02d}/{day_:02d}"
    if style == "roc_slash":
        return f"{roc}/{month:02d}/{day_:02d}"
    if style == "roc_compact":
        return f"{roc:03d}{month:02d}{day_:02d}"
    if style == "roc_dot":
        return f"{roc}.{month:02d}.{day_:02d}"
    raise ValueError(f"unknown date style {style!r}")


# Fixed-date public holidays on which schools are closed. Lunar holidays move every year; leaving them
# out only adds a few school days and changes nothing the generator relies on.
_FIXED_HOLIDAYS = ((1, 1), (2, 28), (4, 4), (4, 5), (5, 1), (10, 10))


def is_school_day(d: datetime.date) -> bool:
    """Taiwanese junior/senior-high school day: a weekday in term time that is not a fixed holiday.

    Terms: from 30 August to 20 January and from 11 February to 30 June.
    """
    if d.weekday() >= 5 or (d.month, d.day) in _FIXED_HOLIDAYS:
        return False
    md = (d.month, d.day)
    if (7, 1) <= md < (8, 30):
        return False
    return not ((1, 21) <= md < (2, 11))


def school_days(first: datetime.date, last: datetime.date) -> np.ndarray:
    """Day numbers of all school days in ``[first, last)``."""
    out = []
    d = first
    one = datetime.timedelta(days=1)
    while d < last:
        if is_school_day(d):
            out.append(day(d))
        d += one
    return np.asarray(out, dtype=np.int64)


@lru_cache(maxsize=256)
def school_year_start(year: int) -> datetime.date:
    """First school day of the school year that starts in August of ``year``."""
    d = datetime.date(year, 8, 30)
    while not is_school_day(d):
        d += datetime.timedelta(days=1)
    return d


@lru_cache(maxsize=256)
def spring_term_start(year: int) -> datetime.date:
    """First school day of the spring term in ``year`` (February)."""
    d = datetime.date(year, 2, 11)
    while not is_school_day(d):
        d += datetime.timedelta(days=1)
    return d
