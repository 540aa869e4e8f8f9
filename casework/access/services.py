"""Opening a record by stating a purpose, and reviewing it (access-policy rule 17).

The one way to create or review an ``AccessGrant``: each function checks the policy, writes in one
transaction, appends the audit row and tells whoever must know.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.db.models.fields.json import KT
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.access import policy
from casework.access.audit import Actor, record
from casework.models import (
    AccessGrant,
    AccessPurpose,
    AccessReviewOutcome,
    AuditAction,
    AuditEntry,
    Bureau,
    NotificationKind,
    Youth,
    validate_purpose_text,
)
from casework.notifications import notify


def purpose_actor(actor: Actor, grant: AccessGrant) -> Actor:
    """The actor as the access log should see them while a grant is what lets them in: with its purpose."""
    return dataclasses.replace(actor, purpose=grant.purpose_summary[:255])


def record_youth_view(actor: Actor, obj, youth: Youth, **detail) -> AccessGrant | None:
    """Log a view of a youth's record (or of something on it). While the viewer holds a grant for the youth,
    the row carries the grant's purpose and ``{"break_glass": grant id}``, so the reviewer sees what the stated
    purpose was used for. Returns the grant, if any (pages show a banner)."""
    grant = policy.active_grant_for(actor.user, youth)
    if grant is None:
        record(actor, AuditAction.VIEW, obj, youth=youth, detail=detail or None)
    else:
        record(
            purpose_actor(actor, grant),
            AuditAction.VIEW,
            obj,
            youth=youth,
            detail={**detail, "break_glass": grant.pk},
        )
    return grant


@transaction.atomic
def grant_access(
    *, actor: Actor, youth: Iterable[Youth], bureau: Bureau, purpose_code: str, purpose_text: str
) -> list[AccessGrant]:
    """Open the given youth records to the actor for ``ACCESS_GRANT_HOURS`` on a stated purpose.

    Several records only when one national ID is on several (not yet merged) records of one child. Each
    grant is logged (action ``break_glass``) and the supervisors of ``bureau`` are told, so they can review.
    """
    user = actor.user
    if not policy.can_break_glass(user) or not policy.can_act_for_bureau(user, bureau.pk):
        raise PermissionDenied(_("Your role may not open records by stating a purpose."))
    if purpose_code not in AccessPurpose.values:
        raise ValidationError({"purpose_code": _("Choose a purpose.")})
    purpose_text = purpose_text.strip()
    validate_purpose_text(purpose_text)
    now = timezone.now()
    grants = []
    for one in youth:
        grant = AccessGrant.objects.create(
            user=user,
            bureau=bureau,
            youth=one,
            purpose_code=purpose_code,
            purpose_text=purpose_text,
            granted_at=now,
            expires_at=now + policy.access_grant_window(),
        )
        record(
            purpose_actor(actor, grant),
            AuditAction.BREAK_GLASS,
            grant,
            detail={
                "break_glass": grant.pk,
                "purpose_code": purpose_code,
                "purpose_text": purpose_text,
                "bureau": bureau.code,
                "expires_at": grant.expires_at.isoformat(sep=" ", timespec="seconds"),
            },
        )
        for supervisor in policy.supervisors_of(bureau.pk):
            if supervisor.pk != user.pk:
                notify(
                    kind=NotificationKind.ACCESS_BY_PURPOSE,
                    user=supervisor,
                    youth=one,
                    detail={"grant": grant.pk, "by": user.get_username(), "purpose_code": purpose_code},
                )
        grants.append(grant)
    return grants


@transaction.atomic
def review_access_grant(*, actor: Actor, grant: AccessGrant, outcome: str, note: str = "") -> AccessGrant:
    """Record a reviewer's verdict. "Needs follow-up" leaves the grant on the reviewers' desk for a later,
    final verdict; "justified" and "not justified" are final. Every verdict is in the access log."""
    locked = AccessGrant.objects.select_for_update().get(pk=grant.pk)
    if not policy.can_review_access_grant(actor.user, locked):
        raise PermissionDenied(_("You may not review this access (nobody reviews their own)."))
    return record_review(actor=actor, locked=locked, outcome=outcome, note=note)


def record_review(*, actor: Actor, locked, outcome: str, note: str, youth=None):
    """Write a reviewer's verdict on an access given by a stated purpose or by a meeting share (``locked``,
    already checked as the reviewer's to review): the same outcomes, notes and log line for both."""
    if outcome not in AccessReviewOutcome.values:
        raise ValidationError({"outcome": _("Choose an outcome.")})
    note = note.strip()
    if outcome != AccessReviewOutcome.JUSTIFIED and not note:
        raise ValidationError({"note": _("Say why the access was not justified, or what must follow.")})
    if not locked.awaits_review:
        raise ValidationError(_("This access has already been reviewed."))
    previous = locked.review_outcome
    locked.review_outcome = outcome
    locked.review_note = note
    locked.reviewed_by = actor.user
    locked.reviewed_at = timezone.now()
    locked.save(update_fields=["review_outcome", "review_note", "reviewed_by", "reviewed_at"])
    record(actor, AuditAction.UPDATE, locked, youth=youth, detail={"review": outcome, "previous": previous})
    return locked


# ---------------------------------------------------------------------------------------------------------
# Selectors
# ---------------------------------------------------------------------------------------------------------


def _grant_views(grant_ids: Iterable[int]):
    ids = [str(i) for i in grant_ids]
    # KT reads the JSON value as text, so one query serves any number of grants.
    return (
        AuditEntry.objects.filter(action=AuditAction.VIEW)
        .annotate(grant=KT("detail__break_glass"))
        .filter(grant__in=ids)
    )


def page_view_counts(grant_ids: Iterable[int]) -> dict[int, int]:
    """How many record views the access log holds for each grant (views made while the grant let them in)."""
    rows = _grant_views(grant_ids).values("grant").annotate(n=Count("id"))
    return {int(row["grant"]): row["n"] for row in rows}


def page_views(grant: AccessGrant) -> list[AuditEntry]:
    """The log rows of the views a grant allowed, oldest first (time and path: no content)."""
    return list(_grant_views([grant.pk]).order_by("at", "id"))
