from django.urls import path

from integrations.corrections import views as correction_views
from integrations.feeds import views as feed_views
from integrations.linkage import views as linkage_views
from integrations.retention import views as retention_views

app_name = "integrations"
urlpatterns = [
    path("batches/", feed_views.batch_list, name="batch-list"),
    path("quarantine/", feed_views.quarantine_list, name="quarantine-list"),
    path("quarantine/<int:pk>/", feed_views.quarantine_detail, name="quarantine-detail"),
    path("review/", linkage_views.review_list, name="review-list"),
    path("review/<int:pk>/", linkage_views.review_detail, name="review-detail"),
    path("linkage/", linkage_views.linkage_overview, name="linkage-overview"),
    path("linkage/merges/<int:pk>/reverse/", linkage_views.merge_reverse, name="merge-reverse"),
    path("linkage/splits/<int:pk>/reverse/", linkage_views.split_reverse, name="split-reverse"),
    path("linkage/youth/<str:public_id>/", linkage_views.linkage_youth, name="linkage-youth"),
    path("retention/", retention_views.retention_report, name="retention-report"),
    path("corrections/", correction_views.contest_queue, name="corrections-queue"),
    path("corrections/<int:pk>/", correction_views.contest_decide, name="contest-decide"),
    path(
        "youth/<str:public_id>/events/<int:event_id>/contest/",
        correction_views.contest_new,
        name="contest-new",
    ),
]
