"""Triage: the queue, alert decisions, the alert list and the alert rules."""

from django.urls import path

from casework.triage import views

urlpatterns = [
    path("alerts/", views.alert_list, name="alert-list"),
    path("triage/", views.triage_queue, name="triage-queue"),
    path("triage/alerts/<int:pk>/", views.triage_decide, name="triage-decide"),
    path("triage/alerts/<int:pk>/acknowledge/", views.triage_acknowledge, name="triage-acknowledge"),
    path("alert-rules/", views.alert_rule_list, name="alert-rule-list"),
    # Before <key>/: "new" is refused as a rule key (casework.triage.forms.NewAlertRuleForm).
    path("alert-rules/new/", views.alert_rule_new, name="alert-rule-new"),
    path("alert-rules/<slug:key>/", views.alert_rule_detail, name="alert-rule-detail"),
    path("alert-rules/<slug:key>/edit/", views.alert_rule_edit, name="alert-rule-edit"),
]
