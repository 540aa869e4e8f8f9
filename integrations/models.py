"""Raw source records as the bureaus sent them, with provenance; import batches; and quarantine."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class BatchStatus(models.TextChoices):
    COMPLETED = "completed", _("Completed")
    DUPLICATE = "duplicate", _("Identical file already imported")
    FAILED = "failed", _("File could not be read")


class BatchOrigin(models.TextChoices):
    COMMAND = "command", _("Command line")
    API = "api", _("API upload")
    TASK = "task", _("Scheduled task")
    RESUBMIT = "resubmit", _("Quarantine resubmission")


class ImportBatch(models.Model):
    """One file (or API upload) received for one feed."""

    feed = models.CharField(_("feed"), max_length=32, db_index=True)
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    checksum = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    encoding = models.CharField(_("encoding"), max_length=16, blank=True)
    origin = models.CharField(_("origin"), max_length=16, choices=BatchOrigin.choices)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    status = models.CharField(_("status"), max_length=16, choices=BatchStatus.choices)
    error = models.TextField(_("error"), blank=True)
    rows_read = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    quarantined = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("import batch")
        verbose_name_plural = _("import batches")

    def __str__(self) -> str:
        return f"{self.feed} {self.file_name} ({self.received_at:%Y-%m-%d %H:%M})"


class SourceRecord(models.Model):
    """One version of one row of one feed. Never edited: a re-sent row with changes is a new version."""

    feed = models.CharField(_("feed"), max_length=32)
    record_key = models.CharField(_("record key"), max_length=128)
    version = models.PositiveIntegerField(_("version"), default=1)
    is_current = models.BooleanField(_("current version"), default=True)
    batch = models.ForeignKey(ImportBatch, on_delete=models.PROTECT, related_name="records")
    row_number = models.PositiveIntegerField(_("row number"))
    raw = models.JSONField(_("row as received"))
    values = models.JSONField(_("normalised values"))
    row_hash = models.CharField(max_length=64)
    received_at = models.DateTimeField(_("received at"))
    knowledge_date = models.DateField(_("knowledge date"))
    event_date = models.DateField(_("event date"), null=True, blank=True)
    national_id_status = models.CharField(max_length=16, blank=True)
    sealed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("source record")
        verbose_name_plural = _("source records")
        constraints = [
            models.UniqueConstraint(
                fields=["feed", "record_key", "version"], name="uniq_source_record_version"
            ),
            models.UniqueConstraint(
                fields=["feed", "record_key"], condition=models.Q(is_current=True), name="one_current_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.feed}:{self.record_key} v{self.version}"


class QuarantineStatus(models.TextChoices):
    OPEN = "open", _("Waiting for a fix")
    RESUBMITTED = "resubmitted", _("Fixed and resubmitted")


class QuarantinedRow(models.Model):
    """A row that broke the contract, kept with its reasons until a data steward fixes and resubmits it."""

    batch = models.ForeignKey(ImportBatch, on_delete=models.PROTECT, related_name="quarantined_rows")
    feed = models.CharField(_("feed"), max_length=32, db_index=True)
    row_number = models.PositiveIntegerField(_("row number"))
    record_key = models.CharField(_("record key"), max_length=128, blank=True)
    raw = models.JSONField(_("row as received"))
    reasons = models.JSONField(_("reasons"))
    status = models.CharField(
        _("status"), max_length=16, choices=QuarantineStatus.choices, default=QuarantineStatus.OPEN
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resubmitted_in = models.ForeignKey(
        ImportBatch, on_delete=models.PROTECT, null=True, blank=True, related_name="resubmissions"
    )

    class Meta:
        ordering = ["batch", "row_number"]
        verbose_name = _("quarantined row")
        verbose_name_plural = _("quarantined rows")

    def __str__(self) -> str:
        return f"{self.feed} row {self.row_number}"


class FeedToken(models.Model):
    """An API key for one bureau's automated uploads. Only a hash of the key is stored."""

    bureau = models.ForeignKey("casework.Bureau", on_delete=models.PROTECT, related_name="feed_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(
        _("key prefix"), max_length=8, help_text=_("The first characters, to recognise it.")
    )
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("feed API token")
        verbose_name_plural = _("feed API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
