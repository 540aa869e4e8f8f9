"""Feed uploads over the API: answered at once when small, otherwise stored, queued on a worker and followed.

The rule (docs/feeds.md, "Ways in"): a file of at most ``FEED_UPLOAD_INLINE_MAX_BYTES`` (256 KB) or JSON rows
of at most ``FEED_UPLOAD_INLINE_MAX_ROWS`` (1,000) is imported inside the request and answered 201 with the
summary, as before; anything larger, or any upload sent with ``Prefer: respond-async``, is stored as a
:class:`FeedUpload`, given an import batch in the ``queued`` state, and imported by
``integrations.tasks.import_feed_file`` on the ``imports`` queue; the answer is 202 with the batch's URL.

While a worker imports it, its stage and rows done/total are kept in the shared cache (Redis when configured)
so the batches page and API can show them: the import's own transaction hides its rows until it commits,
and the figures must be visible before that. When it finishes they are kept on the batch (``progress``).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from config.progress import ProgressCallback
from integrations.feeds import contract, importing
from integrations.linkage import sealing
from integrations.linkage.sealing import SCRUBBED
from integrations.models import BatchOrigin, BatchStatus, FeedUpload, ImportBatch

INLINE_MAX_BYTES = 256 * 1024
INLINE_MAX_ROWS = 1000
PROGRESS_TTL = 60 * 60 * 2
# How often a running import writes its figures to the cache at most (a new stage is written at once).
PROGRESS_INTERVAL = 0.5
ACTIVE = (BatchStatus.QUEUED, BatchStatus.RUNNING)
# The reason a queued import that stopped on an unexpected error gives on its batch (docs/feeds.md).
STOPPED = "the import stopped with an error; nothing was stored; send the file again"

logger = logging.getLogger(__name__)


def inline_max_bytes() -> int:
    return int(getattr(settings, "FEED_UPLOAD_INLINE_MAX_BYTES", INLINE_MAX_BYTES))


def inline_max_rows() -> int:
    return int(getattr(settings, "FEED_UPLOAD_INLINE_MAX_ROWS", INLINE_MAX_ROWS))


def answered_at_once(*, size: int | None = None, rows: int | None = None, prefer_async: bool = False) -> bool:
    """Whether an upload is small enough to import inside the request (see the module's rule)."""
    if prefer_async:
        return False
    if rows is not None:
        return rows <= inline_max_rows()
    return (size or 0) <= inline_max_bytes()


def rows_payload(rows: list[Mapping]) -> bytes:
    """JSON rows as stored for a worker (``_unstorable`` has already refused NULs and lone surrogates)."""
    return json.dumps(rows, ensure_ascii=False).encode("utf-8")


def queue_upload(
    *,
    feed: str,
    data: bytes,
    file_name: str,
    encoding: str = "",
    origin: str = BatchOrigin.API,
    uploaded_by=None,
) -> ImportBatch:
    """Store an upload and give it a queued batch (one transaction); the caller queues the task after it."""
    contract.get_feed(feed)
    name, checksum = sealing.batch_label(
        feed,
        origin,
        importing.stored_file_name(file_name) if encoding != "json" else "(api)",
        sealing.file_checksum(feed, data),
    )
    with transaction.atomic():
        batch = ImportBatch.objects.create(
            feed=feed,
            file_name=name,
            checksum=checksum,
            encoding="json" if encoding == "json" else "",
            origin=origin,
            uploaded_by=uploaded_by,
            status=BatchStatus.QUEUED,
            progress={"stage": "queued", "done": 0, "total": 0, "stages": {}},
        )
        FeedUpload.objects.create(batch=batch, data=data, encoding=encoding)
    return batch


def _cache_key(batch_id: int) -> str:
    return f"integrations:batch-progress:{batch_id}"


class BatchProgress:
    """The progress callback of a queued import: stage, rows done/total and seconds per stage, to the cache."""

    def __init__(self, batch_id: int):
        self.batch_id = batch_id
        self.figures: dict = {"stage": "running", "done": 0, "total": 0, "stages": {}}
        self._stage_started = time.perf_counter()
        self._written = 0.0

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.perf_counter()
        new_stage = stage != self.figures["stage"]
        if new_stage:
            self._close(now)
        self.figures.update(stage=stage, done=done, total=total)
        if new_stage or done >= total or now - self._written >= PROGRESS_INTERVAL:
            cache.set(_cache_key(self.batch_id), self.figures, PROGRESS_TTL)
            self._written = now

    def _close(self, now: float) -> None:
        previous = self.figures["stage"]
        if previous not in ("running", "queued"):
            stages = self.figures["stages"]
            stages[previous] = round(stages.get(previous, 0.0) + now - self._stage_started, 3)
        self._stage_started = now

    def finished(self, stage: str) -> dict:
        self._close(time.perf_counter())
        self.figures["stage"] = stage
        cache.delete(_cache_key(self.batch_id))
        return self.figures


def batch_progress(batch: ImportBatch) -> dict:
    """Stage, rows done/total and seconds per stage of a batch: live from the cache while a worker has it."""
    if batch.status in ACTIVE:
        live = cache.get(_cache_key(batch.pk))
        if live:
            return live
    return batch.progress or {}


def fail_upload(batch_id: int, reason: str = STOPPED, progress: dict | None = None) -> bool:
    """Mark a queued or running batch ``failed`` with ``reason`` and delete its stored upload, in a
    transaction of its own: called after the import's transaction rolled back, so it commits whatever the
    import did. A failed import stores nothing and the bureau sends the file again, so the bytes (a copy of
    the rows, perhaps of a record sealed since) are not kept. Answers whether the batch was marked."""
    with transaction.atomic():
        fields = {"status": BatchStatus.FAILED, "error": reason}
        if progress is not None:
            fields["progress"] = progress
        batch = ImportBatch.objects.filter(pk=batch_id).first()
        if batch is not None:
            # A failed police upload loses its name and checksum at once while any notice exists, whatever
            # made it fail (insider review 16, N2; sealing.failed_batch_label).
            fields["file_name"], fields["checksum"] = sealing.failed_batch_label(
                batch.feed, batch.origin, batch.file_name, batch.checksum
            )
        marked = ImportBatch.objects.filter(pk=batch_id, status__in=ACTIVE).update(**fields)
        FeedUpload.objects.filter(batch_id=batch_id).delete()
    cache.delete(_cache_key(batch_id))
    return bool(marked)


STALE = "the import did not finish within the worker's time limit; nothing was stored; send the file again"


def stale_after_seconds() -> int:
    """A queued or running batch with no live progress for longer than a task may run (the hard time limit,
    ``CELERY_TASK_TIME_LIMIT``) will never finish: its worker was killed or it never reached one."""
    return int(getattr(settings, "CELERY_TASK_TIME_LIMIT", 55 * 60) or 55 * 60)


def fail_stale_batches() -> int:
    """Mark stuck queued/running batches ``failed`` (and delete their uploads): no live progress in the cache
    and received longer ago than :func:`stale_after_seconds`. Run when the batches are listed, so the page
    stops reloading for ever. Answers how many were marked."""
    from django.utils import timezone

    cutoff = timezone.now() - timezone.timedelta(seconds=stale_after_seconds())
    marked = 0
    for pk in ImportBatch.objects.filter(status__in=ACTIVE, received_at__lt=cutoff).values_list(
        "pk", flat=True
    ):
        if cache.get(_cache_key(pk)) is None:
            marked += fail_upload(pk, STALE)
    return marked


def run_upload(batch_id: int, *, progress: ProgressCallback | None = None) -> dict:
    """Import a queued upload into its batch. Safe to run twice: a batch no longer queued or running is
    answered from what it holds, and the stored upload is deleted once the import has committed."""
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch_id)
        if batch.status not in ACTIVE:
            FeedUpload.objects.filter(batch=batch).delete()
            return importing._summary(batch).as_dict()
        batch.status = BatchStatus.RUNNING
        batch.save(update_fields=["status"])
    upload = FeedUpload.objects.get(batch_id=batch_id)
    tracker = BatchProgress(batch_id)

    def both(stage: str, done: int, total: int) -> None:
        tracker(stage, done, total)
        if progress is not None:
            progress(stage, done, total)

    data = bytes(upload.data)
    try:
        if upload.encoding == SCRUBBED:
            kept = json.loads(data)
            summary = importing.import_kept_rows(
                queued=batch,
                header=kept["header"],
                encoding=kept["encoding"],
                rows=[(int(n), raw) for n, raw in kept["rows"]],
                taken_out=kept.get("sealed", 0),
                progress=both,
            )
        elif upload.encoding == "json":
            summary = importing.import_rows(
                feed=batch.feed, rows=json.loads(data), origin=batch.origin, queued=batch, progress=both
            )
        else:
            summary = importing.import_file_bytes(
                feed=batch.feed,
                data=data,
                encoding=upload.encoding or None,
                origin=batch.origin,
                queued=batch,
                progress=both,
            )
        result = summary.as_dict()
        stage = "finished"
    except contract.ContractError as exc:
        result = {"feed": batch.feed, "batch_id": batch_id, "status": BatchStatus.FAILED, "error": str(exc)}
        stage = "failed"
    except Exception:
        # Anything else (a bug, the database's write lock held too long, a worker's time limit): the import's
        # transaction has rolled back, so nothing is stored. Say so on the batch rather than leave it
        # "importing" for ever, and delete the stored bytes; the traceback goes to the log. If even that
        # cannot be written (the database is down), the error is raised and the task retried, the upload kept.
        logger.exception("queued import of batch %s stopped with an error", batch_id)
        fail_upload(batch_id, progress=tracker.finished("failed"))
        return {"feed": batch.feed, "batch_id": batch_id, "status": BatchStatus.FAILED, "error": STOPPED}
    ImportBatch.objects.filter(pk=batch_id).update(progress=tracker.finished(stage))
    FeedUpload.objects.filter(batch_id=batch_id).delete()
    return result


def mark_linking(batch_id: int, state: str, *, seconds: float | None = None) -> None:
    """Say on the batch how its linking, a task of its own after the import, is going (``running``, ``done``
    or ``failed``), for the batches page."""
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().filter(pk=batch_id).first()
        if batch is None:
            return
        progress = dict(batch.progress or {})
        progress["linking"] = {
            "state": state,
            **({"seconds": round(seconds, 1)} if seconds is not None else {}),
        }
        ImportBatch.objects.filter(pk=batch_id).update(progress=progress)
