"""Liaison meetings under /api/ (included by ``casework.api.urls``, in its ``api`` namespace)."""

from rest_framework.routers import SimpleRouter

from casework.meetings import api

router = SimpleRouter()
router.register("meetings", api.MeetingViewSet, basename="meeting")
router.register("action-items", api.ActionItemViewSet, basename="actionitem")

urlpatterns = router.urls
