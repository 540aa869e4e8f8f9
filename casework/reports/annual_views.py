"""The annual work report page (年度工作報告): the figures of ``casework.reports.annual`` as tables and bars.

Supervisors only, each for the bureaus they supervise (``report_scope``: another bureau answers 404); the page
is logged as a list. The period is the last full calendar year unless the form names one.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from casework.access import policy
from casework.access.audit import Actor
from casework.access.pages import require
from casework.reports import annual, annual_charts, annual_followup, annual_models, annual_pdf, suppression
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


def _decimal(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def gate_texts(gate: dict[str, Any] | None) -> dict[str, str]:
    """A model's gate figures as the report writes them (a dash for a figure the verdict does not hold)."""
    if not gate:
        return {"roc_auc_text": "", "precision_text": "", "ece_text": ""}
    interval = gate.get("roc_auc_interval")
    auc = _decimal(gate.get("roc_auc"))
    if interval and gate.get("roc_auc") is not None:
        auc = f"{auc} ({_decimal(interval[0])}–{_decimal(interval[1])})"
    precision = percent(gate.get("precision_at_k"))
    if gate.get("precision_at_k") is not None and gate.get("capacity"):
        precision = f"{precision} (k={gate['capacity']})"
    return {"roc_auc_text": auc, "precision_text": precision, "ece_text": _decimal(gate.get("ece"))}


def annual_context(user, scope: dict[str, Any]) -> dict[str, Any]:
    """The published report and what the page (and the PDF) show of it: texts of shares, rows of tables, and
    a picture per section (``annual_charts``)."""
    report = annual.annual_report(user, bureau=scope["bureau"], period=scope["period"])
    for row in report["alerts"]:
        row["share_text"] = percent(row["on_time_share"])
        row["cells_shown"] = [row[c] for c in annual.ALERT_COLUMNS]
    for row in [*report["referrals_sent"], *report["referrals_received"]]:
        row["cells_shown"] = [row["n"], *(row[c] for c in annual.OUTCOMES)]
    exposure = report["exposure"]
    exposure["share_text"] = percent(exposure["on_time_share"])
    labels = annual_followup.followup_labels()
    followup_columns = [
        c for c in annual_followup.FOLLOWUP_COLUMNS if c != "police_contact" or report["police_readable"]
    ]
    for row in report["followup"]:
        row["cells_shown"] = [
            {"n": row[c], "share": percent(row.get(f"{c}_share")) if c != "closed" else ""}
            for c in followup_columns
        ]
    for model in report["models"]:
        model.update(gate_texts(model["gate"]))
    override_rows = [shown_row(r) for r in report["overrides"]["by_reason"]]
    specs = annual_charts.annual_specs(report, override_rows)
    return {
        "report": report,
        "exposure_cells": [exposure[c] for c in annual.EXPOSURE_COLUMNS],
        "override_rows": override_rows,
        "override_share_text": percent(report["overrides"]["total"]["rate"]),
        "followup_headers": [labels[c] for c in followup_columns],
        "gates_connected": annual_models.gate_figures([]) is not None,
        # Set here, not in the template: a template's translate tag looks "%" up as "%%".
        "auc_header": _("ROC AUC (95% interval)"),
        "specs": specs,
        **{spec_id.replace("-", "_"): annual_charts.svg_chart(spec) for spec_id, spec in specs.items()},
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


@login_required
@require_GET
def export_report_annual_pdf(request):
    """The annual work report as a PDF: the page's tables and pictures, for whoever may export the supervisor
    reports (the XLSX's rule), watermarked and logged as an export before any byte is written."""
    require(policy.can_export_supervisor_reports(request.user))
    scope = annual_scope(request)
    context = annual_context(request.user, scope)
    query: dict[str, Any] = {
        **request.GET.dict(),
        "bureau": scope["bureau"].code,
        "period": [scope["period"].start.isoformat(), scope["period"].end.isoformat()],
    }
    content, entry = annual_pdf.annual_pdf(
        actor=Actor.from_request(request), scope=scope, context=context, query=query
    )
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="annual-report-{scope["bureau"].code}-export-{entry.pk:06d}.pdf"'
    )
    response["X-Content-Type-Options"] = "nosniff"
    # Personal data: no shared or browser cache keeps a copy (as every export).
    response["Cache-Control"] = "no-store, private"
    response["X-Export-Number"] = str(entry.pk)
    return response
