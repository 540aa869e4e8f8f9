"""Migration 0007 masks national IDs in file names already stored and neutralises the names of batches that
hold a sealed record (tested through the function the migration runs, on the real models)."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.utils import timezone

from integrations.models import BatchOrigin, BatchStatus, ImportBatch, SourceRecord

pytestmark = pytest.mark.django_db
migration = importlib.import_module("integrations.migrations.0007_mask_stored_file_names")


def batch(name: str, *, origin=BatchOrigin.COMMAND, sealed=0, feed="police.contacts") -> ImportBatch:
    return ImportBatch.objects.create(
        feed=feed, file_name=name, checksum=name, origin=origin, status=BatchStatus.COMPLETED, sealed=sealed
    )


def test_old_file_names_lose_national_ids_and_sealed_batches_their_name():
    plain = batch("police-2024-03.csv")
    with_id = batch("A123456789_王小明.csv")
    counted = batch("王小明_drugs.csv", sealed=1)
    holding = batch("contacts_林小華.csv")
    SourceRecord.objects.create(
        feed="police.contacts", record_key="P1", batch=holding, row_number=1, raw={}, values={}, row_hash="x",
        received_at=timezone.now(), knowledge_date=timezone.localdate(), sealed_at=timezone.now(),
    )  # fmt: skip
    api = batch("(api)", origin=BatchOrigin.API, sealed=2)

    migration.mask_file_names(apps, None)

    names = {b.pk: b.file_name for b in ImportBatch.objects.all()}
    assert names[plain.pk] == "police-2024-03.csv"
    assert "123456" not in names[with_id.pk] and names[with_id.pk].endswith("_王小明.csv")
    assert names[counted.pk] == names[holding.pk] == "police.contacts.csv"
    assert names[api.pk] == "(api)"
    migration.mask_file_names(apps, None)  # running it again changes nothing
    assert {b.pk: b.file_name for b in ImportBatch.objects.all()} == names


def test_quarantined_court_notices_already_stored_forget_their_person():
    from integrations.models import QuarantinedRow

    forget = importlib.import_module(
        "integrations.migrations.0009_quarantined_notices_forget_their_person"
    ).forget
    b = batch("court.csv", feed="court.sealing")
    notice = QuarantinedRow.objects.create(
        batch=b, feed="court.sealing", row_number=1, record_key="N1",
        raw={"notice_no": "N1", "name": "王小明", "national_id": "A123456789", "birth_date": "2010-13-45"},
        reasons=["birth_date: '2010-13-45' is not a valid date (month 13 does not exist)"],
    )  # fmt: skip
    contact = QuarantinedRow.objects.create(
        batch=batch("p.csv"), feed="police.contacts", row_number=1, record_key="P1",
        raw={"contact_no": "P1", "name": "林小華"}, reasons=["birth_date: required value is missing"],
    )  # fmt: skip
    forget(apps, None)
    notice.refresh_from_db()
    contact.refresh_from_db()
    assert notice.raw == {"notice_no": "N1"}
    assert notice.reasons == [
        "birth_date: breaks the contract (the value is not kept: the notice names a person)"
    ]
    assert contact.raw == {"contact_no": "P1", "name": "林小華"}  # the allowed side: other feeds keep theirs
