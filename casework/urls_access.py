"""Opening a record by stating a purpose, and reviewing such accesses (access-policy rule 17)."""

from django.urls import path

from . import views_access

urlpatterns = [
    # Not under youth/: youth/<id>/ is the record itself, which keeps answering 404 without a reason.
    path("open-record/", views_access.open_record, name="access-open"),
    path("access-reviews/", views_access.access_review_list, name="access-review-list"),
    path("access-reviews/<int:pk>/", views_access.access_review_detail, name="access-review-detail"),
]
