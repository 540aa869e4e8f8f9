"""Merging and splitting youth records: audited, and reversible.

A merge moves every row that belongs to the absorbed youth (record links, events, enrolments, cases,
alerts, referrals, triage decisions, and whatever later apps attach to a youth, such as risk scores) to
the kept youth, and remembers exactly which rows moved so that reversing it moves them back. A split
takes some source records out of a youth into a new youth; the events recorded from those records
follow them. Both are written to the access log.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.access.audit import Actor, record
from casework.history import acting, record_versions
from casework.models import (
    ACTIVE_ALERT_STATUSES,
    Alert,
    AlertStatus,
    AuditAction,
    FairnessAttributes,
    RiskScore,
    Youth,
    YouthMerge,
    YouthSplit,
)
from integrations.models import LinkMethod, RecordLink, ReviewPair, ReviewStatus

_NOT_MOVED = {YouthMerge, YouthSplit, FairnessAttributes, Youth}


def _youth_relations():
    """(model, field name) for every table with a foreign key to a youth, except the merge bookkeeping."""
    for rel in Youth._meta.related_objects:
        if rel.many_to_many or rel.one_to_one or rel.related_model in _NOT_MOVED:
            continue
        yield rel.related_model, rel.field.name


def _label(model) -> str:
    return model._meta.label_lower


def _move_all(source: Youth, target: Youth) -> dict[str, list[int]]:
    moved: dict[str, list[int]] = {}
    for model, field in _youth_relations():
        manager = getattr(model, "all_objects", model._default_manager)
        rows = manager.filter(**{field: source})
        if model is RiskScore:
            # Both records scored in the same run: the target keeps its own score of that run (one per youth,
            # date and model) and the source's stays with the source; the next run scores the merged record.
            taken = set(RiskScore.objects.filter(youth=target).values_list("as_of", "model_version"))
            both = [
                pk for pk, *run in rows.values_list("pk", "as_of", "model_version") if tuple(run) in taken
            ]
            rows = rows.exclude(pk__in=both)
        ids = list(rows.values_list("pk", flat=True))
        if ids:
            manager.filter(pk__in=ids).update(**{field: target})
            moved[_label(model)] = ids
    return moved


def _move_back(moved: dict[str, list[int]], current: Youth, original: Youth) -> None:
    from django.apps import apps

    for label, ids in moved.items():
        if label.startswith("_"):
            continue
        model = apps.get_model(label)
        field = next(f for m, f in _youth_relations() if m is model)
        manager = getattr(model, "all_objects", model._default_manager)
        manager.filter(pk__in=ids, **{field: current}).update(**{field: original})


def _close_duplicate_alerts(absorbed: Youth, kept: Youth) -> list[list]:
    """An active alert on both records for the same reason and bureau: the absorbed one is resolved."""
    closed = []
    kept_active = set(
        Alert.objects.filter(youth=kept, status__in=ACTIVE_ALERT_STATUSES).values_list(
            "reason", "routed_to_id"
        )
    )
    for alert in Alert.objects.filter(youth=absorbed, status__in=ACTIVE_ALERT_STATUSES):
        if (alert.reason, alert.routed_to_id) in kept_active:
            closed.append([alert.pk, alert.status])
            alert.resolve()  # by nobody: a duplicate found by the merge, not a decision
            alert.save(update_fields=["status", "resolved_at", "resolved_by"])
    return closed


@transaction.atomic
def merge_youth(*, kept: Youth, absorbed: Youth, reason: str, origin: str, actor: Actor) -> YouthMerge:
    """Make ``absorbed`` part of ``kept``. ``absorbed`` stays as a pointer (``merged_into``)."""
    if kept.pk == absorbed.pk:
        raise ValidationError(_("A youth record cannot be merged into itself."))
    if kept.merged_into_id or absorbed.merged_into_id:
        raise ValidationError(_("One of these youth records has already been merged into another."))
    if not reason.strip():
        raise ValidationError(_("A merge needs a reason."))
    closed = _close_duplicate_alerts(absorbed, kept)
    moved = _move_all(absorbed, kept)
    if closed:
        moved["_resolved_alerts"] = closed
    Youth.objects.filter(pk=absorbed.pk).update(merged_into=kept)
    absorbed.merged_into = kept
    with acting(actor):
        record_versions(Youth, [absorbed], created=False, job="system:linkage")
    merge = YouthMerge.objects.create(
        kept=kept, absorbed=absorbed, moved=moved, reason=reason, origin=origin, by=_user(actor)
    )
    record(
        actor,
        AuditAction.MERGE,
        merge,
        youth=kept,
        detail={
            "absorbed": absorbed.public_id,
            "origin": origin,
            "rows": {k: len(v) for k, v in moved.items()},
        },
    )
    return merge


@transaction.atomic
def reverse_merge(*, merge: YouthMerge, actor: Actor) -> YouthMerge:
    """Undo a merge: the rows that moved go back (rows added since stay with the kept youth)."""
    merge = YouthMerge.objects.select_for_update().get(pk=merge.pk)
    if merge.reversed_at:
        raise ValidationError(_("This merge has already been reversed."))
    _move_back(merge.moved, merge.kept, merge.absorbed)
    for pk, status in merge.moved.get("_resolved_alerts", []):
        alert = Alert.objects.filter(pk=pk, status=AlertStatus.RESOLVED).first()
        if alert is not None:  # resolved by the merge and not decided since
            alert.reopen(status=status)
            alert.save(update_fields=["status", "resolved_at", "resolved_by"])
    Youth.objects.filter(pk=merge.absorbed_id).update(merged_into=None)
    with acting(actor):
        record_versions(
            Youth, Youth.objects.filter(pk=merge.absorbed_id), created=False, job="system:linkage"
        )
    # Keep the records apart on the next relink: both youth's links are pinned, and a review decision
    # that joined them is turned into "different people".
    both = [merge.kept_id, merge.absorbed_id]
    RecordLink.objects.filter(youth_id__in=both).update(pinned=True, method=LinkMethod.CLERICAL)
    kept_keys = set(RecordLink.objects.filter(youth_id=merge.kept_id).values_list("feed", "record_key"))
    absorbed_keys = set(
        RecordLink.objects.filter(youth_id=merge.absorbed_id).values_list("feed", "record_key")
    )
    for pair in ReviewPair.objects.filter(status=ReviewStatus.ACCEPTED):
        left, right = (pair.left_feed, pair.left_key), (pair.right_feed, pair.right_key)
        if (left in kept_keys and right in absorbed_keys) or (left in absorbed_keys and right in kept_keys):
            pair.status = ReviewStatus.REJECTED
            pair.note = (pair.note + "\n" if pair.note else "") + _("The merge was reversed.")
            pair.decided_by = _user(actor)
            pair.decided_at = timezone.now()
            pair.save(update_fields=["status", "note", "decided_by", "decided_at"])
    from integrations.linkage.golden import refresh_golden_records

    refresh_golden_records(both)
    _seal_what_moved(actor)
    merge.reversed_at = timezone.now()
    merge.reversed_by = _user(actor)
    merge.save(update_fields=["reversed_at", "reversed_by"])
    record(actor, AuditAction.REVERSE, merge, youth=merge.absorbed, detail={"merge": merge.pk})
    return merge


@transaction.atomic
def split_youth(
    *, youth: Youth, records: Iterable[tuple[str, str]], reason: str, origin: str, actor: Actor
) -> YouthSplit:
    """Take source records (feed, record key) out of ``youth`` into a new youth record."""
    from casework.youth.services import create_youth
    from integrations.linkage.timeline import sync_events

    records = [tuple(r) for r in records]
    if not reason.strip():
        raise ValidationError(_("A split needs a reason."))
    links = list(RecordLink.objects.filter(youth=youth))
    chosen = [link for link in links if (link.feed, link.record_key) in set(records)]
    if not chosen or len(chosen) != len(set(records)):
        raise ValidationError(_("Choose records that belong to this youth."))
    if len(chosen) == len(links):
        raise ValidationError(_("A split must leave at least one record with the original youth."))
    created = create_youth()
    RecordLink.objects.filter(pk__in=[link.pk for link in chosen]).update(
        youth=created, pinned=True, method=LinkMethod.CLERICAL, linked_at=timezone.now()
    )
    RecordLink.objects.filter(youth=youth).update(pinned=True, method=LinkMethod.CLERICAL)
    moved = sync_events(youth_ids=[youth.pk, created.pk])
    from integrations.linkage.golden import refresh_golden_records

    refresh_golden_records([youth.pk, created.pk])
    _seal_what_moved(actor)
    split = YouthSplit.objects.create(
        source=youth,
        created=created,
        records=[list(r) for r in records],
        moved=moved,
        reason=reason,
        origin=origin,
        by=_user(actor),
    )
    record(
        actor,
        AuditAction.SPLIT,
        split,
        youth=youth,
        detail={"new_youth": created.public_id, "records": [list(r) for r in records], "origin": origin},
    )
    return split


@transaction.atomic
def reverse_split(*, split: YouthSplit, actor: Actor) -> YouthSplit:
    """Undo a split: the records (and their events) go back; the split-off youth points to the original."""
    from integrations.linkage.golden import refresh_golden_records
    from integrations.linkage.timeline import sync_events

    split = YouthSplit.objects.select_for_update().get(pk=split.pk)
    if split.reversed_at:
        raise ValidationError(_("This split has already been reversed."))
    if Youth.objects.filter(pk=split.created_id).exclude(merged_into=None).exists():
        raise ValidationError(
            _("The split-off record has since been merged into another; reverse that first.")
        )
    keys = {tuple(r) for r in split.records}
    for link in RecordLink.objects.filter(youth=split.created):
        if (link.feed, link.record_key) in keys:
            link.youth = split.source
            link.save(update_fields=["youth"])
    sync_events(youth_ids=[split.source_id, split.created_id])
    if not RecordLink.objects.filter(youth=split.created).exists():
        _move_all(split.created, split.source)
        Youth.objects.filter(pk=split.created_id).update(merged_into=split.source)
        with acting(actor):
            record_versions(
                Youth, Youth.objects.filter(pk=split.created_id), created=False, job="system:linkage"
            )
    # The split-off record holds no record any more: it keeps no identity either (one it took from a record
    # since sealed would otherwise outlive it, review 7b F1).
    refresh_golden_records([split.source_id, split.created_id])
    _seal_what_moved(actor)
    split.reversed_at = timezone.now()
    split.reversed_by = _user(actor)
    # Sealing may have taken the split away as it came back (it moved only contacts now sealed: linkage evidence
    # of a sealed record, sealing._forget_in_splits); the reversal is then logged without it.
    YouthSplit.objects.filter(pk=split.pk).update(
        reversed_at=split.reversed_at, reversed_by=split.reversed_by
    )
    record(actor, AuditAction.REVERSE, split, youth=split.source, detail={"split": split.pk})
    return split


def _seal_what_moved(actor: Actor) -> None:
    """After records change youth, a person-wide notice may reach a contact it could not reach before (the
    contact now belongs to the notice's youth): seal it now, in the same transaction, not at the next import."""
    from integrations.linkage.sealing import enforce_sealing

    enforce_sealing(actor=actor)


def _user(actor: Actor):
    user = actor.user
    return user if getattr(user, "is_authenticated", False) else None
