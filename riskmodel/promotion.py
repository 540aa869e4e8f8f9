"""Overriding the promotion gate takes two people: a model steward proposes, with a written reason, to make
active a model that failed an overridable check; a supervisor of the committee, who is not the proposer,
approves (which makes it active) or rejects. Each step writes one line to the access log. A model that
failed a signal check (too few outcomes, or not shown better than random order) cannot be proposed at all.

Who may do what is decided with the rest of the access policy, in ``casework.access.policy``
(:func:`~casework.access.policy.can_propose_model_override`, :func:`~casework.access.policy.can_decide_model_override`).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.access import policy
from casework.access.audit import Actor, record
from casework.models import AuditAction
from riskmodel import gate_text, readings

from . import gate, service
from .models import ModelStatus, OverrideStatus, PromotionOverride, RiskModel

# A reason must say something: "ok" or "test" is not a reason a committee can review.
MIN_REASON_LENGTH = 20


def open_override(model: RiskModel) -> PromotionOverride | None:
    """The proposal waiting for a decision, if any."""
    return (
        PromotionOverride.objects.select_related("proposed_by")
        .filter(model=model, status=OverrideStatus.PROPOSED)
        .first()
    )


def overrides_of(model: RiskModel) -> list[PromotionOverride]:
    return list(
        PromotionOverride.objects.select_related("proposed_by", "decided_by")
        .filter(model=model)
        .order_by("-pk")
    )


@transaction.atomic
def propose_override(*, model: RiskModel, actor: Actor, reason: str) -> PromotionOverride:
    """A model steward asks to make ``model`` active although it failed the gate, and says why."""
    if not policy.can_propose_model_override(actor.user):
        raise PermissionDenied(_("Only a model steward may propose to override the promotion gate."))
    model = RiskModel.objects.select_for_update().get(pk=model.pk)
    reason = (reason or "").strip()
    verdict = model.gate or {}
    if model.status == ModelStatus.ACTIVE:
        raise ValidationError(
            _("%(label)s is already the active model.") % {"label": model.label}, code="active"
        )
    if not readings.has_report(model):
        raise ValidationError(
            _("%(label)s has no report, so it cannot be made active.") % {"label": model.label},
            code="no_report",
        )
    if gate.passed(verdict):
        raise ValidationError(
            _("%(label)s passed the promotion gate: it can be made active without an override.")
            % {"label": model.label},
            code="passed",
        )
    if not gate.overridable(verdict):
        why = gate_text.gate_refusal(verdict) if gate.is_current(verdict) else ""
        raise ValidationError(
            _("%(label)s cannot be made active, not even with a reason: %(why)s")
            % {"label": model.label, "why": why or _("it was judged by an earlier gate; train it again.")},
            code="no_signal",
        )
    if len(reason) < MIN_REASON_LENGTH:
        raise ValidationError(
            _("Write the reason in at least %(n)s characters: the committee reviews it.")
            % {"n": MIN_REASON_LENGTH},
            code="reason",
        )
    try:
        with transaction.atomic():
            override = PromotionOverride.objects.create(
                model=model,
                reason=reason,
                failed_checks=list(verdict.get("failed") or []),
                proposed_by=actor.user,
            )
    except IntegrityError as exc:  # one open proposal per model (the constraint decides a race)
        raise ValidationError(
            _("A proposal to override the gate for %(label)s is already waiting for a decision.")
            % {"label": model.label},
            code="open",
        ) from exc
    record(
        actor,
        AuditAction.CREATE,
        override,
        detail={
            "model": model.label,
            "override": "proposed",
            "reason": reason,
            "failed_checks": override.failed_checks,
        },
    )
    return override


def _decidable(override: PromotionOverride, actor: Actor) -> PromotionOverride:
    if not policy.can_decide_model_override(actor.user):
        raise PermissionDenied(_("Only a supervisor of the committee may decide on an override of the gate."))
    override = (
        PromotionOverride.objects.select_for_update()
        .select_related("model", "proposed_by")
        .get(pk=override.pk)
    )
    if override.status != OverrideStatus.PROPOSED:
        raise ValidationError(_("This proposal has already been decided."), code="decided")
    if override.proposed_by_id == getattr(actor.user, "pk", None):
        raise ValidationError(
            _(
                "The person who proposed an override cannot also approve or reject it: a second person decides."
            ),
            code="same_person",
        )
    return override


def _decide(override: PromotionOverride, actor: Actor, note: str, status: str) -> PromotionOverride:
    """Record a second person's decision on a proposal, in the override and in the access log."""
    override = _decidable(override, actor)
    override.status = status
    override.decided_by = actor.user
    override.decided_at = timezone.now()
    override.decision_note = (note or "").strip()
    override.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    detail = {"model": override.model.label, "override": status}
    if status == OverrideStatus.APPROVED:
        detail["reason"] = override.reason
    detail.update(proposed_by=override.proposed_by.get_username(), note=override.decision_note)
    record(actor, AuditAction.UPDATE, override, detail=detail)
    return override


@transaction.atomic
def approve_override(*, override: PromotionOverride, actor: Actor, note: str = "") -> RiskModel:
    """A supervisor of the committee approves the proposal: the model becomes the active one."""
    override = _decide(override, actor, note, OverrideStatus.APPROVED)
    return service.activate_model(model=override.model, actor=actor, override=override)


@transaction.atomic
def reject_override(*, override: PromotionOverride, actor: Actor, note: str = "") -> PromotionOverride:
    """A supervisor of the committee rejects the proposal: the model stays a candidate."""
    return _decide(override, actor, note, OverrideStatus.REJECTED)
