"""A deadline reads as a person means it: "within 14 days" ends at the end of its last day, in Taipei time."""

from __future__ import annotations

import datetime as dt

from django.utils import translation

from casework.clock import TAIPEI, deadline_text


def test_a_deadline_at_midnight_reads_as_the_end_of_the_day_before():
    due = dt.datetime(2026, 11, 26, 0, 0, tzinfo=TAIPEI)
    with translation.override("en"):
        assert deadline_text(due) == "2026-11-25, end of day"
    with translation.override("zh-hant"):
        assert deadline_text(due) == "2026-11-25 當日止"


def test_a_deadline_in_hours_reads_its_taipei_time_whatever_the_zone_it_is_stored_in():
    due = dt.datetime(2026, 11, 25, 6, 30, tzinfo=dt.UTC)  # 14:30 in Taipei
    assert deadline_text(due) == "2026-11-25 14:30"
    # midnight in UTC is not midnight in Taipei
    assert deadline_text(dt.datetime(2026, 11, 26, 0, 0, tzinfo=dt.UTC)) == "2026-11-26 08:00"
    assert deadline_text(None) == ""
