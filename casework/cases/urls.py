"""Cases, referrals, interventions, the user's tasks and the inbox."""

from django.urls import path

from casework.cases import inbox, plan_views, views

urlpatterns = [
    path("cases/", views.case_list, name="case-list"),
    path("cases/<int:pk>/", views.case_detail, name="case-detail"),
    path("cases/<int:pk>/edit/", views.case_edit, name="case-edit"),
    path("cases/<int:pk>/move/<slug:move>/", views.case_move, name="case-move"),
    path("cases/<int:pk>/interventions/new/", views.case_log_intervention, name="case-log-intervention"),
    path("cases/<int:pk>/refer/", views.case_refer, name="case-refer"),
    path("cases/<int:pk>/plan/needs/", plan_views.plan_need, name="case-plan-need"),
    path("cases/<int:pk>/plan/goals/", plan_views.plan_goal_add, name="case-plan-goal-add"),
    path("cases/<int:pk>/plan/goals/<int:goal_pk>/", plan_views.plan_goal_edit, name="case-plan-goal-edit"),
    path("cases/<int:pk>/plan/services/", plan_views.plan_service_add, name="case-plan-service-add"),
    path(
        "cases/<int:pk>/plan/services/<int:service_pk>/",
        plan_views.plan_service_edit,
        name="case-plan-service-edit",
    ),
    path("cases/<int:pk>/plan/reviews/", plan_views.plan_review, name="case-plan-review"),
    path("referrals/", views.referral_list, name="referral-list"),
    path("referrals/<int:pk>/respond/", views.referral_respond, name="referral-respond"),
    path("referrals/<int:pk>/complete/", views.referral_complete, name="referral-complete"),
    path("referrals/<int:pk>/revoke/", views.referral_revoke, name="referral-revoke"),
    path("tasks/", views.my_tasks, name="my-tasks"),
    path("inbox/", inbox.inbox, name="inbox"),
    path("inbox/read/", inbox.inbox_mark_all_read, name="inbox-mark-all-read"),
    path("inbox/<int:pk>/read/", inbox.inbox_mark_read, name="inbox-mark-read"),
]
