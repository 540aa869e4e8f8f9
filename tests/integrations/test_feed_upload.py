"""API uploads with per-bureau tokens: a bureau can only send its own feeds."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from casework.models import Bureau, BureauKind
from integrations.feeds.tokens import issue_token
from integrations.models import FeedToken, SourceRecord
from integrations.tasks import import_feed_file

pytestmark = pytest.mark.django_db

CONTACT = {
    "contact_no": "P1",
    "name": "王小明",
    "birth_date": "2009-01-01",
    "kind": "offence",
    "code": "theft",
}


@pytest.fixture
def keys():
    out = {}
    for code, kind in [("police", BureauKind.POLICE), ("welfare", BureauKind.WELFARE)]:
        bureau = Bureau.objects.update_or_create(
            kind=kind, defaults={"code": code, "name_zh": code, "name_en": code}
        )[0]
        out[code] = issue_token(bureau=bureau, name=f"{code} nightly")[1]
    return out


def post(client, feed, key, **kw):
    return client.post(
        reverse("integrations-api:feed-upload", args=[feed]), HTTP_AUTHORIZATION=f"Token {key}", **kw
    )


def test_bureau_sends_its_own_feed_as_json_rows(client, keys):
    response = post(
        client, "police.contacts", keys["police"], data={"rows": [CONTACT]}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["created"] == 1
    assert SourceRecord.objects.get(record_key="P1").batch.origin == "api"


def test_bureau_sends_a_csv_file(client, keys):
    csv = "contact_no,name,birth_date,kind,code\nP2,林小華,098/01/02,deviant,late_night_loitering\n".encode(
        "cp950"
    )
    response = post(
        client, "police.contacts", keys["police"], data={"file": SimpleUploadedFile("p.csv", csv)}
    )
    assert response.status_code == 201 and response.json()["encoding"] == "cp950"


def test_bureau_cannot_send_another_bureaus_feed(client, keys):
    response = post(
        client, "police.contacts", keys["welfare"], data={"rows": [CONTACT]}, content_type="application/json"
    )
    assert response.status_code == 403
    assert not SourceRecord.objects.exists()


def test_revoked_or_wrong_token_is_refused(client, keys):
    from django.utils import timezone

    assert (
        post(
            client, "police.contacts", "not-a-key", data={"rows": []}, content_type="application/json"
        ).status_code
        == 401
    )
    FeedToken.objects.update(revoked_at=timezone.now())
    assert (
        post(
            client, "police.contacts", keys["police"], data={"rows": []}, content_type="application/json"
        ).status_code
        == 401
    )


def test_only_the_hash_of_a_key_is_stored(keys):
    assert not FeedToken.objects.filter(key_hash=keys["police"]).exists()
    assert FeedToken.objects.filter(prefix=keys["police"][:8]).exists()


def test_broken_rows_are_quarantined_not_refused(client, keys):
    bad = {**CONTACT, "contact_no": "P3", "birth_date": "13/13/13"}
    response = post(
        client, "police.contacts", keys["police"], data=[CONTACT, bad], content_type="application/json"
    )
    assert response.status_code == 201
    assert (response.json()["created"], response.json()["quarantined"]) == (1, 1)


def test_unknown_feed_is_404(client, keys):
    assert (
        post(client, "police.nothing", keys["police"], data=[], content_type="application/json").status_code
        == 404
    )


def test_scheduled_task_imports_a_dropped_file_once(tmp_path, keys):
    path = tmp_path / "police.csv"
    path.write_text("contact_no,name,birth_date,kind\nP9,王小明,2009-01-01,offence\n", encoding="utf-8")
    first = import_feed_file.delay("police.contacts", str(path)).get()
    again = import_feed_file.delay("police.contacts", str(path)).get()
    assert (first["created"], again["status"], again["created"]) == (1, "duplicate", 0)
    unreadable = tmp_path / "bad.csv"
    unreadable.write_bytes(b"")
    assert import_feed_file.delay("police.contacts", str(unreadable)).get()["status"] == "failed"


def test_a_redelivered_import_task_still_queues_the_linking(tmp_path, keys, monkeypatch):
    """A worker that died after the import committed but before it queued the linking: the task runs again,
    finds the file already imported, and queues the linking of that same batch (linking is idempotent)."""
    from integrations import tasks

    queued = []
    monkeypatch.setattr(tasks.link_after_import, "delay", lambda batch_id: queued.append(batch_id))
    path = tmp_path / "police.csv"
    path.write_text("contact_no,name,birth_date,kind\nP9,王小明,2009-01-01,offence\n", encoding="utf-8")
    first = import_feed_file.delay("police.contacts", str(path)).get()
    again = import_feed_file.delay("police.contacts", str(path)).get()
    assert again["status"] == "duplicate"
    assert queued == [first["batch_id"], first["batch_id"]]


def test_an_upload_answered_at_once_that_stops_on_an_unexpected_error_says_so_and_stores_nothing(
    client, keys, monkeypatch
):
    """Not a bare 500: the answer says nothing was stored and to send again, and nothing was (the import is one
    transaction, so the batch opened before the error is gone too)."""
    from integrations.feeds import importing
    from integrations.models import ImportBatch

    def broken(batch, *args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(importing, "_ingest", broken)
    response = post(
        client,
        "police.contacts",
        keys["police"],
        data={"rows": [CONTACT]},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 503
    assert response["Content-Type"].startswith("application/json")
    assert "nothing was stored" in response.json()["detail"]
    assert not ImportBatch.objects.exists() and not SourceRecord.objects.exists()
    csv = "contact_no,name,birth_date,kind,code\nP3,林小華,098/01/02,deviant,late_night_loitering\n".encode()
    response = post(
        client, "police.contacts", keys["police"], data={"file": SimpleUploadedFile("p.csv", csv)}
    )
    assert response.status_code == 503 and not ImportBatch.objects.exists()
    # The allowed side: a refused request is still a 400 that names the problem, not a 503.
    response = post(
        client, "police.contacts", keys["police"], data={"rows": "x"}, content_type="application/json"
    )
    assert response.status_code == 400


def test_a_file_refused_as_a_whole_says_why_in_the_callers_language(client, keys):
    csv = b"contact_no,name\x00,birth_date\nP9,x,2009-01-01\n"
    zh = post(
        client, "police.contacts", keys["police"], data={"file": SimpleUploadedFile("p.csv", csv)},
        HTTP_ACCEPT_LANGUAGE="zh-hant",
    )  # fmt: skip
    assert zh.status_code == 400 and "檔案含有 NUL 位元組" in str(zh.json())
    en = post(
        client, "police.contacts", keys["police"], data={"file": SimpleUploadedFile("p.csv", csv)},
        HTTP_ACCEPT_LANGUAGE="en",
    )  # fmt: skip
    assert en.status_code == 400 and "NUL bytes" in str(en.json())


def test_a_json_body_nested_past_the_recursion_limit_is_a_clear_400(client, keys):
    """Insider review 16, N9: it answered 500 (RecursionError)."""
    body = "[" * 100_000 + "]" * 100_000
    response = post(client, "police.contacts", keys["police"], data=body, content_type="application/json")
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]
