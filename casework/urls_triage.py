"""Triage queue, alert decisions, the inbox and the alert rules (casework/views_triage.py)."""

from django.urls import path

from . import views_triage as views

urlpatterns = [
    path("triage/", views.triage_queue, name="triage-queue"),
    path("triage/alerts/<int:pk>/", views.triage_decide, name="triage-decide"),
    path("triage/alerts/<int:pk>/acknowledge/", views.triage_acknowledge, name="triage-acknowledge"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/read/", views.inbox_mark_all_read, name="inbox-mark-all-read"),
    path("inbox/<int:pk>/read/", views.inbox_mark_read, name="inbox-mark-read"),
    path("alert-rules/", views.alert_rule_list, name="alert-rule-list"),
    # Before <key>/: "new" is refused as a rule key (forms_triage.NewAlertRuleForm).
    path("alert-rules/new/", views.alert_rule_new, name="alert-rule-new"),
    path("alert-rules/<slug:key>/", views.alert_rule_detail, name="alert-rule-detail"),
    path("alert-rules/<slug:key>/edit/", views.alert_rule_edit, name="alert-rule-edit"),
]
