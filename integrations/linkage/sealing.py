"""Court sealing notices (Art. 83-1): an invariant, not a procedure.

A sealed police contact counts as never made. Whatever order things arrive in, after every import and every
linkage run this holds (``enforce_sealing``):

- the record's key is in :class:`SealedRecord` (the fact of sealing), and the importer refuses any later
  delivery of that key as content, by file, API upload or quarantine resubmission (``importing``); a row
  with a sealed key is neither stored nor quarantined, only counted;
- no version of the record is stored (the importer stores none; versions stored before the notice are
  deleted), and every quarantined row with that key is redacted (its raw row replaced) and closed;
- it has no link to a youth and no place in any review pair (linkage evidence), and no timeline event;
- everything casework derived from its event is erased or rewritten without it (``casework.access.sealing``), and
  the youth is rescored without it;
- a youth known only through sealed records keeps no identity (``golden``): an empty shell with its youth ID,
  which no case worker has a reason to see.

Which records a notice seals: the ``police.contacts`` keys it names; or, when ``contact_nos`` is blank, every
police contact of the notice's person that happened on or before ``effective_on`` (blank occurrence dates
included: nothing shows they came after). The person's contacts are those that name the notice's valid
national ID, or its exact name and birth date with no contradicting national ID (found without linkage, in
both orders: refused at import when the notice came first), and those linked to the youth the notice is
linked to (sealed in the transaction that writes the link). Quarantined contacts, which linkage never sees,
are the person's by exact identity with the notice or with any record linked to its youth; a date that cannot
be read counts as before ``effective_on`` (``notices.PersonWideNotices``, in ``integrations/linkage/notices.py``).

Keys are compared as :func:`sealing_key` makes them (NFKC, trimmed, case-folded): a sealed key seals every
case variant of itself.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping

from django.conf import settings
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from casework.access.audit import Actor, record
from casework.access.sealing import erase_derived_from_events
from casework.history import erase_history_of
from casework.models import AuditAction, Event, Youth, YouthSplit
from integrations.feeds import contract
from integrations.linkage.notices import (  # noqa: F401 (the names callers use through sealing)
    CONTACT_FEED,
    NOTICE_FEED,
    PersonWideNotices,
    _day,
    may_reach_youth,
    named_keys,
    without_id,
    youth_id_digests,
)
from integrations.models import (
    BatchOrigin,
    BatchStatus,
    FeedUpload,
    ImportBatch,
    QuarantinedRow,
    QuarantineStatus,
    RecordLink,
    ReviewPair,
    SealedRecord,
    SealingAction,
    SourceRecord,
)

ERASED = {"sealed": True}
SEALED_REASON = "sealed by a court (Art. 83-1): content erased"


_SPACES = re.compile(r"\s+")


# A key holding any character outside printable ASCII (the same class in PostgreSQL's and Python's regexes).
NOT_PRINTABLE_ASCII = r"[^ -~]"


# Invisible characters outside the format category (Unicode's default-ignorables: a combining grapheme joiner, a
# Hangul filler, Mongolian and other variation selectors), and marks that stand for a hyphen (a minus sign, a
# hyphen bullet, a middle dot): insider review 16, N6.
_IGNORABLE = re.compile(
    "[\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u3164\ufe00-\ufe0f\uffa0\U000e0100-\U000e01ef]"
)
_DASH_LIKE = "\u2212\u2043\u30fb\u00b7\uff65"


def sealing_key(key: object) -> str:
    """A record key as sealing compares it: NFKC (full-width is plain), without invisible format characters
    (a zero-width space pasted from a PDF, a soft hyphen), every dash as ``-`` (a word processor's hyphen,
    a minus sign), trimmed, inner spaces as one, and case-folded. A notice naming ``ins-d-002`` seals
    ``INS-D-002`` and ``INS‐D‐002``: a clerk's transcription may change such details, and refusing a record that
    merely differs in them is the safe side of Art. 83-1 (insider review 15, F3)."""
    text = "".join(
        "-" if unicodedata.category(ch) == "Pd" or ch in _DASH_LIKE else ch
        for ch in unicodedata.normalize("NFKC", str(key or ""))
        if unicodedata.category(ch) != "Cf" and not _IGNORABLE.match(ch)
    )
    text = _SPACES.sub(" ", text).strip()
    return unicodedata.normalize("NFKC", text.casefold())


def _lowered(keys: Iterable[str]) -> list[str]:
    """What the database's ``lower()`` may make of keys that fold alike (a first sieve; Python decides)."""
    return sorted({form for k in keys for form in (k.lower(), sealing_key(k))})


def stored_variants(keys: Iterable[str]) -> set[str]:
    """Keys of stored or quarantined police contacts that are case (or spacing) variants of these keys and
    not the keys themselves: they are sealed with them."""
    keys = {k for k in keys if k}
    folded = {sealing_key(k) for k in keys}
    found: set[str] = set()
    lowered = _lowered(keys)
    sources = ((SourceRecord, {}), (QuarantinedRow, {"status": QuarantineStatus.OPEN}))
    for start in range(0, len(lowered), 5000):
        chunk = lowered[start : start + 5000]
        for model, extra in sources:
            found |= set(
                model.objects.filter(feed=CONTACT_FEED, **extra)
                .annotate(lowered=Lower("record_key"))
                .filter(lowered__in=chunk)
                .values_list("record_key", flat=True)
            )
    # The database's lower() folds ASCII as Python does, but not every other letter (SQLite folds ASCII only;
    # PostgreSQL makes İ a plain i where casefold keeps the dot): every key with a character outside printable
    # ASCII is a candidate too (rare in police keys), and Python decides.
    for model, extra in sources:
        found |= set(
            model.objects.filter(
                feed=CONTACT_FEED, record_key__regex=NOT_PRINTABLE_ASCII, **extra
            ).values_list("record_key", flat=True)
        )
    return {k for k in found if k not in keys and sealing_key(k) in folded}


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
    """Record these keys as sealed. A key longer than any record key can be (``contract.MAX_RECORD_KEY_LENGTH``,
    a notice's ``contact_nos`` entry) names no record that can ever be stored, so there is nothing to register."""
    keys = [k for k in keys if len(k) <= contract.MAX_RECORD_KEY_LENGTH]
    SealedRecord.objects.bulk_create(
        [SealedRecord(feed=CONTACT_FEED, record_key=k, notice_key=notice_key[:128]) for k in keys],
        ignore_conflicts=True,
        batch_size=2000,
    )


def sealed_among(feed: str, keys: Iterable[str]) -> set[str]:
    """The keys (of ``feed``) that a court has sealed, whether or not they have arrived yet, compared as
    :func:`sealing_key` compares them (a case variant of a sealed key is sealed)."""
    keys = [k for k in set(keys) if k]
    sealed: set[str] = set()
    registered = SealedRecord.objects.filter(feed=feed).annotate(lowered=Lower("record_key"))
    for field, wanted in (("record_key__in", keys), ("lowered__in", _lowered(keys))):
        for start in range(0, len(wanted), 5000):
            found = registered.filter(**{field: wanted[start : start + 5000]})
            sealed |= {sealing_key(k) for k in found.values_list("record_key", flat=True)}
    if keys:
        # A sealed key written with a character outside printable ASCII (a notice's odd hyphen) folds in
        # Python only: such keys are few, and each is a candidate.
        odd = registered.filter(record_key__regex=NOT_PRINTABLE_ASCII).values_list("record_key", flat=True)
        sealed |= {sealing_key(k) for k in odd}
    return {k for k in keys if sealing_key(k) in sealed}


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


def _merged_into(youth_ids: Iterable[int]) -> set[int]:
    """Every youth merged into these, at any depth."""
    found: set[int] = set()
    frontier = set(youth_ids)
    while frontier:
        frontier = set(Youth.objects.filter(merged_into_id__in=frontier).values_list("pk", flat=True)) - found
        found |= frontier
    return found


def seal_keys(keys: Iterable[str], *, actor: Actor) -> dict:
    """Erase the content of these (already registered) police contacts and everything derived from them.
    Idempotent. Returns counts and the youth whose records changed (``youth_ids``)."""
    keys = sorted(set(keys))
    now = timezone.now()
    # Every stored version goes: the fact of sealing is the SealedRecord and the notice, and an erased shell
    # would only say that the police once sent this record.
    versions = SourceRecord.objects.filter(feed=CONTACT_FEED, record_key__in=keys)
    quarantined = QuarantinedRow.objects.filter(feed=CONTACT_FEED, record_key__in=keys).exclude(
        status=QuarantineStatus.SEALED
    )
    neutralise_file_names(
        set(versions.values_list("batch_id", flat=True)) | set(quarantined.values_list("batch_id", flat=True))
    )
    versions_sealed = versions.delete()[0]
    redacted = quarantined.update(
        raw=ERASED, reasons=[SEALED_REASON], status=QuarantineStatus.SEALED, resolved_at=now
    )
    linked_youth = set(
        RecordLink.objects.filter(feed=CONTACT_FEED, record_key__in=keys).values_list("youth_id", flat=True)
    )
    RecordLink.objects.filter(feed=CONTACT_FEED, record_key__in=keys).delete()
    _forget_in_splits(keys)
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
    # A record merged into one of these kept its own versions (linkage writes them too): they may hold a name or
    # an address only the sealed record gave it, so they go as well.
    erase_history_of(Youth, _merged_into(youth_ids))
    return {
        "records_sealed": versions_sealed,
        "quarantined_redacted": redacted,
        "review_pairs_removed": pairs,
        "events_removed": derived.counts.get("events", 0),
        "derived": derived.counts,
        "youth_ids": youth_ids,
    }


SPLIT_REASON_WITHHELD = "(withheld: the split concerned a record since sealed)"


def _forget_in_splits(keys: list[str]) -> None:
    """Linkage evidence (insider review 15, F5): a steward's split that moved a sealed contact keeps neither its
    key nor the reason the steward wrote about it; a split that moved only sealed contacts goes, since it would
    tie the sealed record to a youth and say that the youth it made once existed."""
    sealed = {sealing_key(k) for k in keys}
    for split in YouthSplit.objects.all().only("pk", "records", "reason"):
        records = [r for r in split.records or [] if isinstance(r, list | tuple) and len(r) == 2]
        kept = [r for r in records if not (r[0] == CONTACT_FEED and sealing_key(r[1]) in sealed)]
        if len(kept) == len(records):
            continue
        if not kept:
            split.delete()
        else:
            YouthSplit.objects.filter(pk=split.pk).update(records=kept, reason=SPLIT_REASON_WITHHELD)


def neutral_file_name(feed: str) -> str:
    """The name a batch keeps once it held a sealed record: the bureau's own name for the file may name the
    person, their ID or the matter (``E1…_王小明_drugs.csv``), and names cannot be detected reliably."""
    return f"{feed}.csv"


def file_name_after_sealing(feed: str, origin: str, name: str) -> str:
    """The name a batch keeps once it held a sealed record: neutral, unless the platform named it (a JSON
    upload's ``(api)``, a resubmission's ``(resubmission of …)``)."""
    if origin == BatchOrigin.RESUBMIT or name == "(api)":
        return name
    return neutral_file_name(feed)


def neutralise_file_names(batch_ids: Iterable[int], *, held_sealed: bool = True) -> None:
    """Replace the bureau's file name of these batches by a neutral one (``file_name_after_sealing``).
    ``held_sealed``: the batches held a sealed record, so their SHA-256 goes too: whoever holds a copy of the
    file could otherwise confirm that the platform received it (a re-sent copy is then imported again, and
    its sealed rows refused and counted as such, instead of being answered "duplicate")."""
    batch_ids = sorted({b for b in batch_ids if b})
    for start in range(0, len(batch_ids), 5000):
        batches = ImportBatch.objects.filter(pk__in=batch_ids[start : start + 5000])
        for pk, feed, origin, name, checksum in batches.values_list(
            "pk", "feed", "origin", "file_name", "checksum"
        ):
            changes = {"file_name": file_name_after_sealing(feed, origin, name)}
            if held_sealed:
                changes["checksum"] = ""
            if changes["file_name"] != name or changes.get("checksum", checksum) != checksum:
                ImportBatch.objects.filter(pk=pk).update(**changes)


UNFINISHED = (BatchStatus.QUEUED, BatchStatus.RUNNING, BatchStatus.FAILED)


def clear_unfinished_uploads(*, neutralise: Iterable[str] = ()) -> None:
    """What a delivery that never finished importing may still hold of a sealed record (docs/sealing.md,
    "Unfinished uploads"). The bytes of a failed upload are deleted, whatever the feed: a failed import
    stored nothing and the bureau sends the file again. The bureau's file name of every ``police.contacts``
    batch in one of the ``neutralise`` states is replaced by the neutral one: its rows are not stored, so
    whether it names a sealed person cannot be told without reading them, and the name is only a label.
    A notice being applied neutralises queued, running and failed batches; the routine sweep after every
    import (``enforce_sealing``), once any notice exists, failed ones only. A queued upload's rows are sealed
    as they are imported after the notice."""
    FeedUpload.objects.filter(batch__status=BatchStatus.FAILED).delete()
    if neutralise:
        neutralise_file_names(
            ImportBatch.objects.filter(feed=CONTACT_FEED, status__in=list(neutralise)).values_list(
                "pk", flat=True
            ),
            held_sealed=False,
        )
        # A failed batch's SHA-256 serves nothing (only completed files are recognised as duplicates) and could
        # confirm that a file naming a sealed person was received.
        if BatchStatus.FAILED in neutralise:
            ImportBatch.objects.filter(feed=CONTACT_FEED, status=BatchStatus.FAILED).exclude(
                checksum=""
            ).update(checksum="")


def file_checksum(feed: str, data: bytes) -> str:
    """The checksum a batch is known by (a file sent again is a duplicate): the SHA-256 of its bytes, and for a
    court's notices a keyed one (HMAC-SHA-256 with the installation's secret key), which still tells a file sent
    again, while nobody holding a copy of the court's file can confirm from it that the platform received it
    (insider review 15, F1)."""
    if feed == NOTICE_FEED:
        return hmac.new(settings.SECRET_KEY.encode(), data, hashlib.sha256).hexdigest()
    return hashlib.sha256(data).hexdigest()


def batch_label(feed: str, origin: str, name: str, checksum: str) -> tuple[str, str]:
    """(file name, checksum) a batch keeps as it is opened: a court's sealing notices do not keep the court's
    name for the file, which may name the children under the order (their checksum is keyed,
    ``file_checksum``; insider review 15, F1)."""
    if feed == NOTICE_FEED:
        return file_name_after_sealing(feed, origin, name), checksum
    return name, checksum


def failed_batch_label(feed: str, origin: str, name: str, checksum: str) -> tuple[str, str]:
    """(file name, checksum) a ``police.contacts`` upload that failed keeps when a sealing notice exists: the
    neutral name and no checksum at once, since its rows were never read and may name a sealed person
    (otherwise they would go only at the next import's sweep). A notice file keeps neither (``batch_label``)."""
    if feed == NOTICE_FEED:
        return batch_label(feed, origin, name, checksum)
    if feed != CONTACT_FEED or not SourceRecord.objects.filter(feed=NOTICE_FEED, is_current=True).exists():
        return name, checksum
    return file_name_after_sealing(feed, origin, name), ""


# Separators between the pieces of a cell in which a misplaced identity is looked for (commas of an overflow
# or a swallowed line, newlines, spaces, quotes).

SCRUBBED = "rows"
"""``FeedUpload.encoding`` of a queued upload that sealing took rows out of while it waited
(:func:`scrub_queued_uploads`): JSON ``{"header", "encoding", "rows": [[row_number, raw row], ...], "sealed": n}``
(``sealed``: the rows taken out, counted on the batch as read and sealed)."""


def _upload_rows(upload: FeedUpload) -> tuple[list[str] | None, str, list[tuple[int, object]], int] | None:
    """(header, encoding, numbered raw rows, rows already taken out) of a queued upload, read as its import
    will read it; None when it cannot be read (its import fails, and a failed upload's bytes are deleted)."""
    data = bytes(upload.data)
    try:
        if upload.encoding == SCRUBBED:
            kept = json.loads(data)
            return (
                kept["header"],
                kept["encoding"],
                [(int(n), raw) for n, raw in kept["rows"]],
                kept["sealed"],
            )
        if upload.encoding == "json":
            rows = json.loads(data)
            return (None, "json", list(enumerate(rows, start=1)), 0) if isinstance(rows, list) else None
        csv_file = contract.read_rows(data, upload.encoding or None)
        if contract.header_problem(CONTACT_FEED, list(csv_file.header)):
            return None
        return list(csv_file.header), csv_file.encoding, list(csv_file.rows), 0
    except (contract.ContractError, ValueError, TypeError, KeyError):
        return None


def scrub_queued_uploads() -> int:
    """Take the rows a sealing reaches out of every queued ``police.contacts`` upload, so that no stored
    bytes keep a sealed record while the upload waits for a worker (docs/sealing.md, "Unfinished uploads").
    A row is taken out exactly when its import would refuse it (``importing._sealed_rows``): its key is
    sealed (or a case variant of one), or a person-wide notice reaches it by exact identity, or it shares a
    key with such a row; a key reached by identity is registered as sealed, as the import would. What stays
    is stored with its row numbers and the file's header and imported as before. Returns the rows taken out.
    An upload already running is left to its import, which refuses the rows itself."""
    waiting = list(
        ImportBatch.objects.filter(
            feed=CONTACT_FEED, status=BatchStatus.QUEUED, upload__isnull=False
        ).values_list("pk", flat=True)
    )
    if not waiting:
        return 0
    notices = PersonWideNotices.current()
    removed = 0
    for batch_id in waiting:
        with transaction.atomic():
            # The worker takes the batch under this lock too: it reads the upload before or after, never halfway.
            batch = (
                ImportBatch.objects.select_for_update().filter(pk=batch_id, status=BatchStatus.QUEUED).first()
            )
            upload = FeedUpload.objects.filter(batch_id=batch_id).first() if batch else None
            read = _upload_rows(upload) if upload is not None else None
            if read is None:
                continue
            header, encoding, rows, taken_out = read
            parsed = [
                (n, raw, contract.validate_row(CONTACT_FEED, raw) if isinstance(raw, Mapping) else None)
                for n, raw in rows
            ]
            keys = {p.key for _n, _raw, p in parsed if p is not None and p.key}
            sealed_keys = sealed_among(CONTACT_FEED, keys)
            newly: dict[str, list[str]] = defaultdict(list)
            out = set()
            for position, (_n, raw, p) in enumerate(parsed):
                if p is None:
                    continue
                notice = ""
                if notices:
                    notice = notices.match(p.values, p.national_id_status)
                    if not notice and not p.ok:
                        notice = notices.match_misplaced(raw)
                if (p.key and p.key in sealed_keys) or notice:
                    out.add(position)
                    if notice and p.key and p.key not in sealed_keys and not is_national_id(p.key):
                        newly[notice].append(p.key)
            every_sealed = sealed_keys | {k for ks in newly.values() for k in ks}
            out |= {i for i, (_n, _raw, p) in enumerate(parsed) if p is not None and p.key in every_sealed}
            if not out:
                continue
            for notice_key, new_keys in newly.items():
                register(new_keys, notice_key)
            kept = [[n, raw] for i, (n, raw, _p) in enumerate(parsed) if i not in out]
            payload = {"header": header, "encoding": encoding, "rows": kept, "sealed": taken_out + len(out)}
            upload.data = json.dumps(payload).encode("ascii")
            upload.encoding = SCRUBBED
            upload.save(update_fields=["data", "encoding"])
            batch.file_name = file_name_after_sealing(batch.feed, batch.origin, batch.file_name)
            batch.save(update_fields=["file_name"])  # its checksum stays until the import: it dedupes the run
            removed += len(out)
    return removed


def is_national_id(value: str) -> bool:
    """True when ``value`` is a national ID that passes its checksum."""
    return contract.normalise_national_id(value)[1] == "valid"


def seal_quarantined_rows(rows: Mapping[int, str], *, notice_key: str, actor: Actor) -> tuple[int, set[int]]:
    """Redact and close these quarantined contacts (id -> record key, blank when there is none to seal), which a
    person-wide notice reaches by exact identity, as a named key's are; their keys are registered, and any
    version stored under them erased. Returns (rows redacted, youth whose records changed)."""
    if not rows:
        return 0, set()
    # A "key" that is a valid national ID is a row shifted by a missing field (``match_misplaced``): the person's
    # ID, not a record key; it is neither registered nor kept on the row.
    misplaced = {k for k in rows.values() if k and is_national_id(k)}
    keys = sorted({k for k in rows.values() if k} - misplaced)
    register(keys, notice_key)
    open_rows = QuarantinedRow.objects.filter(pk__in=list(rows)).exclude(status=QuarantineStatus.SEALED)
    neutralise_file_names(open_rows.values_list("batch_id", flat=True))
    if misplaced:
        open_rows.filter(record_key__in=misplaced).update(record_key="")
    redacted = open_rows.update(
        raw=ERASED, reasons=[SEALED_REASON], status=QuarantineStatus.SEALED, resolved_at=timezone.now()
    )
    dirty = sorted(_not_yet_clean(keys)) if keys else []
    youth_ids = seal_keys(dirty, actor=actor)["youth_ids"] if dirty else set()
    return redacted, youth_ids


def _keys_of(notice: SourceRecord) -> tuple[list[str] | None, Youth | None, dict[int, str]]:
    """(keys the notice seals, its youth, open quarantined contacts it reaches: id -> key); keys is None
    while a person-wide notice's person is unknown."""
    values = notice.values
    named = named_keys(values)
    if named:
        youth = _notice_youth(notice.record_key)
        if youth is None:
            link = RecordLink.objects.filter(feed=CONTACT_FEED, record_key__in=named).select_related("youth")
            youth = _kept(link.first().youth) if link.exists() else None
        return sorted(set(named) | stored_variants(named)), youth, {}
    youth = _notice_youth(notice.record_key)
    notices = PersonWideNotices.current([notice.record_key])
    notices.hold_contested()
    exact = notices.reach_in_store().get(notice.record_key, set())
    quarantined = notices.reach_in_quarantine().get(notice.record_key, {})
    exact |= {k for k in quarantined.values() if k}
    if youth is not None and without_id(values):
        # A notice without an ID reaches what linkage joined to it only when that youth can be the one child it
        # names (insider review 15, F2: linkage joined it to one namesake after another).
        digests = youth_id_digests([youth.pk]).get(youth.pk, set())
        if may_reach_youth(notices.state.get(notice.record_key), digests):
            notices.reached_now[notice.record_key] |= digests
        else:
            youth = None
    notices.remember()
    # The person is also whoever holds a record with the notice's valid national ID (review 7b, F3: a notice
    # split off the person's record must not leave the person's other contacts out of its reach).
    holders = _youth_holding(values)
    if youth is None and not holders:
        return (sorted(exact) if exact else None), None, quarantined
    effective_on = _day(values.get("effective_on"))
    keys = set(exact)
    for person in ({youth} if youth is not None else set()) | holders:
        keys |= set(_contacts_of_person(person, effective_on))
    return sorted(keys), youth or next(iter(holders)), quarantined


def _youth_holding(values: Mapping) -> set[Youth]:
    """The youth (merges followed) linked to an unsealed current record, other than a notice, that carries the
    notice's national ID when it is valid."""
    nid = values.get("national_id") or ""
    if not nid or contract.normalise_national_id(nid)[1] != "valid":
        return set()
    holders = SourceRecord.objects.filter(
        is_current=True, sealed_at__isnull=True, national_id_status="valid", values__national_id=nid
    ).exclude(feed=NOTICE_FEED)
    found: set[Youth] = set()
    for feed, key in holders.values_list("feed", "record_key"):
        link = RecordLink.objects.filter(feed=feed, record_key=key).select_related("youth").first()
        if link is not None:
            found.add(_kept(link.youth))
    return found


@transaction.atomic
def apply_notice(notice: SourceRecord, *, actor: Actor, affected: set | None = None) -> SealingAction:
    """Apply one notice (again: idempotent). The youth whose records changed are refreshed at once, or,
    when ``affected`` is given, added to it for the caller to refresh together."""
    values = notice.values
    effective_on = _day(values.get("effective_on"))
    clear_unfinished_uploads(neutralise=UNFINISHED)
    keys, youth, quarantined = _keys_of(notice)
    action = SealingAction.objects.filter(notice_key=notice.record_key).first()
    # Quarantined rows the notice reaches first: a malformed contact of the person is theirs all the same.
    redacted, changed = seal_quarantined_rows(quarantined, notice_key=notice.record_key, actor=actor)
    if affected is not None:
        affected |= changed
    elif changed:
        from integrations.linkage.golden import refresh_golden_records

        refresh_golden_records(changed)
    if keys is None:
        scrub_queued_uploads()  # a person-wide notice reaches waiting rows by identity before linkage
        if action is None:
            action = SealingAction.objects.create(
                notice_key=notice.record_key,
                court_case_no=values.get("court_case_no") or "",
                effective_on=effective_on,
                pending=True,
            )
        if redacted:
            record(actor, AuditAction.SEAL, action, detail={"notice": notice.record_key})
        return action
    register(keys, notice.record_key)
    scrub_queued_uploads()
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
        from integrations.linkage.golden import refresh_golden_records

        refresh_golden_records(changed)
    if first or dirty or redacted:
        # The log says that the notice was applied, not to whom nor how much: a seal row that named the youth
        # or counted their records would tie a named child to a sealing order for anyone who reads the log
        # (Art. 83-1). The notice's own record (SealingAction) holds the figures, for stewards and auditors.
        record(actor, AuditAction.SEAL, action, detail={"notice": notice.record_key})
    return action


def _reach_of_every_notice() -> tuple[dict[str, list[str] | None], dict[str, dict[int, str]]]:
    """notice key -> the contact keys it seals now (None: a person-wide notice whose person is not linked
    yet), for every current notice, in a few queries whatever their number; and the open quarantined rows
    each person-wide notice reaches (notice key -> {id: key})."""
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

    # The person a person-wide notice names is the youth it is linked to, and any youth holding a record with the
    # notice's valid national ID: a steward who splits the notice off the person's record does not take the
    # person's other records out of its reach (review 7b, F3).
    persons: dict[str, set[int]] = {
        k: {kept(youth_of[k])} for k, v in notices if not named_keys(v) and k in youth_of
    }
    nid_of = {
        k: v["national_id"]
        for k, v in notices
        if not named_keys(v)
        and v.get("national_id")
        and contract.normalise_national_id(v["national_id"])[1] == "valid"
    }
    if nid_of:
        holders = SourceRecord.objects.filter(
            is_current=True,
            sealed_at__isnull=True,
            national_id_status="valid",
            values__national_id__in=sorted(set(nid_of.values())),
        ).exclude(feed=NOTICE_FEED)
        nid_of_record = {
            (f, k): n for f, k, n in holders.values_list("feed", "record_key", "values__national_id")
        }
        youth_by_nid: dict[str, set[int]] = defaultdict(set)
        for feed in {f for f, _k in nid_of_record}:
            keys = [k for f, k in nid_of_record if f == feed]
            for key, youth_id in RecordLink.objects.filter(feed=feed, record_key__in=keys).values_list(
                "record_key", "youth_id"
            ):
                youth_by_nid[nid_of_record[(feed, key)]].add(kept(youth_id))
        for key, nid in nid_of.items():
            if youth_by_nid.get(nid):
                persons.setdefault(key, set()).update(youth_by_nid[nid])
    person_wide_notices = PersonWideNotices.current()
    person_wide_notices.hold_contested()
    # A notice without an ID reaches what linkage joined to it only when that youth can be the one child it
    # names (insider review 15, F2).
    idless = {k for k, v in notices if k in persons and not named_keys(v) and without_id(v)}
    if idless:
        digests = youth_id_digests({y for k in idless for y in persons[k]})
        for key in idless:
            allowed = {
                y
                for y in persons[key]
                if may_reach_youth(person_wide_notices.state.get(key), digests.get(y, set()))
            }
            for y in allowed:
                person_wide_notices.reached_now[key] |= digests.get(y, set())
            if allowed:
                persons[key] = allowed
            else:
                del persons[key]
    person_wide = persons
    contacts: dict[int, list[str]] = defaultdict(list)
    for key, youth_id in RecordLink.objects.filter(
        feed=CONTACT_FEED, youth_id__in={y for ys in person_wide.values() for y in ys}
    ).values_list("record_key", "youth_id"):
        contacts[youth_id].append(key)
    wanted = [k for keys in contacts.values() for k in keys]
    dates = dict(
        SourceRecord.objects.filter(feed=CONTACT_FEED, is_current=True, record_key__in=wanted).values_list(
            "record_key", "event_date"
        )
    )
    exact = person_wide_notices.reach_in_store()
    quarantined = person_wide_notices.reach_in_quarantine()
    person_wide_notices.remember()
    for key, rows in quarantined.items():
        if any(rows.values()):
            exact.setdefault(key, set()).update(k for k in rows.values() if k)
    every_named = {k for _key, values in notices for k in named_keys(values)}
    variants: dict[str, set[str]] = defaultdict(set)
    for variant in stored_variants(every_named):
        variants[sealing_key(variant)].add(variant)
    reach: dict[str, list[str] | None] = {}
    for key, values in notices:
        named = named_keys(values)
        if named:
            reach[key] = sorted(set(named).union(*(variants.get(sealing_key(k), ()) for k in named)))
        elif key not in person_wide:
            reach[key] = sorted(exact[key]) if key in exact else None
        else:
            effective_on = _day(values.get("effective_on"))
            linked = {
                c
                for youth_id in person_wide[key]
                for c in contacts.get(youth_id, [])
                if effective_on is None or dates.get(c) is None or dates[c] <= effective_on
            }
            reach[key] = sorted(linked | exact.get(key, set()))
    return reach, quarantined


def enforce_sealing(*, actor: Actor | None = None) -> dict:
    """Make the sealing invariant hold for every current notice (module docstring). Cheap when nothing
    changed: every notice's reach is worked out in a few queries, and only a notice that reaches a record
    with something left to erase, or that has not been applied yet, does any work."""
    actor = actor or Actor.system("sealing")
    applied = waiting = 0
    affected: set[int] = set()
    with transaction.atomic():
        reach, quarantined = _reach_of_every_notice()
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
            if notice_key in quarantined or (not done and not (keys is None and action is not None)):
                action = apply_notice(notices.get(record_key=notice_key), actor=actor, affected=affected)
            if keys is None:
                waiting += 1
            else:
                applied += 1
        # Keys sealed by notices since re-sent or replaced stay sealed: sealing is never undone.
        unreached = registered - reached
        leftover = sorted(_not_yet_clean(sorted(unreached | stored_variants(unreached))))
        if leftover:
            affected |= seal_keys(leftover, actor=actor)["youth_ids"]
        clear_unfinished_uploads(neutralise=[BatchStatus.FAILED] if reach else [])
        if reach:
            scrub_queued_uploads()
        if affected:
            from integrations.linkage.golden import refresh_golden_records

            refresh_golden_records(affected)
    return {"notices_applied": applied, "notices_waiting": waiting}


def apply_notices_of_batch(batch, *, actor: Actor) -> None:
    """Apply the notices one import stored (the caller holds the import's transaction)."""
    affected: set[int] = set()
    for notice in SourceRecord.objects.filter(batch=batch, feed=NOTICE_FEED, is_current=True):
        apply_notice(notice, actor=actor, affected=affected)
    if affected:
        from integrations.linkage.golden import refresh_golden_records

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
        keys = sorted(set(keys) | stored_variants(keys))
        register(keys, notice_key)
        dirty = sorted(_not_yet_clean(keys))
        if dirty:
            affected |= seal_keys(dirty, actor=actor)["youth_ids"]
        sealed += len(keys)
    if affected:
        from integrations.linkage.golden import refresh_golden_records

        refresh_golden_records(affected)
    return sealed
