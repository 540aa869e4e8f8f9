"""The outreach evaluation page: for the committee's and the bureaus' supervisors, never for workers.

It shows aggregates only (no youth is named, scored or ranked), computed from the records as described in
``docs/evaluation.md``; reading it is logged like every report.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casework.access import policy
from casework.access.audit import Actor, record_list
from casework.access.pages import require
from casework.clock import taipei_today
from casework.reports.forms import DateInput, check_period
from charts.intervals import Interval, interval_chart
from riskmodel.readings import indicator_name

from . import estimator, report

DEFAULT_YEARS = 3


class PeriodForm(forms.Form):
    date_from = forms.DateField(label=gettext_lazy("Reached from"), required=False, widget=DateInput)
    date_to = forms.DateField(
        label=gettext_lazy("Reached until (included)"), required=False, widget=DateInput
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        check_period(start, end)
        if start and end and start > end:
            raise forms.ValidationError(_("The period must start on or before the day it ends."))
        return data


def _period(request, today: dt.date) -> tuple[dt.date, dt.date, PeriodForm]:
    end = today
    start = end.replace(year=end.year - DEFAULT_YEARS, day=1)
    form = PeriodForm(request.GET)
    if form.is_valid():
        end = form.cleaned_data.get("date_to") or end
        start = form.cleaned_data.get("date_from") or end.replace(year=end.year - DEFAULT_YEARS, day=1)
        form = PeriodForm(initial={"date_from": start, "date_to": end})
    return start, end, form


def _tick(value: float) -> str:
    return "0" if abs(value) < 1e-12 else f"{100 * value:+.0f}"


def _chart(rows: list[report.Row], *, id: str, title_text: str, naive: bool = False):
    items: list[Interval] = []
    for row in rows:
        est = row.estimate
        label = (
            row.label
            if len(rows) > 2 or row.key != "all"
            else _("%(months)d months after") % {"months": row.window}
        )
        items.append(
            Interval(
                label=label,
                estimate=est.effect,
                low=est.low,
                high=est.high,
                text=(
                    f"{report.points(est.effect)} [{report.points(est.low)}, {report.points(est.high)}]"
                    if est.effect is not None
                    else _("too few to tell")
                ),
                css="series-matched",
            )
        )
        if naive and est.naive_effect is not None:
            items.append(
                Interval(
                    label=_("%(months)d months, unmatched") % {"months": row.window},
                    estimate=est.naive_effect,
                    low=est.naive_low,
                    high=est.naive_high,
                    text=f"{report.points(est.naive_effect)} [{report.points(est.naive_low)}, "
                    f"{report.points(est.naive_high)}]",
                    css="series-naive",
                )
            )
    return interval_chart(items, id=id, title_text=title_text, tick_format=_tick)


@login_required
def evaluation(request):
    require(policy.can_read_supervisor_reports(request.user))
    today = taipei_today()
    start, end, form = _period(request, today)
    result = report.evaluate(start, end, today=today)
    record_list(
        Actor.from_request(request),
        "outreach_evaluation",
        count=sum(r.reached_shown for r in result.overall[:1]),
        query={"period": [start.isoformat(), end.isoformat()]},
    )
    balance_rows = sorted(
        (
            {
                "label": _("Score at the time") if b.covariate == "score" else indicator_name(b.covariate),
                "before": b.before,
                "after": b.after,
                "unlike": abs(b.after) >= report.BALANCED_SMD,
            }
            for b in result.balance
        ),
        key=lambda r: -abs(r["before"]),
    )[:12]
    context = {
        "form": form,
        "balance_rows": balance_rows,
        "result": result,
        "start": start,
        "end": end,
        "overall_chart": _chart(
            result.overall,
            id="overall-chart",
            title_text=_("Difference in the share with an adverse outcome, reached minus comparable youth"),
            naive=True,
        ),
        "breakdown_chart": _chart(
            result.breakdown,
            id="breakdown-chart",
            title_text=_("Difference in the share with an adverse outcome in 6 months, by bureau and kind"),
        ),
        "min_treated": estimator.MIN_TREATED,
        "neighbours": estimator.NEIGHBOURS,
        "caliper": estimator.CALIPER_SD,
        "balance_limit": report.BALANCED_SMD,
    }
    return render(request, "riskmodel/evaluation/evaluation.html", context)
