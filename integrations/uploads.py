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

import hashlib
import json
import time
from collections.abc import Mapping

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from config.progress import ProgressCallback

from . import contract, importing
from .models import BatchOrigin, BatchStatus, FeedUpload, ImportBatch

INLINE_MAX_BYTES = 256 * 1024
INLINE_MAX_ROWS = 1000
PROGRESS_TTL = 60 * 60 * 2
# How often a running import writes its figures to the cache at most (a new stage is written at once).
PROGRESS_INTERVAL = 0.5
ACTIVE = (BatchStatus.QUEUED, BatchStatus.RUNNING)


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
    with transaction.atomic():
        batch = ImportBatch.objects.create(
            feed=feed,
            file_name=importing.stored_file_name(file_name) if encoding != "json" else "(api)",
            checksum=hashlib.sha256(data).hexdigest(),
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
        if upload.encoding == "json":
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
    ImportBatch.objects.filter(pk=batch_id).update(progress=tracker.finished(stage))
    FeedUpload.objects.filter(batch_id=batch_id).delete()
    return result
