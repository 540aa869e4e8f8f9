"""Supervisor reports (casework.views_reports)."""

from django.urls import path

from casework import views_reports

urlpatterns = [
    path("reports/", views_reports.reports_index, name="reports"),
    path("reports/caseload/", views_reports.report_caseload, name="reports-caseload"),
    path("reports/alerts/", views_reports.report_alerts, name="reports-alerts"),
    path("reports/overrides/", views_reports.report_overrides, name="reports-overrides"),
]
