from django.urls import path

from . import views

app_name = "integrations"
urlpatterns = [
    path("batches/", views.batch_list, name="batch-list"),
    path("quarantine/", views.quarantine_list, name="quarantine-list"),
    path("quarantine/<int:pk>/", views.quarantine_detail, name="quarantine-detail"),
]
