from django.urls import path

from . import review_views, views, views_corrections, views_retention

app_name = "integrations"
urlpatterns = [
    path("batches/", views.batch_list, name="batch-list"),
    path("quarantine/", views.quarantine_list, name="quarantine-list"),
    path("quarantine/<int:pk>/", views.quarantine_detail, name="quarantine-detail"),
    path("review/", review_views.review_list, name="review-list"),
    path("review/<int:pk>/", review_views.review_detail, name="review-detail"),
    path("linkage/", review_views.linkage_overview, name="linkage-overview"),
    path("linkage/merges/<int:pk>/reverse/", review_views.merge_reverse, name="merge-reverse"),
    path("linkage/splits/<int:pk>/reverse/", review_views.split_reverse, name="split-reverse"),
    path("linkage/youth/<str:public_id>/", review_views.linkage_youth, name="linkage-youth"),
    path("retention/", views_retention.retention_report, name="retention-report"),
    path("corrections/", views_corrections.contest_queue, name="corrections-queue"),
    path("corrections/<int:pk>/", views_corrections.contest_decide, name="contest-decide"),
    path(
        "youth/<str:public_id>/events/<int:event_id>/contest/",
        views_corrections.contest_new,
        name="contest-new",
    ),
]
