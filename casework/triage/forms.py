"""Forms of the triage pages: the queue's filters, the triage decision, and the alert-rule editor.

Forms check the shape of what was typed; the rules themselves (overrides need a note, who may decide, what
a valid alert rule is) live in ``casework.services`` and ``casework.triage.alerting``, whose errors the views put
back on these forms.
"""

from __future__ import annotations

import django_filters
from dateutil.relativedelta import relativedelta
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from casework.access import policy
from casework.clock import taipei_today
from casework.models import (
    Alert,
    AlertRule,
    AlertTrigger,
    Bureau,
    BureauKind,
    ConcernType,
    ConsentBasis,
    EventKind,
    EventSource,
    RiskBand,
    School,
    StatutoryDuty,
    TriageDecisionKind,
    TriageReason,
    User,
)
from casework.triage.alerting import RULE_FIELDS
from casework.triage.selectors import current_alert_rules, with_current_school

BLANK = [("", "---------")]


# ---------------------------------------------------------------------------------------------------------
# The queue's filters
# ---------------------------------------------------------------------------------------------------------


class TriageQueueFilter(django_filters.FilterSet):
    """Narrows one bureau's triage queue (already scoped by policy and annotated with the latest score)."""

    district = django_filters.ChoiceFilter(field_name="youth__district", label=_("District"))
    school = django_filters.ModelChoiceFilter(
        queryset=School.objects.all(), to_field_name="code", method="at_school", label=_("Current school")
    )
    reason = django_filters.ChoiceFilter(field_name="reason", label=_("Alert rule"))
    band = django_filters.ChoiceFilter(
        field_name="latest_band", choices=RiskBand.choices, label=_("Risk band")
    )
    min_age = django_filters.NumberFilter(method="age_at_least", label=_("Age from"), min_value=0)
    max_age = django_filters.NumberFilter(method="age_at_most", label=_("Age to"), min_value=0)
    overdue = django_filters.BooleanFilter(
        method="only_overdue", label=_("Overdue only"), widget=forms.CheckboxInput
    )

    class Meta:
        model = Alert
        fields = ["district", "school", "reason", "band", "min_age", "max_age", "overdue"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = getattr(self.request, "user", None)
        if user is None or not policy.reads_source_for_every_youth(user, EventSource.SCHOOL):
            # Filtering by current school would tell who studies where, a school detail (rule 5): the filter
            # is there only for those who read school records; for others ``?school=`` is ignored.
            del self.filters["school"]
        # Districts of the youth in this queue (the viewer sees them in the rows anyway).
        districts = (
            self.queryset.order_by()
            .exclude(youth__district="")
            .values_list("youth__district", flat=True)
            .distinct()
        )
        self.filters["district"].extra["choices"] = [(d, d) for d in sorted(districts)]
        self.filters["reason"].extra["choices"] = [(r.key, r.display_name) for r in current_alert_rules()]

    def at_school(self, queryset, name, value):
        return with_current_school(queryset, value) if value else queryset

    def age_at_least(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(youth__birth_date__lte=taipei_today() - relativedelta(years=int(value)))

    def age_at_most(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(youth__birth_date__gt=taipei_today() - relativedelta(years=int(value) + 1))

    def only_overdue(self, queryset, name, value):
        return queryset.filter(overdue=True) if value else queryset


# ---------------------------------------------------------------------------------------------------------
# The triage decision
# ---------------------------------------------------------------------------------------------------------


class WorkerChoiceField(forms.ModelChoiceField):
    """A colleague by name, with the bureaus they work for (one person may work for more than one)."""

    def label_from_instance(self, obj: User) -> str:
        name = obj.get_full_name() or obj.get_username()
        bureaus = sorted({str(m.bureau) for m in obj.memberships.all() if m.active})
        return f"{name} ({', '.join(bureaus)})" if bureaus else name


class TriageDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=TriageDecisionKind.choices, widget=forms.RadioSelect
    )
    reason_code = forms.ChoiceField(label=_("Reason"), choices=BLANK + TriageReason.choices)
    note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Required when the decision goes against the model's band."),
    )
    # Open a case
    concern = forms.ChoiceField(label=_("Concern"), choices=ConcernType.choices, required=False)
    assignee = WorkerChoiceField(
        label=_("Assign to"), queryset=User.objects.none(), required=False, empty_label=_("Nobody yet")
    )
    # Refer
    to_bureau = forms.ModelChoiceField(
        label=_("Refer to bureau"), queryset=Bureau.objects.all(), to_field_name="code", required=False
    )
    to_user = WorkerChoiceField(
        label=_("Refer to worker"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("The whole bureau"),
    )
    consent = forms.ChoiceField(
        label=_("Consent basis"), choices=BLANK + ConsentBasis.choices, required=False
    )
    consent_note = forms.CharField(
        label=_("Consent note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required for a documented override of consent."),
    )

    OPEN_CASE_FIELDS = ("concern", "assignee")
    REFER_FIELDS = ("to_bureau", "to_user", "consent", "consent_note")

    def __init__(self, *args, user, alert: Alert, **kwargs):
        super().__init__(*args, **kwargs)
        lead = policy.caseworkers_of([alert.routed_to_id]).values("pk")
        self.fields["assignee"].queryset = (
            policy.assignable_users(user)
            .filter(pk__in=lead)
            .prefetch_related("memberships__bureau")
            .order_by("username")
        )
        self.fields["to_user"].queryset = (
            policy.referral_recipients(user)
            .exclude(pk=user.pk)
            .prefetch_related("memberships__bureau")
            .order_by("username")
        )
        if alert.rule_id:
            self.fields["concern"].initial = alert.rule.concern

    def clean(self):
        data = super().clean()
        if data.get("decision") == TriageDecisionKind.REFER:
            if not data.get("to_bureau"):
                self.add_error("to_bureau", _("Choose the bureau to refer to."))
            if not data.get("consent"):
                self.add_error("consent", _("Say on what basis the youth's record is shared."))
        return data

    def service_arguments(self) -> dict:
        """The cleaned data as decide_alert takes it; fields of the other decisions are left out."""
        data = self.cleaned_data
        decision = data["decision"]
        args = {"decision": decision, "reason_code": data["reason_code"], "note": data.get("note", "")}
        if decision == TriageDecisionKind.OPEN_CASE:
            args.update(concern=data.get("concern") or "", assignee=data.get("assignee"))
        elif decision == TriageDecisionKind.REFER:
            args.update(
                to_bureau=data.get("to_bureau"),
                to_user=data.get("to_user"),
                consent=data.get("consent") or "",
                consent_note=data.get("consent_note", ""),
            )
        return args


# ---------------------------------------------------------------------------------------------------------
# Alert rules (administrators)
# ---------------------------------------------------------------------------------------------------------


class DeadlineUnit:
    HOURS = "hours"
    DAYS = "days"
    CHOICES = [(HOURS, _("hours")), (DAYS, _("days"))]


def _max(name: str) -> int:
    return AlertRule._meta.get_field(name).max_length


class AlertRuleForm(forms.Form):
    """One version of a focal-linkage rule; saving writes the next version (alerting.revise_alert_rule)."""

    name_zh = forms.CharField(label=_("Name (Chinese)"), max_length=_max("name_zh"))
    name_en = forms.CharField(label=_("Name (English)"), max_length=_max("name_en"))
    duty_zh = forms.CharField(label=_("What must be done (Chinese)"), max_length=_max("duty_zh"))
    duty_en = forms.CharField(label=_("What must be done (English)"), max_length=_max("duty_en"))
    enabled = forms.BooleanField(label=_("Enabled"), required=False, initial=True)
    trigger = forms.ChoiceField(label=_("Trigger"), choices=AlertTrigger.choices, widget=forms.RadioSelect)
    event_kind = forms.ChoiceField(
        label=_("Event kind"),
        choices=BLANK + EventKind.choices,
        required=False,
        help_text=_("For an event rule: the kind of event that raises the alert."),
    )
    event_codes = forms.CharField(
        label=_("Event codes"),
        required=False,
        help_text=_("For an event rule: only these codes, separated by commas; empty means any code."),
    )
    bands = forms.MultipleChoiceField(
        label=_("Score bands"),
        choices=RiskBand.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("For a score rule: the bands that raise the alert."),
    )
    route_to = forms.MultipleChoiceField(
        label=_("Route to"), choices=BureauKind.choices, widget=forms.CheckboxSelectMultiple
    )
    deadline_value = forms.IntegerField(label=_("Deadline"), min_value=1)
    deadline_unit = forms.ChoiceField(
        label=_("Deadline unit"),
        choices=DeadlineUnit.CHOICES,
        help_text=_("Days are counted in Taipei calendar days from the day the bureau learned of the event."),
    )
    lookback_days = forms.IntegerField(
        label=_("Look back (days)"),
        min_value=0,
        initial=30,
        help_text=AlertRule._meta.get_field("lookback_days").help_text,
    )
    notify_referrer = forms.BooleanField(
        label=_("Notify the referrer"),
        required=False,
        help_text=_("Tell the bureau that reported the event what was decided."),
    )
    concern = forms.ChoiceField(label=_("Concern of a case opened from it"), choices=ConcernType.choices)
    statutory_duty = forms.ChoiceField(
        label=_("Legal duty"),
        choices=StatutoryDuty.choices,
        initial=StatutoryDuty.OTHER,
        required=False,
        help_text=AlertRule._meta.get_field("statutory_duty").help_text,
    )
    change_note = forms.CharField(
        label=_("Why this change"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Kept with the new version, so anyone can read why the rule changed."),
    )

    # Errors of alerting._validate_rule by rule field, mapped to the field of this form that holds it.
    ERROR_FIELDS = {"deadline_hours": "deadline_value", "deadline_days": "deadline_value"}

    @staticmethod
    def initial_from(rule: AlertRule) -> dict:
        in_hours = rule.deadline_hours is not None
        return {
            **{name: getattr(rule, name) for name in RULE_FIELDS if name not in ("event_codes",)},
            "event_codes": ", ".join(rule.event_codes or []),
            "deadline_value": rule.deadline_hours if in_hours else rule.deadline_days,
            "deadline_unit": DeadlineUnit.HOURS if in_hours else DeadlineUnit.DAYS,
        }

    def rule_values(self) -> dict:
        """Every rule field as alerting.RULE_FIELDS names it; fields of the other trigger are emptied."""
        data = self.cleaned_data
        event = data["trigger"] == AlertTrigger.EVENT
        in_hours = data["deadline_unit"] == DeadlineUnit.HOURS
        codes = [c.strip() for c in (data.get("event_codes") or "").split(",") if c.strip()]
        values = {
            "enabled": data["enabled"],
            "name_zh": data["name_zh"],
            "name_en": data["name_en"],
            "duty_zh": data["duty_zh"],
            "duty_en": data["duty_en"],
            "trigger": data["trigger"],
            "event_kind": (data.get("event_kind") or "") if event else "",
            "event_codes": codes if event else [],
            "bands": [] if event else list(data.get("bands") or []),
            "route_to": list(data["route_to"]),
            "deadline_hours": data["deadline_value"] if in_hours else None,
            "deadline_days": None if in_hours else data["deadline_value"],
            "lookback_days": data["lookback_days"],
            "notify_referrer": data["notify_referrer"],
            "concern": data["concern"],
            "statutory_duty": data.get("statutory_duty") or StatutoryDuty.OTHER,
        }
        return values

    def add_service_error(self, exc: ValidationError) -> None:
        add_service_error(self, exc, self.ERROR_FIELDS)


class NewAlertRuleForm(AlertRuleForm):
    key = forms.SlugField(
        label=_("Key"),
        max_length=AlertRule._meta.get_field("key").max_length,
        help_text=_("A short name in letters, digits, hyphens and underscores; it cannot change later."),
    )

    field_order = ["key"]

    def clean_key(self):
        from casework.triage.selectors import alert_rule_exists

        key = self.cleaned_data["key"]
        if key == "new" or alert_rule_exists(key):
            raise ValidationError(_("A rule with this key exists already; edit that rule instead."))
        return key


def add_service_error(form: forms.Form, exc: ValidationError, aliases: dict | None = None) -> None:
    """Put a service's ValidationError on the form: per field where it names one the form has, otherwise
    at the top of the form."""
    aliases = aliases or {}
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            field = aliases.get(name, name)
            for error in errors:
                form.add_error(field if field in form.fields else None, error.messages)
    else:
        form.add_error(None, exc.messages)
