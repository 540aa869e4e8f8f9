"""Supervisor reports: caseload and deadlines, alert deadlines, overrides of the model.

Thin pages over the selectors in ``casework.reports.selectors``. Only supervisors read them, each for the bureaus they
supervise; every page is logged as a list. This module adds what is about showing the figures: the bureau
and period form, how the published (rounded) override figures read, and the bar charts (drawn by the site's
chart kit, :mod:`charts`).
The override figures arrive already published from ``casework.reports.selectors.overrides`` (every count rounded to a
multiple of 5); the exports (``casework.exports.views``) read the same figures and the same ``shown_rate``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

import charts
from casework.access import policy
from casework.access.audit import Actor, record_list
from casework.access.pages import not_found, require
from casework.reports import selectors as report_selectors
from casework.reports import suppression
from casework.reports.forms import ReportForm
from casework.words import labelled


def report_scope(request, *, with_period: bool) -> dict[str, Any]:
    """The bureau (and period) a report page is about, from the query string.

    A bureau the user does not supervise answers 404, like any record out of reach. A period that does not
    parse is reported on the form and the default period (the last 90 days) is used.
    """
    user = request.user
    require(policy.can_read_supervisor_reports(user))
    bureaus = report_selectors.supervised_bureaus(user)
    by_code = {b.code: b for b in bureaus}
    code = request.GET.get("bureau", "")
    if code and code not in by_code:
        raise not_found(request, "bureau", code[:64])
    bureau = by_code.get(code) or bureaus[0]
    today = report_selectors.taipei_today()
    period = report_selectors.Period.last_days(today=today)
    form = ReportForm(request.GET, bureaus=bureaus, with_period=with_period)
    if form.is_valid():
        if with_period:
            start, end = form.cleaned_data.get("date_from"), form.cleaned_data.get("date_to") or today
            if start is None:
                start = end - dt.timedelta(days=report_selectors.DEFAULT_PERIOD_DAYS - 1)
            period = report_selectors.Period(start=start, end=end)
        # Show the bureau and period the figures are about, also where the query left them out.
        form = ReportForm(
            bureaus=bureaus,
            with_period=with_period,
            initial={"bureau": bureau.code, "date_from": period.start, "date_to": period.end},
        )
    return {
        "bureau": bureau,
        "bureaus": bureaus,
        "period": period,
        "form": form,
        "today": today,
        "several_bureaus": len(bureaus) > 1,
        "with_period": with_period,
    }


def _log(request, object_type: str, *, count: int, scope: dict[str, Any], **extra) -> None:
    query: dict[str, Any] = {**request.GET.dict(), "bureau": scope["bureau"].code}
    if "date_from" in scope["form"].fields:
        query.update(period=[scope["period"].start.isoformat(), scope["period"].end.isoformat()])
    record_list(Actor.from_request(request), object_type, count=count, query={**query, **extra})


# ---------------------------------------------------------------------------------------------------------
# Presentation: numbers, published counts, bar charts
# ---------------------------------------------------------------------------------------------------------


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def hours(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def shown_rate(decisions: int, overrides: int) -> float | None:
    """The override rate of published (rounded) counts, or None where it is not shown: the one rule of
    ``casework.reports.suppression.published_rate``, for the pages and the exports alike."""
    return suppression.published_rate(overrides, decisions)


def shown_row(row: dict[str, Any]) -> dict[str, Any]:
    """A published breakdown row as the page shows it: the rounded counts, and the rate where it is shown."""
    rate = shown_rate(row["decisions"], row["overrides"])
    return {
        "label": row["label"],
        "decisions": row["decisions"],
        "overrides": row["overrides"],
        "rate": rate,
        "rate_text": percent(rate),
        "withheld": rate is None and row["decisions"] > 0,
    }


def _rate_bars(rows: list[dict[str, Any]], css: str, *, id: str, title_text: str) -> charts.Chart | None:
    """A bar per shown rate on a 0-100% axis; a rate that is not shown has no bar, only its reason."""
    return charts.hbar_chart(
        [
            charts.bar(
                r["label"],
                r["rate"],
                text=r["rate_text"] if r["rate"] is not None else _("not shown") if r["withheld"] else "—",
                css=css,
                title=labelled(r["label"], r["rate_text"]),
            )
            for r in rows
        ],
        id=id,
        title_text=title_text,
        tick_format=charts.percent_format,
        maximum=1.0,
    )


# ---------------------------------------------------------------------------------------------------------
# Pages
# ---------------------------------------------------------------------------------------------------------


@login_required
def reports_index(request):
    """The supervisor's reports for one bureau, with headline figures and the model explanation report."""
    scope = report_scope(request, with_period=False)
    user, bureau = request.user, scope["bureau"]
    period = report_selectors.Period.last_days(today=scope["today"])
    load = report_selectors.caseload(user, bureau=bureau, today=scope["today"])
    sla = report_selectors.alert_sla(user, bureau=bureau, period=period)["total"]
    total = report_selectors.override_total(user, bureau=bureau, period=period)
    _log(request, "report_index", count=1, scope=scope)
    return render(
        request,
        "casework/reports/report_index.html",
        {
            **scope,
            "headline_period": period,
            "team": load["team"],
            "sla": sla,
            "on_time_text": percent(sla["on_time_share"]),
            "median_text": hours(sla["median_hours"]),
            "override": shown_row({"label": "", **total}),
        },
    )


STATUS_CSS = "seg-{}"


@login_required
def report_caseload(request):
    """Open cases and deadlines per worker and per team, with a bar of open cases per worker."""
    scope = report_scope(request, with_period=False)
    user, bureau = request.user, scope["bureau"]
    load = report_selectors.caseload(user, bureau=bureau, today=scope["today"])
    rows = [*load["workers"], load["unassigned"]]
    for row in rows:
        row["label"] = row["name"] or _("Not assigned")
        row["statuses"] = [row["by_status"][s["value"]] for s in load["statuses"]]
    load["team"]["statuses"] = [load["team"]["by_status"][s["value"]] for s in load["statuses"]]
    chart = charts.hbar_chart(
        [
            charts.Row(
                row["label"],
                [
                    charts.Bar(
                        [
                            charts.Segment(
                                row["by_status"][s["value"]],
                                STATUS_CSS.format(s["value"]),
                                f"{row['label']} · {labelled(s['label'], row['by_status'][s['value']])}",
                            )
                            for s in load["statuses"]
                        ],
                        str(row["open"]),
                    )
                ],
            )
            for row in rows
        ],
        id="open-chart",
        title_text=_("Open cases per worker, by status"),
        tick_format=charts.count_format,
        whole=True,
    )
    teams = []
    if scope["several_bureaus"]:
        teams = [
            report_selectors.caseload(user, bureau=b, today=scope["today"])["team"] for b in scope["bureaus"]
        ]
    _log(request, "report_caseload", count=len(rows), scope=scope)
    return render(
        request,
        "casework/reports/report_caseload.html",
        {
            **scope,
            "load": load,
            "rows": rows,
            "chart": chart,
            "legend": [{"css": STATUS_CSS.format(s["value"]), "label": s["label"]} for s in load["statuses"]],
            "teams": teams,
            "team_label": _("Team · %(bureau)s") % {"bureau": bureau.display_name},
            "quiet_days": report_selectors.QUIET_DAYS,
            "referral_days": report_selectors.REFERRAL_DECISION_DAYS,
            "soon_hours": report_selectors.ALERT_SOON_HOURS,
        },
    )


def _sla_display(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "share_text": percent(row["on_time_share"]), "median_text": hours(row["median_hours"])}


@login_required
def report_alerts(request):
    """Per alert rule and per bureau: alerts raised in the period and how many were decided in time."""
    scope = report_scope(request, with_period=True)
    user, bureau, period = request.user, scope["bureau"], scope["period"]
    now = timezone.now()
    sla = report_selectors.alert_sla(user, bureau=bureau, period=period, now=now)
    rules = [_sla_display(r) for r in sla["rules"]]
    by_bureau = []
    if scope["several_bureaus"]:
        by_bureau = [
            _sla_display(r)
            for r in report_selectors.alert_sla_by_bureau(
                user, bureaus=scope["bureaus"], period=period, now=now
            )
        ]
    chart = charts.hbar_chart(
        [
            charts.bar(
                r["name"],
                r["on_time_share"],
                text=r["share_text"],
                css="bar-on-time",
                title=labelled(r["name"], f"{r['share_text']} ({r['on_time']}/{r['settled']})"),
            )
            for r in rules
        ],
        id="on-time-chart",
        title_text=_("Share of alerts decided on time, per rule"),
        tick_format=charts.percent_format,
        maximum=1.0,
    )
    _log(request, "report_alerts", count=len(rules), scope=scope)
    return render(
        request,
        "casework/reports/report_alerts.html",
        {
            **scope,
            "rules": rules,
            "total": _sla_display(sla["total"]),
            "by_bureau": by_bureau,
            "chart": chart,
        },
    )


GROUP_TITLES = {
    "sex": gettext_lazy("Sex"),
    "indigenous": gettext_lazy("Indigenous"),
    "new_immigrant_parent": gettext_lazy("New-immigrant parent"),
    "district": gettext_lazy("District"),
}


@login_required
def report_overrides(request):
    """How often the bureau's triage decisions went against the model: by reason, band, decision, model
    version and group, every count rounded to a multiple of 5, and the latest overrides for model review."""
    scope = report_scope(request, with_period=True)
    user, bureau, period = request.user, scope["bureau"], scope["period"]
    figures = report_selectors.overrides(user, bureau=bureau, period=period)
    tables = [
        {
            "id": "by-reason",
            "title": _("By reason given"),
            "column": _("Reason"),
            "rows": figures["by_reason"],
        },
        {"id": "by-band", "title": _("By band shown"), "column": _("Band shown"), "rows": figures["by_band"]},
        {
            "id": "by-decision",
            "title": _("By decision"),
            "column": _("Decision"),
            "rows": figures["by_decision"],
        },
        {
            "id": "by-model",
            "title": _("By model version"),
            "column": _("Model version"),
            "rows": figures["by_model"],
        },
    ]
    for table in tables:
        table["rows"] = [shown_row(r) for r in table["rows"]]
    groups = [
        {
            "id": f"group-{key}",
            "title": GROUP_TITLES[key],
            "column": GROUP_TITLES[key],
            "rows": [shown_row(r) for r in rows],
        }
        for key, rows in figures["by_group"].items()
    ]
    group_rows = [
        {**row, "label": labelled(group["title"], row["label"])}
        for group in groups
        if group["id"] != "group-district"
        for row in group["rows"]
    ]
    latest = report_selectors.latest_overrides(user, bureau=bureau, period=period)
    _log(
        request,
        "report_overrides",
        count=len(latest),
        scope=scope,
        youth=[row["youth_public_id"] for row in latest],
    )
    return render(
        request,
        "casework/reports/report_overrides.html",
        {
            **scope,
            "total": shown_row({"label": "", **figures["total"]}),
            "tables": tables,
            "groups": groups,
            "reason_chart": _rate_bars(
                tables[0]["rows"],
                "bar-override",
                id="reason-chart",
                title_text=_("Override rate per reason given"),
            ),
            "group_chart": _rate_bars(
                group_rows, "bar-override", id="group-chart", title_text=_("Override rate per group")
            ),
            "groups_shown": figures["groups_shown"],
            "group_min_decisions": report_selectors.GROUP_MIN_DECISIONS,
            "latest": latest,
            "rounding_base": suppression.ROUNDING_BASE,
            "rate_min_base": suppression.RATE_MIN_BASE,
            "latest_limit": report_selectors.LATEST_OVERRIDES,
        },
    )
