from django.urls import path

from . import views

app_name = "riskmodel"
urlpatterns = [
    path("", views.model_list, name="model-list"),
    path("active/", views.active_report, name="active-report"),
    path("<int:version>/", views.model_report, name="model-report"),
    path("<int:version>/card/", views.model_card_page, name="model-card"),
    path("<int:version>/activate/", views.model_activate, name="model-activate"),
    path("<int:version>/override/", views.model_override_propose, name="override-propose"),
    path(
        "<int:version>/override/<int:pk>/<str:decision>/",
        views.model_override_decide,
        name="override-decide",
    ),
]
