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
