"""Follow-up after closure for the annual report: what the record shows about a young person after their case
was closed.

The committee follows a closed case for at least 6 months (DOMAIN.md). The platform keeps no follow-up
contacts of its own after closure (interventions are logged on open cases), so what it can honestly count is
what happened next on the record: within 6 and within 12 months of the closure (Taipei dates, the closure day
excluded, the last day included), did the young person

* get a new alert routed to a bureau the reader may see alerts of (``policy.visible_alerts``),
* have a police contact for an offence, exposure behaviour or deviant behaviour on the timeline (by the
  event's date, as known today; sealed events are gone from the timeline and so from the count; only for a
  reader whose bureau reads police records, ``policy.reads_source_for_every_youth``),
* have a new case opened (by any bureau, of the cases the reader may see), or the closed case re-opened.

The cohort of each window is the bureau's cases whose window *ended* in the period (and by today), so every
counted case was followed for the whole window: for the 6-month row of 2025, the cases closed between
July 2024 and June 2025. A case counts once per row, whatever number of alerts or contacts it had.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from typing import Any

from django.utils.translation import gettext as _

from casework.access import policy
from casework.models import Bureau, CaseStatus, EventKind, EventSource
from casework.reports.selectors import Period, taipei_date

WINDOWS = (6, 12)
POLICE_CONTACTS = (EventKind.POLICE_OFFENCE, EventKind.POLICE_EXPOSURE, EventKind.POLICE_DEVIANT)
# The columns of a window's row: the cohort, then what happened within the window.
FOLLOWUP_COLUMNS = ("closed", "new_alert", "police_contact", "new_case", "any", "none")


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (the month's last day where it is shorter)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def followup_labels() -> dict[str, str]:
    return {
        "closed": _("Cases whose follow-up window ended in the period"),
        "new_alert": _("With a new alert"),
        "police_contact": _("With a police contact (offence, exposure, deviant behaviour)"),
        "new_case": _("With a new or re-opened case"),
        "any": _("With any of these"),
        "none": _("With none of these"),
    }


def window_label(months: int) -> str:
    return _("Within %(months)s months of closure") % {"months": months}


def followup_counts(user, *, bureau: Bureau, period: Period, today: dt.date) -> dict[str, Any]:
    """Per window (6 and 12 months), the ids of the bureau's closed cases in each column of
    ``FOLLOWUP_COLUMNS``; ``police_readable`` says whether police contacts could be counted at all."""
    police_readable = policy.reads_source_for_every_youth(user, EventSource.POLICE)
    last = min(period.end, today)
    earliest = add_months(period.start, -max(WINDOWS)) - dt.timedelta(days=31)
    closed = [
        {**c, "closed_on": taipei_date(c["closed_at"])}
        for c in policy.visible_cases(user)
        .filter(lead_bureau=bureau, closed_at__isnull=False, closed_at__date__gte=earliest)
        .values("id", "youth_id", "closed_at")
        .order_by()
    ]
    youth_ids = {c["youth_id"] for c in closed}
    alerts = list(
        policy.visible_alerts(user).filter(youth_id__in=youth_ids).values("youth_id", "created_at").order_by()
    )
    contacts = (
        list(
            policy.visible_events(user)
            .filter(youth_id__in=youth_ids, kind__in=POLICE_CONTACTS)
            .values("youth_id", "event_date")
            .order_by()
        )
        if police_readable
        else []
    )
    cases = list(
        policy.visible_cases(user)
        .filter(youth_id__in=youth_ids)
        .values("id", "youth_id", "opened_at")
        .order_by()
    )
    reopened = list(
        policy.visible_cases(user)
        .filter(pk__in=[c["id"] for c in closed], status_changes__from_status=CaseStatus.CLOSED)
        .values("id", "status_changes__at")
        .order_by()
    )

    alert_days, contact_days, case_days, reopen_days = (defaultdict(list) for _i in range(4))
    for a in alerts:
        alert_days[a["youth_id"]].append(taipei_date(a["created_at"]))
    for e in contacts:
        contact_days[e["youth_id"]].append(e["event_date"])
    for c in cases:
        case_days[c["youth_id"]].append((c["id"], taipei_date(c["opened_at"])))
    for r in reopened:
        reopen_days[r["id"]].append(taipei_date(r["status_changes__at"]))

    windows = []
    for months in WINDOWS:
        ids: dict[str, list[int]] = {column: [] for column in FOLLOWUP_COLUMNS}
        for case in closed:
            start = case["closed_on"]
            end = add_months(start, months)
            if not (period.start <= end <= last):
                continue
            ids["closed"].append(case["id"])

            def within(days, start=start, end=end) -> bool:
                return any(start < day <= end for day in days)

            youth = case["youth_id"]
            found = {
                "new_alert": within(alert_days[youth]),
                "police_contact": within(contact_days[youth]),
                "new_case": within(day for pk, day in case_days[youth] if pk != case["id"])
                or within(reopen_days[case["id"]]),
            }
            for column, yes in found.items():
                if yes:
                    ids[column].append(case["id"])
            ids["any" if any(found.values()) else "none"].append(case["id"])
        windows.append({"key": f"m{months}", "months": months, "label": window_label(months), "ids": ids})
    return {"windows": windows, "police_readable": police_readable}
