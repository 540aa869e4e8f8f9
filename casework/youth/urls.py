"""The youth record: the youth list and page, the identity register and city statistics."""

from django.urls import path

from casework.youth import views

urlpatterns = [
    path("youth/", views.youth_list, name="youth-list"),
    path("youth/<str:public_id>/", views.youth_detail, name="youth-detail"),
    path("identity/", views.identity_register, name="identity-register"),
    path("statistics/", views.statistics, name="statistics"),
]
