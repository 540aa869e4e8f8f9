"""Every change to the casework record goes through one of these functions.

Each checks the access policy, writes in one transaction, and appends the audit row, so that there is
exactly one way to change a thing.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from . import policy
from .audit import Actor, record
from .history import acting, by_actor
from .models import (
    ACTIVE_ALERT_STATUSES,
    EVENT_SOURCE,
    Alert,
    AlertRule,
    AlertStatus,
    AuditAction,
    Bureau,
    Case,
    CaseAssigneeChange,
    CaseStatus,
    CaseStatusChange,
    ClosureReason,
    ConcernType,
    ConsentBasis,
    Event,
    EventKind,
    Intervention,
    NotificationKind,
    Referral,
    ReferralKind,
    ReferralStatus,
    School,
    Sensitivity,
    StatutoryDuty,
    TriageDecision,
    TriageDecisionKind,
    TriageReason,
    User,
    Youth,
)

# Bands at which a decision goes against the model's advice (recorded as an override).
TOP_BANDS = frozenset({"high", "very_high"})
LOW_BANDS = frozenset({"low"})

DEFAULT_SENSITIVITY = {
    EventKind.POLICE_OFFENCE: Sensitivity.SENSITIVE,
    EventKind.POLICE_EXPOSURE: Sensitivity.SENSITIVE,
    EventKind.CHILD_PROTECTION: Sensitivity.PROTECTED,
    EventKind.FRAGILE_FAMILY: Sensitivity.PROTECTED,
}


def _deny(message: str) -> PermissionDenied:
    return PermissionDenied(message)


def new_youth_public_id() -> str:
    """A random, non-guessable, non-sequential youth identifier (Y + 10 base-32 characters)."""
    alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
    return "Y" + "".join(secrets.choice(alphabet) for _ in range(10))


@transaction.atomic
def create_youth(
    *,
    name: str = "",
    name_romanized: str = "",
    birth_date: dt.date | None = None,
    sex: str = "",
    national_id: str = "",
    district: str = "",
    address: str = "",
    indigenous: bool | None = None,
    new_immigrant_parent: bool | None = None,
) -> Youth:
    """Create a golden record (used by linkage and by the demo)."""
    from .models import FairnessAttributes

    youth = Youth.objects.create(
        public_id=new_youth_public_id(),
        name=name,
        name_romanized=name_romanized,
        birth_date=birth_date,
        sex=sex,
        national_id=national_id,
        district=district,
        address=address,
    )
    FairnessAttributes.objects.create(
        youth=youth, indigenous=indigenous, new_immigrant_parent=new_immigrant_parent
    )
    return youth


def record_event(
    *,
    youth: Youth,
    kind: str,
    event_date: dt.date,
    knowledge_date: dt.date,
    owning_bureau: Bureau,
    school: School | None = None,
    code: str = "",
    details: dict | None = None,
    sensitivity: str | None = None,
    source_feed: str = "",
    source_key: str = "",
    source_record_id: int | None = None,
) -> Event:
    """Put one event on a youth's timeline. Imports call this; the import batch carries the audit row."""
    if knowledge_date < event_date:
        raise ValidationError(_("An event cannot be known before it happened."))
    return Event.objects.create(
        youth=youth,
        kind=kind,
        source=EVENT_SOURCE[kind],
        event_date=event_date,
        knowledge_date=knowledge_date,
        owning_bureau=owning_bureau,
        school=school,
        code=code,
        details=details or {},
        sensitivity=sensitivity or DEFAULT_SENSITIVITY.get(kind, Sensitivity.ORDINARY),
        source_feed=source_feed,
        source_key=source_key,
        source_record_id=source_record_id,
    )


EVENT_COPY_COLUMNS = (
    "youth_id", "kind", "source", "code", "event_date", "knowledge_date", "owning_bureau_id", "school_id",
    "sensitivity", "details", "source_feed", "source_key", "source_record_id", "created_at",
)  # fmt: skip


def record_events_bulk(events: list[dict]) -> int:
    """Put many events on timelines at once (linkage writes imported records this way). Each event (a
    dict of :data:`EVENT_COPY_COLUMNS` without source, sensitivity and created_at) is checked as
    :func:`record_event` checks one; the source and default sensitivity follow from the kind."""
    import orjson

    from .bulk import copy_rows

    now = timezone.now()
    rows = []
    for event in events:
        if event["knowledge_date"] < event["event_date"]:
            raise ValidationError(_("An event cannot be known before it happened."))
        kind = event["kind"]
        rows.append(
            (
                event["youth_id"],
                kind,
                EVENT_SOURCE[kind],
                event.get("code", ""),
                event["event_date"],
                event["knowledge_date"],
                event["owning_bureau_id"],
                event.get("school_id"),
                event.get("sensitivity") or DEFAULT_SENSITIVITY.get(kind, Sensitivity.ORDINARY),
                orjson.dumps(event.get("details") or {}).decode("utf-8"),
                event.get("source_feed", ""),
                event.get("source_key", ""),
                event.get("source_record_id"),
                now,
            )  # fmt: skip
        )
    copy_rows(Event, EVENT_COPY_COLUMNS, rows, json_columns=("details",))
    return len(rows)


RISK_SCORE_COLUMNS = ("youth_id", "as_of", "score", "band", "rank", "model_version", "reasons", "scored_at")


@transaction.atomic
def record_scores_bulk(*, model_version: str, as_of: dt.date, scores: list[dict]) -> int:
    """Write one scoring run's scores onto the youth (replacing an earlier run of the same model and date).
    Each score: youth_id, score (a probability), band, rank, reasons."""
    import orjson

    from .bulk import copy_rows
    from .models import RiskBand, RiskScore

    bands = set(RiskBand.values)
    now = timezone.now()
    rows = []
    for item in scores:
        if not 0.0 <= item["score"] <= 1.0:
            raise ValidationError(_("A score is a probability between 0 and 1."))
        if item["band"] not in bands:
            raise ValidationError(_("Unknown risk band."))
        rows.append(
            (item["youth_id"], as_of, float(item["score"]), item["band"], int(item["rank"]), model_version,
             orjson.dumps(item.get("reasons") or []).decode("utf-8"), now)
        )  # fmt: skip
    RiskScore.objects.filter(model_version=model_version, as_of=as_of).delete()
    copy_rows(RiskScore, RISK_SCORE_COLUMNS, rows, json_columns=("reasons",))
    return len(rows)


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
    ``rule`` is the rule version that raised it (``casework.alerting``), if any."""
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
        raise _deny(_("Only the bureau the alert is routed to may acknowledge it."))
    if not can_proceed(alert.acknowledge):
        raise ValidationError(_("This alert is not open."))
    alert.acknowledge(by=actor.user)
    alert.save(update_fields=["status", "acknowledged_by", "acknowledged_at"])
    record(actor, AuditAction.UPDATE, alert, detail={"status": AlertStatus.ACKNOWLEDGED})
    return alert


@transaction.atomic
@by_actor
def open_case(
    *,
    actor: Actor,
    youth: Youth,
    lead_bureau: Bureau,
    concern: str,
    summary: str = "",
    assignee: User | None = None,
) -> Case:
    """Open a case for a youth the actor may see, led by a bureau the actor works for."""
    if not policy.can_open_case(actor.user, youth, lead_bureau.pk):
        raise _deny(_("You may open cases only for your own bureau and for youth you may see."))
    if assignee is not None and not policy.caseworkers_of([lead_bureau.pk]).filter(pk=assignee.pk).exists():
        raise ValidationError(_("The assignee must be a case worker of the lead bureau."))
    case = Case.objects.create(
        youth=youth,
        lead_bureau=lead_bureau,
        concern=concern,
        summary=summary,
        assignee=assignee,
        opened_by=actor.user,
    )
    _assignee_changed(case, before=None, after=case.assignee_id, by=actor.user)
    # Not the concern: the log outlives a sealing order that erases the case (casework.sealing).
    record(actor, AuditAction.CREATE, case, detail={"lead_bureau": lead_bureau.code})
    return case


def _assignee_changed(case: Case, *, before: int | None, after: int | None, by: User) -> None:
    """Remember who carries the case from now on (and who carried it before): nobody who ever carried a case
    approves its closure (``policy.can_approve_closure``)."""
    if before != after:
        CaseAssigneeChange.objects.create(case=case, from_assignee_id=before, to_assignee_id=after, by=by)


def _refuse_reassignment_during_closure(case: Case) -> None:
    """While closure is requested the case keeps its carrier: handing it on would let a supervisor who carried
    it step out of the way and approve it (returning the closure request reopens the way)."""
    if case.status == CaseStatus.CLOSURE_REQUESTED:
        raise ValidationError(
            {
                "assignee": _(
                    "The case awaits a decision on its closure: it is not reassigned or transferred until the "
                    "closure is approved or returned."
                )
            }
        )


@transaction.atomic
@by_actor
def update_case(
    *,
    actor: Actor,
    case: Case,
    expected_version: int,
    summary: str | None = None,
    assessment: str | None = None,
    plan: str | None = None,
    assignee=...,
) -> Case:
    """Edit a case's summary, assessment, plan or assignee; a stale version is refused rather than silently
    overwritten."""
    if not policy.can_edit_case(actor.user, case):
        raise _deny(_("You may not edit this case."))
    locked = Case.objects.select_for_update().get(pk=case.pk)
    if locked.version != expected_version:
        raise ValidationError(
            _("Someone else changed this case since you opened it. Reload to see their change."),
            code="conflict",
        )
    changed = {}
    for name, value in (("summary", summary), ("assessment", assessment), ("plan", plan)):
        if value is not None and value != getattr(locked, name):
            setattr(locked, name, value)
            changed[name] = True
    if assignee is not ... and (assignee.pk if assignee else None) != locked.assignee_id:
        _refuse_reassignment_during_closure(locked)
        if (
            assignee is not None
            and not policy.caseworkers_of([locked.lead_bureau_id]).filter(pk=assignee.pk).exists()
        ):
            raise ValidationError(_("The assignee must be a case worker of the lead bureau."))
        _assignee_changed(
            locked, before=locked.assignee_id, after=assignee.pk if assignee else None, by=actor.user
        )
        locked.assignee = assignee
        changed["assignee"] = assignee.get_username() if assignee else None
    locked.version += 1
    locked.save()
    record(actor, AuditAction.UPDATE, locked, detail=changed)
    return locked


@transaction.atomic
@by_actor
def log_intervention(
    *,
    actor: Actor,
    case: Case,
    kind: str,
    occurred_on: dt.date,
    duration_minutes: int | None = None,
    notes: str = "",
    outcome: str = "",
    next_step: str = "",
    next_due: dt.date | None = None,
) -> Intervention:
    if not policy.can_log_intervention(actor.user, case):
        raise _deny(_("You may log interventions only on open cases you work on."))
    if occurred_on > timezone.localdate():
        raise ValidationError(_("An intervention cannot be logged for a future date."))
    if next_due is not None and next_due < occurred_on:
        raise ValidationError(_("The next step cannot be due before the intervention took place."))
    intervention = Intervention.objects.create(
        case=case,
        kind=kind,
        occurred_on=occurred_on,
        duration_minutes=duration_minutes,
        worker=actor.user,
        notes=notes,
        outcome=outcome,
        next_step=next_step,
        next_due=next_due,
    )
    record(actor, AuditAction.CREATE, intervention, youth=case.youth, detail={"kind": kind})
    return intervention


@transaction.atomic
@by_actor
def refer(
    *,
    actor: Actor,
    youth: Youth,
    from_bureau: Bureau,
    to_bureau: Bureau,
    reason: str,
    consent: str,
    consent_note: str = "",
    case: Case | None = None,
    to_user: User | None = None,
    kind: str = ReferralKind.REFERRAL,
) -> Referral:
    """Route a youth to another bureau (or worker); the receiver sees the record once this exists."""
    if not policy.can_refer(actor.user, youth, from_bureau.pk):
        raise _deny(_("You may refer only youth you may see, on behalf of your own bureau."))
    if case is not None and case.youth_id != youth.pk:
        raise ValidationError(_("The case belongs to another youth."))
    if consent not in ConsentBasis.values:
        raise ValidationError({"consent": _("Record the consent, or document why it was overridden.")})
    if consent == ConsentBasis.OVERRIDE and not consent_note.strip():
        raise ValidationError(_("A consent override needs a documented reason."))
    if to_user is not None and to_user.pk == actor.user.pk:
        raise ValidationError(_("You cannot refer a youth to yourself."))
    if to_user is not None and not policy.caseworkers_of([to_bureau.pk]).filter(pk=to_user.pk).exists():
        raise ValidationError(_("The receiving worker must be a case worker of the receiving bureau."))
    if case is not None and not case.is_open:
        raise ValidationError(_("A closed case is not referred or transferred; open a new case if needed."))
    if kind == ReferralKind.TRANSFER and (case is None or case.lead_bureau_id != from_bureau.pk):
        raise ValidationError(_("Only the lead bureau transfers a case, and a transfer names the case."))
    if kind == ReferralKind.TRANSFER:
        _refuse_reassignment_during_closure(case)
    if from_bureau.pk == to_bureau.pk and to_user is None:
        raise ValidationError(_("Choose another bureau, or a worker in your own bureau."))
    referral = Referral.objects.create(
        youth=youth,
        case=case,
        kind=kind,
        from_bureau=from_bureau,
        from_user=actor.user,
        to_bureau=to_bureau,
        to_user=to_user,
        reason=reason,
        consent=consent,
        consent_note=consent_note,
    )
    record(actor, AuditAction.CREATE, referral, detail={"to": to_bureau.code, "kind": kind})
    notify(
        kind=NotificationKind.REFERRAL_RECEIVED,
        user=to_user,
        bureau=None if to_user else to_bureau,
        youth=youth,
        referral=referral,
        case=case,
    )
    return referral


@transaction.atomic
@by_actor
def respond_to_referral(*, actor: Actor, referral: Referral, accept: bool, note: str = "") -> Referral:
    """Accept or decline. Accepting a transfer hands the case's lead to the receiving bureau (and worker)."""
    if not policy.can_respond_to_referral(actor.user, referral):
        raise _deny(_("Only the receiving bureau or worker may respond to this referral."))
    if _locked_status(referral) != ReferralStatus.PENDING:
        raise ValidationError(_("This referral has already been answered."))
    if not accept and not note.strip():
        raise ValidationError(_("Declining a referral needs a reason."))
    transferred = None
    if accept and referral.kind == ReferralKind.TRANSFER and referral.case_id:
        transferred = Case.objects.select_for_update().get(pk=referral.case_id)
        _refuse_reassignment_during_closure(transferred)
    if accept:
        referral.accept(by=actor.user, note=note)
    else:
        referral.decline(by=actor.user, note=note)
    referral.save(update_fields=["status", "response_note", "responded_at", "responded_by"])
    detail = {"status": referral.status}
    if transferred is not None:
        case = transferred
        if case.is_open:
            detail["lead_from"] = case.lead_bureau_id
            case.lead_bureau_id = referral.to_bureau_id
            new_assignee = referral.to_user or actor.user
            _assignee_changed(case, before=case.assignee_id, after=new_assignee.pk, by=actor.user)
            case.assignee = new_assignee
            case.version += 1
            case.save(update_fields=["lead_bureau", "assignee", "version"])
            detail["lead_to"] = case.lead_bureau_id
    record(actor, AuditAction.UPDATE, referral, detail=detail)
    notify(
        kind=NotificationKind.REFERRAL_ANSWERED,
        user=referral.from_user,
        youth_id=referral.youth_id,
        referral=referral,
        detail={"status": referral.status},
    )
    return referral


@transaction.atomic
@by_actor
def complete_referral(*, actor: Actor, referral: Referral, note: str = "") -> Referral:
    """The receiver reports the referred work done; the sender learns of it."""
    if not policy.can_complete_referral(actor.user, referral):
        raise _deny(_("Only the receiving bureau or worker may complete this referral."))
    if _locked_status(referral) != ReferralStatus.ACCEPTED:
        raise ValidationError(_("Only an accepted referral can be completed."))
    referral.complete(by=actor.user, note=note)
    return _referral_closed(actor, referral)


@transaction.atomic
@by_actor
def revoke_referral(*, actor: Actor, referral: Referral, note: str) -> Referral:
    """The sender (or their supervisor) withdraws a referral; the receiver loses the access it gave."""
    if not policy.can_revoke_referral(actor.user, referral):
        raise _deny(_("Only the sender or a supervisor of the sending bureau may revoke this referral."))
    if _locked_status(referral) not in (ReferralStatus.PENDING, ReferralStatus.ACCEPTED):
        raise ValidationError(_("Only a pending or accepted referral can be revoked."))
    if not note.strip():
        raise ValidationError(_("Revoking a referral needs a reason."))
    referral.revoke(by=actor.user, note=note)
    return _referral_closed(actor, referral)


def _locked_status(referral: Referral) -> str:
    """Lock the referral's row and read its status as committed (two answers at once: the second loses);
    the transition then starts from that status, not from what the caller's copy remembers."""
    Referral.objects.select_for_update().filter(pk=referral.pk).values_list("pk", flat=True).get()
    referral.refresh_from_db(fields=["status"])
    return referral.status


def _referral_closed(actor: Actor, referral: Referral) -> Referral:
    """Save a completed or revoked referral, log it and tell the other side."""
    status = referral.status
    referral.save(update_fields=["status", "closed_note", "closed_at", "closed_by"])
    record(actor, AuditAction.UPDATE, referral, detail={"status": status})
    recipient = referral.from_user if status == ReferralStatus.COMPLETED else referral.to_user
    notify(
        kind=NotificationKind.REFERRAL_ANSWERED,
        user=recipient,
        bureau=None if recipient else referral.to_bureau,
        youth_id=referral.youth_id,
        referral=referral,
        detail={"status": status},
    )
    return referral


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
        raise _deny(_("You may decide only for your own bureau and for youth you may see."))
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


def latest_score(youth: Youth):
    """The score a worker sees on the youth's record now (the newest scoring run)."""
    from .models import RiskScore

    return RiskScore.objects.filter(youth=youth).order_by("-as_of", "-scored_at").first()


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
        raise _deny(_("Only the bureau the alert is routed to may decide on it."))
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


# Moves a worker makes on their own case, and the two a supervisor makes on a closure request.
WORKER_MOVES = (
    "start_assessment", "start_planning", "start_intervention", "start_monitoring", "resume_intervention",
    "request_closure",
)  # fmt: skip
SUPERVISOR_MOVES = ("approve_closure", "return_closure")


def available_moves(user, case: Case) -> list[str]:
    """The status moves this user may make on this case now (for the buttons on the case page)."""
    moves = []
    if policy.can_edit_case(user, case):
        for name in WORKER_MOVES:
            if name == "request_closure":
                if case.status == CaseStatus.CLOSURE_REQUESTED or not case.is_open:
                    continue
                moves.append(name)  # conditions are checked on the reason given
            elif can_proceed(getattr(case, name)):
                moves.append(name)
    if case.status == CaseStatus.CLOSURE_REQUESTED and policy.can_approve_closure(user, case):
        moves.extend(SUPERVISOR_MOVES)
    return moves


@transaction.atomic
@by_actor
def move_case(
    *,
    actor: Actor,
    case: Case,
    move: str,
    expected_version: int,
    note: str = "",
    closure_reason: str = "",
) -> Case:
    """Move a case along its status transitions (see :class:`Case`), checking who may and why."""
    from django_fsm import TransitionNotAllowed

    if move not in WORKER_MOVES + SUPERVISOR_MOVES:
        raise ValidationError(_("Unknown case action."))
    locked = Case.objects.select_for_update().select_related("youth").get(pk=case.pk)
    if move in SUPERVISOR_MOVES:
        if not policy.can_approve_closure(actor.user, locked):
            raise _deny(
                _(
                    "Closure is decided by a supervisor of the lead bureau who neither asked for it nor carries the case."
                )
            )
        if move == "return_closure" and not note.strip():
            raise ValidationError({"note": _("Say why the case is not ready to close.")})
    elif not policy.can_edit_case(actor.user, locked):
        raise _deny(_("You may not change this case."))
    if locked.version != expected_version:
        raise ValidationError(
            _("Someone else changed this case since you opened it. Reload to see their change."),
            code="conflict",
        )
    before = locked.status
    requester_id = locked.closure_requested_by_id
    if move == "request_closure":
        if closure_reason not in ClosureReason.values:
            raise ValidationError({"closure_reason": _("Choose why the case should close.")})
        locked.closure_reason = closure_reason
        locked.closure_note = note
        locked.status_before_closure = before
        if not can_proceed(locked.request_closure):
            if closure_reason == ClosureReason.GOALS_MET:
                done = locked.monitoring_complete_on()
                raise ValidationError(
                    {
                        "closure_reason": _(
                            "A case closes for goals met only after monitoring for six months or until the "
                            "youth turns 18 (here: %(day)s)."
                        )
                        % {
                            "day": done.isoformat()
                            if done and before == CaseStatus.MONITORING
                            else _("not yet in monitoring")
                        }
                    }
                )
            raise ValidationError({"note": _("Explain the reason for closing in a note.")})
        locked.closure_requested_by = actor.user
        locked.closure_requested_at = timezone.now()
    try:
        getattr(locked, move)()
    except TransitionNotAllowed:
        if move == "start_planning":
            raise ValidationError({"assessment": _("Write the assessment before planning.")}) from None
        if move == "start_intervention":
            raise ValidationError({"plan": _("Write the plan before the intervention starts.")}) from None
        raise ValidationError(
            _("A case in status “%(status)s” cannot do that.") % {"status": CaseStatus(before).label}
        ) from None
    if move == "approve_closure":
        locked.closure_approved_by = actor.user
    locked.version += 1
    locked.save()
    CaseStatusChange.objects.create(
        case=locked, from_status=before, to_status=locked.status, by=actor.user, note=note
    )
    record(actor, AuditAction.UPDATE, locked, detail={"status": [before, locked.status], "move": move})
    if move == "request_closure":
        for supervisor in policy.supervisors_of(locked.lead_bureau_id):
            if policy.can_approve_closure(supervisor, locked):
                notify(
                    kind=NotificationKind.CLOSURE_REQUESTED,
                    user=supervisor,
                    youth_id=locked.youth_id,
                    case=locked,
                )
    elif move in SUPERVISOR_MOVES:
        notify(
            kind=NotificationKind.CLOSURE_DECIDED,
            user_id=requester_id or locked.assignee_id or locked.opened_by_id,
            youth_id=locked.youth_id,
            case=locked,
            detail={"approved": move == "approve_closure", "note": note[:200]},
        )
    return locked


def notify(*, kind: str, dedupe_key: str = "", **fields) -> bool:
    """Put a message in an inbox: ``user``/``user_id`` or ``bureau``, with what it is about. A message with no
    recipient is not sent; with a dedupe key, a message already sent is not sent again."""
    from .models import Notification

    fields = {name: value for name, value in fields.items() if value is not None}
    if not {"user", "user_id", "bureau"} & set(fields):
        return False
    if dedupe_key and Notification.objects.filter(dedupe_key=dedupe_key).exists():
        return False
    try:
        with transaction.atomic():
            Notification.objects.create(kind=kind, dedupe_key=dedupe_key, **fields)
    except IntegrityError:
        return False
    return True


def mark_notification_read(*, actor: Actor, notification) -> None:
    """Mark a message read; only a message in the actor's own inbox."""
    if not policy.visible_notifications(actor.user).filter(pk=notification.pk).exists():
        raise _deny(_("This message is not in your inbox."))
    if notification.read_at is None:
        type(notification).objects.filter(pk=notification.pk).update(read_at=timezone.now())
        record(actor, AuditAction.UPDATE, notification, detail={"read": True})
