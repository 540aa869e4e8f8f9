"""The pages, room by room (docs/architecture.md)."""

from django.urls import include, path

from casework import views

urlpatterns = [
    path("", views.home, name="home"),
    path("", include("casework.youth.urls")),
    path("", include("casework.triage.urls")),
    path("", include("casework.cases.urls")),
    path("", include("casework.reports.urls")),
    path("", include("casework.access.urls")),
    path("", include("casework.exports.urls")),
    path("", include("casework.meetings.urls")),
]
