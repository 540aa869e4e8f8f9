from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("youth/", views.youth_list, name="youth-list"),
    path("youth/<str:public_id>/", views.youth_detail, name="youth-detail"),
    path("cases/", views.case_list, name="case-list"),
    path("cases/<int:pk>/", views.case_detail, name="case-detail"),
    path("alerts/", views.alert_list, name="alert-list"),
    path("referrals/", views.referral_list, name="referral-list"),
    path("audit/", views.audit_log, name="audit-log"),
    path("identity/", views.identity_register, name="identity-register"),
    path("statistics/", views.statistics, name="statistics"),
    path("", include("casework.urls_triage")),
    path("", include("casework.urls_cases")),
    path("", include("casework.urls_reports")),
    path("", include("casework.urls_access")),
    path("", include("casework.urls_exports")),
]
