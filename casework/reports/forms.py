"""The supervisor reports' bureau and period form."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casework.models import Bureau

# ---------------------------------------------------------------------------------------------------------
# The bureau and period form
# ---------------------------------------------------------------------------------------------------------


class DateInput(forms.DateInput):
    """A browser date picker, which wants ISO dates whatever the language."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


EARLIEST, LATEST = dt.date(1912, 1, 1), dt.date(2100, 12, 31)


def check_period(*days: dt.date | None) -> None:
    """A day far off (0001-01-01, 9999-12-31) overflowed the reports' date arithmetic: 500 (insider review 16,
    N4). The records start after 1911 (the ROC calendar) and no report looks past 2100."""
    if any(day and not (EARLIEST <= day <= LATEST) for day in days):
        raise forms.ValidationError(_("The period must lie between 1912 and 2100."))


class ReportForm(forms.Form):
    """Which of the user's bureaus to report on and, for reports over time, which Taipei dates."""

    bureau = forms.ChoiceField(label=gettext_lazy("Bureau"), required=False)
    date_from = forms.DateField(label=gettext_lazy("First day"), required=False, widget=DateInput)
    date_to = forms.DateField(label=gettext_lazy("Last day (included)"), required=False, widget=DateInput)

    def __init__(self, data=None, *, bureaus: list[Bureau], with_period: bool, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["bureau"].choices = [(b.code, b.display_name) for b in bureaus]
        if not with_period:
            del self.fields["date_from"]
            del self.fields["date_to"]

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        check_period(start, end)
        if start and end and start > end:
            raise forms.ValidationError(_("The period must start on or before the day it ends."))
        return data
