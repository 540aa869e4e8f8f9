"""The annual report's 14-day duty (少年事件處理法 Art. 18; DOMAIN.md): what became of each exposure notice.

The committee must decide within 14 days of an exposure referral whether to open a case. In the data model that
duty is carried by the alert rules with ``StatutoryDuty.EXPOSURE_14D``: the alert's ``due_at`` is the 14-day
deadline, and the person's answer is the ``TriageDecision`` recorded on the alert (``decide_alert``), with a
decision (open a case, monitor, refer, no action) and a coded reason (``TriageReason``). So each exposure alert
raised in the period falls in exactly one row: a case opened by the deadline, a case opened later, not opened
(by the reason the decision gave), resolved with no decision recorded, or not decided yet (within or past the
deadline). The rows add up to the alerts raised, and the reasons are the coded ones only: free-text notes are
never counted or shown.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _

from casework.access import policy
from casework.models import TriageDecisionKind, TriageReason

OPENED_ON_TIME = "opened_on_time"
OPENED_LATE = "opened_late"
NO_DECISION = "resolved_without_decision"
PENDING_WITHIN = "pending_within"
PENDING_OVERDUE = "pending_overdue"


def exposure_row_labels() -> list[tuple[str, str]]:
    """Every row of the table in order, whether or not it counts anything (so a row's presence says nothing)."""
    return [
        (OPENED_ON_TIME, _("Case opened by the 14-day deadline")),
        (OPENED_LATE, _("Case opened after the deadline")),
        *(
            (f"not_opened:{reason.value}", _("Not opened: %(reason)s") % {"reason": reason.label})
            for reason in TriageReason
        ),
        (NO_DECISION, _("Resolved with no triage decision recorded")),
        (PENDING_WITHIN, _("No decision yet, within the deadline")),
        (PENDING_OVERDUE, _("No decision yet, past the deadline")),
    ]


def exposure_outcome(alert: dict[str, Any], decision: dict[str, Any] | None, *, now: dt.datetime) -> str:
    """The row one exposure alert falls in, from its latest triage decision (``None``: none recorded)."""
    if decision is not None:
        if decision["decision"] == TriageDecisionKind.OPEN_CASE:
            return OPENED_ON_TIME if decision["created_at"] <= alert["due_at"] else OPENED_LATE
        return f"not_opened:{decision['reason_code']}"
    if alert["resolved_at"] is not None:
        return NO_DECISION
    return PENDING_OVERDUE if alert["due_at"] < now else PENDING_WITHIN


def exposure_outcomes(user, alerts: list[dict[str, Any]], *, now: dt.datetime) -> dict[str, list[int]]:
    """The ids of the exposure ``alerts`` (dicts with ``id``, ``due_at``, ``resolved_at``) in each row, from
    the triage decisions on them the user may see (the latest decision of each alert)."""
    latest: dict[int, dict[str, Any]] = {}
    decisions = (
        policy.visible_triage_decisions(user)
        .filter(alert_id__in=[a["id"] for a in alerts])
        .values("alert_id", "decision", "reason_code", "created_at")
        .order_by("created_at", "id")
    )
    for d in decisions:
        latest[d["alert_id"]] = d
    out: dict[str, list[int]] = {key: [] for key, _label in exposure_row_labels()}
    for alert in alerts:
        out.setdefault(exposure_outcome(alert, latest.get(alert["id"]), now=now), []).append(alert["id"])
    return out
