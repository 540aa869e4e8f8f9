"""Pages about risk models for model stewards and supervisors: the registry, each model's report (what its
bands mean, how well it finds youth, how calibrated it is, what drives it and how each indicator's effect
moves with its value, how it treats groups, how the population has drifted since and from run to run, and
how it compares with the model before it), the same report for whichever model is active now, and its
model card; and making a model the active one.

What the report shows, section by section, is built in :mod:`riskmodel.report_sections` (its charts by the
site's chart kit, :mod:`charts`). Refusals (403, 404, a promotion the rules do not allow) are written to the
access log, as on every other page.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from casework.access import policy
from casework.access.audit import Actor, record, record_list
from casework.access.pages import require
from casework.models import AuditAction
from riskmodel import readings
from riskmodel.readings import LABEL_NAMES, dec, test_metrics

from . import gate, model_card, promotion, service
from .models import ModelStatus, RiskModel
from .report_sections import report_context

# ---------------------------------------------------------------------------------------------------------
# Promotion (shared with the API)
# ---------------------------------------------------------------------------------------------------------


def promote(*, model: RiskModel, actor: Actor, override_reason: str = "") -> RiskModel:
    """Make ``model`` the active one through :func:`service.activate_model`, refusing in plain words a model
    without a report (no one could read what its bands mean) or one that failed the gate: a person never
    overrides the gate alone (``override_reason`` is not enough; see :mod:`riskmodel.promotion`)."""
    if not readings.has_report(model):
        raise ValidationError(
            _("%(label)s has no report (bands, metrics, explanations), so it cannot be made active.")
            % {"label": model.label},
            code="no_report",
        )
    return service.activate_model(model=model, actor=actor)


# ---------------------------------------------------------------------------------------------------------
# Pages
# ---------------------------------------------------------------------------------------------------------


def _model_or_404(request, version: int) -> RiskModel:
    model = RiskModel.objects.select_related("trained_by").filter(version=version).first()
    if model is None:
        record(
            Actor.from_request(request),
            AuditAction.DENIED,
            detail={
                "path": request.path,
                "status": 404,
                "object_type": "riskmodel",
                "object_id": str(version),
            },
        )
        raise Http404
    return model


def _list_row(model: RiskModel) -> dict:
    test = test_metrics(model)
    return {
        "model": model,
        "label_name": LABEL_NAMES.get(model.label_variant, model.label_variant),
        "roc_auc": dec(test.get("roc_auc")),
        "average_precision": dec(test.get("average_precision")),
        "ece": dec(test.get("ece")),
        # None for a model judged by the earlier gate, which no longer decides anything.
        "gate": gate.passed(model.gate) if gate.is_current(model.gate) else None,
        "has_report": readings.has_report(model),
    }


@login_required
def model_list(request):
    """Every registered model, newest first."""
    require(policy.can_read_model_reports(request.user))
    models = list(RiskModel.objects.defer("booster").order_by("-version"))
    record_list(Actor.from_request(request), "riskmodel", count=len(models))
    return render(request, "riskmodel/model_list.html", {"rows": [_list_row(m) for m in models]})


def _render_report(request, model: RiskModel, *, part: str, active: RiskModel | None):
    record(Actor.from_request(request), AuditAction.VIEW, model, detail={"part": part})
    context = report_context(model)
    context.update(
        model=model,
        has_report=readings.has_report(model),
        can_promote=policy.can_promote_models(request.user),
        active=active,
        is_active_report=part == "active report",
        override=promotion.open_override(model),
        overrides=promotion.overrides_of(model),
        may_propose=policy.can_propose_model_override(request.user),
        may_decide=policy.can_decide_model_override(request.user),
        min_reason=promotion.MIN_REASON_LENGTH,
    )
    return render(request, "riskmodel/model_report.html", context)


@login_required
def model_report(request, version: int):
    require(policy.can_read_model_reports(request.user))
    model = _model_or_404(request, version)
    return _render_report(request, model, part="report", active=service.active_model())


@login_required
def active_report(request):
    """The report on the model that scores the youth now, compared with the one before it; when no model
    is active, a page that says so (not a 404: the address stays valid while models come and go)."""
    require(policy.can_read_model_reports(request.user))
    model = service.active_model()
    if model is None:
        record(
            Actor.from_request(request), AuditAction.VIEW, detail={"part": "active report", "active": None}
        )
        latest = RiskModel.objects.defer("booster").order_by("-version").first()
        return render(request, "riskmodel/no_active_model.html", {"latest": latest})
    return _render_report(request, model, part="active report", active=model)


@login_required
def model_card_page(request, version: int):
    require(policy.can_read_model_reports(request.user))
    model = _model_or_404(request, version)
    record(Actor.from_request(request), AuditAction.VIEW, model, detail={"part": "model card"})
    return render(
        request,
        "riskmodel/model_card.html",
        {"model": model, "title": model_card.title(model), "sections": model_card.sections(model)},
    )


def _refused(request, model: RiskModel, exc: Exception, what: str) -> None:
    """A refused promotion step: in the access log, and told to the person in plain words."""
    text = " ".join(getattr(exc, "messages", None) or [str(exc)])
    record(
        Actor.from_request(request),
        AuditAction.DENIED,
        model,
        detail={what: text, "code": getattr(exc, "code", "") or ""},
    )
    messages.error(request, text)


@login_required
def model_activate(request, version: int):
    """POST: make a model that passed the gate the active one (Post/Redirect/Get back to its report). GET (the
    address opened in a browser, a bookmark, a link from the start page): the promotion section of the model's
    report, where the button is; nothing changes."""
    require(policy.can_promote_models(request.user))
    if request.method in ("GET", "HEAD"):
        model = _model_or_404(request, version)
        section = "gate" if model.status == ModelStatus.ACTIVE else "promote"
        return redirect(f"{reverse('riskmodel:model-report', args=[model.version])}#{section}")
    if request.method != "POST":
        return HttpResponseNotAllowed(["GET", "POST"])
    model = _model_or_404(request, version)
    try:
        promote(model=model, actor=Actor.from_request(request))
    except ValidationError as exc:
        _refused(request, model, exc, "activate")
    else:
        messages.success(
            request,
            _("%(label)s is now the active model. The next scoring run uses it.") % {"label": model.label},
        )
    return redirect("riskmodel:model-report", version=model.version)


@login_required
def model_override_propose(request, version: int):
    """POST: a model steward proposes to make active a model that failed an overridable check, with a
    written reason; a supervisor of the committee decides (:mod:`riskmodel.promotion`)."""
    require(policy.can_promote_models(request.user) and policy.can_propose_model_override(request.user))
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    model = _model_or_404(request, version)
    try:
        promotion.propose_override(
            model=model, actor=Actor.from_request(request), reason=request.POST.get("reason", "")
        )
    except ValidationError as exc:
        _refused(request, model, exc, "propose_override")
    else:
        messages.success(
            request,
            _(
                "Your proposal is recorded. A supervisor of the committee decides whether %(label)s becomes active."
            )
            % {"label": model.label},
        )
    return redirect("riskmodel:model-report", version=model.version)


@login_required
def model_override_decide(request, version: int, pk: int, decision: str):
    """POST: a supervisor of the committee (not the proposer) approves or rejects a proposed override."""
    require(policy.can_promote_models(request.user) and policy.can_decide_model_override(request.user))
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    model = _model_or_404(request, version)
    override = model.overrides.filter(pk=pk).first()
    if override is None or decision not in ("approve", "reject"):
        raise Http404
    note = request.POST.get("note", "")
    try:
        if decision == "approve":
            promotion.approve_override(override=override, actor=Actor.from_request(request), note=note)
        else:
            promotion.reject_override(override=override, actor=Actor.from_request(request), note=note)
    except ValidationError as exc:
        _refused(request, model, exc, f"{decision}_override")
    else:
        messages.success(
            request,
            _("%(label)s is now the active model. The next scoring run uses it.") % {"label": model.label}
            if decision == "approve"
            else _("The proposal is rejected; %(label)s stays a candidate.") % {"label": model.label},
        )
    return redirect("riskmodel:model-report", version=model.version)
