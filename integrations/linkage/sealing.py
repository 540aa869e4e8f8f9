"""Court sealing notices (Art. 83-1): sealed police contacts vanish from every page, API, export, search,
timeline, feature and model input, and from linkage evidence.

For each notice, the named ``police.contacts`` records (or, when ``contact_nos`` is blank, every police
contact of the notice's person that happened on or before ``effective_on``) are sealed: every version of
the source record has its content erased (only its key, provenance and the time of sealing remain), its
link to a youth is removed, and its timeline event is deleted; active alerts raised from that event are
resolved. What was sealed is kept in a :class:`SealingAction`, which only auditors and data stewards see.
A sealed record re-sent by the police later is not stored again.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from casework.audit import Actor, record
from casework.models import ACTIVE_ALERT_STATUSES, Alert, AlertStatus, AuditAction, Event, Youth

from ..models import RecordLink, ReviewPair, ReviewStatus, SealingAction, SourceRecord

NOTICE_FEED = "court.sealing"
CONTACT_FEED = "police.contacts"
ERASED = {"sealed": True}


def _contacts_of_person(
    notice_key: str, effective_on: dt.date | None
) -> tuple[list[str], Youth | None] | None:
    link = RecordLink.objects.filter(feed=NOTICE_FEED, record_key=notice_key).select_related("youth").first()
    if link is None:
        return None
    youth = link.youth
    while youth.merged_into_id:
        youth = youth.merged_into
    keys = list(
        RecordLink.objects.filter(feed=CONTACT_FEED, youth=youth).values_list("record_key", flat=True)
    )
    if effective_on is not None:
        records = SourceRecord.objects.filter(feed=CONTACT_FEED, is_current=True, record_key__in=keys)
        keys = [
            k
            for k, day in records.values_list("record_key", "event_date")
            if day is None or day <= effective_on
        ]
    return keys, youth


@transaction.atomic
def apply_notice(notice: SourceRecord, *, actor: Actor, affected: set | None = None) -> SealingAction | None:
    """Apply one notice. The youth whose records changed are refreshed at once, or, when ``affected`` is
    given, added to it for the caller to refresh together."""
    values = notice.values
    effective_on = dt.date.fromisoformat(values["effective_on"][:10]) if values.get("effective_on") else None
    named = values.get("contact_nos") or []
    youth = None
    if named:
        keys = list(named)
        link = (
            RecordLink.objects.filter(feed=NOTICE_FEED, record_key=notice.record_key)
            .select_related("youth")
            .first()
        )
        youth = link.youth if link else None
    else:
        found = _contacts_of_person(notice.record_key, effective_on)
        if found is None:
            action, _ = SealingAction.objects.update_or_create(
                notice_key=notice.record_key,
                defaults={
                    "court_case_no": values.get("court_case_no") or "",
                    "effective_on": effective_on,
                    "pending": True,
                },
            )
            return action
        keys, youth = found
    now = timezone.now()
    records = SourceRecord.objects.filter(feed=CONTACT_FEED, record_key__in=keys)
    sealed_versions = records.update(sealed_at=now, raw=ERASED, values=ERASED)
    events = Event.all_objects.filter(source_feed=CONTACT_FEED, source_key__in=keys)
    event_ids = list(events.values_list("pk", flat=True))
    affected_youth = set(events.values_list("youth_id", flat=True))
    Alert.objects.filter(source_event_id__in=event_ids, status__in=ACTIVE_ALERT_STATUSES).update(
        status=AlertStatus.RESOLVED, resolved_at=now
    )
    removed, _ = Event.all_objects.filter(pk__in=event_ids).delete()
    affected_youth |= set(
        RecordLink.objects.filter(feed=CONTACT_FEED, record_key__in=keys).values_list("youth_id", flat=True)
    )
    RecordLink.objects.filter(feed=CONTACT_FEED, record_key__in=keys).delete()
    # Review pairs hold copies of identity values: blank them and close the pair.
    for side in ("left", "right"):
        ReviewPair.objects.filter(**{f"{side}_feed": CONTACT_FEED, f"{side}_key__in": keys}).update(
            comparison={}, status=ReviewStatus.SUPERSEDED, decided_at=now
        )
    action, _ = SealingAction.objects.update_or_create(
        notice_key=notice.record_key,
        defaults={
            "court_case_no": values.get("court_case_no") or "",
            "effective_on": effective_on,
            "youth_public_id": youth.public_id if youth else "",
            "sealed_keys": sorted(set(keys)),
            "records_sealed": sealed_versions,
            "events_removed": len(event_ids),
            "pending": False,
            "applied_at": now,
        },
    )
    if affected is not None:
        affected |= affected_youth
    elif affected_youth:
        from .golden import refresh_golden_records

        refresh_golden_records(affected_youth)
    record(
        actor,
        AuditAction.SEAL,
        action,
        youth=youth,
        detail={"notice": notice.record_key, "records": sealed_versions},
    )
    return action


def apply_pending_notices(*, actor: Actor | None = None) -> dict:
    """Apply every current sealing notice not yet applied (or still waiting for its person)."""
    actor = actor or Actor.system("sealing")
    done = set(SealingAction.objects.filter(pending=False).values_list("notice_key", flat=True))
    applied = waiting = 0
    affected: set[int] = set()
    for notice in SourceRecord.objects.filter(feed=NOTICE_FEED, is_current=True).exclude(record_key__in=done):
        action = apply_notice(notice, actor=actor, affected=affected)
        if action is not None and action.pending:
            waiting += 1
        else:
            applied += 1
    if affected:
        from .golden import refresh_golden_records

        refresh_golden_records(affected)
    return {"notices_applied": applied, "notices_waiting": waiting}
