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

from . import policy
from .audit import Actor, record
from .models import (
    ACTIVE_ALERT_STATUSES,
    EVENT_SOURCE,
    Alert,
    AlertStatus,
    AuditAction,
    Bureau,
    Case,
    ConsentBasis,
    Event,
    EventKind,
    Intervention,
    Referral,
    ReferralKind,
    ReferralStatus,
    School,
    Sensitivity,
    TriageDecision,
    TriageDecisionKind,
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
    youth: Youth,
    reason: str,
    routed_to: Bureau,
    due_at: dt.datetime,
    source_event: Event | None = None,
    actor: Actor | None = None,
) -> tuple[Alert, bool]:
    """Route an alert to a bureau; an active alert for the same youth, reason and bureau is reused."""
    existing = Alert.objects.filter(
        youth=youth, reason=reason, routed_to=routed_to, status__in=ACTIVE_ALERT_STATUSES
    ).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            alert = Alert.objects.create(
                youth=youth, reason=reason, routed_to=routed_to, due_at=due_at, source_event=source_event
            )
    except IntegrityError:
        # Lost a race with a concurrent trigger: the other alert stands.
        return Alert.objects.get(
            youth=youth, reason=reason, routed_to=routed_to, status__in=ACTIVE_ALERT_STATUSES
        ), False
    record(actor or Actor.system("alerts"), AuditAction.CREATE, alert, detail={"reason": reason})
    return alert, True


@transaction.atomic
def acknowledge_alert(*, actor: Actor, alert: Alert) -> Alert:
    if not policy.can_acknowledge_alert(actor.user, alert):
        raise _deny(_("Only the bureau the alert is routed to may acknowledge it."))
    if alert.status not in (AlertStatus.OPEN, AlertStatus.ESCALATED):
        raise ValidationError(_("This alert is not open."))
    alert.status = AlertStatus.ACKNOWLEDGED
    alert.acknowledged_by = actor.user
    alert.acknowledged_at = timezone.now()
    alert.save(update_fields=["status", "acknowledged_by", "acknowledged_at"])
    record(actor, AuditAction.UPDATE, alert, detail={"status": AlertStatus.ACKNOWLEDGED})
    return alert


@transaction.atomic
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
    record(actor, AuditAction.CREATE, case, detail={"lead_bureau": lead_bureau.code, "concern": concern})
    return case


@transaction.atomic
def update_case(
    *, actor: Actor, case: Case, expected_version: int, summary: str | None = None, assignee=...
) -> Case:
    """Edit a case's summary or assignee; a stale version is refused rather than silently overwritten."""
    if not policy.can_edit_case(actor.user, case):
        raise _deny(_("You may not edit this case."))
    locked = Case.objects.select_for_update().get(pk=case.pk)
    if locked.version != expected_version:
        raise ValidationError(
            _("Someone else changed this case since you opened it. Reload to see their change."),
            code="conflict",
        )
    changed = {}
    if summary is not None and summary != locked.summary:
        locked.summary = summary
        changed["summary"] = True
    if assignee is not ...:
        if (
            assignee is not None
            and not policy.caseworkers_of([locked.lead_bureau_id]).filter(pk=assignee.pk).exists()
        ):
            raise ValidationError(_("The assignee must be a case worker of the lead bureau."))
        locked.assignee = assignee
        changed["assignee"] = assignee.get_username() if assignee else None
    locked.version += 1
    locked.save()
    record(actor, AuditAction.UPDATE, locked, detail=changed)
    return locked


@transaction.atomic
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
    if consent == ConsentBasis.OVERRIDE and not consent_note.strip():
        raise ValidationError(_("A consent override needs a documented reason."))
    if to_user is not None and to_user.pk == actor.user.pk:
        raise ValidationError(_("You cannot refer a youth to yourself."))
    if to_user is not None and not policy.caseworkers_of([to_bureau.pk]).filter(pk=to_user.pk).exists():
        raise ValidationError(_("The receiving worker must be a case worker of the receiving bureau."))
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
    return referral


@transaction.atomic
def respond_to_referral(*, actor: Actor, referral: Referral, accept: bool, note: str = "") -> Referral:
    if not policy.can_respond_to_referral(actor.user, referral):
        raise _deny(_("Only the receiving bureau or worker may respond to this referral."))
    if referral.status != ReferralStatus.PENDING:
        raise ValidationError(_("This referral has already been answered."))
    if not accept and not note.strip():
        raise ValidationError(_("Declining a referral needs a reason."))
    referral.status = ReferralStatus.ACCEPTED if accept else ReferralStatus.DECLINED
    referral.response_note = note
    referral.responded_at = timezone.now()
    referral.save(update_fields=["status", "response_note", "responded_at"])
    record(actor, AuditAction.UPDATE, referral, detail={"status": referral.status})
    return referral


@transaction.atomic
def record_triage_decision(
    *,
    actor: Actor,
    youth: Youth,
    bureau: Bureau,
    decision: str,
    reason_code: str,
    note: str = "",
    alert: Alert | None = None,
    score: float | None = None,
    band: str = "",
    model_version: str = "",
) -> TriageDecision:
    """Record a person's triage decision with the score they saw; disagreeing with the model is an override."""
    if not policy.can_decide_triage(actor.user, youth, bureau.pk):
        raise _deny(_("You may decide only for your own bureau and for youth you may see."))
    if alert is not None and alert.youth_id != youth.pk:
        raise ValidationError(_("The alert belongs to another youth."))
    is_override = (band in TOP_BANDS and decision == TriageDecisionKind.NO_ACTION) or (
        band in LOW_BANDS and decision == TriageDecisionKind.OPEN_CASE
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
        score=score,
        band=band,
        model_version=model_version,
        is_override=is_override,
    )
    record(
        actor,
        AuditAction.CREATE,
        decision_row,
        detail={"decision": decision, "override": is_override, "band": band},
    )
    return decision_row
