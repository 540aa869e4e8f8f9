"""Filters for lists in pages and the API (django-filter). They narrow policy-scoped querysets only."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from casework.identifiers import NATIONAL_ID, looks_like_national_id, normalise_identifier
from casework.models import (
    Alert,
    AlertStatus,
    AuditAction,
    AuditEntry,
    Bureau,
    Case,
    CaseStatus,
    Intervention,
    Referral,
    ReferralStatus,
    Youth,
)


class DateInput(forms.DateInput):
    input_type = "date"


# The browser refuses to send a national ID in the GET search box (the server refuses it too, see YouthFilter),
# nor one with more digits after it (a sequence number or a slip still carries the whole ID).
# Full-width letters and digits too (an IME types them), and anything between the characters that is neither
# a letter, a digit nor a Chinese character (spaces, punctuation, invisible zero-width characters): the server
# folds them the same way (``identifiers.normalise_identifier``). Written without ``\p{…}`` so that Python's
# ``re`` reads it as the browser does.
_NOT_ALNUM = "[^A-Za-z0-9Ａ-Ｚａ-ｚ０-９\u3400-\u9fff\uf900-\ufaff]"
NOT_A_NATIONAL_ID = f"(?!{_NOT_ALNUM}*[A-Za-zＡ-Ｚａ-ｚ](?:{_NOT_ALNUM}*[0-9０-９]){{9,}}{_NOT_ALNUM}*$).*"


class YouthFilter(django_filters.FilterSet):
    """Search by name or youth ID in the query string. A national ID is never searched from a URL (it would sit
    in browser history and server logs): it goes by POST through :class:`NationalIdSearchForm`, and a GET that
    carries one matches nothing (``national_id_refused`` tells the page to say so)."""

    q = django_filters.CharFilter(
        method="search",
        label=_("Name or youth ID"),
        widget=forms.TextInput(
            attrs={
                "pattern": NOT_A_NATIONAL_ID,
                "title": _("Search a national ID with the national ID form: it is not sent in the address."),
            }
        ),
    )
    district = django_filters.CharFilter(label=_("District"))

    class Meta:
        model = Youth
        fields = ["q", "district"]

    national_id_refused = False

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        if looks_like_national_id(value):
            self.national_id_refused = True
            return queryset.none()
        return queryset.filter(
            Q(name__icontains=value) | Q(name_romanized__icontains=value) | Q(public_id__iexact=value)
        )


class NationalIdSearchForm(forms.Form):
    """One exact national ID, sent by POST. Exact only: a partial ID cannot enumerate people (rule 8)."""

    national_id = forms.CharField(
        label=_("Exact national ID"),
        max_length=16,
        help_text=_("One letter and 9 digits. Sent with the form, never in the address."),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}
        ),
    )

    def clean_national_id(self) -> str:
        value = normalise_identifier(self.cleaned_data["national_id"])
        if not NATIONAL_ID.fullmatch(value):
            raise forms.ValidationError(
                _("Type a whole national ID: one letter and 9 digits."), code="malformed"
            )
        return value


def with_national_id(queryset, national_id: str):
    """The rows of an already scoped queryset whose national ID is exactly this one."""
    return queryset.filter(national_id__iexact=normalise_identifier(national_id))


def bureau_choices() -> list[tuple[str, str]]:
    """The city's bureaus by code, named in the page's language (read when the form is built)."""
    from django.utils.translation import get_language

    english = (get_language() or "").startswith("en")
    return [(b.code, b.name_en if english else b.name_zh) for b in Bureau.objects.order_by("pk")]


def alert_reason_choices() -> list[tuple[str, str]]:
    """Every alert rule by key, named in the page's language, and any other reason an alert carries."""
    from casework.models import AlertRule

    named = {r.key: r.display_name for r in AlertRule.objects.filter(is_current=True).order_by("key")}
    others = Alert.objects.exclude(reason__in=list(named)).values_list("reason", flat=True).distinct()
    return [*named.items(), *((reason, reason) for reason in sorted(others))]


class CaseFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=CaseStatus.choices, label=_("Status"), empty_label=_("All"))
    lead_bureau = django_filters.ChoiceFilter(
        field_name="lead_bureau__code", choices=bureau_choices, label=_("Lead bureau"), empty_label=_("All")
    )
    youth = django_filters.CharFilter(field_name="youth__public_id", label=_("Youth ID"))
    mine = django_filters.BooleanFilter(
        method="only_mine", label=_("Assigned to me"), widget=forms.CheckboxInput
    )

    class Meta:
        model = Case
        fields = ["status", "lead_bureau", "youth", "mine"]

    def only_mine(self, queryset, name, value):
        if value:
            return queryset.filter(assignee=self.request.user)
        return queryset


class InterventionFilter(django_filters.FilterSet):
    # A number, not a choice of cases: a choice field would list (and validate against) every case in the city.
    case = django_filters.NumberFilter(field_name="case_id", label=_("Case"))
    kind = django_filters.CharFilter(label=_("Kind"))

    class Meta:
        model = Intervention
        fields = ["case", "kind"]


class AlertFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=AlertStatus.choices, label=_("Status"), empty_label=_("All"))
    reason = django_filters.ChoiceFilter(
        choices=alert_reason_choices, label=_("Reason"), empty_label=_("All")
    )
    routed_to = django_filters.ChoiceFilter(
        field_name="routed_to__code", choices=bureau_choices, label=_("Routed to"), empty_label=_("All")
    )

    class Meta:
        model = Alert
        fields = ["status", "reason", "routed_to"]


class ReferralFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=ReferralStatus.choices, label=_("Status"), empty_label=_("All")
    )
    to_bureau = django_filters.ChoiceFilter(
        field_name="to_bureau__code", choices=bureau_choices, label=_("To bureau"), empty_label=_("All")
    )
    from_bureau = django_filters.ChoiceFilter(
        field_name="from_bureau__code", choices=bureau_choices, label=_("From bureau"), empty_label=_("All")
    )

    class Meta:
        model = Referral
        fields = ["status", "to_bureau", "from_bureau"]


class AuditEntryFilter(django_filters.FilterSet):
    username = django_filters.CharFilter(label=_("User"))
    action = django_filters.ChoiceFilter(choices=AuditAction.choices, label=_("Action"))
    object_type = django_filters.CharFilter(label=_("Object type"))
    youth = django_filters.CharFilter(field_name="youth_public_id", label=_("Youth ID"))
    since = django_filters.DateFilter(
        field_name="at", lookup_expr="date__gte", label=_("From date"), widget=DateInput
    )
    until = django_filters.DateFilter(
        field_name="at", lookup_expr="date__lte", label=_("To date"), widget=DateInput
    )
    purpose = django_filters.CharFilter(method="purpose_contains", label=_("Purpose contains"))

    class Meta:
        model = AuditEntry
        fields = ["username", "action", "object_type", "youth", "since", "until", "purpose"]

    def purpose_contains(self, queryset, name, value):
        """Lines whose purpose holds ``value``, never one whose purpose is withheld as shown (about a youth
        sealing left an empty shell): a search would read the hidden text back (insider review 16, N8)."""
        if not value:
            return queryset
        found = queryset.filter(purpose__icontains=value)
        if "about_sealed_shell" in queryset.query.annotations:
            found = found.exclude(about_sealed_shell=True)
        return found
