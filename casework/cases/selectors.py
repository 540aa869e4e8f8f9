"""Reads of the cases room: the case, referral and audit-log lists as their pages filter them (one definition
for the page and its export, so a file can never hold a row the page would not show), and the inbox's read state."""

from __future__ import annotations

from django.db.models import BooleanField, CharField, Exists, OuterRef, Q, QuerySet, Value, When
from django.db.models import Case as DbCase
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

from casework.access import policy
from casework.filters import CaseFilter, ReferralFilter
from casework.models import (
    AccessGrant,
    AlertStatus,
    CaseStatus,
    CaseStatusChange,
    Intervention,
    Notification,
    NotificationKind,
    NotificationRead,
    ReferralStatus,
)


def case_list_filter(request) -> CaseFilter:
    """``policy.visible_cases`` narrowed by ``CaseFilter``."""
    qs = policy.visible_cases(request.user).select_related("youth", "lead_bureau", "assignee")
    return CaseFilter(request.GET, queryset=qs, request=request)


def referral_list_filter(request) -> ReferralFilter:
    """``policy.visible_referrals`` narrowed by ``ReferralFilter``."""
    qs = policy.visible_referrals(request.user).select_related(
        "youth", "from_bureau", "to_bureau", "from_user", "to_user", "case"
    )
    return ReferralFilter(request.GET, queryset=qs)


# ---------------------------------------------------------------------------------------------------------
# The inbox: read state is each person's own, and a message whose action is done leaves the unread count
# ---------------------------------------------------------------------------------------------------------


def _action_done() -> Q:
    """Messages that asked for something now done, by anyone: an alert decided, a referral answered, a closure
    decided (approved or returned after the message), an access reviewed, a next step followed by a later
    intervention. Messages that only tell (answers, decisions, contests) have no action: reading clears them."""
    return (
        Q(
            kind__in=[NotificationKind.ALERT_RAISED, NotificationKind.ALERT_ESCALATED],
            alert__status=AlertStatus.RESOLVED,
        )
        | Q(kind=NotificationKind.REFERRAL_RECEIVED, referral__isnull=False)
        & ~Q(referral__status=ReferralStatus.PENDING)
        | Q(
            Exists(
                CaseStatusChange.objects.filter(
                    case_id=OuterRef("case_id"),
                    from_status=CaseStatus.CLOSURE_REQUESTED,
                    at__gte=OuterRef("created_at"),
                )
            ),
            kind=NotificationKind.CLOSURE_REQUESTED,
        )
        | Q(
            Exists(
                AccessGrant.objects.annotate(ref=Cast("pk", CharField())).filter(
                    ref=OuterRef("inbox_grant_ref"), reviewed_at__isnull=False
                )
            ),
            kind=NotificationKind.ACCESS_BY_PURPOSE,
        )
        | Q(
            Exists(
                Intervention.objects.filter(
                    case_id=OuterRef("case_id"), created_at__gt=OuterRef("created_at")
                )
            ),
            kind=NotificationKind.TASK_DUE,
        )
    )


def inbox_messages(user) -> QuerySet[Notification]:
    """``policy.visible_notifications`` with two marks per message for this user: ``read_by_me`` (they marked it
    read) and ``action_done`` (what it asked for was done, by them or a colleague)."""
    me = policy.principal_for(user).user.pk
    return policy.visible_notifications(user).annotate(
        inbox_grant_ref=KT("detail__grant"),
        read_by_me=Exists(NotificationRead.objects.filter(notification=OuterRef("pk"), user_id=me)),
        action_done=DbCase(
            When(_action_done(), then=Value(True)), default=Value(False), output_field=BooleanField()
        ),
    )


def unread_messages(user) -> QuerySet[Notification]:
    """Messages this user has not read and whose action is not yet done: the inbox's unread count."""
    return inbox_messages(user).filter(read_by_me=False, action_done=False)
