"""Focal-linkage alerts: rules turn events and scores into alerts routed to a bureau with a deadline; overdue
alerts escalate to the bureau's supervisors; due next steps remind the worker.

Deadlines are computed in Taipei time whatever the server's zone: "within 14 days" ends at midnight in
Taipei on the 14th day after the day the bureau learned of the event (the first day is not counted, as the
Civil Code counts days); an hours deadline runs from the moment the alert is raised.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from casework import notifications
from casework.access import policy
from casework.access.audit import Actor, record
from casework.clock import TAIPEI
from casework.history import acting
from casework.models import (
    OPEN_CASE_STATUSES,
    Alert,
    AlertRule,
    AlertStatus,
    AlertTrigger,
    AuditAction,
    Bureau,
    BureauKind,
    Case,
    Event,
    EventKind,
    Intervention,
    NotificationKind,
    RiskBand,
    RiskScore,
)
from casework.triage import services as triage_services


def due_at(rule: AlertRule, *, raised_at: dt.datetime, known_on: dt.date | None = None) -> dt.datetime:
    """When the routed bureau must have acted on an alert this rule raises."""
    if rule.deadline_hours is not None:
        return raised_at + dt.timedelta(hours=rule.deadline_hours)
    start = known_on or raised_at.astimezone(TAIPEI).date()
    last_day = start + dt.timedelta(days=rule.deadline_days)
    return dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time.min, tzinfo=TAIPEI)


def current_rules(trigger: str | None = None) -> QuerySet[AlertRule]:
    rules = AlertRule.objects.filter(is_current=True, enabled=True)
    return rules.filter(trigger=trigger) if trigger else rules


def _bureaus_by_kind() -> dict[str, Bureau]:
    return {b.kind: b for b in Bureau.objects.all()}


def raise_event_alerts(events: QuerySet[Event], *, today: dt.date | None = None) -> int:
    """Apply every current event rule to these events (new arrivals on the timeline). Returns alerts raised.

    Safe to run again on the same events: an active alert for the same youth, rule and bureau is reused.
    """
    today = today or timezone.localdate()
    actor = Actor.system("alert-rules")
    bureaus = _bureaus_by_kind()
    now = timezone.now()
    raised = 0
    for rule in current_rules(AlertTrigger.EVENT):
        matching = events.filter(
            kind=rule.event_kind,
            knowledge_date__gte=today - dt.timedelta(days=rule.lookback_days),
            youth__merged_into__isnull=True,
        )
        if rule.event_codes:
            matching = matching.filter(code__in=rule.event_codes)
        for event_id, youth_id, known_on in matching.order_by("knowledge_date", "id").values_list(
            "id", "youth_id", "knowledge_date"
        ):
            due = due_at(rule, raised_at=now, known_on=known_on)
            for kind in rule.route_to:
                bureau = bureaus.get(kind)
                if bureau is None:
                    continue
                _, created = triage_services.raise_alert(
                    youth_id=youth_id, reason=rule.key, rule=rule, routed_to=bureau, due_at=due,
                    source_event_id=event_id, actor=actor,
                )  # fmt: skip
                raised += created
    return raised


def raise_score_alerts(*, model_version: str, as_of: dt.date) -> int:
    """Apply every current score rule to one scoring run: a youth in the rule's bands with no open case
    goes to the rule's bureaus, unless an alert of that rule was decided within the quiet period."""
    actor = Actor.system("alert-rules")
    bureaus = _bureaus_by_kind()
    now = timezone.now()
    raised = 0
    for rule in current_rules(AlertTrigger.SCORE):
        open_case = Case.objects.filter(youth=OuterRef("youth_id"), status__in=OPEN_CASE_STATUSES)
        recently_decided = Alert.objects.filter(
            youth=OuterRef("youth_id"),
            reason=rule.key,
            status=AlertStatus.RESOLVED,
            resolved_at__gte=now - dt.timedelta(days=rule.lookback_days),
        )
        youth_ids = (
            RiskScore.objects.filter(
                model_version=model_version,
                as_of=as_of,
                band__in=rule.bands,
                youth__merged_into__isnull=True,
            )
            .filter(~Exists(open_case), ~Exists(recently_decided))
            .order_by("rank")
            .values_list("youth_id", flat=True)
        )
        due = due_at(rule, raised_at=now)
        for youth_id in youth_ids:
            for kind in rule.route_to:
                bureau = bureaus.get(kind)
                if bureau is not None:
                    raised += triage_services.raise_alert(
                        youth_id=youth_id,
                        reason=rule.key,
                        rule=rule,
                        routed_to=bureau,
                        due_at=due,
                        actor=actor,
                    )[1]
    return raised


def escalate_overdue_alerts(*, now: dt.datetime | None = None) -> int:
    """Escalate every active alert past its deadline to its bureau's supervisors (once). Returns how many."""
    now = now or timezone.now()
    actor = Actor.system("escalation")
    escalated = 0
    overdue = Alert.objects.filter(
        status__in=[AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED], due_at__lt=now
    ).values_list("pk", flat=True)
    for pk in list(overdue):
        with transaction.atomic(), acting(actor):
            alert = Alert.objects.select_for_update().select_related("routed_to").get(pk=pk)
            if alert.status not in (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED) or alert.due_at >= now:
                continue
            alert.escalate(at=now)
            alert.save(update_fields=["status", "escalated_at"])
            for supervisor in policy.supervisors_of(alert.routed_to_id):
                notifications.notify(
                    kind=NotificationKind.ALERT_ESCALATED,
                    user=supervisor,
                    youth_id=alert.youth_id,
                    alert=alert,
                    dedupe_key=f"escalated:{alert.pk}:{supervisor.pk}",
                )
            record(actor, AuditAction.UPDATE, alert, detail={"status": AlertStatus.ESCALATED})
            escalated += 1
    return escalated


def remind_due_steps(*, today: dt.date | None = None) -> int:
    """Remind the worker of a case's next step due by tomorrow (or overdue), once per step."""
    today = today or timezone.localdate()
    later = Intervention.objects.filter(case=OuterRef("case"), occurred_on__gt=OuterRef("occurred_on"))
    due = (
        Intervention.objects.filter(
            next_due__isnull=False,
            next_due__lte=today + dt.timedelta(days=1),
            case__status__in=OPEN_CASE_STATUSES,
        )
        .filter(~Exists(later))
        .select_related("case")
    )
    sent = 0
    for intervention in due:
        recipient = intervention.case.assignee_id or intervention.worker_id
        sent += notifications.notify(
            kind=NotificationKind.TASK_DUE,
            user_id=recipient,
            youth_id=intervention.case.youth_id,
            case=intervention.case,
            detail={"next_step": intervention.next_step[:200], "due": intervention.next_due.isoformat()},
            dedupe_key=f"due:{intervention.pk}:{intervention.next_due.isoformat()}",
        )
    return sent


# ---------------------------------------------------------------------------------------------------------
# Administration of the rules
# ---------------------------------------------------------------------------------------------------------

RULE_FIELDS = (
    "enabled", "name_zh", "name_en", "duty_zh", "duty_en", "trigger", "event_kind", "event_codes", "bands",
    "route_to", "deadline_hours", "deadline_days", "lookback_days", "notify_referrer", "concern", "statutory_duty",
)  # fmt: skip


def _validate_rule(values: dict) -> None:
    errors = {}
    if (values.get("deadline_hours") is None) == (values.get("deadline_days") is None):
        errors["deadline_hours"] = _("Give the deadline either in hours or in days, not both.")
    for name in ("deadline_hours", "deadline_days"):
        if values.get(name) is not None and values[name] <= 0:
            errors[name] = _("A deadline must be at least one hour or one day.")
    route = values.get("route_to") or []
    if not route or any(kind not in BureauKind.values for kind in route):
        errors["route_to"] = _("Route the alert to at least one bureau.")
    if values.get("trigger") == AlertTrigger.EVENT:
        if values.get("event_kind") not in EventKind.values:
            errors["event_kind"] = _("An event rule needs the kind of event that triggers it.")
    elif values.get("trigger") == AlertTrigger.SCORE:
        bands = values.get("bands") or []
        if not bands or any(band not in RiskBand.values for band in bands):
            errors["bands"] = _("A score rule needs at least one risk band.")
    else:
        errors["trigger"] = _("Unknown trigger.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def revise_alert_rule(*, actor: Actor, key: str, changes: dict, note: str) -> AlertRule:
    """Write the next version of a rule (or its first, for a new key). Alerts already raised keep theirs."""
    if not policy.can_edit_alert_rules(actor.user):
        raise PermissionDenied(_("Only administrators may change alert rules."))
    if not note.strip():
        raise ValidationError({"change_note": _("Say why the rule changes.")})
    unknown = set(changes) - set(RULE_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown rule fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    current = AlertRule.objects.select_for_update().filter(key=key, is_current=True).first()
    values = {name: getattr(current, name) for name in RULE_FIELDS} if current else {}
    values.update(changes)
    _validate_rule(values)
    if current is not None:
        if all(getattr(current, name) == values[name] for name in RULE_FIELDS):
            raise ValidationError(_("Nothing changed."))
        current.is_current = False
        current.save(update_fields=["is_current"])
    rule = AlertRule.objects.create(
        key=key,
        version=(current.version + 1) if current else 1,
        created_by=actor.user,
        change_note=note,
        **values,
    )
    record(
        actor,
        AuditAction.UPDATE if current else AuditAction.CREATE,
        rule,
        detail={"key": key, "version": rule.version, "changed": sorted(changes)},
    )
    return rule
