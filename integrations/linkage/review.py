"""The clerical review queue: a data steward decides whether two records are one person."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.access.audit import Actor, record
from casework.models import AuditAction, Youth
from integrations.linkage.identity import merge_youth
from integrations.models import RecordLink, ReviewPair, ReviewStatus, SourceRecord


def _live(youth: Youth) -> Youth:
    while youth.merged_into_id:
        youth = youth.merged_into
    return youth


def side(feed: str, key: str) -> dict:
    """One side of a pair as a steward sees it: the record's current values and the youth it is in."""
    current = SourceRecord.objects.filter(feed=feed, record_key=key, is_current=True).first()
    source = current if current is not None and current.sealed_at is None else None
    link = RecordLink.objects.filter(feed=feed, record_key=key).select_related("youth").first()
    return {
        "feed": feed,
        "record_key": key,
        "values": source.values if source else {},
        "received_at": source.received_at if source else None,
        "youth": _live(link.youth).public_id if link else "",
        "sealed": current is not None and current.sealed_at is not None,
    }


@transaction.atomic
def decide(*, pair: ReviewPair, accept: bool, actor: Actor, note: str = "") -> ReviewPair:
    """Accept (same person: the two youth records are merged) or reject (different people: the pair is
    never linked by the model again). Either way the decision is kept and honoured by every relink."""
    pair = ReviewPair.objects.select_for_update().get(pk=pair.pk)
    if pair.status != ReviewStatus.OPEN:
        raise ValidationError(_("This pair has already been decided."))
    if not accept and not note.strip():
        raise ValidationError(_("Say why these are different people."))
    merged = None
    if accept:
        left = (
            RecordLink.objects.filter(feed=pair.left_feed, record_key=pair.left_key)
            .select_related("youth")
            .first()
        )
        right = (
            RecordLink.objects.filter(feed=pair.right_feed, record_key=pair.right_key)
            .select_related("youth")
            .first()
        )
        if left is None or right is None:
            raise ValidationError(_("One of these records is no longer linked (sealed or withdrawn)."))
        a, b = _live(left.youth), _live(right.youth)
        if a.pk != b.pk:
            count_a = RecordLink.objects.filter(youth=a).count()
            count_b = RecordLink.objects.filter(youth=b).count()
            kept, absorbed = (a, b) if (count_a, -a.pk) >= (count_b, -b.pk) else (b, a)
            merged = merge_youth(
                kept=kept,
                absorbed=absorbed,
                origin=f"review pair {pair.pk}",
                reason=note.strip() or _("Data steward accepted the pair as one person."),
                actor=actor,
            )
            from integrations.linkage.golden import refresh_golden_records

            refresh_golden_records([kept.pk])
    pair.status = ReviewStatus.ACCEPTED if accept else ReviewStatus.REJECTED
    pair.decided_by = actor.user if getattr(actor.user, "is_authenticated", False) else None
    pair.decided_at = timezone.now()
    pair.note = note.strip()
    pair.save(update_fields=["status", "decided_by", "decided_at", "note"])
    record(
        actor,
        AuditAction.UPDATE,
        pair,
        detail={"decision": pair.status, "merge": merged.pk if merged else None},
    )
    if merged:
        # Last: sealing may erase the pair itself, once one of its records is found to be the sealed person's.
        from integrations.linkage.identity import _seal_what_moved

        _seal_what_moved(actor)
    return pair
