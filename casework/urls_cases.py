"""Working cases, referrals and the user's tasks (views in ``views_cases``)."""

from django.urls import path

from . import views_cases

urlpatterns = [
    path("cases/<int:pk>/edit/", views_cases.case_edit, name="case-edit"),
    path("cases/<int:pk>/move/<slug:move>/", views_cases.case_move, name="case-move"),
    path(
        "cases/<int:pk>/interventions/new/", views_cases.case_log_intervention, name="case-log-intervention"
    ),
    path("cases/<int:pk>/refer/", views_cases.case_refer, name="case-refer"),
    path("referrals/<int:pk>/respond/", views_cases.referral_respond, name="referral-respond"),
    path("referrals/<int:pk>/complete/", views_cases.referral_complete, name="referral-complete"),
    path("referrals/<int:pk>/revoke/", views_cases.referral_revoke, name="referral-revoke"),
    path("tasks/", views_cases.my_tasks, name="my-tasks"),
]
