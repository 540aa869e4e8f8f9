"""Forms for contesting a timeline event and for a data steward's decision on it."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from casework.models import EVENT_SOURCE, EventKind
from integrations.corrections import details
from integrations.models import ContestedBy, ContestedPart


class ContestForm(forms.Form):
    contested_by = forms.ChoiceField(label=_("Who contests the record"), choices=ContestedBy.choices)
    part = forms.ChoiceField(label=_("What they say is wrong"), choices=ContestedPart.choices)
    statement = forms.CharField(
        label=_("Their statement"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=4000,
        help_text=_("In their words: what is wrong and what is right. Write only what the decision needs."),
    )


class CorrectForm(forms.Form):
    """The event's correctable fields, pre-filled with what it says now: its day, kind, code, and one field per
    detail the feeds give (``integrations.corrections.details``), never the details as JSON."""

    event_date = forms.DateField(
        label=_("Event date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    kind = forms.ChoiceField(label=_("Kind"))
    code = forms.CharField(
        label=_("Code"),
        required=False,
        max_length=64,
        help_text=_("The bureau's code, as in its file (e.g. theft, or neglect;unattended)."),
    )
    withdraw = forms.BooleanField(
        label=_("Withdraw it from the timeline (not about this youth, or it did not happen)"), required=False
    )
    note = forms.CharField(label=_("Why it is corrected"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, event, **kwargs):
        self.stored_details = dict(event.details or {})
        self.detail_keys = details.keys_for(event.kind, self.stored_details)
        kwargs.setdefault(
            "initial",
            {
                "event_date": event.event_date,
                "kind": event.kind,
                "code": event.code,
                **{
                    details.PREFIX + key: details.initial(key, self.stored_details.get(key))
                    for key in self.detail_keys
                },
            },
        )
        super().__init__(*args, **kwargs)
        # A correction keeps the record with its source bureau (who may read it depends on the source).
        self.fields["kind"].choices = [
            (k, label) for k, label in EventKind.choices if EVENT_SOURCE[k] == event.source
        ]
        for key in self.detail_keys:
            self.fields[details.PREFIX + key] = details.form_field(key)
        self.order_fields(["event_date", "kind", "code", *(details.PREFIX + k for k in self.detail_keys)])

    def clean(self):
        data = super().clean()
        kept = dict(self.stored_details)
        for key in self.detail_keys:
            name = details.PREFIX + key
            if name in data:
                value = details.stored(key, data[name], self.stored_details.get(key))
                if value is None and key not in self.stored_details:
                    continue  # a detail the bureau never gave stays absent unless it is filled in
                kept[key] = value
        data["details"] = kept
        return data


class AnnotateForm(forms.Form):
    note = forms.CharField(
        label=_("Note shown beside the record"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The record stays as it is; everyone who sees it sees this note too."),
    )


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Why the record is right"), widget=forms.Textarea(attrs={"rows": 3}))
