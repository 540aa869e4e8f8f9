"""Exports of list pages and supervisor reports (casework.views_exports); ``fmt`` is ``csv`` or ``xlsx``."""

from django.urls import path

from . import views_exports

urlpatterns = [
    path("exports/cases.<str:fmt>", views_exports.export_cases, name="export-cases"),
    path("exports/referrals.<str:fmt>", views_exports.export_referrals, name="export-referrals"),
    path("exports/audit.<str:fmt>", views_exports.export_audit_log, name="export-audit-log"),
    path(
        "exports/reports/caseload.<str:fmt>",
        views_exports.export_report_caseload,
        name="export-report-caseload",
    ),
    path("exports/reports/alerts.<str:fmt>", views_exports.export_report_alerts, name="export-report-alerts"),
    path(
        "exports/reports/overrides.<str:fmt>",
        views_exports.export_report_overrides,
        name="export-report-overrides",
    ),
]
