"""How long :func:`riskmodel.indicators.compute` takes on this database (``bench/`` and operators)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable

from riskmodel.indicators.catalogue import KEYS
from riskmodel.indicators.compute import _compute_loaded, _load

# ---- benchmark ---------------------------------------------------------------------------------------------------


def bench(months: int = 24, end: dt.date | None = None, youth_ids: Iterable[int] | None = None) -> dict:
    """Time :func:`compute` over ``months`` monthly as-of dates ending at ``end`` (default: the first of the
    month of the latest knowledge date in the database) and print the figures."""
    from django.db.models import Max

    from casework.models import Event

    if end is None:
        latest = Event.objects.aggregate(m=Max("knowledge_date"))["m"] or dt.date.today()
        end = latest.replace(day=1)
    dates = []
    year, month = end.year, end.month
    for _ in range(months):
        dates.append(dt.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    dates.sort()
    t0 = time.perf_counter()
    data = _load([d.toordinal() for d in dates], youth_ids)
    t1 = time.perf_counter()
    frame = _compute_loaded(data, dates)
    t2 = time.perf_counter()
    figures = {
        "as_of_dates": len(dates),
        "first": dates[0].isoformat(),
        "last": dates[-1].isoformat(),
        "youth_loaded": int(data.n),
        "events_loaded": int(data.n_events),
        "rows": len(frame),
        "load_s": round(t1 - t0, 2),
        "compute_s": round(t2 - t1, 2),
        "total_s": round(t2 - t0, 2),
    }
    print(
        f"indicators: {figures['rows']:,} rows × {len(KEYS)} indicators for {len(dates)} as-of dates "
        f"({figures['first']} … {figures['last']}), {figures['youth_loaded']:,} youth, "
        f"{figures['events_loaded']:,} events: load {figures['load_s']} s + compute {figures['compute_s']} s "
        f"= {figures['total_s']} s"
    )
    return figures
