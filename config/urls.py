from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from config.health import health

urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/", include("accounts.urls", namespace="accounts")),
    path("privacy/", include("privacy.urls", namespace="privacy")),
    path("health/", health, name="health"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view loads its start-up script from a URL, so the page needs no inline script under the CSP.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="accounts/swagger_ui.html"),
        name="api-docs",
    ),
    path("api/integrations/", include("integrations.api_urls", namespace="integrations-api")),
    path("api/models/", include("riskmodel.api_urls", namespace="riskmodel-api")),
    path("api/", include("casework.api.urls", namespace="api")),
    path("integrations/", include("integrations.urls", namespace="integrations")),
    path("models/", include("riskmodel.urls", namespace="riskmodel")),
    path("evaluation/", include("riskmodel.evaluation.urls", namespace="evaluation")),
    path("", include("casework.urls")),
]

handler403 = "casework.views.permission_denied"
