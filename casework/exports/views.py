"""Exports of list pages and supervisor reports (CSV or XLSX), through ``casework.exports.writers``.

Each export reads through the same policy selector and the same filter as its page, so a file holds exactly
the rows the user could page through on screen (all pages, not only the one shown), with the page's
columns. Who may export what is in ``casework.access.policy``.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from casework.access import policy
from casework.access.audit import Actor
from casework.access.pages import require
from casework.access.selectors import audit_log_filter
from casework.cases.selectors import case_list_filter, referral_list_filter
from casework.exports.writers import Column, ExportFormat, Sheet, columns, write_export, write_sheets
from casework.models import OPEN_CASE_STATUSES, CaseStatus
from casework.reports import annual, annual_followup
from casework.reports import selectors as report_selectors
from casework.reports.annual_views import annual_scope
from casework.reports.views import GROUP_TITLES, report_scope, shown_rate

# A file bigger than this is refused: narrow the filters (a whole audit log is not a download).
EXPORT_ROW_LIMIT = 20_000


def _format(fmt: str) -> str:
    if fmt not in ExportFormat.TABLE:
        raise Http404
    return fmt


def _query(request) -> dict[str, str]:
    params = request.GET.copy()
    params.pop("page", None)
    return params.dict()


def _too_large(request, count: int):
    return render(
        request,
        "casework/exports/export_too_large.html",
        {"count": count, "limit": EXPORT_ROW_LIMIT},
        status=400,
    )


def _list_export(request, fmt: str, allowed, list_filter, cols, row, **kw):
    """One list export: the page's rule (``allowed(user)``), the page's filtered rows (all pages, from
    ``list_filter(request)``), refused when too large."""
    fmt = _format(fmt)
    require(allowed(request.user))
    qs = list_filter(request).qs
    count = qs.count()
    if count > EXPORT_ROW_LIMIT:
        return _too_large(request, count)
    return write_export(
        [row(o) for o in qs], cols, fmt, Actor.from_request(request), query=_query(request), **kw
    )


def _person(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


# ---------------------------------------------------------------------------------------------------------
# The rows of the list pages (the same selector and filter as casework.views)
# ---------------------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------------------
# List exports
# ---------------------------------------------------------------------------------------------------------


@login_required
@require_GET
def export_cases(request, fmt: str):
    """The user's case list as on the page: case, youth ID (no name), concern, lead bureau, assignee,
    status, opened."""
    cols = columns(
        ("case", _("Case")),
        ("youth", _("Youth ID")),
        ("concern", _("Concern")),
        ("lead_bureau", _("Lead bureau")),
        ("assignee", _("Assignee")),
        ("status", _("Status")),
        ("opened", _("Opened")),
    )

    def row(c):
        return {
            "case": str(c),
            "youth": c.youth.public_id,
            "concern": c.get_concern_display(),
            "lead_bureau": c.lead_bureau.display_name,
            "assignee": _person(c.assignee),
            "status": c.get_status_display(),
            "opened": c.opened_at,
        }

    return _list_export(
        request,
        fmt,
        policy.can_export_case_list,
        case_list_filter,
        cols,
        row,
        title=_("Cases"),
        object_type="case",
        filename_stem="cases",
    )


@login_required
@require_GET
def export_referrals(request, fmt: str):
    """The user's referral list as on the page."""
    cols = columns(
        ("sent", _("Sent")),
        ("youth", _("Youth ID")),
        ("case", _("Case")),
        ("kind", _("Kind")),
        ("from_bureau", _("From")),
        ("from_user", _("Sent by")),
        ("to_bureau", _("To")),
        ("to_user", _("Receiving worker")),
        ("reason", _("Reason")),
        ("status", _("Status")),
        ("response_note", _("Response note")),
        ("closed_note", _("Completion or revocation note")),
    )

    def row(r):
        return {
            "sent": r.created_at,
            "youth": r.youth.public_id,
            "case": str(r.case) if r.case_id else "",
            "kind": r.get_kind_display(),
            "from_bureau": r.from_bureau.display_name,
            "from_user": _person(r.from_user),
            "to_bureau": r.to_bureau.display_name,
            "to_user": _person(r.to_user),
            "reason": r.reason,
            "status": r.get_status_display(),
            "response_note": r.response_note,
            "closed_note": r.closed_note,
        }

    return _list_export(
        request,
        fmt,
        policy.can_export_referral_list,
        referral_list_filter,
        cols,
        row,
        title=_("Referrals and transfers"),
        object_type="referral",
        filename_stem="referrals",
    )


@login_required
@require_GET
def export_audit_log(request, fmt: str):
    """The audit log as filtered on the page, with the page's columns."""
    cols = columns(
        ("id", _("Entry")),
        ("at", _("When")),
        ("username", _("User")),
        ("roles", _("Roles")),
        ("action", _("Action")),
        ("object", _("Object")),
        ("youth", _("Youth ID")),
        ("ip", _("From")),
        ("purpose", _("Purpose")),
        ("path", _("Path")),
    )

    def row(e):
        return {
            "id": e.pk,
            "at": e.at,
            "username": e.username,
            "roles": e.roles,
            "action": e.get_action_display(),
            "object": e.shown_object,
            "youth": e.youth_public_id,
            "ip": e.ip_address or "",
            "purpose": e.shown_purpose,
            "path": e.shown_path,
        }

    return _list_export(
        request,
        fmt,
        policy.can_export_audit_log,
        audit_log_filter,
        cols,
        row,
        title=_("Audit log"),
        object_type="auditentry",
        filename_stem="audit-log",
    )


# ---------------------------------------------------------------------------------------------------------
# Supervisor reports (aggregates; the same scope and published figures as the pages)
# ---------------------------------------------------------------------------------------------------------


def _scope_query(scope: dict[str, Any], request) -> dict[str, Any]:
    query: dict[str, Any] = {**_query(request), "bureau": scope["bureau"].code}
    if scope["with_period"]:
        query["period"] = [scope["period"].start.isoformat(), scope["period"].end.isoformat()]
    return query


def _shown_count(n: int | None) -> int | str:
    """A published count as the page shows it: already rounded to base 5 (``report_selectors.publish_overrides``), or
    blank where the report withheld it."""
    return "" if n is None else n


@login_required
@require_GET
def export_report_caseload(request, fmt: str):
    fmt = _format(fmt)
    require(policy.can_export_supervisor_reports(request.user))
    scope = report_scope(request, with_period=False)
    bureau = scope["bureau"]
    load = report_selectors.caseload(request.user, bureau=bureau, today=scope["today"])
    cols: list[Column] = [Column("worker", _("Worker"))]
    cols += [Column(f"status_{s}", str(CaseStatus(s).label)) for s in OPEN_CASE_STATUSES]
    cols += columns(
        ("open", _("All open")),
        ("monitoring_served", _("Monitoring period served")),
        ("steps_overdue", _("Next step overdue")),
        ("quiet", _("No intervention for %(days)s+ days") % {"days": report_selectors.QUIET_DAYS}),
        ("referrals_pending", _("Referrals waiting")),
        ("referrals_oldest_days", _("Oldest (days)")),
        ("referrals_late", _("Waiting %(days)s+ days") % {"days": report_selectors.REFERRAL_DECISION_DAYS}),
        (
            "alerts_due_soon",
            _("Alerts due within %(hours)s h") % {"hours": report_selectors.ALERT_SOON_HOURS},
        ),
        ("alerts_overdue", _("Alerts overdue")),
    )
    team_label = _("Team · %(bureau)s") % {"bureau": bureau.display_name}
    rows = []
    for row, label in [
        *((w, w["name"]) for w in load["workers"]),
        (load["unassigned"], _("Not assigned")),
        (load["team"], team_label),
    ]:
        rows.append(
            {
                "worker": label,
                **{f"status_{s}": n for s, n in row["by_status"].items()},
                **{c.key: row[c.key] for c in cols if c.key in row and c.key != "worker"},
            }
        )
    return write_export(
        rows,
        cols,
        fmt,
        Actor.from_request(request),
        title=f"{_('Caseload and deadlines')} · {bureau.display_name} · {scope['today']:%Y-%m-%d}",
        query=_scope_query(scope, request),
        object_type="report_caseload",
        filename_stem=f"caseload-{bureau.code}",
    )


@login_required
@require_GET
def export_report_alerts(request, fmt: str):
    fmt = _format(fmt)
    require(policy.can_export_supervisor_reports(request.user))
    scope = report_scope(request, with_period=True)
    bureau, period = scope["bureau"], scope["period"]
    sla = report_selectors.alert_sla(request.user, bureau=bureau, period=period)
    cols = columns(
        ("name", _("Rule")),
        ("deadline_hours", _("Deadline (hours)")),
        ("deadline_days", _("Deadline (days)")),
        ("raised", _("Raised")),
        ("decided", _("Decided")),
        ("on_time", _("Decided on time")),
        ("settled", _("Decided or past deadline")),
        ("on_time_share", _("On-time share")),
        ("escalated", _("Escalated")),
        ("still_open", _("Still open")),
        ("open_overdue", _("Open past deadline")),
        ("median_hours", _("Median hours")),
    )
    rows = [*sla["rules"], {**sla["total"], "name": _("All rules")}]
    for row in rows:
        if row.get("median_hours") is not None:
            row["median_hours"] = round(row["median_hours"], 1)
        if row.get("on_time_share") is not None:
            row["on_time_share"] = round(row["on_time_share"], 3)
    return write_export(
        rows,
        cols,
        fmt,
        Actor.from_request(request),
        title=f"{_('Alert deadlines')} · {bureau.display_name} · {period.start:%Y-%m-%d}–{period.end:%Y-%m-%d}",
        query=_scope_query(scope, request),
        object_type="report_alerts",
        filename_stem=f"alert-deadlines-{bureau.code}",
    )


@login_required
@require_GET
def export_report_overrides(request, fmt: str):
    """The override breakdowns (aggregates only, counts rounded to base 5 as on the page); the page's list of
    the latest overrides, one row per youth, stays on screen."""
    fmt = _format(fmt)
    require(policy.can_export_supervisor_reports(request.user))
    scope = report_scope(request, with_period=True)
    bureau, period = scope["bureau"], scope["period"]
    figures = report_selectors.overrides(request.user, bureau=bureau, period=period)
    sections = [
        (_("All decisions"), [{**figures["total"], "label": _("All decisions")}]),
        (_("By reason given"), figures["by_reason"]),
        (_("By band shown"), figures["by_band"]),
        (_("By decision"), figures["by_decision"]),
        (_("By model version"), figures["by_model"]),
        *((str(GROUP_TITLES[key]), rows) for key, rows in figures["by_group"].items()),
    ]
    rows = []
    for section, breakdown in sections:
        for r in breakdown:
            rate = shown_rate(r["decisions"], r["overrides"])
            rows.append(
                {
                    "breakdown": section,
                    "label": r["label"],
                    "decisions": _shown_count(r["decisions"]),
                    "overrides": _shown_count(r["overrides"]),
                    "rate": round(rate, 3) if rate is not None else "",
                }
            )
    cols = columns(
        ("breakdown", _("Breakdown")),
        ("label", _("Group")),
        ("decisions", _("Decisions")),
        ("overrides", _("Overrides")),
        ("rate", _("Override rate")),
    )
    return write_export(
        rows,
        cols,
        fmt,
        Actor.from_request(request),
        title=f"{_('Overrides of the model')} · {bureau.display_name} · "
        f"{period.start:%Y-%m-%d}–{period.end:%Y-%m-%d}",
        query=_scope_query(scope, request),
        object_type="report_overrides",
        filename_stem=f"overrides-{bureau.code}",
    )


@login_required
@require_GET
def export_report_annual(request):
    """The annual work report as an XLSX workbook, one sheet per section, with the page's published figures
    (every count rounded to a multiple of 5, a withheld one blank)."""
    require(policy.can_export_supervisor_reports(request.user))
    scope = annual_scope(request)
    bureau, period = scope["bureau"], scope["period"]
    report = annual.annual_report(request.user, bureau=bureau, period=period)

    def counts_sheet(key: str, name: str, first: str, rows, extra=()) -> Sheet:
        cols = columns(("label", first), ("n", _("Count")), *extra)
        return Sheet.of(
            name,
            cols,
            [{c.key: _shown_count(r[c.key]) if c.key != "label" else r["label"] for c in cols} for r in rows],
            key=key,
        )

    def share(value: float | None) -> float | str:
        return "" if value is None else round(value, 3)

    exposure = report["exposure"]
    intake_rows = [
        {"label": _("Young people referred to the bureau"), "n": _shown_count(report["referred_youth"])},
        {"label": _("Exposure alerts raised"), "n": _shown_count(exposure["raised"])},
        {"label": _("Decided by the deadline"), "n": _shown_count(exposure["on_time"])},
        {"label": _("Decided later"), "n": _shown_count(exposure["late"])},
        {"label": _("Not decided yet"), "n": _shown_count(exposure["open"])},
        {"label": _("On-time share"), "n": share(exposure["on_time_share"])},
    ]
    referral_cols = columns(
        ("direction", _("Direction")),
        ("label", _("Bureau")),
        ("n", _("Referrals")),
        ("accepted", _("Accepted")),
        ("declined", _("Declined")),
        ("pending", _("Pending")),
        ("revoked", _("Revoked")),
        ("median_days", _("Median days to an answer")),
    )
    referral_rows = [
        {
            "direction": direction,
            "label": r["label"],
            **{c: _shown_count(r[c]) for c in ("n", *annual.OUTCOMES)},
            "median_days": "" if r["median_days"] is None else r["median_days"],
        }
        for direction, rows in (
            (_("Sent"), report["referrals_sent"]),
            (_("Received"), report["referrals_received"]),
        )
        for r in rows
    ]
    alert_cols = columns(
        ("label", _("Rule")),
        ("raised", _("Raised")),
        ("on_time", _("Decided on time")),
        ("missed", _("Missed the deadline")),
        ("pending", _("Still within the deadline")),
        ("on_time_share", _("On-time share")),
    )
    alert_rows = [
        {
            "label": r["label"],
            **{c: _shown_count(r[c]) for c in annual.ALERT_COLUMNS},
            "on_time_share": share(r["on_time_share"]),
        }
        for r in report["alerts"]
    ]
    overrides = report["overrides"]
    override_rows = [
        {
            "label": r["label"],
            "decisions": _shown_count(r["decisions"]),
            "overrides": _shown_count(r["overrides"]),
            "rate": share(shown_rate(r["decisions"], r["overrides"])),
        }
        for r in [*overrides["by_reason"], {**overrides["total"], "label": _("All decisions")}]
    ]
    followup_labels = annual_followup.followup_labels()
    followup_columns = [
        c for c in annual_followup.FOLLOWUP_COLUMNS if c != "police_contact" or report["police_readable"]
    ]
    gate_cols = (
        ("gate", _("Promotion gate")),
        ("roc_auc", _("ROC AUC")),
        ("roc_auc_low", _("ROC AUC, interval low")),
        ("roc_auc_high", _("ROC AUC, interval high")),
        ("precision_at_k", _("Precision at capacity")),
        ("capacity", _("Capacity (youth)")),
        ("ece", _("Calibration error (ECE)")),
    )

    def gate_row(gate: dict | None) -> dict:
        if not gate:
            return {"gate": _("Not available here")}
        interval = gate.get("roc_auc_interval") or [None, None]
        verdict = _("Passed") if gate["passed"] else _("Failed")
        if not gate["passed"] and gate.get("overridden"):
            verdict = _("Failed; made active by an approved override")
        return {
            "gate": verdict + ("：" + "、".join(gate["failed"]) if gate.get("failed") else ""),
            "roc_auc": share(gate.get("roc_auc")),
            "roc_auc_low": share(interval[0]),
            "roc_auc_high": share(interval[1]),
            "precision_at_k": share(gate.get("precision_at_k")),
            "capacity": "" if gate.get("capacity") is None else gate["capacity"],
            "ece": "" if gate.get("ece") is None else round(gate["ece"], 4),
        }

    sheets = [
        Sheet.of(
            _("Referrals and opening"),
            columns(("label", _("Figure")), ("n", _("Count"))),
            intake_rows,
            key="intake",
        ),
        counts_sheet("opened", _("Cases opened"), _("Concern"), report["opened"]),
        counts_sheet(
            "exposure_outcomes", _("Exposure alerts by outcome"), _("Outcome"), report["exposure_outcomes"]
        ),
        counts_sheet("open_at_end", _("Open at the end"), _("Concern"), report["open_at_end"]),
        counts_sheet("closed", _("Cases closed"), _("Reason for closing"), report["closed"]),
        Sheet.of(
            _("Follow-up after closure"),
            columns(("label", _("Window")), *((c, followup_labels[c]) for c in followup_columns)),
            [
                {"label": r["label"], **{c: _shown_count(r[c]) for c in followup_columns}}
                for r in report["followup"]
            ],
            key="followup",
        ),
        Sheet.of(_("Referrals between bureaus"), referral_cols, referral_rows, key="referrals"),
        counts_sheet(
            "interventions",
            _("Interventions"),
            _("Kind"),
            report["interventions"],
            extra=(("youth", _("Young people reached")),),
        ),
        Sheet.of(_("Alerts by rule"), alert_cols, alert_rows, key="alerts"),
        Sheet.of(
            _("Overrides of the model"),
            columns(
                ("label", _("Reason")),
                ("decisions", _("Decisions")),
                ("overrides", _("Overrides")),
                ("rate", _("Override rate")),
            ),
            override_rows,
            key="overrides",
        ),
        Sheet.of(
            _("Score models in use"),
            columns(("version", _("Model version")), ("months", _("Months in use")), *gate_cols),
            [
                {"version": m["version"], "months": ", ".join(m["months"]), **gate_row(m["gate"])}
                for m in report["models"]
            ],
            key="models",
        ),
    ]
    return write_sheets(
        sheets,
        ExportFormat.XLSX,
        Actor.from_request(request),
        title=f"{_('Annual work report')} · {bureau.display_name} · "
        f"{period.start:%Y-%m-%d}–{period.end:%Y-%m-%d}",
        query=_scope_query(scope, request),
        object_type="report_annual",
        filename_stem=f"annual-report-{bureau.code}",
    )
