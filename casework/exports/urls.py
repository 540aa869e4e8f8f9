"""Exports of list pages and supervisor reports (casework.exports.views); ``fmt`` is ``csv`` or ``xlsx``."""

from django.urls import path

from casework.exports import views as export_views

urlpatterns = [
    path("exports/cases.<str:fmt>", export_views.export_cases, name="export-cases"),
    path("exports/referrals.<str:fmt>", export_views.export_referrals, name="export-referrals"),
    path("exports/audit.<str:fmt>", export_views.export_audit_log, name="export-audit-log"),
    path(
        "exports/reports/caseload.<str:fmt>",
        export_views.export_report_caseload,
        name="export-report-caseload",
    ),
    path("exports/reports/alerts.<str:fmt>", export_views.export_report_alerts, name="export-report-alerts"),
    path(
        "exports/reports/overrides.<str:fmt>",
        export_views.export_report_overrides,
        name="export-report-overrides",
    ),
    path("exports/reports/annual.xlsx", export_views.export_report_annual, name="export-report-annual"),
]
