"""Server-rendered pages. Thin: every queryset comes from ``policy``; every view of a record is logged."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from casework import start
from casework.access import policy
from casework.access.audit import Actor, record, record_list
from casework.models import (
    ACTIVE_ALERT_STATUSES,
    OPEN_CASE_STATUSES,
    AuditAction,
    ReferralStatus,
)


@login_required
def home(request):
    """Each person's start page is their work: a case worker's alerts, referrals and cases, then the panels of
    every kind of work registered for their roles (``casework.start``; docs/start-pages.md)."""
    user = request.user
    p = policy.principal_for(user)
    panels = start.panels_for(user)
    context: dict = {"principal": p, "panels": panels}
    if p.is_caseworker:
        alerts = policy.visible_alerts(user).filter(status__in=ACTIVE_ALERT_STATUSES)
        context.update(
            youth_count=policy.visible_youth(user).count(),
            alert_count=alerts.count(),
            overdue_count=alerts.filter(due_at__lt=timezone.now()).count(),
            pending_referrals=policy.visible_referrals(user)
            .filter(status=ReferralStatus.PENDING, to_bureau_id__in=p.casework_bureau_ids)
            .count(),
            my_case_count=policy.visible_cases(user)
            .filter(assignee=user, status__in=OPEN_CASE_STATUSES)
            .count(),
            next_alerts=list(alerts.select_related("youth", "routed_to").order_by("due_at")[:8]),
        )
        record_list(
            Actor.from_request(request),
            "dashboard",
            count=len(context["next_alerts"]),
            query={"youth": [a.youth.public_id for a in context["next_alerts"]]},
        )
    start.log_panels(Actor.from_request(request), panels)
    return render(request, "casework/home.html", context)


def permission_denied(request, exception=None):
    record(Actor.from_request(request), AuditAction.DENIED, detail={"path": request.path})
    return render(request, "403.html", status=403)
