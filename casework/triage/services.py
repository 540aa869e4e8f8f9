"""Triage writes: raising and acknowledging alerts, and deciding on them."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from casework.access import policy
from casework.access.audit import Actor, record
from casework.cases.services import open_case, refer
from casework.history import acting, by_actor
from casework.models import (
    ACTIVE_ALERT_STATUSES,
    Alert,
    AlertRule,
    AlertStatus,
    AuditAction,
    Bureau,
    ConcernType,
    Event,
    NotificationKind,
    StatutoryDuty,
    TriageDecision,
    TriageDecisionKind,
    TriageReason,
    User,
    Youth,
)
from casework.notifications import notify
from casework.triage.selectors import latest_score

# Bands at which a decision goes against the model's advice (recorded as an override).
TOP_BANDS = frozenset({"high", "very_high"})
LOW_BANDS = frozenset({"low"})


@transaction.atomic
def raise_alert(
    *,
    reason: str,
    routed_to: Bureau,
    due_at: dt.datetime,
    youth: Youth | None = None,
    youth_id: int | None = None,
    rule: AlertRule | None = None,
    source_event: Event | None = None,
    source_event_id: int | None = None,
    actor: Actor | None = None,
) -> tuple[Alert, bool]:
    """Route an alert to a bureau; an active alert for the same youth, reason and bureau is reused.
    ``rule`` is the rule version that raised it (``casework.triage.alerting``), if any."""
    actor = actor or Actor.system("alerts")
    youth_id = youth.pk if youth is not None else youth_id
    source_event_id = source_event.pk if source_event is not None else source_event_id
    active = {
        "youth_id": youth_id,
        "reason": reason,
        "routed_to": routed_to,
        "status__in": ACTIVE_ALERT_STATUSES,
    }
    existing = Alert.objects.filter(**active).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic(), acting(actor):
            alert = Alert.objects.create(
                youth_id=youth_id,
                reason=reason,
                rule=rule,
                routed_to=routed_to,
                due_at=due_at,
                source_event_id=source_event_id,
            )
    except IntegrityError:
        # Lost a race with a concurrent trigger: the other alert stands.
        return Alert.objects.get(**active), False
    # The access log is append-only and outlives a sealing order: it says that an alert was raised and where
    # it went, never why (the reason and rule stay on the alert, which sealing can erase).
    record(actor, AuditAction.CREATE, alert, detail={"routed_to": routed_to.code})
    return alert, True


@transaction.atomic
@by_actor
def acknowledge_alert(*, actor: Actor, alert: Alert) -> Alert:
    if not policy.can_acknowledge_alert(actor.user, alert):
        raise PermissionDenied(_("Only the bureau the alert is routed to may acknowledge it."))
    if not can_proceed(alert.acknowledge):
        raise ValidationError(_("This alert is not open."))
    alert.acknowledge(by=actor.user)
    alert.save(update_fields=["status", "acknowledged_by", "acknowledged_at"])
    record(actor, AuditAction.UPDATE, alert, detail={"status": AlertStatus.ACKNOWLEDGED})
    return alert


@transaction.atomic
@by_actor
def record_triage_decision(
    *,
    actor: Actor,
    youth: Youth,
    bureau: Bureau,
    decision: str,
    reason_code: str,
    note: str = "",
    alert: Alert | None = None,
) -> TriageDecision:
    """Record a person's triage decision with the score they saw (the youth's stored score, looked up here so
    no caller can name another); disagreeing with the model's band is an override and needs a note."""
    if not policy.can_decide_triage(actor.user, youth, bureau.pk):
        raise PermissionDenied(_("You may decide only for your own bureau and for youth you may see."))
    if alert is not None and alert.youth_id != youth.pk:
        raise ValidationError(_("The alert belongs to another youth."))
    if reason_code not in TriageReason.values:
        raise ValidationError({"reason_code": _("Choose a reason from the list.")})
    seen = latest_score(youth)
    band = seen.band if seen else ""
    # Opening a case on an alert that carries a legal duty (a child-protection report, a missing child, an
    # exposure referral) acts on the law, not against the score: it is no override, whatever the band.
    statutory = (
        alert is not None and alert.rule_id is not None and alert.rule.statutory_duty != StatutoryDuty.OTHER
    )
    is_override = (band in TOP_BANDS and decision == TriageDecisionKind.NO_ACTION) or (
        band in LOW_BANDS and decision == TriageDecisionKind.OPEN_CASE and not statutory
    )
    if is_override and not note.strip():
        raise ValidationError(_("Going against the model's band needs a note explaining why."))
    decision_row = TriageDecision.objects.create(
        youth=youth,
        alert=alert,
        bureau=bureau,
        decided_by=actor.user,
        decision=decision,
        reason_code=reason_code,
        note=note,
        score=seen.score if seen else None,
        band=band,
        model_version=seen.model_version if seen else "",
        is_override=is_override,
    )
    record(
        actor,
        AuditAction.CREATE,
        decision_row,
        detail={"decision": decision, "override": is_override, "band": band},
    )
    return decision_row


@transaction.atomic
@by_actor
def decide_alert(
    *,
    actor: Actor,
    alert: Alert,
    decision: str,
    reason_code: str,
    note: str = "",
    concern: str = "",
    assignee: User | None = None,
    to_bureau: Bureau | None = None,
    to_user: User | None = None,
    consent: str = "",
    consent_note: str = "",
) -> TriageDecision:
    """Triage one alert: open a case, monitor, refer or take no action, in one step that resolves the alert,
    records the decision with the score the worker saw (an override when it goes against the band) and,
    where the rule says so, tells the referring bureau what was decided."""
    alert = (
        Alert.objects.select_for_update(of=("self",))
        .select_related("rule", "source_event", "youth", "routed_to")
        .get(pk=alert.pk)
    )
    if alert.status not in ACTIVE_ALERT_STATUSES and policy.can_act_for_bureau(
        actor.user, alert.routed_to_id
    ):
        # Checked first so a double submit says what happened (deciding also ends the need to see the youth).
        raise ValidationError(_("This alert has already been decided."))
    if not policy.can_decide_triage(actor.user, alert.youth, alert.routed_to_id):
        raise PermissionDenied(_("Only the bureau the alert is routed to may decide on it."))
    if decision not in TriageDecisionKind.values:
        raise ValidationError({"decision": _("Choose a decision.")})
    if reason_code not in TriageReason.values:
        raise ValidationError({"reason_code": _("Choose a reason from the list.")})
    youth = alert.youth
    bureau = alert.routed_to
    case = referral = None
    if decision == TriageDecisionKind.OPEN_CASE:
        concern = concern or (alert.rule.concern if alert.rule_id else ConcernType.HIGH_CONCERN)
        case = open_case(
            actor=actor, youth=youth, lead_bureau=bureau, concern=concern, summary=note, assignee=assignee
        )
    elif decision == TriageDecisionKind.REFER:
        if to_bureau is None:
            raise ValidationError({"to_bureau": _("Choose the bureau to refer to.")})
        referral = refer(
            actor=actor,
            youth=youth,
            from_bureau=bureau,
            to_bureau=to_bureau,
            to_user=to_user,
            reason=note or str(TriageReason(reason_code).label),
            consent=consent,
            consent_note=consent_note,
        )
    row = record_triage_decision(
        actor=actor,
        youth=youth,
        bureau=bureau,
        decision=decision,
        reason_code=reason_code,
        note=note,
        alert=alert,
    )
    if case is not None or referral is not None:
        row.case, row.referral = case, referral
        row.save(update_fields=["case", "referral"])
    alert.resolve(by=actor.user)
    alert.save(update_fields=["status", "resolved_at", "resolved_by"])
    record(actor, AuditAction.UPDATE, alert, detail={"status": AlertStatus.RESOLVED, "decision": decision})
    if alert.rule_id and alert.rule.notify_referrer and alert.source_event_id:
        notify(
            kind=NotificationKind.TRIAGE_OUTCOME,
            bureau=alert.source_event.owning_bureau,
            youth=youth,
            alert=alert,
            case=case,
            detail={"decision": decision, "decided_by_bureau": bureau.code},
        )
    return row
