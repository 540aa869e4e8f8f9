from django.urls import path

from . import views

app_name = "privacy"
urlpatterns = [
    path("subject-access/", views.subject_access, name="subject-access"),
    path("subject-access/<str:public_id>/", views.subject_access_youth, name="subject-access-youth"),
    path(
        "subject-access/<str:public_id>/download.<str:fmt>",
        views.subject_access_download,
        name="subject-access-download",
    ),
]
