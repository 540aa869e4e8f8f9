"""Court sealing notices (Art. 83-1): an invariant, not a procedure.

A sealed police contact counts as never made. Whatever order things arrive in, after every import and every
linkage run this holds (``enforce_sealing``):

- the record's key is in :class:`SealedRecord` (the fact of sealing), and the importer refuses any later
  delivery of that key as content, by file, API upload or quarantine resubmission (``importing``); a row
  with a sealed key is neither stored nor quarantined, only counted;
- no version of the record is stored (the importer stores none; versions stored before the notice are
  deleted), and every quarantined row with that key is redacted (its raw row replaced) and closed;
- it has no link to a youth and no place in any review pair (linkage evidence), and no timeline event;
- everything casework derived from its event is erased or rewritten without it (``casework.sealing``), and
  the youth is rescored without it;
- a youth known only through sealed records keeps no identity (``golden``): an empty shell with its youth ID,
  which no case worker has a reason to see.

Which records a notice seals: the ``police.contacts`` keys it names; or, when ``contact_nos`` is blank, every
police contact of the notice's person that happened on or before ``effective_on`` (blank occurrence dates
included: nothing shows they came after). The person's contacts are those that name the notice's valid
national ID, or its exact name and birth date with no contradicting national ID (found without linkage, in
both orders: refused at import when the notice came first), and those linked to the youth the notice is
linked to (sealed in the transaction that writes the link).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from casework.audit import Actor, record
from casework.models import AuditAction, Event, Youth
from casework.sealing import erase_derived_from_events

from ..models import (
    QuarantinedRow,
    QuarantineStatus,
    RecordLink,
    ReviewPair,
    SealedRecord,
    SealingAction,
    SourceRecord,
)

NOTICE_FEED = "court.sealing"
CONTACT_FEED = "police.contacts"
ERASED = {"sealed": True}
SEALED_REASON = "sealed by a court (Art. 83-1): content erased"


def _day(value) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value:
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def named_keys(values: Mapping) -> list[str]:
    """The contact keys a notice names (blank: it names its person instead)."""
    named = values.get("contact_nos") or []
    if isinstance(named, str):
        named = named.split(";")
    return sorted({str(k).strip() for k in named if str(k).strip()})


def _kept(youth: Youth | None) -> Youth | None:
    while youth is not None and youth.merged_into_id:
        youth = youth.merged_into
    return youth


def _notice_youth(notice_key: str) -> Youth | None:
    link = RecordLink.objects.filter(feed=NOTICE_FEED, record_key=notice_key).select_related("youth").first()
    return _kept(link.youth) if link else None


def _contacts_of_person(youth: Youth, effective_on: dt.date | None) -> list[str]:
    keys = list(
        RecordLink.objects.filter(feed=CONTACT_FEED, youth=youth).values_list("record_key", flat=True)
    )
    if effective_on is None:
        return keys
    records = SourceRecord.objects.filter(feed=CONTACT_FEED, is_current=True, record_key__in=keys)
    return [
        k for k, day in records.values_list("record_key", "event_date") if day is None or day <= effective_on
    ]


def register(keys: Iterable[str], notice_key: str) -> None:
    SealedRecord.objects.bulk_create(
        [SealedRecord(feed=CONTACT_FEED, record_key=k, notice_key=notice_key) for k in keys],
        ignore_conflicts=True,
        batch_size=2000,
    )


def sealed_among(feed: str, keys: Iterable[str]) -> set[str]:
    """The keys (of ``feed``) that a court has sealed, whether or not they have arrived yet."""
    keys = [k for k in set(keys) if k]
    found: set[str] = set()
    for start in range(0, len(keys), 5000):
        found |= set(
            SealedRecord.objects.filter(feed=feed, record_key__in=keys[start : start + 5000]).values_list(
                "record_key", flat=True
            )
        )
    return found


def _not_yet_clean(keys: list[str]) -> set[str]:
    """Keys with anything left to erase: content, a link, an event, a review pair or a quarantined row."""
    dirty: set[str] = set()
    for start in range(0, len(keys), 5000):
        chunk = keys[start : start + 5000]
        dirty |= set(
            SourceRecord.objects.filter(feed=CONTACT_FEED, record_key__in=chunk).values_list(
                "record_key", flat=True
            )
        )
        dirty |= set(
            RecordLink.objects.filter(feed=CONTACT_FEED, record_key__in=chunk).values_list(
                "record_key", flat=True
            )
        )
        dirty |= set(
            Event.all_objects.filter(source_feed=CONTACT_FEED, source_key__in=chunk).values_list(
                "source_key", flat=True
            )
        )
        dirty |= set(
            QuarantinedRow.objects.filter(feed=CONTACT_FEED, record_key__in=chunk)
            .exclude(status=QuarantineStatus.SEALED)
            .values_list("record_key", flat=True)
        )
        for side in ("left", "right"):
            dirty |= set(
                ReviewPair.objects.filter(
                    **{f"{side}_feed": CONTACT_FEED, f"{side}_key__in": chunk}
                ).values_list(f"{side}_key", flat=True)
            )
    return dirty


def seal_keys(keys: Iterable[str], *, actor: Actor) -> dict:
    """Erase the content of these (already registered) police contacts and everything derived from them.
    Idempotent. Returns counts and the youth whose records changed (``youth_ids``)."""
    keys = sorted(set(keys))
    now = timezone.now()
    # Every stored version goes: the fact of sealing is the SealedRecord and the notice, and an erased shell
    # would only say that the police once sent this record.
    versions_sealed = SourceRecord.objects.filter(feed=CONTACT_FEED, record_key__in=keys).delete()[0]
    quarantined = QuarantinedRow.objects.filter(feed=CONTACT_FEED, record_key__in=keys).exclude(
        status=QuarantineStatus.SEALED
    )
    redacted = quarantined.update(
        raw=ERASED, reasons=[SEALED_REASON], status=QuarantineStatus.SEALED, resolved_at=now
    )
    linked_youth = set(
        RecordLink.objects.filter(feed=CONTACT_FEED, record_key__in=keys).values_list("youth_id", flat=True)
    )
    RecordLink.objects.filter(feed=CONTACT_FEED, record_key__in=keys).delete()
    pairs = 0
    for side in ("left", "right"):
        pairs += ReviewPair.objects.filter(
            **{f"{side}_feed": CONTACT_FEED, f"{side}_key__in": keys}
        ).delete()[0]
    event_ids = list(
        Event.all_objects.filter(source_feed=CONTACT_FEED, source_key__in=keys).values_list("pk", flat=True)
    )
    derived = erase_derived_from_events(event_ids=event_ids, extra_youth_ids=linked_youth, actor=actor)
    youth_ids = derived.youth_ids | linked_youth
    return {
        "records_sealed": versions_sealed,
        "quarantined_redacted": redacted,
        "review_pairs_removed": pairs,
        "events_removed": derived.counts.get("events", 0),
        "derived": derived.counts,
        "youth_ids": youth_ids,
    }


def _keys_of(notice: SourceRecord) -> tuple[list[str] | None, Youth | None]:
    """(keys the notice seals, its youth); keys is None while a person-wide notice's person is unknown."""
    values = notice.values
    named = named_keys(values)
    if named:
        youth = _notice_youth(notice.record_key)
        if youth is None:
            link = RecordLink.objects.filter(feed=CONTACT_FEED, record_key__in=named).select_related("youth")
            youth = _kept(link.first().youth) if link.exists() else None
        return named, youth
    youth = _notice_youth(notice.record_key)
    exact = PersonWideNotices.current([notice.record_key]).reach_in_store().get(notice.record_key, set())
    if youth is None:
        return (sorted(exact) if exact else None), None
    return sorted(set(_contacts_of_person(youth, _day(values.get("effective_on")))) | exact), youth


@transaction.atomic
def apply_notice(notice: SourceRecord, *, actor: Actor, affected: set | None = None) -> SealingAction:
    """Apply one notice (again: idempotent). The youth whose records changed are refreshed at once, or,
    when ``affected`` is given, added to it for the caller to refresh together."""
    values = notice.values
    effective_on = _day(values.get("effective_on"))
    keys, youth = _keys_of(notice)
    action = SealingAction.objects.filter(notice_key=notice.record_key).first()
    if keys is None:
        if action is None:
            action = SealingAction.objects.create(
                notice_key=notice.record_key,
                court_case_no=values.get("court_case_no") or "",
                effective_on=effective_on,
                pending=True,
            )
        return action
    register(keys, notice.record_key)
    dirty = sorted(_not_yet_clean(keys))
    figures = seal_keys(dirty, actor=actor) if dirty else {"records_sealed": 0, "events_removed": 0}
    first = action is None or action.pending
    action = action or SealingAction(notice_key=notice.record_key)
    action.court_case_no = values.get("court_case_no") or ""
    action.effective_on = effective_on
    action.youth_public_id = youth.public_id if youth else action.youth_public_id
    action.sealed_keys = sorted(set(action.sealed_keys or []) | set(keys))
    action.records_sealed = (action.records_sealed or 0) + figures["records_sealed"]
    action.events_removed = (action.events_removed or 0) + figures["events_removed"]
    action.pending = False
    if first:
        action.applied_at = timezone.now()
    action.save()
    changed = figures.get("youth_ids") or set()
    if affected is not None:
        affected |= changed
    elif changed:
        from .golden import refresh_golden_records

        refresh_golden_records(changed)
    if first or dirty:
        record(
            actor,
            AuditAction.SEAL,
            action,
            youth=youth,
            detail={"notice": notice.record_key, "records": figures["records_sealed"]},
        )
    return action


def _reach_of_every_notice() -> dict[str, list[str] | None]:
    """notice key -> the contact keys it seals now (None: a person-wide notice whose person is not linked
    yet), for every current notice, in a few queries whatever their number."""
    notices = list(
        SourceRecord.objects.filter(feed=NOTICE_FEED, is_current=True, sealed_at__isnull=True).values_list(
            "record_key", "values"
        )
    )
    youth_of = dict(RecordLink.objects.filter(feed=NOTICE_FEED).values_list("record_key", "youth_id"))
    merged = dict(Youth.objects.filter(merged_into__isnull=False).values_list("pk", "merged_into_id"))

    def kept(youth_id):
        seen = set()
        while youth_id in merged and youth_id not in seen:
            seen.add(youth_id)
            youth_id = merged[youth_id]
        return youth_id

    person_wide = {k: kept(youth_of[k]) for k, v in notices if not named_keys(v) and k in youth_of}
    contacts: dict[int, list[str]] = defaultdict(list)
    for key, youth_id in RecordLink.objects.filter(
        feed=CONTACT_FEED, youth_id__in=set(person_wide.values())
    ).values_list("record_key", "youth_id"):
        contacts[youth_id].append(key)
    wanted = [k for keys in contacts.values() for k in keys]
    dates = dict(
        SourceRecord.objects.filter(feed=CONTACT_FEED, is_current=True, record_key__in=wanted).values_list(
            "record_key", "event_date"
        )
    )
    exact = PersonWideNotices.current().reach_in_store()
    reach: dict[str, list[str] | None] = {}
    for key, values in notices:
        named = named_keys(values)
        if named:
            reach[key] = named
        elif key not in person_wide:
            reach[key] = sorted(exact[key]) if key in exact else None
        else:
            effective_on = _day(values.get("effective_on"))
            linked = {
                c
                for c in contacts.get(person_wide[key], [])
                if effective_on is None or dates.get(c) is None or dates[c] <= effective_on
            }
            reach[key] = sorted(linked | exact.get(key, set()))
    return reach


def enforce_sealing(*, actor: Actor | None = None) -> dict:
    """Make the sealing invariant hold for every current notice (module docstring). Cheap when nothing
    changed: every notice's reach is worked out in a few queries, and only a notice that reaches a record
    with something left to erase, or that has not been applied yet, does any work."""
    actor = actor or Actor.system("sealing")
    applied = waiting = 0
    affected: set[int] = set()
    with transaction.atomic():
        reach = _reach_of_every_notice()
        registered = set(SealedRecord.objects.values_list("record_key", flat=True))
        reached = {k for keys in reach.values() if keys for k in keys}
        dirty = _not_yet_clean(sorted(registered | reached))
        actions = {a.notice_key: a for a in SealingAction.objects.all()}
        notices = SourceRecord.objects.filter(feed=NOTICE_FEED, is_current=True, sealed_at__isnull=True)
        for notice_key, keys in reach.items():
            action = actions.get(notice_key)
            done = (
                keys is not None
                and action is not None
                and not action.pending
                and set(keys) <= set(action.sealed_keys or [])
                and not set(keys) & dirty
            )
            if not done and not (keys is None and action is not None):
                action = apply_notice(notices.get(record_key=notice_key), actor=actor, affected=affected)
            if keys is None:
                waiting += 1
            else:
                applied += 1
        # Keys sealed by notices since re-sent or replaced stay sealed: sealing is never undone.
        leftover = sorted(_not_yet_clean(sorted(registered - reached)))
        if leftover:
            affected |= seal_keys(leftover, actor=actor)["youth_ids"]
        if affected:
            from .golden import refresh_golden_records

            refresh_golden_records(affected)
    return {"notices_applied": applied, "notices_waiting": waiting}


def apply_notices_of_batch(batch, *, actor: Actor) -> None:
    """Apply the notices one import stored (the caller holds the import's transaction)."""
    affected: set[int] = set()
    for notice in SourceRecord.objects.filter(batch=batch, feed=NOTICE_FEED, is_current=True):
        apply_notice(notice, actor=actor, affected=affected)
    if affected:
        from .golden import refresh_golden_records

        refresh_golden_records(affected)


def seal_named_by_quarantined_notices(rows: Iterable[tuple[str, list[str]]], *, actor: Actor) -> int:
    """A notice that breaks the contract (a mistyped birth date, say) waits in the quarantine for a data
    steward, but the contacts it names by number are sealed at once: a court order that names its records
    is unambiguous about them, and holding a sealed record one day longer is the harm the law forbids.
    ``rows``: (notice key or a placeholder, contact keys). Returns how many keys were sealed."""
    affected: set[int] = set()
    sealed = 0
    for notice_key, keys in rows:
        keys = sorted({k for k in keys if k})
        if not keys:
            continue
        register(keys, notice_key)
        dirty = sorted(_not_yet_clean(keys))
        if dirty:
            affected |= seal_keys(dirty, actor=actor)["youth_ids"]
        sealed += len(keys)
    if affected:
        from .golden import refresh_golden_records

        refresh_golden_records(affected)
    return sealed


# ---------------------------------------------------------------------------------------------------------
# At import: rows a person-wide notice reaches by exact identity, refused before they are stored
# ---------------------------------------------------------------------------------------------------------


class PersonWideNotices:
    """The person-wide notices (blank ``contact_nos``) and the people they name, for finding their contacts by
    exact identity: the notice's valid national ID, or its exact name and birth date with no contradicting
    national ID, for contacts that happened on or before its ``effective_on``. Fuzzier matches are linkage's.
    """

    def __init__(self, notices: Iterable[tuple[str, Mapping, str]]):
        self.by_nid: dict[str, list[tuple[str, dt.date | None]]] = defaultdict(list)
        self.by_name_dob: dict[tuple[str, str], list[tuple[str, dt.date | None, str]]] = defaultdict(list)
        for key, values, nid_status in notices:
            if named_keys(values):
                continue
            effective_on = _day(values.get("effective_on"))
            nid = (values.get("national_id") or "") if nid_status == "valid" else ""
            if nid:
                self.by_nid[nid].append((key, effective_on))
            if values.get("name") and values.get("birth_date"):
                self.by_name_dob[(values["name"], str(values["birth_date"])[:10])].append(
                    (key, effective_on, nid)
                )

    @classmethod
    def current(cls, notice_keys: Iterable[str] | None = None) -> PersonWideNotices:
        notices = SourceRecord.objects.filter(feed=NOTICE_FEED, is_current=True, sealed_at__isnull=True)
        if notice_keys is not None:
            notices = notices.filter(record_key__in=list(notice_keys))
        return cls(notices.values_list("record_key", "values", "national_id_status"))

    def __bool__(self) -> bool:
        return bool(self.by_nid or self.by_name_dob)

    def match(self, values: Mapping, nid_status: str) -> str:
        """The notice that reaches a contact with these values, or ``""``."""
        occurred = _day(values.get("occurred_on"))

        def reaches(effective_on) -> bool:
            return effective_on is None or occurred is None or occurred <= effective_on

        nid = (values.get("national_id") or "") if nid_status == "valid" else ""
        for key, effective_on in self.by_nid.get(nid, []) if nid else []:
            if reaches(effective_on):
                return key
        name, dob = values.get("name"), str(values.get("birth_date") or "")[:10]
        for key, effective_on, notice_nid in self.by_name_dob.get((name, dob), []) if name and dob else []:
            if (not nid or not notice_nid or nid == notice_nid) and reaches(effective_on):
                return key
        return ""

    def reach_in_store(self) -> dict[str, set[str]]:
        """notice key -> keys of the stored contacts it reaches by exact identity (linked or not)."""
        found: dict[str, set[str]] = defaultdict(set)
        if not self:
            return found
        names = sorted({name for name, _dob in self.by_name_dob})
        candidates = SourceRecord.objects.filter(
            Q(values__national_id__in=sorted(self.by_nid)) | Q(values__name__in=names),
            feed=CONTACT_FEED,
            is_current=True,
            sealed_at__isnull=True,
        )
        for key, values, nid_status in candidates.values_list("record_key", "values", "national_id_status"):
            notice = self.match(values, nid_status)
            if notice:
                found[notice].add(key)
        return found
