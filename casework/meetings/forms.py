"""Forms of the liaison-meeting pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from casework.access import policy
from casework.identifiers import YOUTH_ID, normalise_identifier
from casework.models import Bureau, BureauKind, EventSource, Meeting, User


def _person(user: User) -> str:
    name = user.get_full_name()
    return f"{name} ({user.get_username()})" if name else user.get_username()


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return _person(obj)


class PeopleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return _person(obj)


class BureauChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.display_name


def meeting_runners():
    committee = Bureau.objects.filter(kind=BureauKind.COMMITTEE)
    return (
        User.objects.filter(
            is_active=True,
            memberships__active=True,
            memberships__bureau__in=committee,
            memberships__role__in=["supervisor", "secretariat"],
        )
        .distinct()
        .order_by("username")
    )


class MeetingForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200, initial=_("Liaison meeting"))
    starts_at = forms.DateTimeField(
        label=_("Date and time"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    chair = PersonChoiceField(label=_("Chair"), queryset=User.objects.none())
    invited_bureaus = BureauChoiceField(
        label=_("Bureaus invited"),
        queryset=Bureau.objects.order_by("code"),
        widget=forms.CheckboxSelectMultiple,
    )
    invitees = PeopleChoiceField(
        label=_("Workers invited by name"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Supervisors of the invited bureaus read their bureau's pack without being named."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["chair"].queryset = meeting_runners()
        self.fields["invitees"].queryset = policy.meeting_participants(
            Bureau.objects.values_list("pk", flat=True)
        )


class AddItemForm(forms.Form):
    youth_id = forms.CharField(label=_("Youth ID (optional)"), max_length=16, required=False)
    summary = forms.CharField(label=_("Item"), max_length=300)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean_youth_id(self):
        value = normalise_identifier(self.cleaned_data.get("youth_id") or "")
        if not value:
            return None
        youth = None
        if YOUTH_ID.fullmatch(value):
            youth = policy.agenda_youth_candidates().filter(public_id=value).first()
        if youth is None:
            raise forms.ValidationError(
                _(
                    "No youth known to the committee has this youth ID (a case, referral or alert of the committee)."
                ),
                code="unknown",
            )
        return youth


class ItemNoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ShareForm(forms.Form):
    bureau = forms.ModelChoiceField(label=_("Share with"), queryset=Bureau.objects.none())
    sources = forms.MultipleChoiceField(
        label=_("Records shared in full"),
        choices=EventSource.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    case_content = forms.BooleanField(label=_("Case content (summary, assessment, plan)"), required=False)
    reason = forms.CharField(
        label=_("Why this bureau needs it for the meeting"), widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, meeting: Meeting, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["bureau"].queryset = meeting.invited_bureaus.exclude(kind=BureauKind.COMMITTEE).order_by(
            "code"
        )
        self.fields["bureau"].label_from_instance = lambda b: b.display_name


class DecisionForm(forms.Form):
    decision = forms.CharField(label=_("Decision"), widget=forms.Textarea(attrs={"rows": 2}))
    action = forms.CharField(label=_("Action item (optional)"), required=False, max_length=1000)
    owner = forms.ChoiceField(label=_("Owner"), required=False)
    due_on = forms.DateField(label=_("Due"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, meeting: Meeting, **kwargs):
        super().__init__(*args, **kwargs)
        bureau_ids = set(meeting.invited_bureaus.values_list("pk", flat=True))
        bureau_ids |= set(Bureau.objects.filter(kind=BureauKind.COMMITTEE).values_list("pk", flat=True))
        choices = [("", "---------")]
        choices += [
            (f"bureau:{b.pk}", b.display_name)
            for b in Bureau.objects.filter(pk__in=bureau_ids).order_by("code")
        ]
        choices += [(f"user:{u.pk}", _person(u)) for u in policy.meeting_participants(bureau_ids)]
        self.fields["owner"].choices = choices

    def clean(self):
        data = super().clean()
        if data.get("action", "").strip():
            if not data.get("owner"):
                self.add_error("owner", _("Name who owns the action."))
            if not data.get("due_on"):
                self.add_error("due_on", _("Give the action a due date."))
        return data

    def owner_kwargs(self) -> dict:
        kind, _sep, pk = (self.cleaned_data.get("owner") or "").partition(":")
        if kind == "bureau":
            return {"owner_bureau": Bureau.objects.get(pk=pk)}
        if kind == "user":
            return {"owner_user": User.objects.get(pk=pk)}
        return {}


class AttendanceForm(forms.Form):
    attendees = PeopleChoiceField(
        label=_("Attended"), queryset=User.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    other_attendees = forms.CharField(
        label=_("Other attendees"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, meeting: Meeting, **kwargs):
        super().__init__(*args, **kwargs)
        bureau_ids = set(meeting.invited_bureaus.values_list("pk", flat=True))
        people = policy.meeting_participants(bureau_ids) | meeting_runners()
        self.fields["attendees"].queryset = people.distinct().order_by("username")


class CloseForm(forms.Form):
    notes = forms.CharField(
        label=_("Closing notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class DoneForm(forms.Form):
    note = forms.CharField(label=_("What was done"), required=False, max_length=2000)
