"""Forms for contesting a timeline event and for a data steward's decision on it."""

from __future__ import annotations

import json

from django import forms
from django.utils.translation import gettext_lazy as _

from casework.models import EVENT_SOURCE, EventKind
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
    """The event's correctable fields, pre-filled with what it says now."""

    event_date = forms.DateField(
        label=_("Event date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    kind = forms.ChoiceField(label=_("Kind"))
    code = forms.CharField(label=_("Code"), required=False, max_length=64)
    details = forms.CharField(
        label=_("Details (JSON)"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    withdraw = forms.BooleanField(
        label=_("Withdraw it from the timeline (not about this youth, or it did not happen)"), required=False
    )
    note = forms.CharField(label=_("Why it is corrected"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, event, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "event_date": event.event_date,
                "kind": event.kind,
                "code": event.code,
                "details": json.dumps(event.details, ensure_ascii=False, sort_keys=True),
            },
        )
        super().__init__(*args, **kwargs)
        # A correction keeps the record with its source bureau (who may read it depends on the source).
        self.fields["kind"].choices = [
            (k, label) for k, label in EventKind.choices if EVENT_SOURCE[k] == event.source
        ]

    def clean_details(self) -> dict:
        text = (self.cleaned_data.get("details") or "").strip()
        if not text:
            return {}
        try:
            value = json.loads(text)
        except ValueError as exc:
            raise forms.ValidationError(_("Details must be JSON: %(error)s") % {"error": exc}) from exc
        if not isinstance(value, dict):
            raise forms.ValidationError(_('Details must be a JSON object, e.g. {"unit": "A"}.'))
        return value


class AnnotateForm(forms.Form):
    note = forms.CharField(
        label=_("Note shown beside the record"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The record stays as it is; everyone who sees it sees this note too."),
    )


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Why the record is right"), widget=forms.Textarea(attrs={"rows": 3}))
