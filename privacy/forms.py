"""Forms of the subject-access pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .subject_access import LegalBasis


class RequestForm(forms.Form):
    """The lawful request a copy is made for: its reference and legal basis (both required)."""

    reference = forms.CharField(
        label=_("Request reference"),
        max_length=64,
        help_text=_("The reference number of the written request (公文文號 or case number)."),
    )
    basis = forms.ChoiceField(label=_("Legal basis"), choices=LegalBasis.choices)
    basis_note = forms.CharField(
        label=_("Statutory basis, if another"),
        max_length=200,
        required=False,
        help_text=_("Required when the basis is another statute: name it (law and article)."),
    )

    def clean(self):
        data = super().clean()
        if data.get("basis") == LegalBasis.OTHER and not (data.get("basis_note") or "").strip():
            self.add_error("basis_note", _("Name the statute and article this request rests on."))
        return data

    def query(self) -> dict[str, str]:
        data = self.cleaned_data
        query = {"reference": data["reference"].strip(), "basis": data["basis"]}
        if data.get("basis_note"):
            query["basis_note"] = data["basis_note"].strip()
        return query


class LookupForm(RequestForm):
    """Which youth the request is about: an exact youth ID or national ID (sent by POST, so a national ID
    never appears in a URL or a server log)."""

    identifier = forms.CharField(
        label=_("Youth ID or national ID"),
        max_length=16,
        help_text=_("Exact match only: a partial ID finds nothing."),
    )

    field_order = ["identifier", "reference", "basis", "basis_note"]
