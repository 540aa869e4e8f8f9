"""Reads for the liaison-meeting pages and API: a meeting as its viewer may see it, a bureau's pack."""

from __future__ import annotations

from django.db.models import QuerySet

from casework.access import policy
from casework.models import ActionItem, AgendaItem, Bureau, Meeting, MeetingShare


def meeting_for(user, pk: int) -> Meeting | None:
    return policy.visible_meetings(user).select_related("chair").filter(pk=pk).first()


def agenda(meeting: Meeting) -> list[AgendaItem]:
    """The agenda in order (items taken off it left out), with what a runner's page shows of each."""
    return list(
        meeting.items.filter(removed_at__isnull=True)
        .select_related("youth", "decided_by")
        .prefetch_related(
            "bureaus", "action_items__owner_bureau", "action_items__owner_user", "shares__bureau"
        )
        .order_by("position", "pk")
    )


def pack_bureaus(user, meeting: Meeting) -> QuerySet[Bureau]:
    return Bureau.objects.filter(pk__in=policy.pack_bureau_ids(user, meeting)).order_by("code")


def pack(user, meeting: Meeting, bureau: Bureau) -> list[policy.PackEntry]:
    """A bureau's pre-read pack as this participant may see it (policy rule 21)."""
    return [
        policy.pack_entry(user, item, share, bureau.pk)
        for item, share in policy.pack_items(user, meeting, bureau.pk)
    ]


def my_action_items(user, meeting: Meeting | None = None) -> QuerySet[ActionItem]:
    qs = policy.owned_action_items(user).select_related(
        "meeting", "item__youth", "owner_bureau", "owner_user"
    )
    if meeting is not None:
        qs = qs.filter(meeting=meeting)
    return qs.order_by("done_at", "due_on", "pk")


def share_views(share: MeetingShare):
    """The access-log rows of the pack views a share let in, oldest first."""
    from django.db.models.fields.json import KT

    from casework.models import AuditAction, AuditEntry

    return list(
        AuditEntry.objects.filter(action=AuditAction.VIEW)
        .annotate(share=KT("detail__meeting_share"))
        .filter(share=str(share.pk))
        .order_by("at", "id")
    )
