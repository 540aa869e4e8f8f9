from django.urls import path
from rest_framework.routers import DefaultRouter

from . import api

router = DefaultRouter()
router.register("youth", api.YouthViewSet, basename="youth")
router.register("identity", api.IdentityRegisterViewSet, basename="identity")
router.register("events", api.EventViewSet, basename="event")
router.register("cases", api.CaseViewSet, basename="case")
router.register("interventions", api.InterventionViewSet, basename="intervention")
router.register("alerts", api.AlertViewSet, basename="alert")
router.register("referrals", api.ReferralViewSet, basename="referral")
router.register("triage-decisions", api.TriageDecisionViewSet, basename="triagedecision")
router.register("audit", api.AuditEntryViewSet, basename="auditentry")
router.register("alert-rules", api.AlertRuleViewSet, basename="alertrule")
router.register("notifications", api.NotificationViewSet, basename="notification")
router.register("bureaus", api.BureauViewSet, basename="bureau")
router.register("schools", api.SchoolViewSet, basename="school")

app_name = "api"
urlpatterns = [path("me/", api.MeView.as_view(), name="me"), *router.urls]
