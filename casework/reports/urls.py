"""Supervisor reports (casework.reports.views)."""

from django.urls import path

from casework.reports import annual_views
from casework.reports import views as report_views

urlpatterns = [
    path("reports/", report_views.reports_index, name="reports"),
    path("reports/caseload/", report_views.report_caseload, name="reports-caseload"),
    path("reports/alerts/", report_views.report_alerts, name="reports-alerts"),
    path("reports/overrides/", report_views.report_overrides, name="reports-overrides"),
    path("reports/annual/", annual_views.report_annual, name="reports-annual"),
    path("reports/annual.pdf", annual_views.export_report_annual_pdf, name="reports-annual-pdf"),
]
