from rest_framework.routers import SimpleRouter

from . import api

app_name = "riskmodel-api"
router = SimpleRouter()
# Mounted at api/models/: the list is /api/models/, a model /api/models/<version>/.
router.register("", api.RiskModelViewSet, basename="riskmodel")
urlpatterns = router.urls
