"""Forms for opening a record by stating a purpose (access-policy rule 17) and for reviewing such accesses."""

from __future__ import annotations

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from casework.access import policy
from casework.identifiers import NATIONAL_ID, YOUTH_ID, normalise_identifier
from casework.models import (
    PURPOSE_MIN_CHARS,
    AccessGrant,
    AccessPurpose,
    AccessReviewOutcome,
    Bureau,
    validate_purpose_text,
)

# Youth IDs and national IDs never share a length, so a typed ID is one or the other (see identifiers).


class IdentifierForm(forms.Form):
    """The exact ID of the record wanted. Only exact, well-formed IDs: a name or part of an ID cannot be used
    to look around the city's records."""

    identifier = forms.CharField(
        label=_("Exact youth ID or national ID"),
        max_length=16,
        help_text=_("For example Y7K2M9QH4TX or H123456789."),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}
        ),
    )

    def clean_identifier(self) -> str:
        value = normalise_identifier(self.cleaned_data["identifier"])
        if not (YOUTH_ID.fullmatch(value) or NATIONAL_ID.fullmatch(value)):
            raise forms.ValidationError(
                _(
                    "Type a whole youth ID (Y and 10 letters or digits) or a whole national ID (one letter and "
                    "9 digits)."
                ),
                code="malformed",
            )
        return value

    def lookup(self) -> dict[str, str]:
        """Keyword arguments for ``policy.youth_by_exact_identifier``."""
        value = self.cleaned_data["identifier"]
        return {"public_id": value} if YOUTH_ID.fullmatch(value) else {"national_id": value}


class PurposeForm(forms.Form):
    """Why the worker needs a record they have no reason on record to see."""

    purpose_code = forms.ChoiceField(
        label=_("Purpose"),
        choices=[("", "---------"), *AccessPurpose.choices],
    )
    purpose_text = forms.CharField(
        label=_("Why you need this record now"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        validators=[validate_purpose_text],
        help_text=_(
            "A sentence your supervisor can check later, e.g. the report, request or case that brought you here "
            "(at least %(n)s characters)."
        )
        % {"n": PURPOSE_MIN_CHARS},
    )
    bureau = forms.ModelChoiceField(
        label=_("Acting for"), queryset=Bureau.objects.none(), required=False, empty_label=None
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.bureaus = Bureau.objects.filter(pk__in=policy.acting_bureaus(user)).order_by("code")
        self.fields["bureau"].queryset = self.bureaus
        if len(self.bureaus) < 2:
            # One bureau: nothing to choose (it is the one whose supervisors review the access).
            del self.fields["bureau"]

    def clean_purpose_text(self) -> str:
        return self.cleaned_data["purpose_text"].strip()

    def chosen_bureau(self) -> Bureau:
        return self.cleaned_data.get("bureau") or self.bureaus.first()


class ReviewForm(forms.Form):
    """A reviewer's verdict on one access by stated purpose."""

    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=AccessReviewOutcome.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("Review note"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=2000,
        help_text=_("Required unless the access was justified: what was wrong, or what must follow."),
    )

    def clean(self):
        data = super().clean()
        if (
            data.get("outcome") not in (None, AccessReviewOutcome.JUSTIFIED)
            and not data.get("note", "").strip()
        ):
            self.add_error("note", _("Say why the access was not justified, or what must follow."))
        return data


class AccessGrantFilter(django_filters.FilterSet):
    """Filters of the review list; they narrow ``policy.visible_access_grants`` only."""

    state = django_filters.ChoiceFilter(
        label=_("Review"),
        method="by_state",
        choices=[
            ("awaiting", _("Awaiting review")),
            ("unreviewed", _("Unreviewed")),
            ("reviewed", _("Reviewed")),
        ],
        empty_label=_("All"),
    )
    outcome = django_filters.ChoiceFilter(
        field_name="review_outcome", choices=AccessReviewOutcome.choices, label=_("Outcome")
    )
    user = django_filters.CharFilter(field_name="user__username", lookup_expr="iexact", label=_("User"))
    purpose = django_filters.ChoiceFilter(
        field_name="purpose_code", choices=AccessPurpose.choices, label=_("Purpose")
    )
    since = django_filters.DateFilter(
        field_name="granted_at",
        lookup_expr="date__gte",
        label=_("Opened from"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = django_filters.DateFilter(
        field_name="granted_at",
        lookup_expr="date__lte",
        label=_("Opened until"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = AccessGrant
        fields = ["state", "outcome", "user", "purpose", "since", "until"]

    def by_state(self, queryset, name, value):
        if value == "awaiting":
            return queryset.filter(review_outcome__in=["", AccessReviewOutcome.FOLLOW_UP])
        if value == "unreviewed":
            return queryset.filter(review_outcome="")
        if value == "reviewed":
            return queryset.exclude(review_outcome="")
        return queryset
