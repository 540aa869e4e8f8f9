"""Case writes: opening, editing and moving cases, interventions, referrals, and the inbox."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from casework.access import policy
from casework.access.audit import Actor, record
from casework.history import by_actor
from casework.models import (
    UNDONE_SERVICE_STATUSES,
    AuditAction,
    Bureau,
    Case,
    CaseAssigneeChange,
    CaseStatus,
    CaseStatusChange,
    ClosureAcknowledgement,
    ClosureReason,
    ConsentBasis,
    Intervention,
    Notification,
    NotificationKind,
    NotificationRead,
    PlannedService,
    Referral,
    ReferralKind,
    ReferralStatus,
    User,
    Youth,
)
from casework.notifications import notify


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
        raise PermissionDenied(_("You may open cases only for your own bureau and for youth you may see."))
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
    # Not the concern: the log outlives a sealing order that erases the case (casework.access.sealing).
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
        raise PermissionDenied(_("You may not edit this case."))
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
        raise PermissionDenied(_("You may log interventions only on open cases you work on."))
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
        raise PermissionDenied(_("You may refer only youth you may see, on behalf of your own bureau."))
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
        raise PermissionDenied(_("Only the receiving bureau or worker may respond to this referral."))
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
        raise PermissionDenied(_("Only the receiving bureau or worker may complete this referral."))
    if _locked_status(referral) != ReferralStatus.ACCEPTED:
        raise ValidationError(_("Only an accepted referral can be completed."))
    referral.complete(by=actor.user, note=note)
    return _referral_closed(actor, referral)


@transaction.atomic
@by_actor
def revoke_referral(*, actor: Actor, referral: Referral, note: str) -> Referral:
    """The sender (or their supervisor) withdraws a referral; the receiver loses the access it gave."""
    if not policy.can_revoke_referral(actor.user, referral):
        raise PermissionDenied(
            _("Only the sender or a supervisor of the sending bureau may revoke this referral.")
        )
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
    acknowledge_undone: bool = False,
    acknowledged_steps: Iterable[int] | None = None,
) -> Case:
    """Move a case along its status transitions (see :class:`Case`), checking who may and why. Approving a
    closure while planned steps were never done needs ``acknowledge_undone`` and, from the page and the API,
    ``acknowledged_steps``: the ids of the steps the approver was shown. A step added or left undone since
    (the plan changes without moving the case's version) refuses the approval, so the record never says the
    approver acknowledged a step they did not see (insider review 12). The acknowledgement is kept
    (:class:`ClosureAcknowledgement`) and logged."""
    from django_fsm import TransitionNotAllowed

    if move not in WORKER_MOVES + SUPERVISOR_MOVES:
        raise ValidationError(_("Unknown case action."))
    locked = Case.objects.select_for_update().select_related("youth").get(pk=case.pk)
    if move in SUPERVISOR_MOVES:
        if not policy.can_approve_closure(actor.user, locked):
            raise PermissionDenied(
                _(
                    "Closure is decided by a supervisor of the lead bureau who neither asked for it nor carries the case."
                )
            )
        if move == "return_closure" and not note.strip():
            raise ValidationError({"note": _("Say why the case is not ready to close.")})
    elif not policy.can_edit_case(actor.user, locked):
        raise PermissionDenied(_("You may not change this case."))
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
    undone = undone_services(locked) if move == "approve_closure" else []
    if undone and not acknowledge_undone:
        raise ValidationError(
            {
                "acknowledge_undone": _(
                    "Some planned steps were never done: acknowledge them before approving the closure."
                )
            }
        )
    if undone and acknowledged_steps is not None and set(acknowledged_steps) != {s.pk for s in undone}:
        raise ValidationError(
            {
                "acknowledge_undone": _(
                    "The plan changed after you opened the case: read the steps never done again before "
                    "approving the closure."
                )
            }
        )
    if move == "approve_closure":
        locked.closure_approved_by = actor.user
    locked.version += 1
    locked.save()
    CaseStatusChange.objects.create(
        case=locked, from_status=before, to_status=locked.status, by=actor.user, note=note
    )
    detail = {"status": [before, locked.status], "move": move}
    if undone:
        ClosureAcknowledgement.objects.create(
            case=locked, by=actor.user, steps=[_step_as_it_stood(s) for s in undone]
        )
        detail["acknowledged_undone"] = [s.pk for s in undone]
    record(actor, AuditAction.UPDATE, locked, detail=detail)
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


def undone_services(case: Case) -> list[PlannedService]:
    """The case's planned steps that were never done (planned, in progress, or not done), soonest due first."""
    return list(
        PlannedService.objects.filter(case=case, status__in=UNDONE_SERVICE_STATUSES).select_related(
            "owner_bureau", "owner_user"
        )
    )


def _step_as_it_stood(service: PlannedService) -> dict:
    return {
        "id": service.pk,
        "description": service.description,
        "owner": service.owner_label,
        "due_on": service.due_on.isoformat(),
        "status": service.status,
        "reason": service.not_done_reason,
    }


@transaction.atomic
def mark_notification_read(*, actor: Actor, notification) -> None:
    """Mark a message read for the actor; only a message in the actor's own inbox. Read state is each
    person's own (a message to a bureau stays unread for its other workers); ``read_at`` keeps when anyone
    first read it."""
    if not policy.visible_notifications(actor.user).filter(pk=notification.pk).exists():
        raise PermissionDenied(_("This message is not in your inbox."))
    now = timezone.now()
    _read, created = NotificationRead.objects.get_or_create(
        notification_id=notification.pk, user=actor.user, defaults={"read_at": now}
    )
    if created:
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)
        record(actor, AuditAction.UPDATE, notification, detail={"read": True})
