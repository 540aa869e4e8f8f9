"""The model registry: every trained risk model, reproducible from what is recorded here."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ModelStatus(models.TextChoices):
    CANDIDATE = "candidate", _("Candidate")
    ACTIVE = "active", _("Active")
    RETIRED = "retired", _("Retired")


class RiskModel(models.Model):
    """A trained model with its config, data snapshot, code version, seed, metrics, fairness audit and
    the gate it passed (or not). The LightGBM model and its calibrator are stored as text."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    trained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    as_of = models.DateField(_("trained on what was known by"))
    label_variant = models.CharField(_("label"), max_length=32, default="default")
    config = models.JSONField(_("configuration"))
    data_snapshot = models.JSONField(_("data snapshot"))
    code_version = models.CharField(_("code version"), max_length=64, blank=True)
    seed = models.IntegerField(_("seed"))
    metrics = models.JSONField(_("metrics"), default=dict)
    fairness = models.JSONField(_("fairness audit"), default=dict)
    report = models.JSONField(_("report"), default=dict, help_text=_("Importance, calibration, bands."))
    gate = models.JSONField(_("promotion gate"), default=dict)
    booster = models.TextField(_("LightGBM model"))
    calibrator = models.JSONField(_("calibrator"))
    status = models.CharField(
        _("status"), max_length=16, choices=ModelStatus.choices, default=ModelStatus.CANDIDATE
    )
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True)

    class Meta:
        ordering = ["-version"]
        verbose_name = _("risk model")
        verbose_name_plural = _("risk models")
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=models.Q(status="active"), name="one_active_risk_model"
            )
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return f"risk-v{self.version}"


class ScoringRun(models.Model):
    """One ``score_youth`` run: which model scored whom as of which date."""

    model = models.ForeignKey(RiskModel, on_delete=models.PROTECT, related_name="scoring_runs")
    as_of = models.DateField(_("as of"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    scored = models.PositiveIntegerField(_("youth scored"), default=0)
    figures = models.JSONField(_("figures"), default=dict)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("scoring run")
        verbose_name_plural = _("scoring runs")

    def __str__(self) -> str:
        return f"{self.model} {self.as_of}"


class OverrideStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class PromotionOverride(models.Model):
    """A request to make active a model that failed an overridable check of the promotion gate: a model
    steward proposes it with a written reason, a supervisor of the committee (another person) approves or
    rejects it. Both steps are also in the access log."""

    model = models.ForeignKey(RiskModel, on_delete=models.PROTECT, related_name="overrides")
    reason = models.TextField(_("reason"))
    failed_checks = models.JSONField(_("checks overridden"), default=list)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("proposed by")
    )
    proposed_at = models.DateTimeField(_("proposed at"), default=timezone.now)
    status = models.CharField(
        _("status"), max_length=16, choices=OverrideStatus.choices, default=OverrideStatus.PROPOSED
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)

    class Meta:
        ordering = ["-proposed_at", "-pk"]
        verbose_name = _("promotion override")
        verbose_name_plural = _("promotion overrides")
        constraints = [
            models.UniqueConstraint(
                fields=["model"], condition=models.Q(status="proposed"), name="one_open_override_per_model"
            ),
            # Two people: whoever decides is not whoever proposed, whatever the code above the database does.
            models.CheckConstraint(
                condition=models.Q(decided_by__isnull=True) | ~models.Q(decided_by=models.F("proposed_by")),
                name="override_decided_by_another",
            ),
            models.CheckConstraint(
                condition=models.Q(status="proposed", decided_by__isnull=True)
                | (~models.Q(status="proposed") & models.Q(decided_by__isnull=False)),
                name="override_decided_has_decider",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.model} override #{self.pk}"
