"""Celery tasks for scheduled feed drops and queued API uploads. Idempotent: the same file imported twice
changes nothing."""

from __future__ import annotations

import logging
from pathlib import Path

from celery import shared_task

from casework.tasks import RETRY, TRANSIENT_ERRORS
from integrations.feeds import contract
from integrations.feeds.importing import import_file_bytes
from integrations.models import BatchOrigin, BatchStatus, ImportBatch

logger = logging.getLogger(__name__)


@shared_task(bind=True, **RETRY)
def import_feed_file(
    self, feed: str, path: str | None = None, encoding: str | None = None, batch_id: int | None = None
) -> dict:
    """Import a dropped file (``path``), or an API upload queued as ``batch_id`` (integrations.feeds.uploads);
    database and broker outages are retried with backoff, unreadable files are not."""
    if batch_id is not None:
        return _import_upload(batch_id)
    data = Path(path).read_bytes()
    try:
        summary = import_file_bytes(
            feed=feed, data=data, file_name=Path(path).name, encoding=encoding, origin=BatchOrigin.TASK
        )
    except contract.ContractError as exc:
        return {"feed": feed, "status": "failed", "error": str(exc)}
    # A redelivered task (the worker died after the import committed but before it queued the linking) finds
    # the file already imported: it still queues the linking, which leaves what is already linked alone.
    if summary.batch_id and (summary.created or summary.updated or summary.status == BatchStatus.DUPLICATE):
        link_after_import.delay(summary.batch_id)
    return summary.as_dict()


def _import_upload(batch_id: int) -> dict:
    from integrations.feeds.uploads import STOPPED, fail_upload, run_upload

    try:
        # An error during the import itself is handled there (the batch failed, its upload deleted).
        summary = run_upload(batch_id)
    except TRANSIENT_ERRORS:
        raise  # before the import started: retried, the batch stays queued/running and its upload is kept
    except Exception:
        # A bug before the import started (its upload gone, say): nothing of the import was committed; say so
        # on the batch rather than leave it "importing" for ever (the traceback is in the worker's log).
        logger.exception("queued import of batch %s stopped with an error", batch_id)
        fail_upload(batch_id)
        batch = ImportBatch.objects.filter(pk=batch_id).values("feed").first() or {}
        return {
            "feed": batch.get("feed", ""),
            "batch_id": batch_id,
            "status": BatchStatus.FAILED,
            "error": STOPPED,
        }
    if summary.get("batch_id") and (summary.get("created") or summary.get("updated")):
        link_after_import.delay(summary["batch_id"])
    return summary


@shared_task(bind=True, **RETRY)
def link_after_import(self, batch_id: int) -> dict:
    """Link an imported batch's new person records and put its events on the timeline. Idempotent:
    records already linked, and events already on a timeline, are left as they are."""
    import time

    from integrations.feeds import uploads
    from integrations.linkage.service import after_import

    uploads.mark_linking(batch_id, "running")
    started = time.perf_counter()
    try:
        result = after_import(batch_id)
    except Exception:
        uploads.mark_linking(batch_id, "failed")
        raise
    uploads.mark_linking(batch_id, "done", seconds=time.perf_counter() - started)
    return result


@shared_task(bind=True, **RETRY)
def purge_expired_records(self, as_of: str | None = None) -> dict:
    """Nightly purge of what has passed its retention date (docs/retention.md). Idempotent: what is gone is
    not there to remove again, and each youth goes in one transaction, so a retry after a failure half-way
    removes only what is still there."""
    import datetime as dt

    from casework.access.audit import Actor
    from integrations.retention.services import purge_expired

    day = dt.date.fromisoformat(as_of) if as_of else None
    return purge_expired(as_of=day, actor=Actor.system("purge_expired_records"), origin="task").as_dict()
