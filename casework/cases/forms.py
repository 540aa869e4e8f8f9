"""Forms of the case, referral and task pages. They parse and present; the rules live in ``services``.

Where a rule decides whether a submission stands (a note needed to return a closure, a reason needed to decline
a referral), the form leaves the field optional and lets the service refuse with its own message, so there is
one place that states the rule; the browser's ``required`` attribute only saves a round trip.
"""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.access import policy
from casework.cases.plan import OPEN_STEP_STATUSES, OWNER_MAY_NOT_READ
from casework.cases.services import SUPERVISOR_MOVES, WORKER_MOVES
from casework.models import (
    Bureau,
    Case,
    CaseGoal,
    CaseStatus,
    ClosureReason,
    ConsentBasis,
    Intervention,
    NeedArea,
    PlannedService,
    PlannedServiceStatus,
    ReferralKind,
    User,
)

MOVES = WORKER_MOVES + SUPERVISOR_MOVES

# What each move's button says.
MOVE_LABELS = {
    "start_assessment": _("Start assessment"),
    "start_planning": _("Start planning"),
    "start_intervention": _("Start intervention"),
    "start_monitoring": _("Start monitoring"),
    "resume_intervention": _("Resume intervention"),
    "request_closure": _("Ask to close the case"),
    "approve_closure": _("Approve closure"),
    "return_closure": _("Return the case to its worker"),
}


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def person_label(user: User) -> str:
    return user.get_full_name() or user.get_username()


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return person_label(obj)


class CaseMoveForm(forms.Form):
    """One status move: the case version the page showed, a note, and for a closure request its reason."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    note = forms.CharField(
        label=_("Note (kept in the status history)"),
        required=False,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, move: str, **kwargs):
        # Several move forms share one page: ids are made unique per move, field names stay plain.
        kwargs.setdefault("auto_id", f"id_{move}_%s")
        super().__init__(*args, **kwargs)
        self.move = move
        if move == "request_closure":
            self.fields["closure_reason"] = forms.ChoiceField(
                label=_("Why close"),
                choices=[("", _("Choose a reason"))] + list(ClosureReason.choices),
                required=False,
                widget=forms.Select(attrs={"required": True}),
            )
            self.fields["note"].label = _("Note")
            self.fields["note"].help_text = _(
                "Needed for every reason except goals met after the monitoring period."
            )
            self.order_fields(["version", "closure_reason", "note"])
        elif move == "return_closure":
            self.fields["note"].label = _("Why the case is not ready to close")
            self.fields["note"].widget.attrs["required"] = True
        elif move == "approve_closure":
            # Required (by the service) only when planned steps were never done; the page then lists them.
            self.fields["acknowledge_undone"] = forms.BooleanField(
                label=_(
                    "I have read the planned steps that were never done, listed above, and approve the closure all the same."
                ),
                required=False,
            )
            # The steps the approver was shown, so that one added since refuses the approval.
            self.fields["undone_steps"] = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_undone_steps(self) -> list[int] | None:
        raw = self.cleaned_data.get("undone_steps", "")
        if not raw:
            return []
        try:
            return [int(x) for x in raw.split(",") if x.strip()]
        except ValueError:
            raise forms.ValidationError(_("Open the case again and read the steps never done.")) from None

    @property
    def label(self) -> str:
        return str(MOVE_LABELS[self.move])


class CaseRecordForm(forms.Form):
    """The case's own text and its assignee, saved against the version the page showed."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    summary = forms.CharField(label=_("Summary"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    assessment = forms.CharField(
        label=_("Assessment"),
        required=False,
        help_text=Case._meta.get_field("assessment").help_text,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    plan = forms.CharField(
        label=_("Plan"),
        required=False,
        help_text=Case._meta.get_field("plan").help_text,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    assignee = PersonChoiceField(
        label=_("Assignee"), queryset=User.objects.none(), required=False, empty_label=_("Nobody yet")
    )

    def __init__(self, *args, case: Case, **kwargs):
        super().__init__(*args, **kwargs)
        # Rule 12: a case is assigned only to a case worker of its lead bureau.
        self.fields["assignee"].queryset = policy.caseworkers_of([case.lead_bureau_id]).order_by("username")
        if case.status == CaseStatus.CLOSURE_REQUESTED:
            # services.update_case refuses a reassignment now; the form does not offer one.
            self.fields["assignee"].disabled = True
            self.fields["assignee"].help_text = _("The assignee stays while closure is being decided.")
            self.initial["assignee"] = case.assignee_id

    @classmethod
    def for_case(cls, case: Case) -> CaseRecordForm:
        return cls(
            case=case,
            initial={
                "version": case.version,
                "summary": case.summary,
                "assessment": case.assessment,
                "plan": case.plan,
                "assignee": case.assignee_id,
            },
        )


class InterventionForm(forms.ModelForm):
    """Log what was done with or for the youth, its outcome and the next step."""

    class Meta:
        model = Intervention
        fields = ["kind", "occurred_on", "duration_minutes", "notes", "outcome", "next_step", "next_due"]
        widgets = {
            "occurred_on": DateInput,
            "next_due": DateInput,
            "notes": forms.Textarea(attrs={"rows": 3}),
            "outcome": forms.Textarea(attrs={"rows": 2}),
            "next_step": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "id_intervention_%s")
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        if not self.is_bound:
            self.initial.setdefault("occurred_on", today)
        # A hint to the browser; the service refuses future dates whatever the browser does.
        self.fields["occurred_on"].widget.attrs["max"] = today.isoformat()
        self.fields["duration_minutes"].widget.attrs["min"] = 0


class ReferralForm(forms.Form):
    """Refer the youth of a case to another bureau (or worker), or transfer the case's lead."""

    from_bureau = forms.ModelChoiceField(
        label=_("On behalf of"), queryset=Bureau.objects.none(), empty_label=None
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=ReferralKind.choices, widget=forms.RadioSelect)
    to_bureau = forms.ModelChoiceField(label=_("To bureau"), queryset=Bureau.objects.none())
    to_user = forms.TypedChoiceField(
        label=_("To worker (optional)"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("Leave empty to send it to every case worker of the bureau."),
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))
    consent = forms.ChoiceField(label=_("Consent"), choices=ConsentBasis.choices, widget=forms.RadioSelect)
    consent_note = forms.CharField(
        label=_("Consent note"),
        required=False,
        help_text=_(
            "Required for an override: the legal duty or danger that allows sharing without consent."
        ),
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, user, case: Case, **kwargs):
        kwargs.setdefault("auto_id", "id_refer_%s")
        super().__init__(*args, **kwargs)
        self.user = user
        self.case = case
        acting = Bureau.objects.filter(pk__in=policy.acting_bureaus(user)).order_by("code")
        self.fields["from_bureau"].queryset = acting
        self.fields["to_bureau"].queryset = Bureau.objects.order_by("code")
        if case.lead_bureau_id in policy.acting_bureaus(user):
            self.fields["from_bureau"].initial = case.lead_bureau_id
        elif acting:
            self.fields["from_bureau"].initial = acting[0].pk
        self.fields["kind"].initial = ReferralKind.REFERRAL
        if not policy.can_edit_case(user, case):
            # Handing over the lead is for those who work the case.
            self.fields["kind"].choices = [
                (k, label) for k, label in ReferralKind.choices if k == ReferralKind.REFERRAL
            ]
        # Nobody refers a youth to themselves (rule 11), so the list leaves the user out.
        self.recipients = {
            u.pk: u
            for u in policy.referral_recipients(user)
            .exclude(pk=user.pk)
            .prefetch_related("memberships__bureau")
        }
        self.fields["to_user"].choices = [
            ("", _("Any case worker of the bureau"))
        ] + self._grouped_recipients()

    def _grouped_recipients(self) -> list:
        groups: dict[str, list] = {}
        for u in sorted(self.recipients.values(), key=lambda u: u.get_username()):
            for m in u.memberships.all():
                if m.active:
                    groups.setdefault(str(m.bureau), []).append((u.pk, person_label(u)))
        return [
            (bureau, sorted(set(people), key=lambda c: c[1])) for bureau, people in sorted(groups.items())
        ]

    def clean_to_user(self):
        pk = self.cleaned_data.get("to_user")
        if pk is None:
            return None
        if pk not in self.recipients:
            raise forms.ValidationError(_("Choose a worker from the list."))
        return self.recipients[pk]

    def clean(self):
        data = super().clean()
        if data.get("kind") == ReferralKind.TRANSFER and data.get("from_bureau") != self.case.lead_bureau:
            self.add_error("from_bureau", _("A transfer hands over the lead, so the lead bureau sends it."))
        return data


class ReferralAnswerForm(forms.Form):
    """Accept or decline a referral; declining needs a reason (the service says so)."""

    decision = forms.ChoiceField(choices=[("accept", _("Accept")), ("decline", _("Decline"))])
    note = forms.CharField(required=False)
    next = forms.CharField(required=False)


class ReferralNoteForm(forms.Form):
    """Complete or revoke a referral, with a note."""

    note = forms.CharField(required=False)
    next = forms.CharField(required=False)


# ---------------------------------------------------------------------------------------------------------
# The structured assessment and plan (services in ``casework.cases.plan``)
# ---------------------------------------------------------------------------------------------------------


class NeedForm(forms.Form):
    """Add an area of need to the assessment, or rewrite what was found there."""

    area = forms.ChoiceField(label=_("Area of need"), choices=NeedArea.choices)
    finding = forms.CharField(
        label=_("What was found"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "id_need_%s")
        super().__init__(*args, **kwargs)


class GoalForm(forms.Form):
    """A goal, for one area of need or for the case as a whole."""

    area = forms.ChoiceField(
        label=_("Area of need"),
        choices=[("", _("The case as a whole"))] + list(NeedArea.choices),
        required=False,
    )
    text = forms.CharField(label=_("Goal"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, prefix_id: str = "goal", **kwargs):
        kwargs.setdefault("auto_id", f"id_{prefix_id}_%s")
        super().__init__(*args, **kwargs)


class GoalChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.text[:80]


def _planned_service_owners(case: Case) -> list[User]:
    """``policy.planned_service_owners``, asked once per case however many of its steps have a form."""
    cached = getattr(case, "_planned_service_owners", None)
    if cached is None:
        cached = case._planned_service_owners = policy.planned_service_owners(case)
    return cached


class PlannedServiceForm(forms.Form):
    """A planned service or step: what, for which goal, who provides it, by when, and how it went."""

    description = forms.CharField(label=_("Service or step"), max_length=300)
    goal = GoalChoiceField(
        label=_("For the goal"),
        queryset=CaseGoal.objects.none(),
        required=False,
        empty_label=_("No goal in particular"),
    )
    owner_bureau = forms.ModelChoiceField(
        label=_("Owner bureau"), queryset=Bureau.objects.none(), required=False, empty_label=_("No bureau")
    )
    owner_user = PersonChoiceField(
        label=_("Owner (person)"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("Nobody by name"),
        help_text=_(
            "Name a person, a bureau, or both. Only people who may already read this case are listed: naming "
            "someone gives them a task, never access."
        ),
    )
    due_on = forms.DateField(label=_("Due"), widget=DateInput)
    status = forms.ChoiceField(label=_("Status"), choices=PlannedServiceStatus.choices, initial="planned")
    not_done_reason = forms.CharField(
        label=_("Why it was not done"),
        required=False,
        help_text=_("Needed when the step was not done."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, case: Case, service: PlannedService | None = None, **kwargs):
        kwargs.setdefault("auto_id", f"id_service_{service.pk}_%s" if service else "id_service_%s")
        if service is not None and not args and "initial" not in kwargs:
            kwargs["initial"] = {
                "description": service.description,
                "goal": service.goal_id,
                "owner_bureau": service.owner_bureau_id,
                "owner_user": service.owner_user_id,
                "due_on": service.due_on,
                "status": service.status,
                "not_done_reason": service.not_done_reason,
            }
        super().__init__(*args, **kwargs)
        self.service = service
        self.fields["goal"].queryset = CaseGoal.objects.filter(case=case)
        self.fields["owner_bureau"].queryset = Bureau.objects.order_by("code")
        # Only people who may already read the case are offered (a step keeps the owner it has, so the form
        # shows it; the service refuses it for a step still open if they have since lost access).
        owners = _planned_service_owners(case)
        kept = {service.owner_user_id} - {None} if service is not None else set()
        owner = self.fields["owner_user"]
        owner.queryset = User.objects.filter(pk__in=[u.pk for u in owners] + list(kept)).order_by("username")
        owner.error_messages["invalid_choice"] = OWNER_MAY_NOT_READ
        # A step still open whose owner may no longer read the case is no one's task but its carrier's: the
        # page says so beside the form.
        self.owner_cannot_read = (
            bool(kept) and service.status in OPEN_STEP_STATUSES and not any(u.pk in kept for u in owners)
        )
        if service is None:
            # A new step starts as planned; how it went is recorded on the step afterwards.
            del self.fields["status"]
            del self.fields["not_done_reason"]
            self.initial.setdefault("owner_bureau", case.lead_bureau_id)


class PlanReviewForm(forms.Form):
    """A review of the plan: the day and what it concluded."""

    reviewed_on = forms.DateField(label=_("Reviewed on"), widget=DateInput)
    note = forms.CharField(
        label=_("What the review concluded"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "id_review_%s")
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        if not self.is_bound:
            self.initial.setdefault("reviewed_on", today)
        self.fields["reviewed_on"].widget.attrs["max"] = today.isoformat()
