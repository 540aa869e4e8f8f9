from django.urls import path
from rest_framework.routers import SimpleRouter

from integrations import api

app_name = "integrations-api"
router = SimpleRouter()
router.register("batches", api.ImportBatchViewSet, basename="importbatch")
router.register("quarantine", api.QuarantinedRowViewSet, basename="quarantinedrow")
router.register("review", api.ReviewPairViewSet, basename="reviewpair")
router.register("linkage-models", api.LinkageModelViewSet, basename="linkagemodel")
router.register("merges", api.YouthMergeViewSet, basename="youthmerge")
router.register("splits", api.YouthSplitViewSet, basename="youthsplit")
urlpatterns = [path("feeds/<str:feed>/", api.FeedUploadView.as_view(), name="feed-upload"), *router.urls]
