"""The integrated youth record: bureaus, people, the youth and their timeline, and the casework around them.

Every read of these models that reaches a user goes through ``casework.access.policy``; every write goes
through ``casework.services``.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, FSMField, transition

from casework.history import CaseworkHistory
from casework.identifiers import mask_national_id


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
    # The committee's meeting secretariat: prepares and minutes liaison meetings; never opens a youth record.
    SECRETARIAT = "secretariat", _("Secretariat")


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


class DateStyle(models.TextChoices):
    """How a person reads dates on the pages: the Western calendar, or the ROC (民國) calendar the bureaus' own
    records use. Exports and printed documents keep ISO dates."""

    WESTERN = "western", _("Western calendar (2026-11-25)")
    ROC = "roc", _("ROC calendar (115/11/25)")


class User(AbstractUser):
    """A person who signs in. What they may do comes from their memberships, not from Django flags."""

    date_style = models.CharField(
        _("dates shown in"), max_length=8, choices=DateStyle.choices, default=DateStyle.WESTERN
    )

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

    history = CaseworkHistory()

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
        return mask_national_id(self.national_id)

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
            # Alerting reads the events an import or a linkage run has just written (created_at at or after
            # the run's start): without it, each alert rule scanned every event (issue 15, part 5).
            models.Index(fields=["created_at"], name="event_created_at"),
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
# Statuses from which a worker may ask to close early for a reason other than goals met.
WORKING_STATUSES = [
    CaseStatus.OPENED,
    CaseStatus.ASSESSMENT,
    CaseStatus.PLANNING,
    CaseStatus.INTERVENTION,
    CaseStatus.MONITORING,
]

# The committee follows a case for at least six months, or until the youth turns 18 if that comes first.
MONITORING_MONTHS = 6
ADULT_AGE = 18


class ClosureReason(models.TextChoices):
    GOALS_MET = "goals_met", _("Goals met after the monitoring period")
    TURNED_18 = "turned_18", _("The youth turned 18")
    MOVED_AWAY = "moved_away", _("Moved out of the city (handed to the new city)")
    COURT = "court", _("Taken over by the juvenile court")
    DECLINED = "declined", _("Youth and family declined voluntary guidance")
    DUPLICATE = "duplicate", _("Duplicate of another case")


class Case(models.Model):
    """A youth's episode of attention, led by one bureau.

    The status moves only along the declared transitions below (django-fsm); ``casework.services`` calls
    them, checks who may, and records every move in :class:`CaseStatusChange`.
    """

    youth = models.ForeignKey(Youth, on_delete=models.PROTECT, related_name="cases")
    lead_bureau = models.ForeignKey(Bureau, on_delete=models.PROTECT, related_name="cases")
    assignee = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="assigned_cases"
    )
    status = FSMField(_("status"), max_length=24, choices=CaseStatus.choices, default=CaseStatus.OPENED)
    concern = models.CharField(_("concern"), max_length=16, choices=ConcernType.choices)
    summary = models.TextField(_("summary"), blank=True)
    assessment = models.TextField(
        _("assessment"), blank=True, help_text=_("Needs and strengths found; required before planning.")
    )
    plan = models.TextField(
        _("plan"), blank=True, help_text=_("Goals and agreed steps; required before intervention starts.")
    )
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    opened_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="opened_cases")
    monitoring_since = models.DateField(_("monitoring since"), null=True, blank=True)
    closure_reason = models.CharField(
        _("closure reason"), max_length=16, choices=ClosureReason.choices, blank=True
    )
    closure_note = models.TextField(_("closure note"), blank=True)
    closure_requested_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="requested_closures"
    )
    closure_requested_at = models.DateTimeField(null=True, blank=True)
    status_before_closure = models.CharField(max_length=24, choices=CaseStatus.choices, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closure_approved_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="approved_closures"
    )
    version = models.PositiveIntegerField(default=1, editable=False)

    history = CaseworkHistory()

    class Meta:
        ordering = ["-opened_at"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")

    def __str__(self) -> str:
        return f"C{self.pk:06d}" if self.pk else "C-new"

    @property
    def is_open(self) -> bool:
        return self.status != CaseStatus.CLOSED

    # -- conditions ---------------------------------------------------------------------------------------
    def has_assessment(self) -> bool:
        return bool(self.assessment.strip())

    def has_plan(self) -> bool:
        return bool(self.plan.strip())

    def monitoring_complete_on(self):
        """The first day closure for goals met may be asked: six months of monitoring, or the 18th birthday."""
        from dateutil.relativedelta import relativedelta

        ends = []
        if self.monitoring_since is not None:
            ends.append(self.monitoring_since + relativedelta(months=MONITORING_MONTHS))
        if self.youth.birth_date is not None:
            ends.append(self.youth.birth_date + relativedelta(years=ADULT_AGE))
        return min(ends) if ends else None

    def closure_allowed(self) -> bool:
        """Goals met needs the monitoring period served; the other reasons stand on their own note."""
        if self.closure_reason != ClosureReason.GOALS_MET:
            return bool(self.closure_note.strip())
        if self.status_before_closure != CaseStatus.MONITORING:
            return False
        done = self.monitoring_complete_on()
        return done is not None and done <= timezone.localdate()

    # -- transitions (the only ways the status changes) --------------------------------------------------
    @transition(field=status, source=CaseStatus.OPENED, target=CaseStatus.ASSESSMENT)
    def start_assessment(self):
        pass

    @transition(
        field=status, source=CaseStatus.ASSESSMENT, target=CaseStatus.PLANNING, conditions=[has_assessment]
    )
    def start_planning(self):
        pass

    @transition(
        field=status, source=CaseStatus.PLANNING, target=CaseStatus.INTERVENTION, conditions=[has_plan]
    )
    def start_intervention(self):
        pass

    @transition(field=status, source=CaseStatus.INTERVENTION, target=CaseStatus.MONITORING)
    def start_monitoring(self):
        self.monitoring_since = timezone.localdate()

    @transition(field=status, source=CaseStatus.MONITORING, target=CaseStatus.INTERVENTION)
    def resume_intervention(self):
        self.monitoring_since = None

    @transition(
        field=status,
        source=WORKING_STATUSES,
        target=CaseStatus.CLOSURE_REQUESTED,
        conditions=[closure_allowed],
    )
    def request_closure(self):
        pass

    @transition(field=status, source=CaseStatus.CLOSURE_REQUESTED, target=CaseStatus.CLOSED)
    def approve_closure(self):
        self.closed_at = timezone.now()

    @transition(
        field=status,
        source=CaseStatus.CLOSURE_REQUESTED,
        target=RETURN_VALUE(*WORKING_STATUSES),
    )
    def return_closure(self):
        back = self.status_before_closure or CaseStatus.MONITORING
        self.closure_reason = ""
        self.closure_requested_by = None
        self.closure_requested_at = None
        self.status_before_closure = ""
        return back


class CaseStatusChange(models.Model):
    """One move of a case's status: who, when, from what to what, and why."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=24, choices=CaseStatus.choices)
    to_status = models.CharField(max_length=24, choices=CaseStatus.choices)
    by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("case status change")
        verbose_name_plural = _("case status changes")

    def __str__(self) -> str:
        return f"{self.case} {self.from_status} → {self.to_status}"


class CaseAssigneeChange(models.Model):
    """One change of who carries a case: from whom to whom, who made it, when. With the closure requests in
    ``CaseStatusChange`` it is the case's memory of everyone who ever carried it, none of whom may approve its
    closure (``policy.can_approve_closure``)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="assignee_changes")
    from_assignee = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    to_assignee = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # Empty for the changes recovered from the access log when this table was added (migration 0013).
    by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("case assignee change")
        verbose_name_plural = _("case assignee changes")

    def __str__(self) -> str:
        return f"{self.case} {self.from_assignee_id} → {self.to_assignee_id}"


class AlertTrigger(models.TextChoices):
    EVENT = "event", _("An event arrives on the timeline")
    SCORE = "score", _("A risk score in the chosen bands, with no open case")


class StatutoryDuty(models.TextChoices):
    """The legal duty an alert carries, most severe first: queues and task lists are ordered by it before the
    deadline and the score (a missing child comes before paperwork, however overdue)."""

    PROTECTION_24H = "protection_24h", _("Child protection: act within 24 hours")
    MISSING_CHILD = "missing_child", _("Missing child: search at once")
    EXPOSURE_14D = "exposure_14d", _("Exposure behaviour: decide within 14 days")
    OTHER = "other", _("Other follow-up")


# Severity rank of each duty (0 = most severe), for ordering.
DUTY_RANK = {duty: rank for rank, duty in enumerate(StatutoryDuty.values)}


class AlertRule(models.Model):
    """A focal-linkage rule: what raises an alert, which bureaus it goes to, and by when they must act.

    Rules are data, edited by administrators. An edit never changes a rule in place: it writes the next
    version and retires the previous one, and each alert keeps the version that raised it.
    """

    key = models.SlugField(_("rule"), max_length=48)
    version = models.PositiveIntegerField(_("version"), default=1)
    is_current = models.BooleanField(default=True, editable=False)
    enabled = models.BooleanField(_("enabled"), default=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    duty_zh = models.CharField(_("what must be done (Chinese)"), max_length=200)
    duty_en = models.CharField(_("what must be done (English)"), max_length=200)
    trigger = models.CharField(_("trigger"), max_length=8, choices=AlertTrigger.choices)
    event_kind = models.CharField(_("event kind"), max_length=32, choices=EventKind.choices, blank=True)
    event_codes = models.JSONField(
        _("event codes"), default=list, blank=True, help_text=_("Only these codes; empty means any code.")
    )
    bands = models.JSONField(_("score bands"), default=list, blank=True)
    route_to = models.JSONField(
        _("route to"), default=list, help_text=_("Bureau kinds that receive the alert.")
    )
    deadline_hours = models.PositiveIntegerField(_("deadline (hours)"), null=True, blank=True)
    deadline_days = models.PositiveIntegerField(
        _("deadline (days)"),
        null=True,
        blank=True,
        help_text=_("Counted in Taipei calendar days from the day the bureau learned of the event."),
    )
    lookback_days = models.PositiveIntegerField(
        _("look back (days)"),
        default=30,
        help_text=_(
            "Event rules: events learned of longer ago raise no alert (a backlog import is not news). "
            "Score rules: no new alert within this many days of the last one being decided."
        ),
    )
    notify_referrer = models.BooleanField(
        _("notify the referrer"),
        default=False,
        help_text=_("Tell the bureau that reported the event what was decided."),
    )
    concern = models.CharField(
        _("concern of a case opened from it"), max_length=16, choices=ConcernType.choices
    )
    statutory_duty = models.CharField(
        _("legal duty"),
        max_length=16,
        choices=StatutoryDuty.choices,
        default=StatutoryDuty.OTHER,
        help_text=_(
            "The duty the law attaches to this alert. Queues put the more severe duty first, and a case opened on "
            "an alert with a legal duty is acting on the law, never an override of the model."
        ),
    )
    change_note = models.TextField(_("why this version"), blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["key", "-version"]
        verbose_name = _("alert rule")
        verbose_name_plural = _("alert rules")
        constraints = [
            models.UniqueConstraint(fields=["key", "version"], name="uniq_alert_rule_version"),
            models.UniqueConstraint(
                fields=["key"], condition=models.Q(is_current=True), name="one_current_alert_rule_version"
            ),
            models.CheckConstraint(
                condition=(models.Q(deadline_hours__isnull=True) ^ models.Q(deadline_days__isnull=True)),
                name="alert_rule_one_deadline",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} v{self.version}"

    @property
    def display_name(self) -> str:
        from django.utils.translation import get_language

        return self.name_en if (get_language() or "").startswith("en") else self.name_zh

    @property
    def duty(self) -> str:
        from django.utils.translation import get_language

        return self.duty_en if (get_language() or "").startswith("en") else self.duty_zh


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
    rule = models.ForeignKey(
        AlertRule, on_delete=models.PROTECT, null=True, blank=True, related_name="alerts",
        help_text=_("The rule version that raised it."),
    )  # fmt: skip
    routed_to = models.ForeignKey(Bureau, on_delete=models.PROTECT, related_name="alerts")
    source_event = models.ForeignKey(
        Event, on_delete=models.SET_NULL, null=True, blank=True, related_name="alerts"
    )
    status = FSMField(_("status"), max_length=16, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    due_at = models.DateTimeField(_("due at"))
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    acknowledged_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="acknowledged_alerts"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="resolved_alerts"
    )

    history = CaseworkHistory()

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
        indexes = [models.Index(fields=["status", "due_at"])]

    def __str__(self) -> str:
        return f"{self.reason} → {self.routed_to}"

    @property
    def is_overdue(self) -> bool:
        return self.status in ACTIVE_ALERT_STATUSES and self.due_at < timezone.now()

    @property
    def met_deadline(self) -> bool | None:
        """For a resolved alert, whether it was decided in time; None while it is still active."""
        if self.resolved_at is None:
            return None
        return self.resolved_at <= self.due_at

    @property
    def label(self) -> str:
        """What a person reads for the alert's reason: its rule's name (the latest version of the rule of that
        key when the alert names none), never the code."""
        if self.rule_id:
            return self.rule.display_name
        rule = AlertRule.objects.filter(key=self.reason).order_by("-version").first()
        return rule.display_name if rule is not None else self.reason

    # -- transitions (the only ways the status changes; ``casework.services`` and ``alerting`` call them) ---
    @transition(
        field=status, source=[AlertStatus.OPEN, AlertStatus.ESCALATED], target=AlertStatus.ACKNOWLEDGED
    )
    def acknowledge(self, *, by: User) -> None:
        """Someone is on it (the deadline still runs)."""
        self.acknowledged_by = by
        self.acknowledged_at = timezone.now()

    @transition(
        field=status, source=[AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED], target=AlertStatus.ESCALATED
    )
    def escalate(self, *, at) -> None:
        """Past its deadline: the bureau's supervisors are told (once)."""
        self.escalated_at = at

    @transition(field=status, source=ACTIVE_ALERT_STATUSES, target=AlertStatus.RESOLVED)
    def resolve(self, *, by: User | None = None) -> None:
        """Decided (``by`` a person), or closed with no decision (``by`` nobody: a duplicate found when two
        youth records are merged)."""
        self.resolved_at = timezone.now()
        self.resolved_by = by

    @transition(field=status, source=AlertStatus.RESOLVED, target=RETURN_VALUE(*ACTIVE_ALERT_STATUSES))
    def reopen(self, *, status: str) -> str:
        """Back to the active status it had, when what closed it is undone (a merge reversed)."""
        if status not in ACTIVE_ALERT_STATUSES:
            raise ValueError(f"not an active alert status: {status}")
        self.resolved_at = None
        self.resolved_by = None
        return status


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
    status = FSMField(
        _("status"), max_length=16, choices=ReferralStatus.choices, default=ReferralStatus.PENDING
    )
    reason = models.TextField(_("reason"))
    consent = models.CharField(_("consent"), max_length=16, choices=ConsentBasis.choices)
    consent_note = models.TextField(_("consent note"), blank=True)
    response_note = models.TextField(_("response note"), blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    responded_at = models.DateTimeField(null=True, blank=True)
    responded_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    closed_note = models.TextField(_("completion or revocation note"), blank=True)
    closed_at = models.DateTimeField(_("completed or revoked at"), null=True, blank=True)
    closed_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    history = CaseworkHistory()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.from_bureau} → {self.to_bureau}"

    # -- transitions (the only ways the status changes; ``casework.services`` calls them) ------------------
    def _answered(self, by: User, note: str) -> None:
        self.response_note = note
        self.responded_at = timezone.now()
        self.responded_by = by

    def _closed(self, by: User, note: str) -> None:
        self.closed_note = note
        self.closed_at = timezone.now()
        self.closed_by = by

    @transition(field=status, source=ReferralStatus.PENDING, target=ReferralStatus.ACCEPTED)
    def accept(self, *, by: User, note: str = "") -> None:
        self._answered(by, note)

    @transition(field=status, source=ReferralStatus.PENDING, target=ReferralStatus.DECLINED)
    def decline(self, *, by: User, note: str) -> None:
        self._answered(by, note)

    @transition(field=status, source=ReferralStatus.ACCEPTED, target=ReferralStatus.COMPLETED)
    def complete(self, *, by: User, note: str = "") -> None:
        self._closed(by, note)

    @transition(
        field=status, source=[ReferralStatus.PENDING, ReferralStatus.ACCEPTED], target=ReferralStatus.REVOKED
    )
    def revoke(self, *, by: User, note: str) -> None:
        self._closed(by, note)


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

    history = CaseworkHistory()

    class Meta:
        ordering = ["-occurred_on", "-id"]
        verbose_name = _("intervention")
        verbose_name_plural = _("interventions")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_on}"


# ---------------------------------------------------------------------------------------------------------
# The structured assessment and plan (docs/case-plan.md): needs, goals, planned services, reviews
# ---------------------------------------------------------------------------------------------------------


class NeedArea(models.TextChoices):
    """The areas of need a youth-guidance assessment looks at: a fixed list, so needs can be counted and
    planned against (Primero's case plan, with areas suited to youth guidance)."""

    SCHOOL = "school", _("School attendance and learning")
    FAMILY = "family", _("Family and care at home")
    MENTAL_HEALTH = "mental_health", _("Mental health and emotions")
    SUBSTANCE_USE = "substance_use", _("Substance use")
    PEERS = "peers", _("Peers and free time")
    SAFETY = "safety", _("Safety and protection")
    BASIC_NEEDS = "basic_needs", _("Basic needs (money, housing, food)")
    WORK = "work", _("Work and job training")
    OTHER = "other", _("Other")


class CaseNeed(models.Model):
    """One area of need the assessment found, and what was found there."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="needs", verbose_name=_("case"))
    area = models.CharField(_("area of need"), max_length=24, choices=NeedArea.choices)
    finding = models.TextField(_("what was found"), blank=True)
    added_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("added by"))
    added_at = models.DateTimeField(_("added at"), default=timezone.now, editable=False)

    history = CaseworkHistory()

    class Meta:
        ordering = ["id"]
        verbose_name = _("need")
        verbose_name_plural = _("needs")
        constraints = [models.UniqueConstraint(fields=["case", "area"], name="one_need_per_area_per_case")]

    def __str__(self) -> str:
        return self.get_area_display()


class CaseGoal(models.Model):
    """What the youth, family and worker agreed to reach, for one area of need (or none)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="goals", verbose_name=_("case"))
    area = models.CharField(_("area of need"), max_length=24, choices=NeedArea.choices, blank=True)
    text = models.TextField(_("goal"))
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("set by"))
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    history = CaseworkHistory()

    class Meta:
        ordering = ["id"]
        verbose_name = _("goal")
        verbose_name_plural = _("goals")

    def __str__(self) -> str:
        return self.text[:60]


class PlannedServiceStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    NOT_DONE = "not_done", _("Not done")


# A planned step still open or abandoned: what closure approval asks the supervisor to acknowledge.
UNDONE_SERVICE_STATUSES = [
    PlannedServiceStatus.PLANNED,
    PlannedServiceStatus.IN_PROGRESS,
    PlannedServiceStatus.NOT_DONE,
]


class PlannedService(models.Model):
    """One service or step of the plan: who provides it (a person or a bureau), by when, and how it went."""

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="planned_services", verbose_name=_("case")
    )
    goal = models.ForeignKey(
        CaseGoal,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="services",
        verbose_name=_("goal"),
    )
    description = models.CharField(_("service or step"), max_length=300)
    owner_bureau = models.ForeignKey(
        Bureau,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner bureau"),
    )
    owner_user = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("owner")
    )
    due_on = models.DateField(_("due"))
    status = models.CharField(
        _("status"), max_length=16, choices=PlannedServiceStatus.choices, default=PlannedServiceStatus.PLANNED
    )
    not_done_reason = models.TextField(_("why it was not done"), blank=True)
    created_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("planned by")
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    history = CaseworkHistory()

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("planned service")
        verbose_name_plural = _("planned services")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(owner_bureau__isnull=False) | models.Q(owner_user__isnull=False),
                name="planned_service_has_owner",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="not_done") | ~models.Q(not_done_reason=""),
                name="planned_service_not_done_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.description

    @property
    def is_done(self) -> bool:
        return self.status == PlannedServiceStatus.DONE

    @property
    def owner_label(self) -> str:
        if self.owner_user_id:
            name = self.owner_user.get_full_name() or self.owner_user.get_username()
            return f"{name} · {self.owner_bureau}" if self.owner_bureau_id else name
        return str(self.owner_bureau)


class CasePlanReview(models.Model):
    """A review of the plan with the youth or family: when, by whom, and what was concluded."""

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="plan_reviews", verbose_name=_("case")
    )
    reviewed_on = models.DateField(_("reviewed on"))
    note = models.TextField(_("what the review concluded"), blank=True)
    reviewed_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("reviewed by")
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    history = CaseworkHistory()

    class Meta:
        ordering = ["reviewed_on", "id"]
        verbose_name = _("plan review")
        verbose_name_plural = _("plan reviews")

    def __str__(self) -> str:
        return f"{self.reviewed_on}"


class ClosureAcknowledgement(models.Model):
    """The approving supervisor's acknowledgement, at closure, of the planned steps that were never done
    (each step as it stood then: description, owner, due day, status and reason)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="closure_acknowledgements")
    by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now, editable=False)
    steps = models.JSONField(_("steps not done"), default=list)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("closure acknowledgement")
        verbose_name_plural = _("closure acknowledgements")

    def __str__(self) -> str:
        return f"{self.case} · {len(self.steps)}"


class TriageDecisionKind(models.TextChoices):
    OPEN_CASE = "open_case", _("Open a case for outreach")
    MONITOR = "monitor", _("Monitor")
    REFER = "refer", _("Refer to another bureau")
    NO_ACTION = "no_action", _("No action")


class TriageReason(models.TextChoices):
    """Why a person decided as they did: coded, so overrides can be counted by reason in the report."""

    LEGAL_DUTY = "legal_duty", _("A legal duty applies (offence, exposure, protection)")
    NEEDS_SUPPORT = "needs_support", _("The record shows needs we can meet")
    FAMILY_REQUEST = "family_request", _("The youth or family asked for help")
    RECENT_CHANGE = "recent_change", _("A recent change to watch before acting")
    ALREADY_SUPPORTED = "already_supported", _("Already supported by another service")
    BETTER_PLACED = "better_placed", _("Another bureau is better placed to help")
    NO_CONCERN = "no_concern", _("No concern found on review")
    RECORD_ERROR = "record_error", _("The record behind the alert is wrong")
    MOVED_AWAY = "moved_away", _("Moved out of the city")
    DUPLICATE = "duplicate", _("Duplicate of an alert already handled")


class TriageDecision(models.Model):
    """A person's decision on an alert or score, with the score and model version they saw."""

    youth = models.ForeignKey(Youth, on_delete=models.PROTECT, related_name="triage_decisions")
    alert = models.ForeignKey(
        Alert, on_delete=models.PROTECT, null=True, blank=True, related_name="triage_decisions"
    )
    bureau = models.ForeignKey(Bureau, on_delete=models.PROTECT, related_name="triage_decisions")
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="triage_decisions")
    decision = models.CharField(_("decision"), max_length=16, choices=TriageDecisionKind.choices)
    reason_code = models.CharField(_("reason code"), max_length=48, choices=TriageReason.choices)
    note = models.TextField(_("note"), blank=True)
    score = models.FloatField(_("score shown"), null=True, blank=True)
    band = models.CharField(_("band shown"), max_length=16, blank=True)
    model_version = models.CharField(_("model version"), max_length=64, blank=True)
    is_override = models.BooleanField(_("override of the model"), default=False)
    case = models.ForeignKey(
        Case, on_delete=models.SET_NULL, null=True, blank=True, related_name="triage_decisions"
    )
    referral = models.ForeignKey(
        Referral, on_delete=models.SET_NULL, null=True, blank=True, related_name="triage_decisions"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("triage decision")
        verbose_name_plural = _("triage decisions")

    def __str__(self) -> str:
        return f"{self.get_decision_display()} ({self.youth})"


class NotificationKind(models.TextChoices):
    ALERT_RAISED = "alert_raised", _("New alert")
    ALERT_ESCALATED = "alert_escalated", _("Alert overdue: escalated")
    TRIAGE_OUTCOME = "triage_outcome", _("Decision on your report")
    REFERRAL_RECEIVED = "referral_received", _("Referral received")
    REFERRAL_ANSWERED = "referral_answered", _("Referral answered")
    CLOSURE_REQUESTED = "closure_requested", _("Closure awaits approval")
    CLOSURE_DECIDED = "closure_decided", _("Closure decided")
    TASK_DUE = "task_due", _("Next step due")
    ACCESS_BY_PURPOSE = "access_by_purpose", _("Record opened by stated purpose: review it")
    CONTEST_DECIDED = "contest_decided", _("Contested record decided")


class Notification(models.Model):
    """A message in someone's inbox: to one user, or to every case worker of a bureau."""

    kind = models.CharField(_("kind"), max_length=24, choices=NotificationKind.choices)
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    bureau = models.ForeignKey(
        Bureau, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    youth = models.ForeignKey(Youth, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    detail = models.JSONField(default=dict, blank=True)
    dedupe_key = models.CharField(max_length=96, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=False) | models.Q(bureau__isnull=False),
                name="notification_has_recipient",
            ),
            # A reminder sent once stays sent: re-running the reminder job does not repeat it.
            models.UniqueConstraint(
                fields=["dedupe_key"], condition=~models.Q(dedupe_key=""), name="uniq_notification_dedupe"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.user_id or self.bureau_id}"


class NotificationRead(models.Model):
    """That one person has read one message. A message to a bureau is shared by its workers, and each of them
    reads it for themselves (``Notification.read_at`` keeps when anyone first read it)."""

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("message read")
        verbose_name_plural = _("messages read")
        constraints = [
            models.UniqueConstraint(fields=["notification", "user"], name="one_read_per_person_per_message")
        ]

    def __str__(self) -> str:
        return f"{self.notification_id} read by {self.user_id}"


class RiskBand(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    VERY_HIGH = "very_high", _("Very high")


class RiskScore(models.Model):
    """A youth's calibrated risk score as of a date, with the reasons behind it, written by the risk model.

    The score is the model's estimate of the chance of an adverse outcome in the next 12 months: a reason
    to offer support first, never a finding about the child.

    Each reason: ``key``, ``direction`` (up/down), ``value``, ``shap``, ``text_zh``, ``text_en``, ``source`` (the
    indicator's timeline source) and ``reads`` (every kind of record it counts, ``policy.reads_of``); who may
    read which reason is ``policy.reason_detail``.
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
    OTP_ENROLLED = "otp_enrolled", _("Second factor enrolled")
    OTP_VERIFIED = "otp_verified", _("Second factor verified")
    OTP_FAILED = "otp_failed", _("Second factor refused")
    OTP_RESET = "otp_reset", _("Second factor reset")
    LOCKOUT = "lockout", _("Sign-in locked out")
    UNLOCK = "unlock", _("Sign-in unlocked")
    SESSION_TIMEOUT = "session_timeout", _("Signed out by session timeout")
    PASSWORD_CHANGE = "password_change", _("Password changed")
    BREAK_GLASS = "break_glass", _("Opened a record by stating a purpose")


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

    # An entry about a youth whom sealing left an empty shell keeps, as it is shown, that the access happened
    # (who, when, what kind, which youth ID) but not what a person typed or the paths and objects that named
    # the sealed records: the purpose ("court asks about the knife matter"), ``/events/41557/``, the detail
    # (insider review 15, F6). The log itself is append-only; ``policy.visible_audit_entries`` marks the rows.
    @property
    def withheld(self) -> bool:
        return bool(getattr(self, "about_sealed_shell", False))

    @property
    def shown_purpose(self) -> str:
        return (
            str(_("(withheld: the youth's records were sealed)"))
            if self.withheld and self.purpose
            else self.purpose
        )

    @property
    def shown_path(self) -> str:
        return "" if self.withheld else self.path

    @property
    def shown_object(self) -> str:
        return self.object_type if self.withheld else f"{self.object_type} {self.object_id}".strip()

    @property
    def shown_detail(self) -> dict:
        return {} if self.withheld else self.detail

    @property
    def roles_label(self) -> str:
        """The roles as words in the reader's language (the log keeps their codes)."""
        from django.utils.translation import pgettext

        codes = [code for code in self.roles.split(",") if code]
        words = [str(Role(code).label) if code in Role.values else code for code in codes]
        return pgettext("list separator", ", ").join(words)


# ---------------------------------------------------------------------------------------------------------
# Opening a record by stating a purpose ("break the glass", access-policy rule 17)
# ---------------------------------------------------------------------------------------------------------

# How long a stated purpose opens a record: one working shift. Not "until the end of the working day",
# because urgent protection concerns arrive at night too, and a grant at 23:00 must not end at midnight.
ACCESS_GRANT_HOURS = 8
# A purpose a reviewer can judge: at least this many characters, not counting spaces.
PURPOSE_MIN_CHARS = 10


class AccessPurpose(models.TextChoices):
    URGENT_PROTECTION = "urgent_protection", _("Urgent protection concern (the child's safety now)")
    NEW_REPORT = "new_report", _("New referral or report received about this youth")
    COURT_REQUEST = "court_request", _("Request from a juvenile court or prosecutor")
    TRANSFER_IN = "transfer_in", _("Continuing a case transferred in")
    OTHER = "other", _("Other (explain below)")


class AccessReviewOutcome(models.TextChoices):
    JUSTIFIED = "justified", _("Justified")
    NOT_JUSTIFIED = "not_justified", _("Not justified")
    FOLLOW_UP = "follow_up", _("Needs follow-up")


def validate_purpose_text(value: str) -> None:
    """A purpose is a sentence a reviewer can judge, not a keystroke ("x", "....", "aaaaaaaaaa")."""
    from django.core.exceptions import ValidationError

    compact = "".join(value.split())
    if len(compact) < PURPOSE_MIN_CHARS or len(set(compact)) < 4:
        raise ValidationError(
            _("Say in a sentence why you need this record (at least %(n)s characters)."),
            code="purpose_too_short",
            params={"n": PURPOSE_MIN_CHARS},
        )


class AccessGrant(models.Model):
    """A worker with no reason on record opened a youth's record by stating a purpose.

    The grant lets the worker see the record (under the usual detail rules) until ``expires_at``; a supervisor
    of ``bureau`` (or an auditor) then reviews whether the purpose justified it.
    """

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="access_grants")
    # The bureau the worker acted for: its supervisors review the grant, even if the worker later moves on.
    bureau = models.ForeignKey(Bureau, on_delete=models.PROTECT, related_name="access_grants")
    youth = models.ForeignKey(Youth, on_delete=models.PROTECT, related_name="access_grants")
    purpose_code = models.CharField(_("purpose"), max_length=24, choices=AccessPurpose.choices)
    purpose_text = models.TextField(_("why you need this record"), validators=[validate_purpose_text])
    granted_at = models.DateTimeField(_("access opened at"), default=timezone.now)
    expires_at = models.DateTimeField(_("access ends"))
    reviewed_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_outcome = models.CharField(
        _("review outcome"), max_length=16, choices=AccessReviewOutcome.choices, blank=True
    )
    review_note = models.TextField(_("review note"), blank=True)

    class Meta:
        ordering = ["-granted_at", "-id"]
        verbose_name = _("access by stated purpose")
        verbose_name_plural = _("accesses by stated purpose")
        indexes = [models.Index(fields=["user", "expires_at"]), models.Index(fields=["bureau", "granted_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("granted_at")), name="grant_expires_later"
            ),
            models.CheckConstraint(
                condition=models.Q(review_outcome="")
                | models.Q(reviewed_by__isnull=False, reviewed_at__isnull=False),
                name="grant_review_has_reviewer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.youth_id} ({self.purpose_code})"

    @property
    def is_active(self) -> bool:
        return self.expires_at > timezone.now()

    @property
    def awaits_review(self) -> bool:
        """Unreviewed, or reviewed as needing follow-up: still on the reviewer's desk."""
        return self.review_outcome in ("", AccessReviewOutcome.FOLLOW_UP)

    @property
    def purpose_summary(self) -> str:
        return f"{self.get_purpose_code_display()}: {self.purpose_text}"


# ---------------------------------------------------------------------------------------------------------
# Liaison meetings (聯繫會議): the committee convenes the bureaus to supervise and coordinate guidance
# (少年輔導委員會設置及輔導實施辦法, Art. 2). docs/meetings.md; who may see what: access-policy rule 21.
# ---------------------------------------------------------------------------------------------------------


class MeetingStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    HELD = "held", _("Held (minutes final)")


class Meeting(models.Model):
    """One liaison meeting: when, who chairs it, which bureaus are invited, and (once held) who attended."""

    title = models.CharField(_("title"), max_length=200)
    starts_at = models.DateTimeField(_("date and time"))
    chair = models.ForeignKey(User, on_delete=models.PROTECT, related_name="chaired_meetings")
    invited_bureaus = models.ManyToManyField(
        Bureau, related_name="meetings", verbose_name=_("bureaus invited")
    )
    invitees = models.ManyToManyField(
        User, blank=True, related_name="meeting_invitations", verbose_name=_("workers invited")
    )
    attendees = models.ManyToManyField(
        User, blank=True, related_name="meetings_attended", verbose_name=_("attended")
    )
    other_attendees = models.TextField(
        _("other attendees"),
        blank=True,
        help_text=_("Experts, youth representatives, guests (names and roles)."),
    )
    status = models.CharField(_("status"), max_length=16, choices=MeetingStatus.choices, default="planned")
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    held_at = models.DateTimeField(_("minutes closed at"), null=True, blank=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        verbose_name = _("liaison meeting")
        verbose_name_plural = _("liaison meetings")

    def __str__(self) -> str:
        return f"M{self.pk:04d}" if self.pk else "M-new"

    @property
    def is_planned(self) -> bool:
        return self.status == MeetingStatus.PLANNED


class AgendaItemKind(models.TextChoices):
    """Why an item is on the agenda: the stuck work the platform proposes, or an item added by hand."""

    REFERRAL_OVERDUE = "referral_overdue", _("Referral unanswered past its date")
    DEADLINE_MISSED = "deadline_missed", _("Deadline missed")
    ESCALATED = "escalated", _("Alert escalated")
    TOP_BAND_NO_CASE = "top_band_no_case", _("Very high band, no open case")
    CROSS_BUREAU = "cross_bureau", _("Cross-bureau decision needed")
    CLOSURE = "closure", _("Closure to approve")
    ACTION_FOLLOW_UP = "action_follow_up", _("Action item from an earlier meeting, not yet done")
    OTHER = "other", _("Added by the secretariat")


class AgendaItem(models.Model):
    """One line of a meeting's agenda, in order. ``source_key`` names the record that put it there
    (``referral:12``), so proposing again adds only what is new."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField(_("order"))
    kind = models.CharField(_("kind"), max_length=24, choices=AgendaItemKind.choices)
    youth = models.ForeignKey(Youth, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    referral = models.ForeignKey(Referral, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    alert = models.ForeignKey(Alert, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    follows_up = models.ForeignKey(
        "ActionItem", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    bureaus = models.ManyToManyField(
        Bureau, blank=True, related_name="+", verbose_name=_("bureaus concerned")
    )
    summary = models.CharField(_("item"), max_length=300)
    due = models.DateField(_("due"), null=True, blank=True)
    note = models.TextField(_("secretariat's note"), blank=True)
    source_key = models.CharField(max_length=48, blank=True)
    decision = models.TextField(_("decision"), blank=True)
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["meeting", "position", "id"]
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")

    def __str__(self) -> str:
        return f"{self.meeting} #{self.position}"


class MeetingShare(models.Model):
    """What the committee decides to show one invited bureau of one youth on the agenda, for this meeting
    only: the sources it shares in full and whether the case content too, until ``expires_at``. Reviewed
    afterwards, as an access by stated purpose is (``AccessGrant``)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="shares")
    item = models.ForeignKey(AgendaItem, on_delete=models.PROTECT, related_name="shares")
    youth = models.ForeignKey(Youth, on_delete=models.PROTECT, related_name="+")
    bureau = models.ForeignKey(Bureau, on_delete=models.PROTECT, related_name="+")
    sources = models.JSONField(_("records shared in full"), default=list, blank=True)
    case_content = models.BooleanField(_("case content shared"), default=False)
    reason = models.TextField(_("why this bureau needs it"), validators=[validate_purpose_text])
    granted_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    granted_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(_("share ends"))
    reviewed_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_outcome = models.CharField(
        _("review outcome"), max_length=16, choices=AccessReviewOutcome.choices, blank=True
    )
    review_note = models.TextField(_("review note"), blank=True)

    class Meta:
        ordering = ["-granted_at", "-id"]
        verbose_name = _("meeting share")
        verbose_name_plural = _("meeting shares")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("granted_at")), name="meeting_share_expires_later"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.meeting} → {self.bureau_id} ({self.youth_id})"

    @property
    def is_active(self) -> bool:
        return self.expires_at > timezone.now()

    @property
    def awaits_review(self) -> bool:
        return self.review_outcome in ("", AccessReviewOutcome.FOLLOW_UP)


class ActionItem(models.Model):
    """Something a meeting asked a bureau or a person to do by a date. It is a task in the owner's worklist and
    comes back on every later meeting's proposed agenda until it is done."""

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="action_items")
    item = models.ForeignKey(AgendaItem, on_delete=models.PROTECT, related_name="action_items")
    text = models.TextField(_("action"))
    owner_bureau = models.ForeignKey(
        Bureau, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    owner_user = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    due_on = models.DateField(_("due"))
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    done_note = models.TextField(_("what was done"), blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("action item")
        verbose_name_plural = _("action items")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(owner_bureau__isnull=False) | models.Q(owner_user__isnull=False),
                name="action_item_has_owner",
            ),
        ]

    def __str__(self) -> str:
        return f"A{self.pk:05d}" if self.pk else "A-new"

    @property
    def is_done(self) -> bool:
        return self.done_at is not None

    @property
    def owner_label(self) -> str:
        if self.owner_user_id:
            return self.owner_user.get_full_name() or self.owner_user.get_username()
        return self.owner_bureau.display_name
