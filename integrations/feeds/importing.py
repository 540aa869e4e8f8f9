"""Importing feed files into immutable, versioned source records, with quarantine for rows that break the
contract (../shared/FEEDS.md).

Guarantees:
- one transaction per batch: a crash half-way leaves nothing half-written, and the batch can be re-run;
- re-sending a row with the same key and other content adds a version and keeps the previous one;
- re-sending an identical row, or an identical file, changes nothing;
- a row that breaks the contract is kept in quarantine with its reasons, never dropped.

Knowledge date (decision, see docs/feeds.md): the feed's ``recorded_on``/``reported_on`` when it has one,
otherwise the row's event date, otherwise the import date; never later than the import date.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass

import orjson
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from casework.access.audit import Actor
from casework.identifiers import redact_national_ids
from config.progress import ProgressCallback, report
from integrations.feeds import contract
from integrations.linkage import keys as linkage_keys
from integrations.linkage import sealing
from integrations.models import (
    BatchOrigin,
    BatchStatus,
    ImportBatch,
    QuarantinedRow,
    QuarantineStatus,
    SourceRecord,
)

ROSTER_FEED = "school.students"
CURRENT_VERSIONS_SQL = (
    'SELECT id, record_key, row_hash, version, sealed_at IS NOT NULL FROM "integrations_sourcerecord" '
    "WHERE feed = %s AND is_current AND record_key = ANY(%s)"
)
CHUNK = 5000


@dataclass
class ImportSummary:
    feed: str
    batch_id: int | None
    status: str
    encoding: str = ""
    rows_read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    sealed: int = 0
    error: str = ""

    def as_text(self) -> str:
        if self.status == BatchStatus.FAILED:
            return f"{self.feed}: file could not be read: {self.error}"
        note = (
            " (identical file already imported: nothing changed)"
            if self.status == BatchStatus.DUPLICATE
            else ""
        )
        sealed = (
            f"; {self.sealed} of the unchanged rows name records sealed by a court and were not stored"
            if self.sealed
            else ""
        )
        return (
            f"{self.feed}: rows read {self.rows_read}, created {self.created}, updated {self.updated}, "
            f"unchanged {self.unchanged}, quarantined {self.quarantined}{note}{sealed}"
        )

    def as_dict(self) -> dict:
        return asdict(self)


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _unstorable_text(raw: Mapping) -> tuple[Mapping, list[str]]:
    """A row whose cells hold a NUL or a lone surrogate (possible in JSON rows, never in a decoded file) cannot
    be stored as given: PostgreSQL refuses both. Such cells are kept with U+FFFD in their place and the row is
    quarantined with the reason, so nothing is lost and nothing crashes."""
    problems = []
    clean = {}
    for column, value in raw.items():
        if isinstance(value, str) and _UNSTORABLE.search(value):
            problems.append(f"{column}: contains a NUL character or invalid Unicode, replaced by U+FFFD")
            value = _UNSTORABLE.sub("\ufffd", value)
        clean[column] = value
    return (clean if problems else raw), problems


def _json_safe(value: Mapping) -> dict:
    return json.loads(_dumps(value))


def _dumps(value) -> str:
    """Canonical JSON (sorted keys, compact, UTF-8): the row hash is taken over it."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode("utf-8")
    except TypeError:  # a type orjson does not know: Django's encoder, same canonical form
        return json.dumps(
            value, cls=DjangoJSONEncoder, sort_keys=True, ensure_ascii=False, separators=(",", ":")
        )


def _row_hash(values_json: str) -> str:
    return hashlib.sha256(values_json.encode("utf-8")).hexdigest()


SOURCE_RECORD_COLUMNS = (
    "feed",
    "record_key",
    "version",
    "is_current",
    "batch_id",
    "row_number",
    "raw",
    "values",
    "row_hash",
    "received_at",
    "knowledge_date",
    "event_date",
    "national_id_status",
)


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value) -> str:
    """One value in PostgreSQL COPY text format."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _copy_json(text: str) -> str:
    # Canonical JSON has no raw tabs or newlines (they are escaped), only backslashes to double.
    return text.replace("\\", "\\\\") if "\\" in text else text


def _copy_line(row: tuple) -> str:
    """One source-record row (in SOURCE_RECORD_COLUMNS order) as a COPY text line."""
    feed, key, version, current, batch, number, raw, values, row_hash, received, known, event, status = row
    return (
        f"{_copy_text(feed)}\t{_copy_text(key)}\t{version}\t{'t' if current else 'f'}\t{batch}\t{number}\t"
        f"{_copy_json(raw)}\t{_copy_json(values)}\t{row_hash}\t{received.isoformat()}\t{known.isoformat()}\t"
        f"{event.isoformat() if event is not None else _NULL}\t{_copy_text(status)}\n"
    )


_NULL = "\\N"


def _insert_source_records(rows: list[tuple]) -> None:
    """Insert new versions: PostgreSQL's COPY where available (an order of magnitude faster), else the ORM."""
    if not rows:
        return
    if connection.vendor == "postgresql":
        table = SourceRecord._meta.db_table
        columns = ", ".join(f'"{c}"' for c in SOURCE_RECORD_COLUMNS)
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f'COPY "{table}" ({columns}) FROM STDIN') as copy,
        ):
            # COPY's text format written directly: several times cheaper per row than write_row().
            for start in range(0, len(rows), CHUNK):
                copy.write("".join(_copy_line(row) for row in rows[start : start + CHUNK]))
        return
    records = []
    for row in rows:
        fields = dict(zip(SOURCE_RECORD_COLUMNS, row, strict=True))
        fields["raw"] = json.loads(fields["raw"])
        fields["values"] = json.loads(fields["values"])
        records.append(SourceRecord(**fields))
    SourceRecord.objects.bulk_create(records, batch_size=CHUNK)


def _knowledge_date(feed: str, values: Mapping, import_day: dt.date) -> dt.date:
    known = contract.knowledge_date(feed, values) or contract.event_date(feed, values) or import_day
    return min(known, import_day)


def _current_versions(feed: str, keys: Iterable[str]) -> dict[str, tuple[int, str, int, bool]]:
    """key -> (id, row_hash, version, sealed) of the current version, for the keys given."""
    keys = list(keys)
    found: dict[str, tuple[int, str, int, bool]] = {}
    if not keys:
        return found
    if connection.vendor == "postgresql":
        # One query with an array parameter: far cheaper to build and plan than chunked IN lists.
        with connection.cursor() as cursor:
            cursor.execute(CURRENT_VERSIONS_SQL, [feed, keys])
            for pk, key, row_hash, version, sealed in cursor.fetchall():
                found[key] = (pk, row_hash, version, sealed)
        return found
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        for pk, key, row_hash, version, sealed_at in SourceRecord.objects.filter(
            feed=feed, is_current=True, record_key__in=chunk
        ).values_list("id", "record_key", "row_hash", "version", "sealed_at"):
            found[key] = (pk, row_hash, version, sealed_at is not None)
    return found


def _roster_keys() -> set[str]:
    return set(
        SourceRecord.objects.filter(feed=ROSTER_FEED, is_current=True, sealed_at__isnull=True).values_list(
            "record_key", flat=True
        )
    )


def _sealed_rows(feed: str, parsed: list) -> tuple[set[int], dict[str, str]]:
    """Rows of this file (by position) that name a record a court has sealed (Art. 83-1), checked before
    anything else: a registered sealed key (or a case variant of one, ``sealing.sealing_key``), and contacts a
    person-wide notice reaches by exact identity (key -> notice, to register). A malformed row is checked
    all the same, a row without a key too: it would otherwise keep its content in the quarantine."""
    if feed != sealing.CONTACT_FEED:
        return set(), {}
    sealed_keys = sealing.sealed_among(feed, {p.key for _, _, p, _ in parsed if p.key})
    sealed = {i for i, (_, _, p, _) in enumerate(parsed) if p.key and p.key in sealed_keys}
    newly: dict[str, str] = {}
    notices = sealing.PersonWideNotices.current()
    if notices:
        notices.learn_rows((p.values, p.national_id_status) for _, _, p, _ in parsed)
        # A file that shows two children under an ID-less notice's name and birth date contests it for good.
        notices.hold_contested()
        for i, (_, raw, p, _) in enumerate(parsed):
            if i not in sealed:
                notice = notices.match(p.values, p.national_id_status)
                if not notice and not p.ok:  # a malformed row may carry the identity in the wrong columns
                    notice = notices.match_misplaced(raw)
                if notice:
                    sealed.add(i)
                    if p.key and not sealing.is_national_id(p.key):  # a shifted row's key is the ID itself
                        newly[p.key] = notice
        notices.remember()
    # Another row of the file under a key sealed just now (the same record re-sent) is sealed with it.
    keys_sealed = sealed_keys | set(newly)
    sealed |= {i for i, (_, _, p, _) in enumerate(parsed) if p.key and p.key in keys_sealed}
    return sealed, newly


REPEATED_HEADER = "line repeats the file's header (two files joined?); it is not a record"


def _ingest(
    batch: ImportBatch,
    rows: list[tuple[int, Mapping]],
    header_problems: list[str],
    progress: ProgressCallback | None = None,
    header: list[str] | None = None,
    taken_out: int = 0,
) -> ImportBatch:
    """Validate, version and store rows for one batch (the caller holds the transaction). ``header``: the
    file's column names, so that a line repeating them is quarantined as such rather than as bad data.
    ``taken_out``: rows of a queued upload that sealing took out while it waited; counted as read and sealed."""
    feed = batch.feed
    spec = contract.get_feed(feed)
    import_day = timezone.localdate(batch.received_at)
    total = len(rows)
    parsed = []
    report(progress, "validating", 0, total)
    for done, (row_number, raw) in enumerate(rows, start=1):
        repeated = header is not None and contract.repeats_header(header, raw)
        raw, problems = _unstorable_text(raw)
        if repeated:
            problems = [REPEATED_HEADER, *problems]
        parsed.append((row_number, raw, contract.validate_row(feed, raw), problems))
        if progress is not None and done % CHUNK == 0:
            progress("validating", done, total)
    report(progress, "validating", total, total)
    # Sealing is checked before the contract: a sealed row is refused as content even when it is malformed,
    # so it never reaches the quarantine either.
    sealed_rows, newly_sealed = _sealed_rows(feed, parsed)
    if sealed_rows:
        parsed = [
            (n, {}, p, []) if i in sealed_rows else (n, raw, p, pr)
            for i, (n, raw, p, pr) in enumerate(parsed)
        ]
        # The bureau's name for a file that held a sealed record may name the person (sealing.md).
        batch.file_name = sealing.file_name_after_sealing(batch.feed, batch.origin, batch.file_name)
        batch.checksum = ""  # see sealing.neutralise_file_names
    needs_roster = spec.refers_to_student
    roster = _roster_keys() if needs_roster else set()
    current = _current_versions(feed, {p.key for _, _, p, _ in parsed if p.ok and p.key})

    seen: dict[str, tuple[str, int]] = {}
    new_records: list[tuple] = []
    superseded: list[int] = []
    quarantine: list[QuarantinedRow] = []
    sent_raw: dict[int, Mapping] = {}
    counts = {"created": 0, "updated": 0, "unchanged": 0}

    for position, (row_number, raw, row, problems) in enumerate(parsed):
        if position in sealed_rows:
            counts["unchanged"] += 1
            continue
        reasons = list(header_problems) + problems + list(row.errors)
        if feed == sealing.NOTICE_FEED and not header_problems and not problems:
            protective = notice_on_protective_reading(row, import_day)
            if protective is not None:
                # Applied now on the reading that protects the child, and kept in the quarantine (without the
                # person) so that the committee asks the court for a notice it can read.
                quarantine.append(
                    QuarantinedRow(
                        batch=batch,
                        feed=feed,
                        row_number=row_number,
                        record_key=row.key,
                        **kept_in_quarantine(
                            feed, _json_safe(raw), [*(reasons or [NOTICE_LATE]), NOTICE_APPLIED]
                        ),
                    )
                )
                sent_raw[len(quarantine) - 1] = raw
                row, reasons = protective, []
        if not reasons and needs_roster:
            student = f"{row.values.get('school_code')}/{row.values.get('student_no')}"
            if student not in roster:
                reasons.append(f"student_no: student {student} is not on any school roster (school.students)")
        values_json = (
            _dumps({**row.values, "_extra": row.extra} if row.extra else row.values) if not reasons else ""
        )
        row_hash = _row_hash(values_json) if not reasons else ""
        if not reasons and row.key in seen:
            first_hash, first_row = seen[row.key]
            if first_hash == row_hash:
                counts["unchanged"] += 1  # an exact duplicate row in the same file
                continue
            reasons.append(
                f"{'/'.join(spec.key_columns)}: record key {row.key!r} already used by row {first_row} "
                "of this file with different content"
            )
        if reasons:
            quarantine.append(
                QuarantinedRow(
                    batch=batch,
                    feed=feed,
                    row_number=row_number,
                    record_key=row.key or "",
                    **kept_in_quarantine(feed, _json_safe(raw), reasons),
                )
            )
            sent_raw[len(quarantine) - 1] = raw  # as sent: a notice's contact keys are read from it below
            continue
        seen[row.key] = (row_hash, row_number)
        previous = current.get(row.key)
        if previous is not None and (previous[1] == row_hash or previous[3]):
            # Identical, or sealed by a court (Art. 83-1): a sealed record is never stored again.
            counts["unchanged"] += 1
            continue
        if previous is not None:
            superseded.append(previous[0])
            counts["updated"] += 1
        else:
            counts["created"] += 1
        new_records.append(
            (
                feed,
                row.key,
                (previous[2] + 1) if previous else 1,
                True,
                batch.pk,
                row_number,
                _dumps(raw),
                values_json,
                row_hash,
                batch.received_at,
                _knowledge_date(feed, row.values, import_day),
                contract.event_date(feed, row.values),
                row.national_id_status or "",
            )
        )
    stored = len(new_records) + len(quarantine)
    report(progress, "storing", 0, stored)
    if superseded:
        for start in range(0, len(superseded), CHUNK):
            SourceRecord.objects.filter(pk__in=superseded[start : start + CHUNK]).update(is_current=False)
    _insert_source_records(new_records)
    report(progress, "storing", len(new_records), stored)
    QuarantinedRow.objects.bulk_create(quarantine, batch_size=CHUNK)
    report(progress, "storing", stored, stored)
    if spec.carries_identity and (new_records or superseded):
        # The linkage key table follows the records it is derived from (integrations/linkage/keys.py).
        linkage_keys.follow_import(batch.pk, superseded)
    if newly_sealed:
        # Reached by a person-wide notice at import: registered now, and anything stored earlier erased.
        actor = Actor.system("sealing")
        by_notice: dict[str, list[str]] = {}
        for key, notice in newly_sealed.items():
            by_notice.setdefault(notice, []).append(key)
        for notice, keys in by_notice.items():
            sealing.register(keys, notice)
        sealing.seal_keys(list(newly_sealed), actor=actor)
    if feed == sealing.NOTICE_FEED and quarantine:
        named = []
        for position, q in enumerate(quarantine):
            values = contract.validate_row(feed, sent_raw.get(position, q.raw)).values
            keys = sealing.named_keys(values) if isinstance(values.get("contact_nos"), list) else []
            if keys:
                named.append((q.record_key or f"quarantine:{batch.pk}:{q.row_number}", keys))
        sealing.seal_named_by_quarantined_notices(named, actor=Actor.system("sealing"))
    if feed == sealing.NOTICE_FEED and new_records:
        # The court sent the notice again and it was read: its earlier rows waiting in the quarantine are done
        # (insider review 14, F6). A row of this batch stays: this notice was read on the protective reading.
        QuarantinedRow.objects.filter(
            feed=feed, status=QuarantineStatus.OPEN, record_key__in=[r[1] for r in new_records]
        ).exclude(batch=batch).update(status=QuarantineStatus.RESUBMITTED, resolved_at=timezone.now())
    if feed == sealing.NOTICE_FEED and (counts["created"] or counts["updated"]):
        # A notice takes effect as it arrives, linked or not: the keys it names are sealed at once.
        sealing.apply_notices_of_batch(batch, actor=Actor.system("sealing"))
    batch.rows_read = len(rows) + taken_out
    batch.created = counts["created"]
    batch.updated = counts["updated"]
    batch.unchanged = counts["unchanged"] + taken_out
    batch.quarantined = len(quarantine)
    if feed == sealing.NOTICE_FEED and (counts["created"] or counts["updated"]):
        # Notices without an ID that two children share wait in the quarantine too (notices.hold_contested).
        batch.quarantined = QuarantinedRow.objects.filter(batch=batch).count()
    batch.sealed = len(sealed_rows) + taken_out
    if taken_out:  # rows sealing took out while the upload waited: the file held a sealed record
        batch.checksum = ""
    batch.status = BatchStatus.COMPLETED
    batch.save()
    return batch


def _summary(batch: ImportBatch, status: str | None = None) -> ImportSummary:
    return ImportSummary(
        feed=batch.feed,
        batch_id=batch.pk,
        status=status or batch.status,
        encoding=batch.encoding,
        rows_read=batch.rows_read,
        created=batch.created,
        updated=batch.updated,
        unchanged=batch.unchanged,
        quarantined=batch.quarantined,
        sealed=batch.sealed,
        error=batch.error,
    )


def _duplicate(already: ImportBatch, queued: ImportBatch | None = None) -> ImportSummary:
    """The answer to a file already imported; a queued upload's batch records it (nothing else changes)."""
    summary = _summary(already, BatchStatus.DUPLICATE)
    summary.created = summary.updated = summary.quarantined = summary.sealed = 0
    summary.unchanged = already.rows_read
    if queued is not None:
        ImportBatch.objects.filter(pk=queued.pk).update(
            status=BatchStatus.DUPLICATE,
            rows_read=already.rows_read,
            unchanged=already.rows_read,
            encoding=already.encoding,
        )
        summary.batch_id = queued.pk
    return summary


def _lock_file(feed: str, checksum: str) -> None:
    """Serialise imports of the same file (PostgreSQL; SQLite already serialises every write)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"import:{feed}:{checksum}"]
            )


def stored_file_name(name: str) -> str:
    """The bureau's name for a file as the batch keeps it: national IDs in it masked (``E1******50``), cut to
    the column's length. Names of people cannot be found reliably in a file name; a batch that holds a sealed
    record loses its name altogether (``sealing.file_name_after_sealing``)."""
    return redact_national_ids(name or "")[:255]


def _open_batch(
    *,
    feed: str,
    file_name: str,
    checksum: str,
    encoding: str,
    origin: str,
    uploaded_by,
    queued: ImportBatch | None = None,
) -> ImportBatch:
    """A batch row for rows about to be ingested (inside the caller's transaction): the queued batch of an
    upload when there is one (it becomes the import's batch), else a new one."""
    if queued is not None:
        queued.encoding = encoding
        queued.status = BatchStatus.RUNNING
        return queued
    file_name, checksum = sealing.batch_label(feed, origin, file_name, checksum)
    return ImportBatch.objects.create(
        feed=feed,
        file_name=file_name,
        checksum=checksum,
        encoding=encoding,
        origin=origin,
        uploaded_by=uploaded_by,
        status=BatchStatus.COMPLETED,
    )


def import_file_bytes(
    *,
    feed: str,
    data: bytes,
    file_name: str = "",
    encoding: str | None = None,
    origin: str = BatchOrigin.COMMAND,
    uploaded_by=None,
    queued: ImportBatch | None = None,
    progress: ProgressCallback | None = None,
) -> ImportSummary:
    """Import one feed file. Raises ``contract.ContractError`` only when the file as a whole cannot be read
    (unknown feed, undecodable bytes, no header); the failure is recorded as a batch first.

    ``queued``: the batch an API upload was given when it was queued; the import fills it in (as completed,
    duplicate or failed) instead of opening another. ``progress(stage, done, total)`` hears the stages
    ``reading``, ``validating`` and ``storing`` with row counts."""
    contract.get_feed(feed)  # unknown feed: nothing to record against
    file_name = queued.file_name if queued is not None else stored_file_name(file_name)
    checksum = sealing.file_checksum(feed, data)
    already = ImportBatch.objects.filter(feed=feed, checksum=checksum, status=BatchStatus.COMPLETED).first()
    if already is not None:
        return _duplicate(already, queued)
    report(progress, "reading", 0, len(data))
    try:
        csv_file = contract.read_rows(data, encoding)
        problem = contract.header_problem(feed, list(csv_file.header))
        if problem is not None:
            raise contract.ContractError(problem)
        rows = list(csv_file.rows)
    except contract.ContractError as exc:
        failed = {"status": BatchStatus.FAILED, "error": redact_national_ids(str(exc))}
        label, kept_checksum = sealing.failed_batch_label(feed, origin, file_name, checksum)
        if queued is not None:
            ImportBatch.objects.filter(pk=queued.pk).update(**failed, file_name=label, checksum=kept_checksum)
        else:
            ImportBatch.objects.create(
                feed=feed,
                file_name=label,
                checksum=kept_checksum,
                origin=origin,
                uploaded_by=uploaded_by,
                **failed,
            )
        raise
    report(progress, "reading", len(data), len(data))
    missing = contract.missing_columns(feed, list(csv_file.header))
    header_problems = [f"{column}: required column is missing from the file's header" for column in missing]
    with transaction.atomic():
        # Two deliveries of one file at once (a redelivered task while the first still runs): the second waits
        # here for the first to commit, then finds the file imported, rather than quarantining its rows twice.
        _lock_file(feed, checksum)
        already = ImportBatch.objects.filter(
            feed=feed, checksum=checksum, status=BatchStatus.COMPLETED
        ).first()
        if already is not None:
            return _duplicate(already, queued)
        batch = _open_batch(
            feed=feed,
            file_name=file_name,
            checksum=checksum,
            encoding=csv_file.encoding,
            origin=origin,
            uploaded_by=uploaded_by,
            queued=queued,
        )
        _ingest(batch, rows, header_problems, progress, header=list(csv_file.header))
    return _summary(batch)


def import_rows(
    *,
    feed: str,
    rows: list[Mapping],
    origin: str = BatchOrigin.API,
    uploaded_by=None,
    queued: ImportBatch | None = None,
    progress: ProgressCallback | None = None,
) -> ImportSummary:
    """Import rows given as JSON objects (the API's form of a feed file); ``queued`` and ``progress`` as for
    :func:`import_file_bytes`."""
    contract.get_feed(feed)
    payload = json.dumps(rows, cls=DjangoJSONEncoder, sort_keys=True, ensure_ascii=False).encode(
        "utf-8", "surrogatepass"
    )
    checksum = sealing.file_checksum(feed, payload)
    with transaction.atomic():
        batch = _open_batch(
            feed=feed,
            file_name="(api)",
            checksum=checksum,
            encoding="json",
            origin=origin,
            uploaded_by=uploaded_by,
            queued=queued,
        )
        _ingest(batch, [(i, row) for i, row in enumerate(rows, start=1)], [], progress)
    return _summary(batch)


def import_kept_rows(
    *,
    queued: ImportBatch,
    header: list[str] | None,
    encoding: str,
    rows: list[tuple[int, Mapping]],
    taken_out: int = 0,
    progress: ProgressCallback | None = None,
) -> ImportSummary:
    """Import what a queued upload still holds after sealing took rows out of it while it waited
    (``sealing.scrub_queued_uploads``): the raw rows with their row numbers in the file, and the file's header
    (None for JSON rows), read exactly as :func:`import_file_bytes` would have read them."""
    feed = queued.feed
    header_problems = []
    if header is not None:
        missing = contract.missing_columns(feed, header)
        header_problems = [
            f"{column}: required column is missing from the file's header" for column in missing
        ]
    with transaction.atomic():
        _lock_file(feed, queued.checksum)
        # A batch that keeps no checksum (a court notice's, or one sealing neutralised) is nobody's duplicate.
        already = (
            ImportBatch.objects.filter(
                feed=feed, checksum=queued.checksum, status=BatchStatus.COMPLETED
            ).first()
            if queued.checksum
            else None
        )
        if already is not None:
            return _duplicate(already, queued)
        batch = _open_batch(
            feed=feed,
            file_name=queued.file_name,
            checksum=queued.checksum,
            encoding=encoding,
            origin=queued.origin,
            uploaded_by=queued.uploaded_by,
            queued=queued,
        )
        _ingest(batch, rows, header_problems, progress, header=header, taken_out=taken_out)
    return _summary(batch)


# What a court notice that breaks the contract leaves in the quarantine: its own number and the court's case,
# never the person it names. A steward reads the quarantine; a notice's name, birth date and national ID there
# would tell them which child is under a sealing order (Art. 83-1; insider review 9, F3). The court sends the
# notice again; the reasons keep the column and what is wrong, not the value.
NOTICE_FEED = "court.sealing"
NOTICE_NOT_FIXED = "a court's sealing notice is not corrected here: ask the court to send it again"
NOTICE_VALUE_WITHHELD = "breaks the contract (the value is not kept: the notice names a person)"
KEY_KEPT = "a correction cannot take the key of another stored record; send a new row for that record"
NOTICE_LATE = "effective_on: falls after the day the notice arrived"
NOTICE_APPLIED = (
    "applied at once on the reading that protects the child (what cannot be read is not used; a day it takes "
    "effect that cannot be read, or that falls after the day the notice arrived, is taken as that day); ask the "
    "court to send it again"
)
# The columns a person-wide notice can do without: its person is named by a valid national ID (a blank name or
# an unreadable birth date adds nothing to that), and a day it takes effect that cannot be read, or that falls
# after the day the notice arrived, is taken as that day: the court cannot have sealed what happened after it
# wrote (insider reviews 13, F1, and 14, F3 and F4).
_NOTICE_SPARE = {"birth_date", "effective_on", "name"}


def notice_on_protective_reading(row: contract.ParsedRow, import_day: dt.date) -> contract.ParsedRow | None:
    """A court notice that breaks the contract only in its birth date or the day it takes effect, read so
    that it seals at once, or None. Only a person-wide notice (blank ``contact_nos``; one that names its contacts
    seals them already, ``sealing.seal_named_by_quarantined_notices``) whose person is named by a valid
    national ID: a name alone, without a birth date, could seal another child's record."""
    broken = {str(error).split(":", 1)[0].strip() for error in row.errors}
    effective = row.values.get("effective_on")
    late = isinstance(effective, dt.date) and effective > import_day
    if not row.key or not (broken or late) or not broken <= _NOTICE_SPARE:
        return None
    if row.values.get("contact_nos") or row.national_id_status != "valid":
        return None
    values = dict(row.values)
    if "effective_on" in broken or late:
        values["effective_on"] = import_day
    if "birth_date" in broken:
        values["birth_date"] = None
    return contract.ParsedRow(
        feed=row.feed,
        key=row.key,
        values=values,
        extra=row.extra,
        national_id_status=row.national_id_status,
        warnings=[*row.warnings, *row.errors],
    )


NOTICE_KEPT = ("notice_no", "court_case_no", "effective_on")
_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")


def kept_in_quarantine(feed: str, raw, reasons: list[str]) -> dict:
    """The ``raw`` row and ``reasons`` a quarantined row keeps (see above for court notices)."""
    if feed != NOTICE_FEED:
        return {"raw": raw, "reasons": reasons}
    kept = {k: v for k, v in raw.items() if k in NOTICE_KEPT} if isinstance(raw, Mapping) else {}
    return {"raw": kept, "reasons": [notice_reason(r) for r in reasons]}


_COLUMN = re.compile(r"([\w/ ]+): ")


def notice_reason(reason: str) -> str:
    """A court notice's reason without its value, nor any part of it (a month would narrow down a birth date):
    the column that breaks the contract, and nothing else (insider review 10, F5)."""
    column = _COLUMN.match(str(reason))
    if column:
        return f"{column.group(1)}: {NOTICE_VALUE_WITHHELD}"
    return _QUOTED.sub("…", str(reason))


def resubmit_quarantined(*, row: QuarantinedRow, fixed: Mapping[str, str], user) -> ImportSummary:
    """Re-run a fixed row through the whole contract. If it passes, it is stored and the quarantine row is
    closed; if not, nothing changes and the new reasons are returned in the summary's ``error``."""
    if row.status != QuarantineStatus.OPEN:
        raise ValueError("this row has already been resubmitted")
    if row.feed == NOTICE_FEED:
        # Only a court orders sealing: a notice written here by a steward would erase any child's records
        # (insider review 10, F1). The court's system sends the notice again.
        raise ValueError(NOTICE_NOT_FIXED)
    parsed = contract.validate_row(row.feed, fixed)
    if (
        row.record_key
        and parsed.key
        and parsed.key != row.record_key
        and SourceRecord.objects.filter(feed=row.feed, record_key=parsed.key, is_current=True).exists()
    ):
        # A correction fixes this row: it does not take another stored record's key and overwrite it.
        raise ValueError(KEY_KEPT)
    problems = parsed.errors
    if problems:
        return ImportSummary(feed=row.feed, batch_id=None, status="rejected", error="; ".join(problems))
    with transaction.atomic():
        locked = QuarantinedRow.objects.select_for_update().get(pk=row.pk)
        if locked.status != QuarantineStatus.OPEN:
            raise ValueError("this row has already been resubmitted")
        batch = _open_batch(
            feed=row.feed,
            file_name=f"(resubmission of {row.batch_id}:{row.row_number})",
            checksum=hashlib.sha256(json.dumps(dict(fixed), sort_keys=True).encode()).hexdigest(),
            encoding="json",
            origin=BatchOrigin.RESUBMIT,
            uploaded_by=user,
        )
        _ingest(batch, [(row.row_number, fixed)], [])
        if batch.quarantined:
            # Rejected at the batch level (e.g. student not on a roster): undo the whole resubmission.
            reasons = "; ".join(r for q in batch.quarantined_rows.all() for r in q.reasons)
            transaction.set_rollback(True)
            return ImportSummary(feed=row.feed, batch_id=None, status="rejected", error=reasons)
        locked.status = QuarantineStatus.RESUBMITTED
        if batch.sealed:
            # The fixed row names a sealed record: nothing of it is kept, here either.
            locked.status = QuarantineStatus.SEALED
            locked.raw = sealing.ERASED
            locked.reasons = [sealing.SEALED_REASON]
        locked.resolved_at = timezone.now()
        locked.resolved_by = user
        locked.resubmitted_in = batch
        locked.save()
    return _summary(batch)
