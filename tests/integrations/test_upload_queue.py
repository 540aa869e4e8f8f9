"""Large feed uploads are stored, queued on a worker and followed on the batch; small ones are answered at once
(integrations/uploads.py; docs/feeds.md, "Ways in")."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError
from django.urls import reverse

from casework.models import Bureau, BureauKind, Membership, Role
from integrations.feeds import uploads
from integrations.feeds.tokens import issue_token
from integrations.models import BatchStatus, FeedUpload, ImportBatch, SourceRecord

pytestmark = pytest.mark.django_db

HEADER = "contact_no,name,birth_date,occurred_on,kind,code\n"


def contacts(n: int, broken: int = 0) -> bytes:
    rows = [f"P{i:06d},王小{i % 97},2009-01-{1 + i % 28:02d},2024-03-01,offence,theft\n" for i in range(n)]
    rows += [f"B{i},王小明,098/02/30,2024-01-01,offence,theft\n" for i in range(broken)]
    return (HEADER + "".join(rows)).encode()


@pytest.fixture
def key():
    bureau = Bureau.objects.update_or_create(
        kind=BureauKind.POLICE, defaults={"code": "police", "name_zh": "警察局", "name_en": "Police"}
    )[0]
    return issue_token(bureau=bureau, name="nightly")[1]


@pytest.fixture
def steward_client(client, django_user_model):
    committee = Bureau.objects.update_or_create(
        kind=BureauKind.COMMITTEE, defaults={"code": "committee", "name_zh": "少輔會", "name_en": "C"}
    )[0]
    user = django_user_model.objects.create_user("steward", password="pw-steward-1")
    Membership.objects.create(user=user, bureau=committee, role=Role.DATA_STEWARD)
    client.force_login(user)
    return client


def upload(client, key, data: bytes, name="police-2024-03.csv", **headers):
    return client.post(
        reverse("integrations-api:feed-upload", args=["police.contacts"]),
        data={"file": SimpleUploadedFile(name, data)},
        HTTP_AUTHORIZATION=f"Token {key}",
        **headers,
    )


def test_a_large_file_is_queued_answered_202_with_the_batch_url_and_imported_by_the_worker(
    client, key, steward_client
):
    data = contacts(9000, broken=2)
    assert len(data) > uploads.INLINE_MAX_BYTES
    response = upload(client, key, data)
    assert response.status_code == 202, response.content
    body = response.json()
    batch = ImportBatch.objects.get()
    assert response["Location"].endswith(f"/api/integrations/batches/{batch.pk}/")
    assert body["url"] == response["Location"] and body["id"] == batch.pk
    # Eager mode (no broker): the worker ran inside the request, so the batch is already finished.
    assert batch.status == BatchStatus.COMPLETED and body["status"] == "completed"
    assert (batch.rows_read, batch.created, batch.quarantined) == (9002, 9000, 2)
    assert batch.file_name == "police-2024-03.csv" and batch.origin == "api"
    assert not FeedUpload.objects.exists()  # the stored file is gone once imported
    shown = steward_client.get(response["Location"]).json()
    assert shown["status"] == "completed" and shown["created"] == 9000
    assert shown["progress"]["stage"] == "finished"
    assert set(shown["progress"]["stages"]) == {"reading", "validating", "storing"}


def test_a_queued_batch_waits_in_queued_then_running_then_finishes(key, client, steward_client, monkeypatch):
    from integrations import tasks

    queued: list[int] = []
    monkeypatch.setattr(tasks.import_feed_file, "delay", lambda feed, batch_id: queued.append(batch_id))
    response = upload(client, key, contacts(50), HTTP_PREFER="respond-async")
    assert response.status_code == 202
    batch = ImportBatch.objects.get(pk=queued[0])
    assert batch.status == BatchStatus.QUEUED and not SourceRecord.objects.exists()
    assert steward_client.get(response["Location"]).json()["progress"]["stage"] == "queued"
    seen: list[tuple[str, str]] = []

    def watch(stage, done, total):
        seen.append((ImportBatch.objects.get(pk=batch.pk).status, uploads.batch_progress(batch)["stage"]))

    summary = uploads.run_upload(batch.pk, progress=watch)
    assert seen[0] == (BatchStatus.RUNNING, "reading")  # the page sees the stage while it runs
    assert summary["created"] == 50
    batch.refresh_from_db()
    assert batch.status == BatchStatus.COMPLETED and batch.progress["stage"] == "finished"
    # Run again (a redelivered message): nothing changes.
    assert uploads.run_upload(batch.pk)["created"] == 50
    assert SourceRecord.objects.count() == 50


def test_the_same_file_queued_twice_changes_nothing_the_second_time(client, key):
    data = contacts(9000)
    first = upload(client, key, data)
    second = upload(client, key, data, name="again.csv")
    assert first.status_code == second.status_code == 202
    assert second.json()["status"] == BatchStatus.DUPLICATE
    assert SourceRecord.objects.count() == 9000


def test_a_queued_file_that_cannot_be_read_ends_failed_with_the_reason(client, key):
    response = upload(client, key, b"\x00" * (uploads.INLINE_MAX_BYTES + 10))
    assert response.status_code == 202
    batch = ImportBatch.objects.get()
    assert batch.status == BatchStatus.FAILED and "NUL" in batch.error
    assert response.json()["progress"]["stage"] == "failed"


@pytest.mark.parametrize(
    "error",
    [RuntimeError("disk on fire"), OperationalError("database is locked")],
    ids=["bug", "write-lock"],
)
def test_a_crash_mid_import_fails_the_batch_deletes_the_upload_and_stores_nothing(
    client, key, monkeypatch, error
):
    """R2: any error during a queued import (here run inline, no broker) ends the batch ``failed`` with the
    reason, deletes the stored bytes (committed although the import rolled back) and answers a clear 503."""
    from integrations.feeds import importing

    def crash(*args, **kwargs):
        raise error

    monkeypatch.setattr(importing, "_insert_source_records", crash)
    response = upload(client, key, contacts(9000), name="D136006974_child_drugs.csv")
    assert response.status_code == 503, response.content
    body = response.json()
    # Said in the caller's language (zh-Hant by default); the batch keeps the stored English reason.
    assert body["status"] == "failed" and body["detail"] == "匯入因錯誤中止；沒有儲存任何資料；請重新傳送檔案"
    batch = ImportBatch.objects.get()
    assert batch.status == BatchStatus.FAILED and "nothing was stored" in batch.error
    assert batch.progress["stage"] == "failed"
    assert not FeedUpload.objects.exists()
    assert not SourceRecord.objects.exists()
    # The batches page stops reloading: nothing is importing any more.
    assert uploads.batch_progress(batch)["stage"] == "failed"


def test_a_crash_in_the_worker_fails_the_batch_and_a_resend_imports(client, key, monkeypatch):
    from integrations import tasks
    from integrations.feeds import importing

    queued: list[int] = []
    monkeypatch.setattr(tasks.import_feed_file, "delay", lambda feed, batch_id: queued.append(batch_id))
    assert upload(client, key, contacts(50), HTTP_PREFER="respond-async").status_code == 202
    original = importing.import_file_bytes

    def crash(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(importing, "import_file_bytes", crash)
    result = tasks._import_upload(queued[0])  # the worker's body, as the task runs it
    assert result["status"] == BatchStatus.FAILED
    batch = ImportBatch.objects.get(pk=queued[0])
    assert batch.status == BatchStatus.FAILED and batch.error == uploads.STOPPED
    assert not FeedUpload.objects.exists() and not SourceRecord.objects.exists()
    # A redelivered task finds the batch failed and does nothing; the bureau's resend imports.
    assert tasks._import_upload(queued[0])["status"] == BatchStatus.FAILED
    monkeypatch.setattr(importing, "import_file_bytes", original)
    assert upload(client, key, contacts(50), HTTP_PREFER="respond-async").status_code == 202
    assert tasks._import_upload(queued[1])["created"] == 50


def test_a_queued_batch_whose_upload_vanished_ends_failed(client, key, monkeypatch):
    from integrations import tasks

    queued: list[int] = []
    monkeypatch.setattr(tasks.import_feed_file, "delay", lambda feed, batch_id: queued.append(batch_id))
    upload(client, key, contacts(50), HTTP_PREFER="respond-async")
    FeedUpload.objects.all().delete()
    assert tasks._import_upload(queued[0])["status"] == BatchStatus.FAILED
    assert ImportBatch.objects.get().status == BatchStatus.FAILED


def test_a_small_file_is_still_answered_at_once_with_201_and_the_summary(client, key):
    response = upload(client, key, contacts(20))
    assert response.status_code == 201
    assert response.json()["created"] == 20 and "Location" not in response
    assert ImportBatch.objects.get().status == BatchStatus.COMPLETED


def test_many_json_rows_are_queued_and_few_are_answered_at_once(client, key):
    url = reverse("integrations-api:feed-upload", args=["police.contacts"])
    row = {"name": "王小明", "birth_date": "2009-01-01", "kind": "offence", "code": "theft"}
    few = [{**row, "contact_no": f"J{i}"} for i in range(uploads.INLINE_MAX_ROWS)]
    many = [{**row, "contact_no": f"K{i}"} for i in range(uploads.INLINE_MAX_ROWS + 1)]
    auth = {"HTTP_AUTHORIZATION": f"Token {key}", "content_type": "application/json"}
    assert client.post(url, data={"rows": few}, **auth).status_code == 201
    response = client.post(url, data={"rows": many}, **auth)
    assert response.status_code == 202 and response.json()["created"] == len(many)
    assert response.json()["file_name"] == "(api)"


def test_the_upload_body_is_in_the_openapi_schema_with_examples(steward_client):
    schema = steward_client.get("/api/schema/?format=json").json()
    post = schema["paths"]["/api/integrations/feeds/{feed}/"]["post"]
    content = post["requestBody"]["content"]
    components = schema["components"]["schemas"]
    assert content["multipart/form-data"]["schema"]["$ref"].endswith("/FeedFileUploadRequest")
    assert components["FeedFileUploadRequest"]["properties"]["file"]["format"] == "binary"
    assert components["FeedRowsUploadRequest"]["required"] == ["rows"]
    assert content["application/json"]["examples"]
    assert content["multipart/form-data"]["examples"]
    assert {"201", "202"} <= set(post["responses"])


def test_the_batches_page_shows_a_queued_upload_stage_and_reloads_until_it_finishes(
    client, key, steward_client, monkeypatch
):
    from django.utils import translation

    from integrations import tasks

    queued: list[int] = []
    monkeypatch.setattr(tasks.import_feed_file, "delay", lambda feed, batch_id: queued.append(batch_id))
    upload(client, key, contacts(30), HTTP_PREFER="respond-async")
    with translation.override("en"):
        page = steward_client.get(reverse("integrations:batch-list"), HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert 'data-status="queued"' in html and "Stage: waiting for a worker" in html
    assert 'http-equiv="refresh"' in html
    uploads.run_upload(queued[0])
    html = steward_client.get(reverse("integrations:batch-list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-status="completed"' in html and 'http-equiv="refresh"' not in html


def test_a_batch_stuck_past_the_task_time_limit_is_shown_failed(client, key, steward_client, monkeypatch):
    import datetime as dt

    from integrations import tasks

    monkeypatch.setattr(tasks.import_feed_file, "delay", lambda feed, batch_id: None)
    upload(client, key, contacts(50), HTTP_PREFER="respond-async")
    batch = ImportBatch.objects.get()
    # Within the limit it is still queued.
    assert (
        steward_client.get(reverse("integrations-api:importbatch-detail", args=[batch.pk])).json()["status"]
        == BatchStatus.QUEUED
    )
    ImportBatch.objects.filter(pk=batch.pk).update(
        received_at=batch.received_at - dt.timedelta(seconds=uploads.stale_after_seconds() + 60)
    )
    page = steward_client.get(reverse("integrations:batch-list"))
    assert b'http-equiv="refresh"' not in page.content
    batch.refresh_from_db()
    assert batch.status == BatchStatus.FAILED and batch.error == uploads.STALE
    assert not FeedUpload.objects.exists()


class TestANoticeArrivingWhileAnUploadWaits:
    """The bytes of a queued upload keep no sealed record once a notice reaches it (docs/sealing.md,
    "Unfinished uploads")."""

    ROWS = (
        "P1,王小明,2009-01-02,2024-03-01,offence,theft\n"  # sealed by key
        "P2,陳美玲,2009-05-06,2024-03-02,offence,theft\n"  # reached by a person-wide notice (name + birth date)
        "P3,林大同,2009-07-08,2024-03-03,deviant,late_night_loitering\n"  # nobody's notice: stays
        "P4,陳美玲,2009-05-06,2025-06-01,offence,theft\n"  # the same person after effective_on: stays
        ",陳美玲,2009-05-06,,offence,theft\n"  # malformed (no key), the person's: taken out, never quarantined
    )

    def queue(self, client, key, monkeypatch, encoding="utf-8"):
        from integrations import tasks

        queued: list[int] = []
        monkeypatch.setattr(tasks.import_feed_file, "delay", lambda feed, batch_id: queued.append(batch_id))
        data = (HEADER + self.ROWS).encode(encoding)
        response = upload(client, key, data, name="E123456789_王小明.csv", HTTP_PREFER="respond-async")
        assert response.status_code == 202
        return ImportBatch.objects.get(pk=queued[0])

    def notices(self):
        from integrations.feeds import importing

        importing.import_file_bytes(
            feed="court.sealing",
            data=(
                "notice_no,name,birth_date,court_case_no,effective_on,contact_nos\n"
                "N1,,,113少調1,2024-12-31,P1\n"
                "N2,陳美玲,2009-05-06,113少調2,2024-12-31,\n"
            ).encode(),
            file_name="notices.csv",
        )

    @pytest.mark.parametrize("encoding", ["utf-8", "cp950"])
    def test_the_rows_a_notice_reaches_leave_the_stored_bytes_and_the_rest_imports(
        self, client, key, monkeypatch, encoding
    ):
        batch = self.queue(client, key, monkeypatch, encoding)
        self.notices()
        stored = bytes(FeedUpload.objects.get(batch=batch).data).decode("ascii")
        import json

        kept = json.loads(stored)
        text = json.dumps(kept, ensure_ascii=False)
        assert "王小明" not in text and "陳美玲" in text  # P4, after effective_on, stays
        assert [raw["contact_no"] for _n, raw in kept["rows"]] == ["P3", "P4"]
        assert [n for n, _raw in kept["rows"]] == [3, 4]  # row numbers as in the file
        batch.refresh_from_db()
        assert batch.file_name == "police.contacts.csv"
        summary = uploads.run_upload(batch.pk)
        assert (summary["created"], summary["quarantined"]) == (2, 0)
        assert (summary["rows_read"], summary["sealed"]) == (
            5,
            3,
        )  # the rows taken out count as read and sealed
        assert set(
            SourceRecord.objects.filter(feed="police.contacts").values_list("record_key", flat=True)
        ) == {
            "P3",
            "P4",
        }
        from integrations.models import QuarantinedRow, SealedRecord

        assert not QuarantinedRow.objects.filter(feed="police.contacts").exists()
        assert SealedRecord.objects.filter(
            record_key="P2", notice_key="N2"
        ).exists()  # as the import registers

    def test_an_upload_no_notice_reaches_is_left_as_sent(self, client, key, monkeypatch):
        batch = self.queue(client, key, monkeypatch)
        from integrations.feeds import importing

        importing.import_file_bytes(
            feed="court.sealing",
            data=b"notice_no,court_case_no,effective_on,contact_nos\nN9,113-9,2024-12-31,P999\n",
            file_name="n.csv",
        )
        upload_row = FeedUpload.objects.get(batch=batch)
        assert upload_row.encoding == "" and bytes(upload_row.data) == (HEADER + self.ROWS).encode()

    def test_a_running_upload_is_left_to_its_import(self, client, key, monkeypatch):
        batch = self.queue(client, key, monkeypatch)
        ImportBatch.objects.filter(pk=batch.pk).update(status=BatchStatus.RUNNING)
        self.notices()
        assert FeedUpload.objects.get(batch=batch).encoding == ""


def test_the_batches_page_shows_a_queued_uploads_linking_until_it_is_done(
    client, key, steward_client, monkeypatch
):
    """After a worker imports a queued upload, linking runs as a task of its own: the batch says so while it
    runs (and the page reloads), and how long it took once done (issue 16)."""
    from integrations import tasks

    linked: list[int] = []
    monkeypatch.setattr(tasks.link_after_import, "delay", lambda batch_id: linked.append(batch_id))
    upload(client, key, contacts(30), HTTP_PREFER="respond-async")
    batch = ImportBatch.objects.get()
    uploads.run_upload(batch.pk)
    uploads.mark_linking(batch.pk, "running")
    html = steward_client.get(
        reverse("integrations:batch-list"), HTTP_ACCEPT_LANGUAGE="zh-hant"
    ).content.decode()
    assert 'data-linking="running"' in html and "階段：連結紀錄" in html and 'http-equiv="refresh"' in html
    tasks.link_after_import.apply(args=[batch.pk])
    batch.refresh_from_db()
    assert batch.progress["linking"]["state"] == "done" and batch.progress["stage"] == "finished"
    html = steward_client.get(
        reverse("integrations:batch-list"), HTTP_ACCEPT_LANGUAGE="zh-hant"
    ).content.decode()
    assert 'data-linking="done"' in html and 'http-equiv="refresh"' not in html


def _a_notice_exists():
    from integrations.feeds.importing import import_rows

    import_rows(
        feed="court.sealing",
        rows=[{"notice_no": "SN-UQ", "court_case_no": "113少調1", "effective_on": "2024-01-01",
               "contact_nos": "PC-NOT-HERE", "name": "測試甲", "birth_date": "2011-01-01"}],
    )  # fmt: skip


def test_a_police_upload_that_crashes_while_a_notice_exists_loses_its_name_and_checksum_at_once(
    client, key, monkeypatch
):
    """Insider review 16, N2: a crash (not a file that cannot be read) kept the bureau's name for the file,
    which may name a sealed child, and its checksum until the next import's sweep."""
    from integrations.feeds import importing

    _a_notice_exists()
    monkeypatch.setattr(importing, "_insert_source_records", lambda *a, **k: (_ for _ in ()).throw(OSError()))
    response = upload(client, key, contacts(9000), name="測試甲_drugs.csv")
    assert response.status_code == 503
    batch = ImportBatch.objects.get(feed="police.contacts")
    assert (batch.status, batch.file_name, batch.checksum) == (BatchStatus.FAILED, "police.contacts.csv", "")


def test_a_police_upload_that_crashes_with_no_notice_keeps_its_name(client, key, monkeypatch):
    """The refused side: with no notice, nothing can be sealed; the steward sees which file failed."""
    from integrations.feeds import importing

    monkeypatch.setattr(importing, "_insert_source_records", lambda *a, **k: (_ for _ in ()).throw(OSError()))
    upload(client, key, contacts(9000), name="police-2024-03.csv")
    batch = ImportBatch.objects.get(feed="police.contacts")
    assert batch.file_name == "police-2024-03.csv" and batch.checksum
