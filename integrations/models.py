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


# --------------------------------------------------------------------------------------------------
# Record linkage
# --------------------------------------------------------------------------------------------------


class LinkageModel(models.Model):
    """A trained linkage model kept as data: the Splink settings with their m and u parameters, the
    thresholds that turn match probabilities into links or review, and the figures it was trained with."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    splink_version = models.CharField(max_length=16)
    code_version = models.CharField(_("code version"), max_length=64, blank=True)
    settings = models.JSONField(_("Splink model"))
    upper_threshold = models.FloatField(
        _("auto-link threshold"), help_text=_("Pairs at or above this match probability link automatically.")
    )
    lower_threshold = models.FloatField(
        _("review threshold"), help_text=_("Pairs from here up to the auto-link threshold go to review.")
    )
    trained_on = models.PositiveIntegerField(_("records trained on"), default=0)
    metrics = models.JSONField(_("metrics"), default=dict, blank=True)
    is_active = models.BooleanField(_("active"), default=False)

    class Meta:
        ordering = ["-version"]
        verbose_name = _("linkage model")
        verbose_name_plural = _("linkage models")
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=models.Q(is_active=True), name="one_active_linkage_model"
            )
        ]

    def __str__(self) -> str:
        return f"linkage model v{self.version}"


class LinkageRun(models.Model):
    """One run of ``link_records`` (full) or of incremental linking after an import."""

    class Mode(models.TextChoices):
        FULL = "full", _("Full relink")
        INCREMENTAL = "incremental", _("Incremental")

    mode = models.CharField(_("mode"), max_length=16, choices=Mode.choices)
    model = models.ForeignKey(
        LinkageModel, on_delete=models.PROTECT, null=True, blank=True, related_name="runs"
    )
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    figures = models.JSONField(_("figures"), default=dict, blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("linkage run")
        verbose_name_plural = _("linkage runs")

    def __str__(self) -> str:
        return f"{self.get_mode_display()} {self.started_at:%Y-%m-%d %H:%M}"


class LinkMethod(models.TextChoices):
    DETERMINISTIC = "deterministic", _("Same valid national ID")
    PROBABILISTIC = "probabilistic", _("Probabilistic match")
    CLERICAL = "clerical", _("Data steward's decision")
    SINGLE = "single", _("No match: a new youth")


class RecordLink(models.Model):
    """Which youth a person-naming source record belongs to (one row per feed and record key)."""

    feed = models.CharField(_("feed"), max_length=32)
    record_key = models.CharField(_("record key"), max_length=128)
    youth = models.ForeignKey("casework.Youth", on_delete=models.PROTECT, related_name="record_links")
    source_record_id = models.BigIntegerField(_("source record version"), null=True, blank=True)
    method = models.CharField(_("method"), max_length=16, choices=LinkMethod.choices)
    match_probability = models.FloatField(_("match probability"), null=True, blank=True)
    pinned = models.BooleanField(
        _("pinned"), default=False, help_text=_("Set by a data steward's decision; relinking keeps it.")
    )
    run = models.ForeignKey(LinkageRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    linked_at = models.DateTimeField(_("linked at"), default=timezone.now)

    class Meta:
        verbose_name = _("record link")
        verbose_name_plural = _("record links")
        constraints = [models.UniqueConstraint(fields=["feed", "record_key"], name="one_link_per_record")]

    def __str__(self) -> str:
        return f"{self.feed}:{self.record_key} → {self.youth_id}"


class ReviewStatus(models.TextChoices):
    OPEN = "open", _("Waiting for review")
    ACCEPTED = "accepted", _("Same person: merged")
    REJECTED = "rejected", _("Different people: kept apart")
    SUPERSEDED = "superseded", _("No longer needed")


class ReviewPair(models.Model):
    """Two source records the model could not decide on: a data steward says whether they are one person."""

    left_feed = models.CharField(max_length=32)
    left_key = models.CharField(max_length=128)
    right_feed = models.CharField(max_length=32)
    right_key = models.CharField(max_length=128)
    match_probability = models.FloatField(_("match probability"))
    match_weight = models.FloatField(_("match weight"))
    comparison = models.JSONField(
        _("comparison"), help_text=_("Per field: both values, the agreement level and its match weight.")
    )
    model = models.ForeignKey(LinkageModel, on_delete=models.PROTECT, related_name="review_pairs")
    run = models.ForeignKey(LinkageRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(
        _("status"), max_length=16, choices=ReviewStatus.choices, default=ReviewStatus.OPEN, db_index=True
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["-match_probability", "id"]
        verbose_name = _("linkage review pair")
        verbose_name_plural = _("linkage review pairs")
        constraints = [
            models.UniqueConstraint(
                fields=["left_feed", "left_key", "right_feed", "right_key"], name="one_review_per_pair"
            )
        ]

    def __str__(self) -> str:
        return f"{self.left_feed}:{self.left_key} ~ {self.right_feed}:{self.right_key}"


class SealingAction(models.Model):
    """What one court sealing notice (Art. 83-1) removed. The notice and this fact stay; the content of
    the sealed records does not. Visible to auditors and data stewards only."""

    notice_key = models.CharField(_("notice"), max_length=128, unique=True)
    court_case_no = models.CharField(_("court case"), max_length=128, blank=True)
    effective_on = models.DateField(_("effective on"), null=True, blank=True)
    applied_at = models.DateTimeField(_("applied at"), default=timezone.now)
    youth_public_id = models.CharField(_("youth ID"), max_length=16, blank=True)
    sealed_keys = models.JSONField(_("sealed police contacts"), default=list)
    records_sealed = models.PositiveIntegerField(_("record versions sealed"), default=0)
    events_removed = models.PositiveIntegerField(_("timeline events removed"), default=0)
    pending = models.BooleanField(
        _("waiting"),
        default=False,
        help_text=_("The notice names no contacts and its person is not linked yet."),
    )

    class Meta:
        ordering = ["-applied_at"]
        verbose_name = _("sealing action")
        verbose_name_plural = _("sealing actions")

    def __str__(self) -> str:
        return self.notice_key
