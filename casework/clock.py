"""The city's clock: deadlines, ages and report periods are counted in Taipei time, whatever the server's zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone

TAIPEI = ZoneInfo("Asia/Taipei")


def taipei_today() -> dt.date:
    """Today in Taipei, whatever the server's zone: ages and 'current school' are counted on this day."""
    return timezone.now().astimezone(TAIPEI).date()
