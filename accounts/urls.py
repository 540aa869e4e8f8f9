from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("second-factor/enrol/", views.enrol, name="enrol"),
    path("second-factor/backup-codes/", views.backup_codes, name="backup_codes"),
    path("second-factor/verify/", views.verify, name="verify"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("preferences/", views.preferences, name="preferences"),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="registration/password_change_done.html"),
        name="password_change_done",
    ),
]
