"""The annual work report page (年度工作報告): the figures of ``casework.reports.annual`` as tables and bars.

Supervisors only, each for the bureaus they supervise (``report_scope``: another bureau answers 404); the page
is logged as a list. The period is the last full calendar year unless the form names one.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext as _

import charts
from casework.reports import annual, suppression
from casework.reports import selectors as report_selectors
from casework.reports.forms import ReportForm
from casework.reports.views import _log, percent, report_scope, shown_row


def annual_scope(request) -> dict[str, Any]:
    """``report_scope`` with the annual report's default period: the last full calendar year, unless the
    query names a first or last day."""
    scope = report_scope(request, with_period=True)
    if not (request.GET.get("date_from") or request.GET.get("date_to")):
        period = annual.last_full_year(scope["today"])
        scope["period"] = period
        scope["form"] = ReportForm(
            bureaus=scope["bureaus"],
            with_period=True,
            initial={"bureau": scope["bureau"].code, "date_from": period.start, "date_to": period.end},
        )
    return scope


def count_text(n: int | None) -> str:
    """A published count as the page shows it; a withheld one as a dash."""
    return "—" if n is None else str(n)


def count_bars(rows: list[dict[str, Any]], column: str, *, id: str, title_text: str, css: str):
    """A bar per row (totals left out) of a published count; a withheld count has no bar."""
    return charts.hbar_chart(
        [
            charts.bar(
                r["label"],
                r[column],
                text=count_text(r[column]),
                css=css,
                title=f"{r['label']}: {count_text(r[column])}",
            )
            for r in rows
            if not r["total"]
        ],
        id=id,
        title_text=title_text,
        tick_format=charts.count_format,
        whole=True,
    )


def annual_context(user, scope: dict[str, Any]) -> dict[str, Any]:
    report = annual.annual_report(user, bureau=scope["bureau"], period=scope["period"])
    for row in report["alerts"]:
        row["share_text"] = percent(row["on_time_share"])
        row["cells_shown"] = [row[c] for c in annual.ALERT_COLUMNS]
    for row in [*report["referrals_sent"], *report["referrals_received"]]:
        row["cells_shown"] = [row["n"], *(row[c] for c in annual.OUTCOMES)]
    exposure = report["exposure"]
    exposure["share_text"] = percent(exposure["on_time_share"])
    return {
        "report": report,
        "exposure_cells": [exposure[c] for c in annual.EXPOSURE_COLUMNS],
        "override_rows": [shown_row(r) for r in report["overrides"]["by_reason"]],
        "override_share_text": percent(report["overrides"]["total"]["rate"]),
        "opened_chart": count_bars(
            report["opened"],
            "n",
            id="opened-chart",
            title_text=_("Cases opened, by concern"),
            css="seg-intervention",
        ),
        "closed_chart": count_bars(
            report["closed"],
            "n",
            id="closed-chart",
            title_text=_("Cases closed, by reason"),
            css="seg-intervention",
        ),
        "interventions_chart": count_bars(
            report["interventions"],
            "n",
            id="interventions-chart",
            title_text=_("Interventions, by kind"),
            css="seg-intervention",
        ),
        "alerts_chart": charts.hbar_chart(
            [
                charts.bar(
                    r["label"],
                    r["on_time_share"],
                    text=r["share_text"],
                    css="bar-on-time",
                    title=f"{r['label']}: {r['share_text']}",
                )
                for r in report["alerts"]
                if not r["total"]
            ],
            id="alerts-chart",
            title_text=_("Share of alerts decided on time, per rule"),
            tick_format=charts.percent_format,
            maximum=1.0,
        ),
        "rounding_base": suppression.ROUNDING_BASE,
        "rate_min_base": suppression.RATE_MIN_BASE,
        "referral_days": report_selectors.REFERRAL_DECISION_DAYS,
    }


@login_required
def report_annual(request):
    """The annual work report for one supervised bureau and a period (the last full year by default)."""
    scope = annual_scope(request)
    context = annual_context(request.user, scope)
    _log(request, "report_annual", count=1, scope=scope)
    return render(request, "casework/reports/report_annual.html", {**scope, **context})
