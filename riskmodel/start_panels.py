"""The model stewards' start page (issue 17; docs/start-pages.md): candidate models waiting for a decision with
the promotion gate's verdict on each, drift warnings from the active model's latest scoring run, and proposals
to override the gate waiting for a committee supervisor (who sees the same proposals as work of their own).
Registered with ``casework.start`` from ``RiskmodelConfig.ready()``: casework does not import riskmodel.

Nothing here names a youth: the registry holds aggregates only (access-policy rule 15).
"""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils.translation import gettext as _

from casework import start
from casework.access import policy
from casework.models import Role
from casework.start import Line, Panel, when

from . import gate, readings, report, service
from .gate_text import failed_names
from .models import ModelStatus, OverrideStatus, PromotionOverride, RiskModel
from .report_sections.change import DRIFT_LEVELS


def is_model_steward(user) -> bool:
    return policy.principal_for(user).has_role(Role.MODEL_STEWARD)


def verdict_text(model: RiskModel) -> tuple[str, str, bool]:
    """The promotion gate's verdict on a model: a word or two, a sentence, and whether it needs attention."""
    verdict = model.gate or {}
    if not readings.has_report(model):
        return _("no report"), _("It cannot be made active: train it again."), True
    if not gate.is_current(verdict):
        return _("earlier gate"), _("Judged by an earlier gate: train it again."), True
    if gate.passed(verdict):
        return _("passed"), _("Passed the promotion gate: it can be made active."), False
    failed = failed_names(verdict)
    if gate.overridable(verdict):
        return (
            _("failed"),
            _("Failed: %(checks)s. An override with a written reason is possible.") % {"checks": failed},
            True,
        )
    return _("failed"), _("Failed: %(checks)s. It cannot be made active.") % {"checks": failed}, True


def waiting_candidates() -> list[RiskModel]:
    """Candidates trained after the active model (all candidates while none is active), newest first: an
    older candidate was passed over when a later model went live."""
    models = RiskModel.objects.defer("booster").filter(status=ModelStatus.CANDIDATE)
    active = service.active_model()
    if active is not None:
        models = models.filter(version__gt=active.version)
    return list(models.order_by("-version"))


def candidates_panel(user, now: dt.datetime) -> Panel:
    candidates = waiting_candidates()
    lines = []
    for model in candidates[: start.MAX_LINES]:
        flag, sentence, attention = verdict_text(model)
        trained = _("trained on what was known by %(day)s") % {"day": when(model.as_of)}
        lines.append(
            Line(
                text=model.label,
                url=f"{reverse('riskmodel:model-report', args=[model.version])}#promote",
                when=when(model.created_at),
                flag=flag,
                urgent=attention,
                note=f"{sentence} {trained}",
            )
        )
    return Panel(
        key="candidates",
        title=_("Candidate models waiting for a decision"),
        why=_(
            "A retrained model stays a candidate until a model steward reads its report and makes it active, "
            "or proposes an override when it failed a check that may be overridden."
        ),
        url=reverse("riskmodel:model-list"),
        link_text=_("Open the model registry"),
        count=len(candidates),
        empty=_("No candidate models waiting: every model trained since the active one has been decided."),
        lines=tuple(lines),
    )


def drift_panel(user, now: dt.datetime) -> Panel:
    """The active model's latest scoring run: the score's drift and the indicators that moved."""
    active = service.active_model()
    url = f"{reverse('riskmodel:active-report')}#drift"
    base = {
        "key": "drift",
        "title": _("Drift warnings"),
        "why": _(
            "When the youth scored today stop looking like those the model was tested on, its scores mean less; "
            "the model steward reads the drift section and decides whether to retrain."
        ),
        "url": url,
        "link_text": _("Open the active model's drift section"),
    }
    runs = report.latest_runs(active, limit=1) if active is not None else []
    if not runs:
        empty = (
            _("No model is active, so nothing is scored and nothing can drift.")
            if active is None
            else _("%(label)s has not scored anyone yet.") % {"label": active.label}
        )
        return Panel(count=0, empty=empty, **base)
    run = runs[0]
    figures = report.run_drift(run.figures or {})
    moved = figures["moved_training"]
    lines = []
    score_level = figures["score_level_training"]
    if score_level in ("moderate", "major"):
        lines.append(
            Line(
                text=_("The score itself"),
                url=url,
                flag=str(DRIFT_LEVELS[score_level]),
                urgent=score_level == "major",
                note=_("against the test period"),
            )
        )
    previous = figures["score_level_previous"]
    if previous in ("moderate", "major"):
        lines.append(
            Line(
                text=_("The score itself"),
                url=url,
                flag=str(DRIFT_LEVELS[previous]),
                urgent=previous == "major",
                note=_("against the run of %(day)s") % {"day": figures["previous_as_of"]},
            )
        )
    levels = ((run.figures or {}).get("drift_vs_training") or {}).get("levels") or {}
    for key in moved[: start.MAX_LINES]:
        lines.append(
            Line(
                text=readings.indicator_name(key),
                url=url,
                flag=str(DRIFT_LEVELS.get(levels.get(key, ""), "")),
                urgent=levels.get(key) == "major",
                note=_("against the test period"),
            )
        )
    warnings = len(moved) + (score_level in ("moderate", "major")) + (previous in ("moderate", "major"))
    return Panel(
        count=warnings,
        empty=_("No drift warnings: the latest scoring run is stable against the test period."),
        lines=tuple(lines),
        summary=_("Latest scoring run of %(label)s: as of %(day)s.")
        % {"label": active.label, "day": when(run.as_of)},
        urgent=any(line.urgent for line in lines),
        lines_are_rows=False,
        **base,
    )


def _override_lines(overrides: list[PromotionOverride]) -> tuple[Line, ...]:
    return tuple(
        Line(
            text=o.model.label,
            url=f"{reverse('riskmodel:model-report', args=[o.model.version])}#promote",
            when=when(o.proposed_at),
            note=_("proposed by %(name)s")
            % {"name": o.proposed_by.get_full_name() or o.proposed_by.get_username()},
        )
        for o in overrides[: start.MAX_LINES]
    )


def _open_overrides() -> list[PromotionOverride]:
    return list(
        PromotionOverride.objects.filter(status=OverrideStatus.PROPOSED)
        .select_related("model", "proposed_by")
        .order_by("proposed_at", "pk")
    )


def proposed_overrides_panel(user, now: dt.datetime) -> Panel:
    """For model stewards: proposals waiting for a committee supervisor."""
    overrides = _open_overrides()
    return Panel(
        key="overrides_proposed",
        title=_("Overrides waiting for approval"),
        why=_(
            "A model that failed a check that may be overridden goes live only when a supervisor of the "
            "committee approves a model steward's written proposal: two people, never one."
        ),
        url=reverse("riskmodel:model-list"),
        link_text=_("Open the model registry"),
        count=len(overrides),
        empty=_("No proposals to override the promotion gate are waiting."),
        lines=_override_lines(overrides),
    )


def overrides_to_decide_panel(user, now: dt.datetime) -> Panel:
    """For supervisors of the committee: proposals they decide."""
    overrides = _open_overrides()
    return Panel(
        key="overrides_to_decide",
        title=_("Promotion-gate overrides to decide"),
        why=_(
            "The committee answers for the programme, so a supervisor of the committee approves or rejects a "
            "model steward's proposal to make active a model that failed the promotion gate."
        ),
        url=reverse("riskmodel:model-list"),
        link_text=_("Open the model registry"),
        count=len(overrides),
        empty=_("No proposals waiting for your decision; a model steward's proposal comes here."),
        lines=_override_lines(overrides),
        urgent=bool(overrides),
    )


def register() -> None:
    start.register("candidates", order=40, shown_to=is_model_steward, build=candidates_panel)
    start.register("drift", order=41, shown_to=is_model_steward, build=drift_panel)
    start.register("overrides_proposed", order=42, shown_to=is_model_steward, build=proposed_overrides_panel)
    start.register(
        "overrides_to_decide",
        order=14,
        shown_to=policy.can_decide_model_override,
        build=overrides_to_decide_panel,
    )
