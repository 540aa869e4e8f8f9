"""A bureau uploads a large feed file over the API: the data steward watches it wait in the queue, import
stage by stage on a worker, and finish, on the batches page."""

from __future__ import annotations

import threading

import pytest

from casework.models import Bureau, BureauKind
from integrations import tasks
from integrations.feeds import uploads
from integrations.feeds.tokens import issue_token
from integrations.models import BatchStatus, ImportBatch, SourceRecord

from .conftest import login, snap

pytestmark = pytest.mark.django_db(transaction=True)

HEADER = "contact_no,name,birth_date,occurred_on,kind,code\n"


def test_a_queued_upload_is_seen_to_wait_run_and_finish(page, live_server, world, monkeypatch):
    police = Bureau.objects.get(kind=BureauKind.POLICE)
    key = issue_token(bureau=police, name="nightly drop")[1]
    data = (
        HEADER
        + "".join(
            f"P{i:06d},王小{i % 97},2009-01-{1 + i % 28:02d},2024-03-01,offence,theft\n" for i in range(12000)
        )
    ).encode()
    assert len(data) > uploads.INLINE_MAX_BYTES
    # No worker is listening yet: the message waits on the queue.
    queued: list[int] = []
    monkeypatch.setattr(tasks.import_feed_file, "delay", lambda feed, batch_id: queued.append(batch_id))

    response = page.request.post(
        f"{live_server.url}/api/integrations/feeds/police.contacts/",
        headers={"Authorization": f"Token {key}"},
        multipart={"file": {"name": "police-2024-03.csv", "mimeType": "text/csv", "buffer": data}},
    )
    assert response.status == 202, response.text()
    batch_id = response.json()["id"]
    assert response.headers["location"].endswith(f"/api/integrations/batches/{batch_id}/")

    login(page, live_server, "steward")
    page.goto(f"{live_server.url}/integrations/batches/")
    row = page.locator(f'td[data-status="{BatchStatus.QUEUED}"]')
    assert row.count() == 1 and "等待工作程序" in row.inner_text()  # the stage in words (zh-Hant)
    assert page.locator('meta[http-equiv="refresh"]').count() == 1
    snap(page, "upload-queue-1-queued")

    # A worker takes the message; it is held in the validating stage long enough to be seen.
    held = threading.Event()
    go_on = threading.Event()

    def slow(stage, done, total):
        if stage == "validating" and not held.is_set():
            held.set()
            go_on.wait(20)

    result: dict = {}

    def worker():
        from django.db import connection

        try:
            result.update(uploads.run_upload(queued[0], progress=slow))
        finally:
            connection.close()

    thread = threading.Thread(target=worker)
    thread.start()
    assert held.wait(20)
    page.reload()
    running = page.locator(f'td[data-status="{BatchStatus.RUNNING}"]')
    assert running.count() == 1 and "檢查各列" in running.inner_text()  # "checking the rows"
    assert page.locator("td progress").count() == 1
    snap(page, "upload-queue-2-running")
    go_on.set()
    thread.join(60)
    assert result["created"] == 12000

    # The page reloads itself every 3 s while something is queued or running; it then shows the result.
    page.wait_for_selector(f'td[data-status="{BatchStatus.COMPLETED}"]', timeout=15000)
    assert page.locator('meta[http-equiv="refresh"]').count() == 0
    finished = page.locator("tbody tr").first.inner_text()
    assert "12000" in finished and "police-2024-03.csv" in finished
    snap(page, "upload-queue-3-finished")
    assert ImportBatch.objects.get(pk=batch_id).status == BatchStatus.COMPLETED
    assert SourceRecord.objects.filter(batch_id=batch_id).count() == 12000
