"""The integrated youth record: bureaus, people, the youth and their timeline, and the casework around them.

Every read of these models that reaches a user goes through ``casework.policy``; every write goes
through ``casework.services``.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class BureauKind(models.TextChoices):
    POLICE = "police", _("Police juvenile unit")
    COMMITTEE = "committee", _("Juvenile guidance committee")
    WELFARE = "welfare", _("Social welfare bureau")
    EDUCATION = "education", _("Education bureau")


class Bureau(models.Model):
    """One of the four city bureaus that share the record."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=BureauKind.choices, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)

    class Meta:
        ordering = ["code"]
        verbose_name = _("bureau")
        verbose_name_plural = _("bureaus")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        from django.utils.translation import get_language

        return self.name_en if (get_language() or "").startswith("en") else self.name_zh


class School(models.Model):
    """A school; every school belongs to the education bureau."""

    code = models.CharField(_("school code"), max_length=16, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    district = models.CharField(_("district"), max_length=16)
    bureau = models.ForeignKey(
        Bureau,
        on_delete=models.PROTECT,
        related_name="schools",
        limit_choices_to={"kind": BureauKind.EDUCATION},
        verbose_name=_("bureau"),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("school")
        verbose_name_plural = _("schools")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        from django.utils.translation import get_language

        return self.name_en if (get_language() or "").startswith("en") else self.name_zh


class Role(models.TextChoices):
    JUVENILE_OFFICER = "juvenile_officer", _("Juvenile police officer")
    GUIDANCE_WORKER = "guidance_worker", _("Guidance worker")
    SOCIAL_WORKER = "social_worker", _("Social worker")
    SCHOOL_COUNSELLOR = "school_counsellor", _("School counsellor")
    SUPERVISOR = "supervisor", _("Supervisor")
    DATA_STEWARD = "data_steward", _("Data steward")
    MODEL_STEWARD = "model_steward", _("Model steward")
    AUDITOR = "auditor", _("Auditor")
    ADMINISTRATOR = "administrator", _("Administrator")


# Roles that carry cases and so may hold a need-to-know reason for a youth.
CASEWORK_ROLES = frozenset(
    {
        Role.JUVENILE_OFFICER,
        Role.GUIDANCE_WORKER,
        Role.SOCIAL_WORKER,
        Role.SCHOOL_COUNSELLOR,
        Role.SUPERVISOR,
    }
)


class User(AbstractUser):
    """A person who signs in. What they may do comes from their memberships, not from Django flags."""

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")


class Membership(models.Model):
    """A user's role in one bureau (and, for school counsellors, one school)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    bureau = models.ForeignKey(Bureau, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    school = models.ForeignKey(
        School,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="memberships",
        help_text=_("Required for school counsellors: the school whose students they may see."),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "bureau", "role", "school"], name="uniq_membership"),
            models.CheckConstraint(
                condition=~models.Q(role="school_counsellor") | models.Q(school__isnull=False),
                name="counsellor_has_school",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.bureau}"


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")
    UNKNOWN = "", _("Unknown")


class Youth(models.Model):
    """One young person: the golden record built from linked source records.

    Fairness-audit attributes are deliberately not here (see ``FairnessAttributes``) so that no case page
    or case API can show them by accident.
    """

    public_id = models.CharField(_("youth ID"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=64, blank=True)
    name_romanized = models.CharField(_("romanised name"), max_length=128, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, blank=True)
    national_id = models.CharField(_("national ID"), max_length=10, blank=True, db_index=True)
    district = models.CharField(_("district"), max_length=16, blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_from",
        help_text=_("Set when this record was merged into another; the merge can be reversed."),
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["public_id"]
        verbose_name = _("youth")
        verbose_name_plural = _("youth")
        indexes = [models.Index(fields=["name", "birth_date"])]

    def __str__(self) -> str:
        return self.public_id

    @property
    def masked_national_id(self) -> str:
        """Show enough of the ID to confirm identity by phone, not enough to copy it."""
        if len(self.national_id) != 10:
            return ""
        return f"{self.national_id[:2]}******{self.national_id[-2:]}"

    def age_on(self, day) -> int | None:
        if self.birth_date is None:
            return None
        years = day.year - self.birth_date.year
        if (day.month, day.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years


class FairnessAttributes(models.Model):
    """Attributes kept for fairness audits only: never model inputs, never on case pages or case APIs."""

    youth = models.OneToOneField(Youth, on_delete=models.CASCADE, related_name="fairness_attributes")
    indigenous = models.BooleanField(_("indigenous"), null=True)
    new_immigrant_parent = models.BooleanField(_("new-immigrant parent"), null=True)

    class Meta:
        verbose_name = _("fairness-audit attributes")
        verbose_name_plural = _("fairness-audit attributes")

    def __str__(self) -> str:
        return f"fairness attributes of {self.youth_id}"


class Enrollment(models.Model):
    """A youth on a school's roster; school counsellors see the students currently enrolled at their school."""

    youth = models.ForeignKey(Youth, on_delete=models.CASCADE, related_name="enrollments")
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="enrollments")
    student_no = models.CharField(_("student number"), max_length=32)
    grade = models.PositiveSmallIntegerField(_("grade"), null=True, blank=True)
    enrolled_on = models.DateField(_("enrolled on"), null=True, blank=True)
    left_on = models.DateField(_("left on"), null=True, blank=True)

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        constraints = [
            models.UniqueConstraint(fields=["school", "student_no"], name="uniq_student_no_per_school"),
        ]

    def __str__(self) -> str:
        return f"{self.school.code}/{self.student_no}"

    def is_current(self, day=None) -> bool:
        day = day or timezone.localdate()
        return (self.enrolled_on is None or self.enrolled_on <= day) and (
            self.left_on is None or self.left_on > day
        )


class EventSource(models.TextChoices):
    SCHOOL = "school", _("School")
    POLICE = "police", _("Police")
    WELFARE = "welfare", _("Social welfare")


class EventKind(models.TextChoices):
    ABSENCE = "absence", _("Absence")
    DROPOUT_REPORTED = "dropout_reported", _("Dropout reported")
    DROPOUT_RETURNED = "dropout_returned", _("Returned from dropout")
    CAMPUS_INCIDENT = "campus_incident", _("Campus-safety incident")
    COUNSELLING_TIER = "counselling_tier", _("Counselling tier")
    POLICE_OFFENCE = "police_offence", _("Police contact: offence")
    POLICE_EXPOSURE = "police_exposure", _("Police contact: exposure behaviour")
    POLICE_DEVIANT = "police_deviant", _("Police contact: deviant behaviour")
    POLICE_MISSING = "police_missing", _("Police contact: missing-person search")
    CHILD_PROTECTION = "child_protection", _("Child-protection report")
    FRAGILE_FAMILY = "fragile_family", _("Fragile-family report")
    ASSISTANCE_STATUS = "assistance_status", _("Household assistance status")


EVENT_SOURCE = {
    EventKind.ABSENCE: EventSource.SCHOOL,
    EventKind.DROPOUT_REPORTED: EventSource.SCHOOL,
    EventKind.DROPOUT_RETURNED: EventSource.SCHOOL,
    EventKind.CAMPUS_INCIDENT: EventSource.SCHOOL,
    EventKind.COUNSELLING_TIER: EventSource.SCHOOL,
    EventKind.POLICE_OFFENCE: EventSource.POLICE,
    EventKind.POLICE_EXPOSURE: EventSource.POLICE,
    EventKind.POLICE_DEVIANT: EventSource.POLICE,
    EventKind.POLICE_MISSING: EventSource.POLICE,
    EventKind.CHILD_PROTECTION: EventSource.WELFARE,
    EventKind.FRAGILE_FAMILY: EventSource.WELFARE,
    EventKind.ASSISTANCE_STATUS: EventSource.WELFARE,
}


class Sensitivity(models.TextChoices):
    ORDINARY = "ordinary", _("Ordinary")
    SENSITIVE = "sensitive", _("Sensitive (PDPA Art. 6: criminal or health)")
    PROTECTED = "protected", _("Protected (child protection, Art. 69)")


class EventQuerySet(models.QuerySet):
    def unsealed(self) -> EventQuerySet:
        return self.filter(sealed_at__isnull=True)


class UnsealedEventManager(models.Manager.from_queryset(EventQuerySet)):
    """The default manager: a sealed record counts as never made, so ordinary code never sees it."""

    def get_queryset(self) -> EventQuerySet:
        return super().get_queryset().filter(sealed_at__isnull=True)


class Event(models.Model):
    """One thing that happened to a youth, as a bureau recorded it, on the integrated timeline."""

    youth = models.ForeignKey(Youth, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=32, choices=EventKind.choices)
    # A function of the kind (EVENT_SOURCE), stored so the access policy can filter in SQL.
    source = models.CharField(_("source"), max_length=16, choices=EventSource.choices, editable=False)
    code = models.CharField(
        _("code"), max_length=64, blank=True, help_text=_("e.g. theft, late_night_loitering, tier 2")
    )
    event_date = models.DateField(_("event date"))
    knowledge_date = models.DateField(
        _("knowledge date"),
        help_text=_("The day the bureau learned of the event; models may use it from then on."),
    )
    owning_bureau = models.ForeignKey(Bureau, on_delete=models.PROTECT, related_name="events")
    school = models.ForeignKey(School, on_delete=models.PROTECT, null=True, blank=True, related_name="events")
    sensitivity = models.CharField(
        _("sensitivity"), max_length=16, choices=Sensitivity.choices, default=Sensitivity.ORDINARY
    )
    details = models.JSONField(_("details"), default=dict, blank=True)
    # Link to the raw source record held by integrations (kept as data to keep imports one-way).
    source_feed = models.CharField(_("source feed"), max_length=32, blank=True)
    source_key = models.CharField(_("source record key"), max_length=128, blank=True)
    source_record_id = models.BigIntegerField(_("source record"), null=True, blank=True)
    sealed_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = UnsealedEventManager()
    all_objects = models.Manager.from_queryset(EventQuerySet)()

    class Meta:
        ordering = ["-event_date", "-id"]
        base_manager_name = "all_objects"
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes = [
            models.Index(fields=["youth", "event_date"]),
            models.Index(fields=["youth", "knowledge_date"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source_feed", "source_key"],
                condition=~models.Q(source_key=""),
                name="uniq_event_per_source_record",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.event_date}"


class ConcernType(models.TextChoices):
    """Legal status (offence, exposure) kept separate from softer concerns, as DOMAIN.md requires."""

    OFFENCE = "offence", _("Offence (觸法)")
    EXPOSURE = "exposure", _("Exposure behaviour (曝險)")
    DEVIANT = "deviant", _("Deviant behaviour (偏差行為)")
    HIGH_CONCERN = "high_concern", _("High concern (高關懷)")
    PROTECTION = "protection", _("Child protection / family support")


class CaseStatus(models.TextChoices):
    OPENED = "opened", _("Opened")
    ASSESSMENT = "assessment", _("Assessment")
    PLANNING = "planning", _("Planning")
    INTERVENTION = "intervention", _("Outreach and intervention")
    MONITORING = "monitoring", _("Monitoring")
    CLOSURE_REQUESTED = "closure_requested", _("Closure requested")
    CLOSED = "closed", _("Closed")


OPEN_CASE_STATUSES = [s for s in CaseStatus.values if s != CaseStatus.CLOSED]


class Case(models.Model):
    """A youth's episode of attention, led by one bureau."""

    youth = models.ForeignKey(Youth, on_delete=models.PROTECT, related_name="cases")
    lead_bureau = models.ForeignKey(Bureau, on_delete=models.PROTECT, related_name="cases")
    assignee = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="assigned_cases"
    )
    status = models.CharField(
        _("status"), max_length=24, choices=CaseStatus.choices, default=CaseStatus.OPENED
    )
    concern = models.CharField(_("concern"), max_length=16, choices=ConcernType.choices)
    summary = models.TextField(_("summary"), blank=True)
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    opened_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="opened_cases")
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closure_approved_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="approved_closures"
    )
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["-opened_at"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")

    def __str__(self) -> str:
        return f"C{self.pk:06d}" if self.pk else "C-new"

    @property
    def is_open(self) -> bool:
        return self.status != CaseStatus.CLOSED


class AlertStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    ESCALATED = "escalated", _("Escalated")
    RESOLVED = "resolved", _("Resolved")


ACTIVE_ALERT_STATUSES = [AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED, AlertStatus.ESCALATED]


class Alert(models.Model):
    """An early warning routed to the bureau responsible for acting on it, with a deadline."""

    youth = models.ForeignKey(Youth, on_delete=models.PROTECT, related_name="alerts")
    reason = models.CharField(_("reason"), max_length=48)
    routed_to = models.ForeignKey(Bureau, on_delete=models.PROTECT, related_name="alerts")
    source_event = models.ForeignKey(
        Event, on_delete=models.SET_NULL, null=True, blank=True, related_name="alerts"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=AlertStatus.choices, default=AlertStatus.OPEN
    )
    due_at = models.DateTimeField(_("due at"))
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    acknowledged_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="acknowledged_alerts"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        constraints = [
            # One active alert per youth, reason and bureau: repeated triggers do not pile up.
            models.UniqueConstraint(
                fields=["youth", "reason", "routed_to"],
                condition=models.Q(status__in=["open", "acknowledged", "escalated"]),
                name="one_active_alert_per_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reason} → {self.routed_to}"

    @property
    def is_overdue(self) -> bool:
        return self.status in ACTIVE_ALERT_STATUSES and self.due_at < timezone.now()


class ReferralKind(models.TextChoices):
    REFERRAL = "referral", _("Referral (shared work)")
    TRANSFER = "transfer", _("Transfer (hand over the lead)")


class ReferralStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    COMPLETED = "completed", _("Completed")
    REVOKED = "revoked", _("Revoked")


class ConsentBasis(models.TextChoices):
    OBTAINED = "obtained", _("Consent obtained from youth or guardian")
    OVERRIDE = "override", _("Documented override (legal duty or danger)")


class Referral(models.Model):
    """A youth routed from one bureau (or worker) to another, as in Primero's referral and transfer."""

    youth = models.ForeignKey(Youth, on_delete=models.PROTECT, related_name="referrals")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, null=True, blank=True, related_name="referrals")
    kind = models.CharField(
        _("kind"), max_length=16, choices=ReferralKind.choices, default=ReferralKind.REFERRAL
    )
    from_bureau = models.ForeignKey(Bureau, on_delete=models.PROTECT, related_name="referrals_sent")
    from_user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="referrals_sent")
    to_bureau = models.ForeignKey(Bureau, on_delete=models.PROTECT, related_name="referrals_received")
    to_user = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="referrals_received"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ReferralStatus.choices, default=ReferralStatus.PENDING
    )
    reason = models.TextField(_("reason"))
    consent = models.CharField(_("consent"), max_length=16, choices=ConsentBasis.choices)
    consent_note = models.TextField(_("consent note"), blank=True)
    response_note = models.TextField(_("response note"), blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.from_bureau} → {self.to_bureau}"


class InterventionKind(models.TextChoices):
    HOME_VISIT = "home_visit", _("Home visit")
    COUNSELLING = "counselling", _("Counselling session")
    FAMILY_MEETING = "family_meeting", _("Family meeting")
    SCHOOL_REENTRY = "school_reentry", _("School re-entry support")
    JOB_TRAINING = "job_training", _("Job training")
    HEALTH_REFERRAL = "health_referral", _("Health or psychological referral")
    OTHER = "other", _("Other")


class Intervention(models.Model):
    """Something a worker did with or for the youth, with its outcome and next step."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="interventions")
    kind = models.CharField(_("kind"), max_length=24, choices=InterventionKind.choices)
    occurred_on = models.DateField(_("date"))
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"), null=True, blank=True)
    worker = models.ForeignKey(User, on_delete=models.PROTECT, related_name="interventions")
    notes = models.TextField(_("notes"), blank=True)
    outcome = models.TextField(_("outcome"), blank=True)
    next_step = models.TextField(_("next step"), blank=True)
    next_due = models.DateField(_("next step due"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-occurred_on", "-id"]
        verbose_name = _("intervention")
        verbose_name_plural = _("interventions")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_on}"


class TriageDecisionKind(models.TextChoices):
    OPEN_CASE = "open_case", _("Open a case for outreach")
    MONITOR = "monitor", _("Monitor")
    REFER = "refer", _("Refer to another bureau")
    NO_ACTION = "no_action", _("No action")


class TriageDecision(models.Model):
    """A person's decision on an alert or score, with the score and model version they saw."""

    youth = models.ForeignKey(Youth, on_delete=models.PROTECT, related_name="triage_decisions")
    alert = models.ForeignKey(
        Alert, on_delete=models.PROTECT, null=True, blank=True, related_name="triage_decisions"
    )
    bureau = models.ForeignKey(Bureau, on_delete=models.PROTECT, related_name="triage_decisions")
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="triage_decisions")
    decision = models.CharField(_("decision"), max_length=16, choices=TriageDecisionKind.choices)
    reason_code = models.CharField(_("reason code"), max_length=48)
    note = models.TextField(_("note"), blank=True)
    score = models.FloatField(_("score shown"), null=True, blank=True)
    band = models.CharField(_("band shown"), max_length=16, blank=True)
    model_version = models.CharField(_("model version"), max_length=64, blank=True)
    is_override = models.BooleanField(_("override of the model"), default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("triage decision")
        verbose_name_plural = _("triage decisions")

    def __str__(self) -> str:
        return f"{self.get_decision_display()} ({self.youth})"


class RiskBand(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    VERY_HIGH = "very_high", _("Very high")


class RiskScore(models.Model):
    """A youth's calibrated risk score as of a date, with the reasons behind it, written by the risk model.

    The score is the model's estimate of the chance of an adverse outcome in the next 12 months: a reason
    to offer support first, never a finding about the child.
    """

    youth = models.ForeignKey(Youth, on_delete=models.CASCADE, related_name="risk_scores")
    as_of = models.DateField(_("as of"))
    score = models.FloatField(_("score"), help_text=_("Calibrated probability of the default label."))
    band = models.CharField(_("band"), max_length=16, choices=RiskBand.choices)
    rank = models.PositiveIntegerField(_("rank"))
    model_version = models.CharField(_("model version"), max_length=32)
    reasons = models.JSONField(_("reasons"), default=list)
    scored_at = models.DateTimeField(_("scored at"), default=timezone.now)

    class Meta:
        ordering = ["-as_of", "rank"]
        verbose_name = _("risk score")
        verbose_name_plural = _("risk scores")
        constraints = [
            models.UniqueConstraint(
                fields=["youth", "as_of", "model_version"], name="one_score_per_youth_date_model"
            )
        ]
        indexes = [models.Index(fields=["model_version", "as_of", "rank"])]

    def __str__(self) -> str:
        return f"{self.youth_id} {self.as_of} {self.score:.3f}"


class ReversibleIdentityChange(models.Model):
    """What a merge and a split share: why, by whom, when, the rows moved, and whether it was undone."""

    moved = models.JSONField(default=dict)
    reason = models.TextField(_("reason"))
    origin = models.CharField(_("origin"), max_length=32, help_text=_("linkage run, review queue or manual"))
    by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    reversed_at = models.DateTimeField(null=True, blank=True)
    reversed_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        abstract = True
        ordering = ["-at"]


class YouthMerge(ReversibleIdentityChange):
    """Two youth records found to be one person: everything of ``absorbed`` moved to ``kept``.

    ``moved`` lists, per table, the rows that moved, so the merge can be reversed exactly.
    """

    kept = models.ForeignKey(Youth, on_delete=models.PROTECT, related_name="merges_kept")
    absorbed = models.ForeignKey(Youth, on_delete=models.PROTECT, related_name="merges_absorbed")

    class Meta(ReversibleIdentityChange.Meta):
        verbose_name = _("youth merge")
        verbose_name_plural = _("youth merges")

    def __str__(self) -> str:
        return f"{self.absorbed_id} → {self.kept_id}"


class YouthSplit(ReversibleIdentityChange):
    """Source records taken out of one youth into a new one (a wrong link undone)."""

    source = models.ForeignKey(Youth, on_delete=models.PROTECT, related_name="splits_from")
    created = models.ForeignKey(Youth, on_delete=models.PROTECT, related_name="splits_into")
    records = models.JSONField(default=list, help_text=_("[feed, record key] pairs that moved"))

    class Meta(ReversibleIdentityChange.Meta):
        verbose_name = _("youth split")
        verbose_name_plural = _("youth splits")

    def __str__(self) -> str:
        return f"{self.source_id} → {self.created_id}"


class AuditAction(models.TextChoices):
    VIEW = "view", _("View")
    LIST = "list", _("List or search")
    CREATE = "create", _("Create")
    UPDATE = "update", _("Update")
    DELETE = "delete", _("Delete")
    EXPORT = "export", _("Export")
    LOGIN = "login", _("Login")
    LOGOUT = "logout", _("Logout")
    LOGIN_FAILED = "login_failed", _("Failed login")
    DENIED = "denied", _("Access refused")
    MERGE = "merge", _("Merge youth records")
    SPLIT = "split", _("Split a youth record")
    REVERSE = "reverse", _("Reverse a merge or split")
    LINK = "link", _("Record linkage")
    SEAL = "seal", _("Seal records")


class AuditEntry(models.Model):
    """One line of the access log. Append-only: PostgreSQL refuses UPDATE and DELETE on this table."""

    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    # No database constraint: deleting a user must not have to rewrite the log.
    user = models.ForeignKey(
        User, on_delete=models.DO_NOTHING, db_constraint=False, null=True, blank=True, related_name="+"
    )
    username = models.CharField(_("user"), max_length=150, blank=True)
    roles = models.CharField(_("roles"), max_length=255, blank=True)
    action = models.CharField(_("action"), max_length=16, choices=AuditAction.choices, db_index=True)
    object_type = models.CharField(_("object type"), max_length=48, blank=True)
    object_id = models.CharField(_("object"), max_length=64, blank=True)
    youth_public_id = models.CharField(_("youth ID"), max_length=16, blank=True, db_index=True)
    path = models.CharField(_("path"), max_length=512, blank=True)
    ip_address = models.GenericIPAddressField(_("from"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=255, blank=True)
    purpose = models.CharField(_("purpose"), max_length=255, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.action} {self.object_type} {self.object_id}"
