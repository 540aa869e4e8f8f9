"""The city's clock: deadlines, ages and report periods are counted in Taipei time, whatever the server's zone."""

from __future__ import annotations

import datetime as dt
from contextvars import ContextVar
from zoneinfo import ZoneInfo

from django.utils import timezone

TAIPEI = ZoneInfo("Asia/Taipei")
ROC_OFFSET = 1911  # ROC year 1 is 1912

# The calendar the person being served reads dates in ("western" or "roc"), set for each request from their
# preference (``accounts.middleware.DateStyleMiddleware``); pages format dates through ``day_text`` and
# ``moment_text`` (the ``day``, ``moment`` and ``deadline`` template filters).
DATE_STYLE: ContextVar[str] = ContextVar("date_style", default="western")


def taipei_today() -> dt.date:
    """Today in Taipei, whatever the server's zone: ages and 'current school' are counted on this day."""
    return timezone.now().astimezone(TAIPEI).date()


def day_text(value: dt.date | dt.datetime | None) -> str:
    """A date (or a datetime's Taipei date) in the reader's calendar: 2026-11-25, or 115/11/25."""
    if not isinstance(value, dt.date):  # None, "", or anything else: nothing, as Django's date filter does
        return ""
    if isinstance(value, dt.datetime):
        value = value.astimezone(TAIPEI).date() if value.tzinfo else value.date()
    if DATE_STYLE.get() == "roc" and value.year > ROC_OFFSET:
        return f"{value.year - ROC_OFFSET}/{value:%m/%d}"
    return f"{value:%Y-%m-%d}"


def moment_text(value: dt.datetime | None) -> str:
    """A moment in Taipei time in the reader's calendar: 2026-11-25 14:30, or 115/11/25 14:30."""
    if not isinstance(value, dt.datetime):
        return day_text(value)
    local = value.astimezone(TAIPEI) if value.tzinfo else value
    return f"{day_text(local.date())} {local:%H:%M}"


def deadline_text(due: dt.datetime | None) -> str:
    """A deadline as a person reads it, in Taipei time. A deadline "within N days" ends at midnight after its
    last day: it reads "2026-11-25, end of day", not "2026-11-26 00:00", which looks like a day more."""
    from django.utils.translation import gettext as _

    if not isinstance(due, dt.datetime):
        return day_text(due)
    local = due.astimezone(TAIPEI) if due.tzinfo else due
    if (local.hour, local.minute) == (0, 0):  # shown to the minute: 00:00 is the end of the day before
        return _("%(date)s, end of day") % {"date": day_text(local.date() - dt.timedelta(days=1))}
    return moment_text(local)
