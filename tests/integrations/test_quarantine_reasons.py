"""Quarantine reasons in the reader's language: every reason the contract and the importer write has zh-Hant
words (the stored English stays as it is, for exports and the API's ``reasons``)."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from integrations.feeds import contract, importing
from integrations.feeds.reasons import is_known, readable
from integrations.models import QuarantinedRow
from tests.fixtures import PASSWORD

STUDENT = {"school_code": "J01", "student_no": "S1", "name": "王小明", "birth_date": "2010-01-01"}
CONTACT = {"contact_no": "P1", "name": "王小明", "birth_date": "2010-01-01", "kind": "offence"}

# Every way one row breaks the contract (contract.validate_row), each with the feed and the cells.
BROKEN_CELLS = [
    ("school.students", {**STUDENT, "grade": "13"}),  # out of range
    ("school.students", {**STUDENT, "grade": "x"}),  # not a whole number
    ("school.students", {**STUDENT, "indigenous": "maybe"}),  # not a boolean
    ("school.students", {**STUDENT, "sex": "X"}),  # not a sex
    ("school.students", {**STUDENT, "birth_date": "098/13/01"}),  # no month 13
    ("school.students", {**STUDENT, "birth_date": "098/02/30"}),  # no day 30 in February
    ("school.students", {**STUDENT, "birth_date": "000/01/01"}),  # ROC year 0
    ("school.students", {**STUDENT, "birth_date": "1850-01-01"}),  # implausible year
    ("school.students", {**STUDENT, "birth_date": "yesterday"}),  # not a date
    ("school.students", {**STUDENT, "student_no": ""}),  # required value blank
    ("school.students", {k: v for k, v in STUDENT.items() if k != "school_code"}),  # required column missing
    ("school.students", {**STUDENT, "name": ""}),  # neither name
    (
        "school.students",
        {**STUDENT, "enrolled_on": "2020-09-01", "left_on": "2019-06-30"},
    ),  # date order (warning)
    ("police.contacts", {**CONTACT, "kind": "jaywalking"}),  # not one of the codes
    ("police.contacts", {**CONTACT, "contact_no": "P" * 200}),  # key too long
    ("police.contacts", {**CONTACT, "code": {"v": "theft"}}),  # a JSON object for one value
    ("police.contacts", {**CONTACT, "__overflow__": "extra,cells"}),  # more fields than the header
]


def _sentences() -> list[str]:
    out = []
    for feed, cells in BROKEN_CELLS:
        row = contract.validate_row(feed, cells)
        out.extend(row.errors + row.warnings)
    return out


def test_every_way_a_row_breaks_the_contract_is_said_in_zh_hant():
    sentences = _sentences()
    assert len(sentences) >= len(BROKEN_CELLS)
    with translation.override("zh-hant"):
        for sentence in sentences:
            assert is_known(sentence), sentence
            words = readable(sentence)
            assert words != sentence and re.search(r"[\u4e00-\u9fff]", words), sentence
            # No English sentence is left: only the column names, codes and values it quotes.
            assert not re.search(
                r"\b(is not|required|expected|valid|before|more fields|characters|header)\b", words
            ), words


def test_the_english_reader_reads_the_stored_sentence_in_english():
    with translation.override("en"):
        for sentence in _sentences():
            assert not re.search(
                r"[\u4e00-\u9fff]{2}", readable(sentence).replace("是/否", "").replace("男/女", "")
            )


def test_an_unknown_sentence_is_shown_as_it_is():
    assert readable("something new went wrong") == "something new went wrong"
    assert not is_known("something new went wrong")


@pytest.mark.django_db
def test_the_steward_reads_the_importers_reasons_in_zh_hant(world, tmp_path, client):
    """Reasons the importer adds to the contract's: a repeated header line, a key used twice with other
    content, a NUL character, a student on no roster, and a header without a required column."""
    path = tmp_path / "contacts.csv"
    path.write_text(
        "contact_no,occurred_on,recorded_on,kind,code,unit,national_id,name,name_romanized,birth_date,sex\n"
        "Q1,2025-01-05,2025-01-06,deviant,runaway,分局,,王小明,,2010-01-01,M\n"
        "Q1,2025-01-05,2025-01-06,deviant,theft,分局,,王小明,,2010-01-01,M\n"
        "contact_no,occurred_on,recorded_on,kind,code,unit,national_id,name,name_romanized,birth_date,sex\n"
        "Q3,2025-13-05,2025-01-06,deviant,runaway,分局,,王小明,,2010-01-01,M\n",
        encoding="utf-8",
    )
    call_command("import_feed", "police.contacts", str(path), "--no-link", verbosity=0)
    importing.import_rows(
        feed="police.contacts", rows=[{**CONTACT, "contact_no": "Q2", "code": "run\x00away"}]
    )
    absences = tmp_path / "absences.csv"
    absences.write_text("absence_no,school_code,student_no,date\nA1,J09,S9,2025-03-01\n", encoding="utf-8")
    call_command("import_feed", "school.absences", str(absences), "--no-link", verbosity=0)
    stored = [r for row in QuarantinedRow.objects.all() for r in row.reasons]
    assert len(stored) >= 5
    assert all(is_known(r) for r in stored), [r for r in stored if not is_known(r)]
    client.login(username="steward", password=PASSWORD)
    page = client.get(
        reverse("integrations:quarantine-list"), HTTP_ACCEPT_LANGUAGE="zh-hant"
    ).content.decode()
    assert "此列重複了檔案的標題列" in page and "已由本檔第" in page and "不是有效日期" in page
    assert "is not a valid date" not in page and "repeats the file's header" not in page
    api = client.get(reverse("integrations-api:quarantinedrow-list"), HTTP_ACCEPT_LANGUAGE="zh-hant").json()
    row = api["results"][0] if "results" in api else api[0]
    assert row["reasons"] and all(re.search(r"[\u4e00-\u9fff]", r) for r in row["reasons_text"])
    assert all(re.fullmatch(r"[ -~]+", r) for r in row["reasons"])  # the stored English, unchanged
    assert importing.REPEATED_HEADER in stored


@pytest.mark.django_db
def test_the_batches_page_says_why_a_batch_stopped_and_its_stage_in_zh_hant(world, client):
    from integrations.feeds import uploads
    from integrations.models import BatchOrigin, BatchStatus, ImportBatch

    ImportBatch.objects.create(
        feed="police.contacts",
        checksum="",
        origin=BatchOrigin.API,
        status=BatchStatus.FAILED,
        error=uploads.STOPPED,
    )
    ImportBatch.objects.create(
        feed="police.contacts",
        checksum="",
        origin=BatchOrigin.API,
        status=BatchStatus.QUEUED,
        progress={"stage": "queued", "done": 0, "total": 0, "stages": {}},
    )
    client.login(username="steward", password=PASSWORD)
    page = client.get(reverse("integrations:batch-list"), HTTP_ACCEPT_LANGUAGE="zh-hant").content.decode()
    assert "匯入因錯誤中止；沒有儲存任何資料；請重新傳送檔案" in page and "等待工作程序" in page
    assert "nothing was stored" not in page and "Stage: queued" not in page
