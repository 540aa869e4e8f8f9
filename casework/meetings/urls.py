"""Liaison meetings (聯繫會議): docs/meetings.md."""

from django.urls import path

from casework.meetings import views

urlpatterns = [
    path("meetings/", views.meeting_list, name="meeting-list"),
    path("meetings/new/", views.meeting_new, name="meeting-new"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting-detail"),
    path("meetings/<int:pk>/propose/", views.meeting_propose, name="meeting-propose"),
    path("meetings/<int:pk>/items/", views.meeting_item_add, name="meeting-item-add"),
    path("meetings/<int:pk>/items/<int:item_pk>/", views.meeting_item_edit, name="meeting-item-edit"),
    path("meetings/<int:pk>/items/<int:item_pk>/share/", views.meeting_item_share, name="meeting-item-share"),
    path(
        "meetings/<int:pk>/items/<int:item_pk>/decide/", views.meeting_item_decide, name="meeting-item-decide"
    ),
    path("meetings/<int:pk>/attendance/", views.meeting_attendance, name="meeting-attendance"),
    path("meetings/<int:pk>/close/", views.meeting_close, name="meeting-close"),
    path("meetings/<int:pk>/packs/<slug:bureau>/", views.meeting_pack, name="meeting-pack"),
    path("meetings/<int:pk>/minutes.pdf", views.meeting_minutes, name="meeting-minutes"),
    path("meetings/actions/<int:pk>/done/", views.action_done, name="meeting-action-done"),
    path("meetings/shares/", views.share_list, name="meeting-share-list"),
    path("meetings/shares/<int:pk>/", views.share_detail, name="meeting-share-detail"),
]
