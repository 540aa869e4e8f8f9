"""Raw source records as the bureaus sent them, with provenance; import batches; and quarantine."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class BatchStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Importing")
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
    # Rows naming a record a court has sealed: counted among ``unchanged``, their content never stored.
    sealed = models.PositiveIntegerField(default=0)
    # A queued upload's import as a worker reported it (integrations.feeds.uploads): the last stage with its rows
    # done and total, and seconds per stage. Live figures are in the cache while it runs.
    progress = models.JSONField(_("progress"), default=dict, blank=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("import batch")
        verbose_name_plural = _("import batches")

    def __str__(self) -> str:
        return f"{self.feed} {self.file_name} ({self.received_at:%Y-%m-%d %H:%M})"


class FeedUpload(models.Model):
    """A feed file (or JSON rows) received over the API and waiting for a worker to import it. Held in the
    database, not on disk (no uploaded media to back up or leak), within the upload size limit, and deleted
    as soon as its import has finished: the source records then hold what it said."""

    batch = models.OneToOneField(ImportBatch, on_delete=models.CASCADE, related_name="upload")
    data = models.BinaryField()
    # The encoding the uploader forced (``?encoding=``), or ``json`` for rows sent as JSON.
    encoding = models.CharField(max_length=16, blank=True)

    class Meta:
        verbose_name = _("queued upload")
        verbose_name_plural = _("queued uploads")

    def __str__(self) -> str:
        return f"upload for batch {self.batch_id}"


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


class LinkageKey(models.Model):
    """The comparison keys linkage derives from one current, unsealed, person-naming source record
    (``integrations.linkage.features.COLUMNS``), kept by the imports so that linking a day's delivery reads
    only the records it may concern instead of deriving every record's keys again (``linkage/keys.py``).
    Deleted with its record: a sealed record's keys go with it."""

    source_record = models.OneToOneField(
        SourceRecord, on_delete=models.CASCADE, primary_key=True, related_name="linkage_key"
    )
    feed = models.CharField(max_length=32)
    record_key = models.CharField(max_length=128)
    knowledge_date = models.DateField(null=True)
    nid = models.TextField(null=True)
    nid_valid = models.TextField(null=True)
    name_trad = models.TextField(null=True)
    surname = models.TextField(null=True)
    given = models.TextField(null=True)
    given_sorted = models.TextField(null=True)
    pinyin = models.TextField(null=True)
    given_pinyin = models.TextField(null=True)
    given_near = models.TextField(null=True)
    phonetic = models.TextField(null=True)
    has_chinese = models.BooleanField(default=False)
    roman = models.TextField(null=True)
    dob = models.CharField(max_length=10, null=True)
    dob_y = models.IntegerField(null=True)
    dob_md = models.CharField(max_length=5, null=True)
    dob_swapped = models.CharField(max_length=10, null=True)
    sex = models.TextField(null=True)
    district = models.TextField(null=True)
    address = models.TextField(null=True)
    address_full = models.TextField(null=True)

    class Meta:
        # The keys an incremental run looks up a new record's neighbours by (``keys.neighbours``).
        indexes = [
            models.Index(fields=["feed", "record_key"], name="linkagekey_record"),
            models.Index(fields=["nid"], name="linkagekey_nid"),
            models.Index(fields=["dob"], name="linkagekey_dob"),
            models.Index(fields=["name_trad"], name="linkagekey_name"),
            models.Index(fields=["phonetic"], name="linkagekey_phonetic"),
        ]

    def __str__(self) -> str:
        return f"{self.feed}:{self.record_key}"


class QuarantineStatus(models.TextChoices):
    OPEN = "open", _("Waiting for a fix")
    RESUBMITTED = "resubmitted", _("Fixed and resubmitted")
    SEALED = "sealed", _("Sealed by a court: content erased")


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


class SealedRecord(models.Model):
    """The fact that one source record is sealed (Art. 83-1), kept whether or not the record has arrived.

    The importer reads this before anything else: a row with a sealed key is never stored, quarantined or
    linked, whenever it arrives (before the notice, after it, re-sent, resubmitted from the quarantine)."""

    feed = models.CharField(_("feed"), max_length=32)
    record_key = models.CharField(_("record key"), max_length=128)
    notice_key = models.CharField(_("notice"), max_length=128)
    sealed_at = models.DateTimeField(_("sealed at"), default=timezone.now)

    class Meta:
        verbose_name = _("sealed record")
        verbose_name_plural = _("sealed records")
        constraints = [models.UniqueConstraint(fields=["feed", "record_key"], name="uniq_sealed_record")]

    def __str__(self) -> str:
        return f"{self.feed}:{self.record_key}"


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
    # A person-wide notice that names no national ID names one child by name and birth date. Once two children
    # with different valid IDs are seen under them it is contested for good: it reaches nobody by name or
    # through linkage until the court sends it again with the ID (insider reviews 14 and 15, F2).
    contested = models.BooleanField(_("contested"), default=False)
    # Digests (notices.id_digest) of the valid IDs of the child such a notice has reached: a record under another
    # valid ID is another child's. Digests, not IDs: the table is the fact of sealing, not its content.
    reached_ids = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-applied_at"]
        verbose_name = _("sealing action")
        verbose_name_plural = _("sealing actions")

    def __str__(self) -> str:
        return self.notice_key


# --------------------------------------------------------------------------------------------------
# Retention (docs/retention.md)
# --------------------------------------------------------------------------------------------------


class RecordType(models.TextChoices):
    """What a retention rule covers: the kinds of record the purge job removes."""

    CLOSED_CASE = "closed_case", _("Closed case and its guidance records")
    YOUTH_RECORD = "youth_record", _("Youth record outside any case")
    SEALED_SHELL = "sealed_shell", _("Erased shell of a sealed record")
    QUARANTINED_ROW = "quarantined_row", _("Quarantined row")


class RetentionAnchor(models.TextChoices):
    CASE_CLOSED = "case_closed", _("Case closure date")
    EIGHTEENTH_BIRTHDAY = "birthday_18", _("18th birthday")
    SEALED = "sealed", _("Sealing date")
    IMPORTED = "imported", _("Import date")


class RetentionRule(models.Model):
    """How long one type of record is kept, counted from which date, and on what legal basis. Data, not
    code: seeded by a migration, read by the purge job and shown on the retention report."""

    record_type = models.CharField(_("record type"), max_length=24, choices=RecordType.choices, unique=True)
    anchor = models.CharField(_("counted from"), max_length=16, choices=RetentionAnchor.choices)
    period_months = models.PositiveIntegerField(_("kept for (months)"))
    covers_zh = models.TextField(_("what it covers (Chinese)"))
    covers_en = models.TextField(_("what it covers (English)"))
    basis_zh = models.TextField(_("legal basis (Chinese)"))
    basis_en = models.TextField(_("legal basis (English)"))

    class Meta:
        ordering = ["record_type"]
        verbose_name = _("retention rule")
        verbose_name_plural = _("retention rules")

    def __str__(self) -> str:
        return f"{self.record_type}: {self.period_months} months from {self.anchor}"

    @property
    def covers(self) -> str:
        from django.utils.translation import get_language

        return self.covers_en if (get_language() or "").startswith("en") else self.covers_zh

    @property
    def basis(self) -> str:
        from django.utils.translation import get_language

        return self.basis_en if (get_language() or "").startswith("en") else self.basis_zh


class PurgeRunStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    COMPLETED = "completed", _("Completed")
    FAILED = "failed", _("Failed")


class PurgeRun(models.Model):
    """One run of the purge job: how many rows of each type it removed and which youth IDs went. No content.

    Counts are written in the same transaction as each youth's deletions, so a run that fails half-way
    still says exactly what was removed."""

    as_of = models.DateField(_("as of"))
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=PurgeRunStatus.choices, default=PurgeRunStatus.RUNNING
    )
    origin = models.CharField(_("origin"), max_length=32, blank=True)
    counts = models.JSONField(_("rows removed per type"), default=dict)
    youth_public_ids = models.JSONField(_("youth IDs removed"), default=list)
    held = models.JSONField(_("records held back"), default=dict)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("purge run")
        verbose_name_plural = _("purge runs")

    def __str__(self) -> str:
        return f"purge {self.as_of} ({self.status})"

    @property
    def total(self) -> int:
        return sum(self.counts.values())


# --------------------------------------------------------------------------------------------------
# Contests and corrections (docs/retention.md, "Correction")
# --------------------------------------------------------------------------------------------------


class ContestedBy(models.TextChoices):
    YOUTH = "youth", _("The youth")
    GUARDIAN = "guardian", _("A parent or guardian")
    OTHER = "other", _("Someone else on their behalf")


class ContestedPart(models.TextChoices):
    DATE = "date", _("The date is wrong")
    KIND = "kind", _("What kind of record it is is wrong")
    CODE = "code", _("The code or category is wrong")
    DETAILS = "details", _("The details are wrong")
    NOT_THEM = "not_them", _("It is not about this youth, or it did not happen")
    OTHER = "other", _("Something else")


class ContestStatus(models.TextChoices):
    OPEN = "open", _("Waiting for a data steward")
    CORRECTED = "corrected", _("Corrected")
    ANNOTATED = "annotated", _("Annotated")
    REJECTED = "rejected", _("Rejected")


class RecordContest(models.Model):
    """A youth or guardian says a timeline event is wrong; a worker files it and a data steward decides.

    Tied to the event, not the youth: a merge or split moves it with the event, and a court sealing that
    deletes the event deletes the contest and its corrections too (they would repeat sealed content)."""

    event = models.ForeignKey("casework.Event", on_delete=models.CASCADE, related_name="contests")
    contested_by = models.CharField(_("who contests"), max_length=16, choices=ContestedBy.choices)
    part = models.CharField(_("what they say is wrong"), max_length=16, choices=ContestedPart.choices)
    statement = models.TextField(_("their statement"))
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    filed_at = models.DateTimeField(_("filed at"), default=timezone.now)
    status = models.CharField(
        _("status"), max_length=16, choices=ContestStatus.choices, default=ContestStatus.OPEN, db_index=True
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(
        _("decision note"), blank=True, help_text=_("The annotation shown beside the event, or the reason.")
    )

    class Meta:
        ordering = ["filed_at", "id"]
        verbose_name = _("record contest")
        verbose_name_plural = _("record contests")

    def __str__(self) -> str:
        return f"contest {self.pk} on event {self.event_id}"


class EventCorrection(models.Model):
    """What a data steward changed on an event: the values before and after, kept for good. The source
    record as the bureau sent it is not changed (it stays what was received); ``source_record_id`` says
    which version the correction was made against, so a later version from the bureau shows as newer."""

    contest = models.OneToOneField(RecordContest, on_delete=models.CASCADE, related_name="correction")
    event = models.ForeignKey("casework.Event", on_delete=models.CASCADE, related_name="corrections")
    before = models.JSONField(_("before"))
    after = models.JSONField(_("after"))
    source_record_id = models.BigIntegerField(_("source record version"), null=True, blank=True)
    withdrawn = models.BooleanField(_("withdrawn from the timeline"), default=False)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("corrected at"), default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("event correction")
        verbose_name_plural = _("event corrections")

    def __str__(self) -> str:
        return f"correction of event {self.event_id}"
