"""Opening a record by stating a purpose, reviewing such accesses (access-policy rule 17), and the audit log."""

from django.urls import path

from casework.access import views

urlpatterns = [
    # Not under youth/: youth/<id>/ is the record itself, which keeps answering 404 without a reason.
    path("open-record/", views.open_record, name="access-open"),
    path("access-reviews/", views.access_review_list, name="access-review-list"),
    path("access-reviews/<int:pk>/", views.access_review_detail, name="access-review-detail"),
    path("audit/", views.audit_log, name="audit-log"),
]
