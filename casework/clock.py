"""The city's clock: deadlines, ages and report periods are counted in Taipei time, whatever the server's zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone

TAIPEI = ZoneInfo("Asia/Taipei")


def taipei_today() -> dt.date:
    """Today in Taipei, whatever the server's zone: ages and 'current school' are counted on this day."""
    return timezone.now().astimezone(TAIPEI).date()


def deadline_text(due: dt.datetime | None) -> str:
    """A deadline as a person reads it, in Taipei time. A deadline "within N days" ends at midnight after its
    last day: it reads "2026-11-25, end of day", not "2026-11-26 00:00", which looks like a day more."""
    from django.utils.translation import gettext as _

    if due is None:
        return ""
    local = due.astimezone(TAIPEI)
    if (local.hour, local.minute) == (0, 0):  # shown to the minute: 00:00 is the end of the day before
        return _("%(date)s, end of day") % {"date": f"{local.date() - dt.timedelta(days=1):%Y-%m-%d}"}
    return f"{local:%Y-%m-%d %H:%M}"
