from django.urls import include, path
from rest_framework.routers import DefaultRouter

from casework.api import views as api_views

router = DefaultRouter()
router.register("youth", api_views.YouthViewSet, basename="youth")
router.register("identity", api_views.IdentityRegisterViewSet, basename="identity")
router.register("events", api_views.EventViewSet, basename="event")
router.register("cases", api_views.CaseViewSet, basename="case")
router.register("interventions", api_views.InterventionViewSet, basename="intervention")
router.register("alerts", api_views.AlertViewSet, basename="alert")
router.register("referrals", api_views.ReferralViewSet, basename="referral")
router.register("triage-decisions", api_views.TriageDecisionViewSet, basename="triagedecision")
router.register("audit", api_views.AuditEntryViewSet, basename="auditentry")
router.register("alert-rules", api_views.AlertRuleViewSet, basename="alertrule")
router.register("notifications", api_views.NotificationViewSet, basename="notification")
router.register("bureaus", api_views.BureauViewSet, basename="bureau")
router.register("schools", api_views.SchoolViewSet, basename="school")

app_name = "api"
urlpatterns = [
    path("me/", api_views.MeView.as_view(), name="me"),
    *router.urls,
    # Liaison meetings stand above the API room (they export minutes through casework.exports), so their
    # viewsets are included by name, not imported.
    path("", include("casework.meetings.api_urls")),
]
