"""Importing feed files: versions, idempotence, quarantine, whole-file failures, crash safety."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.core.management import CommandError, call_command

from integrations.feeds import contract, importing
from integrations.models import BatchStatus, ImportBatch, QuarantinedRow, QuarantineStatus, SourceRecord

pytestmark = pytest.mark.django_db

STUDENTS = (
    "student_no,school_code,name,birth_date,sex,grade,indigenous,new_immigrant_parent\n"
    "S1,J01,王小明,098/03/12,男,7,N,是\n"
    "S2,J01,林美華,2009-01-05,2,8,,\n"
)


def imp(feed: str, text: str, encoding: str = "utf-8", **kw) -> importing.ImportSummary:
    return importing.import_file_bytes(feed=feed, data=text.encode(encoding), file_name="t.csv", **kw)


def current(feed: str, key: str) -> SourceRecord:
    return SourceRecord.objects.get(feed=feed, record_key=key, is_current=True)


def test_rows_become_source_records_with_provenance():
    summary = imp("school.students", STUDENTS)
    assert (summary.rows_read, summary.created, summary.quarantined) == (2, 2, 0)
    record = current("school.students", "J01/S1")
    assert record.version == 1
    assert record.row_number == 1
    assert record.batch.checksum and record.batch.file_name == "t.csv"
    assert record.values["birth_date"] == "2009-03-12"  # ROC 098 + 1911
    assert record.values["sex"] == "M"
    assert record.raw["name"] == "王小明"
    assert record.national_id_status == "missing"


def test_identical_file_changes_nothing():
    imp("school.students", STUDENTS)
    again = imp("school.students", STUDENTS)
    assert again.status == BatchStatus.DUPLICATE
    assert (again.created, again.updated, again.quarantined, again.unchanged) == (0, 0, 0, 2)
    assert SourceRecord.objects.count() == 2
    assert ImportBatch.objects.count() == 1


def test_resent_identical_rows_in_a_new_file_are_unchanged():
    imp("school.students", STUDENTS)
    summary = imp("school.students", STUDENTS + "S3,J01,陳志豪,2010-02-02,M,7,,\n")
    assert (summary.created, summary.unchanged, summary.updated) == (1, 2, 0)


def test_changed_row_adds_a_version_and_keeps_the_previous():
    imp("school.students", STUDENTS)
    summary = imp("school.students", STUDENTS.replace("王小明,098/03/12,男,7", "王小明,098/03/12,男,8"))
    assert (summary.updated, summary.unchanged) == (1, 1)
    versions = SourceRecord.objects.filter(feed="school.students", record_key="J01/S1").order_by("version")
    assert [(v.version, v.is_current, v.values["grade"]) for v in versions] == [(1, False, 7), (2, True, 8)]


def test_cp950_file_is_detected_without_being_told():
    summary = imp("school.students", STUDENTS, encoding="cp950")
    assert summary.encoding == "cp950"
    assert current("school.students", "J01/S2").values["name"] == "林美華"


def test_forced_encoding_is_used():
    summary = importing.import_file_bytes(
        feed="school.students", data=STUDENTS.encode("cp950"), file_name="t.csv", encoding="big5"
    )
    assert summary.created == 2


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("S9,J01,,2009-01-01,F,7,,", "name"),
        ("S9,J01,王一,,F,7,,", "birth_date"),
        ("S9,J01,王一,098/13/40,F,7,,", "birth_date"),
        ("S9,J01,王一,2009-01-01,X,7,,", "sex"),
        ("S9,J01,王一,2009-01-01,F,13,,", "grade"),
        ("S9,J01,王一,2009-01-01,F,7,maybe,", "indigenous"),
        (",J01,王一,2009-01-01,F,7,,", "student_no"),
    ],
)
def test_broken_rows_are_quarantined_with_a_reason_and_the_rest_imports(row, reason):
    summary = imp("school.students", STUDENTS + row + "\n")
    assert (summary.created, summary.quarantined) == (2, 1)
    kept = QuarantinedRow.objects.get()
    assert kept.row_number == 3
    assert kept.status == QuarantineStatus.OPEN
    assert any(r.startswith(reason) for r in kept.reasons), kept.reasons
    assert kept.raw["school_code"] == "J01"


def test_school_rows_for_a_student_on_no_roster_are_quarantined():
    imp("school.students", STUDENTS)
    summary = imp(
        "school.absences",
        "absence_no,student_no,school_code,date,kind\nA1,S1,J01,2024-03-01,unexcused\nA2,S9,J01,2024-03-01,excused\n",
    )
    assert (summary.created, summary.quarantined) == (1, 1)
    assert "not on any school roster" in QuarantinedRow.objects.get().reasons[0]


def test_same_key_twice_in_one_file_with_other_content_is_quarantined_identical_is_not():
    text = STUDENTS + "S1,J01,王小明,098/03/12,男,7,N,是\n" + "S2,J01,林美華,2009-01-05,2,9,,\n"
    summary = imp("school.students", text)
    assert (summary.created, summary.unchanged, summary.quarantined) == (2, 1, 1)
    assert "already used by row 2" in QuarantinedRow.objects.get().reasons[0]


def test_missing_required_column_quarantines_every_row_with_that_reason():
    summary = imp("school.students", "student_no,school_code,name\nS1,J01,王小明\n")
    assert summary.quarantined == 1
    assert any("birth_date: required column is missing" in r for r in QuarantinedRow.objects.get().reasons)


def test_a_file_without_its_header_line_fails_whole_without_quoting_the_data():
    """The first record would otherwise be read as column names and vanish (R5): refuse the file, say why,
    and never echo the line (it is a person's data)."""
    body = STUDENTS.split("\n", 1)[1]  # the two data rows, no header
    with pytest.raises(contract.ContractError, match="header line seems to be missing") as refused:
        imp("school.students", body)
    assert "王小明" not in str(refused.value) and "S1" not in str(refused.value)
    batch = ImportBatch.objects.get()
    assert batch.status == BatchStatus.FAILED and "header line seems to be missing" in batch.error
    assert "王小明" not in batch.error
    assert SourceRecord.objects.count() == 0


def test_a_header_with_some_known_columns_is_still_read():
    """The refused side: one recognisable column is enough to read the file (the rest quarantine)."""
    summary = imp("school.students", "student_no,學校,姓名\nS1,J01,王小明\n")
    assert summary.quarantined == 1
    assert ImportBatch.objects.get().status == BatchStatus.COMPLETED


def test_a_line_repeating_the_header_is_quarantined_as_such():
    joined = (
        STUDENTS
        + STUDENTS.split("\n", 1)[0].upper().replace(",", " , ")
        + "\n"
        + "S3,J01,陳大同,2009-02-02,M,7,,\n"
    )
    summary = imp("school.students", joined)
    assert (summary.created, summary.quarantined) == (3, 1)
    reasons = QuarantinedRow.objects.get().reasons
    assert reasons[0] == importing.REPEATED_HEADER


def test_a_row_that_only_resembles_the_header_is_not_called_a_repeated_header():
    summary = imp("school.students", STUDENTS + "student_no,J01,name,birth_date,sex,grade,indigenous,x\n")
    assert summary.quarantined == 1
    assert importing.REPEATED_HEADER not in QuarantinedRow.objects.get().reasons


def test_import_feed_command_exits_non_zero_on_a_file_without_header(tmp_path):
    path = tmp_path / "students.csv"
    path.write_text(STUDENTS.split("\n", 1)[1], encoding="utf-8")
    with pytest.raises(CommandError, match="header line seems to be missing"):
        call_command("import_feed", "school.students", str(path))


def test_unknown_extra_columns_are_kept_in_the_raw_record():
    imp("school.students", "student_no,school_code,name,birth_date,homeroom\nS1,J01,王小明,2009-01-01,7A\n")
    record = current("school.students", "J01/S1")
    assert record.raw["homeroom"] == "7A"
    assert record.values["_extra"] == {"homeroom": "7A"}


def test_knowledge_date_is_the_recorded_date_never_after_the_import():
    text = (
        "contact_no,name,birth_date,occurred_on,recorded_on,kind,code\n"
        "P1,王小明,2009-01-01,2024-05-01,2024-05-09,offence,theft\n"
        "P2,王小明,2009-01-01,2024-05-01,,deviant,late_night_loitering\n"
        "P3,王小明,2009-01-01,2024-05-01,2099-01-01,deviant,late_night_loitering\n"
    )
    imp("police.contacts", text)
    assert current("police.contacts", "P1").knowledge_date == dt.date(2024, 5, 9)
    assert current("police.contacts", "P2").knowledge_date == dt.date(
        2024, 5, 1
    )  # no recorded_on: event date
    assert current("police.contacts", "P3").knowledge_date <= dt.date.today() + dt.timedelta(days=1)


def test_a_file_that_cannot_be_read_fails_whole_and_is_recorded():
    with pytest.raises(contract.ContractError):
        importing.import_file_bytes(
            feed="school.students", data=b"\xff\xfe\x00\x00garbage", file_name="bad.csv"
        )
    batch = ImportBatch.objects.get()
    assert batch.status == BatchStatus.FAILED and batch.error
    assert SourceRecord.objects.count() == 0


def test_unknown_feed_is_refused():
    with pytest.raises(contract.ContractError, match="unknown feed"):
        imp("school.nonsense", STUDENTS)


def test_crash_half_way_leaves_nothing_and_the_rerun_imports_everything():
    original = SourceRecord.objects.bulk_create

    def crash(*args, **kwargs):
        raise RuntimeError("worker killed")

    with (
        mock.patch.object(QuarantinedRow.objects, "bulk_create", side_effect=crash),
        pytest.raises(RuntimeError),
    ):
        imp("school.students", STUDENTS + ",J01,broken,,,,,\n")
    assert SourceRecord.objects.count() == 0
    assert ImportBatch.objects.count() == 0
    assert original  # the real bulk_create is back
    summary = imp("school.students", STUDENTS + ",J01,broken,,,,,\n")
    assert (summary.created, summary.quarantined) == (2, 1)


def test_import_feed_command_prints_the_summary_and_exits_zero_with_quarantined_rows(tmp_path, capsys):
    path = tmp_path / "students.csv"
    path.write_text(STUDENTS + "S9,J01,,,,,,\n", encoding="utf-8-sig")
    call_command("import_feed", "school.students", str(path))
    out = capsys.readouterr().out
    assert "rows read 3, created 2, updated 0, unchanged 0, quarantined 1" in out


def test_import_feed_command_fails_when_the_file_cannot_be_read(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(b"")
    with pytest.raises(CommandError):
        call_command("import_feed", "school.students", str(path))
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_feed", "school.students", str(tmp_path / "missing.csv"))


class TestResubmission:
    def test_fixed_row_is_imported_and_the_quarantine_row_closed(self, django_user_model):
        steward = django_user_model.objects.create_user("steward")
        imp("school.students", STUDENTS + "S9,J01,王一,098/13/40,F,7,,\n")
        row = QuarantinedRow.objects.get()
        fixed = {**row.raw, "birth_date": "098/12/30"}
        summary = importing.resubmit_quarantined(row=row, fixed=fixed, user=steward)
        assert summary.created == 1
        row.refresh_from_db()
        assert row.status == QuarantineStatus.RESUBMITTED and row.resolved_by == steward
        assert current("school.students", "J01/S9").values["birth_date"] == "2009-12-30"

    def test_a_fix_that_still_breaks_the_contract_changes_nothing(self, django_user_model):
        steward = django_user_model.objects.create_user("steward")
        imp("school.students", STUDENTS + "S9,J01,王一,098/13/40,F,7,,\n")
        row = QuarantinedRow.objects.get()
        summary = importing.resubmit_quarantined(
            row=row, fixed={**row.raw, "birth_date": "nope"}, user=steward
        )
        assert summary.status == "rejected" and "birth_date" in summary.error
        row.refresh_from_db()
        assert row.status == QuarantineStatus.OPEN
        assert not SourceRecord.objects.filter(record_key="J01/S9").exists()


def test_tabs_newlines_and_backslashes_survive_the_fast_copy(db):
    data = (
        "contact_no,occurred_on,recorded_on,kind,code,unit,name,birth_date,address\n"
        'P1,2025-01-02,2025-01-03,deviant,runaway,"a\\b\tc","測試甲","2012-01-01","一樓\n二樓\\N"\n'
    ).encode()
    summary = importing.import_file_bytes(feed="police.contacts", data=data, file_name="p.csv")
    assert summary.created == 1, summary
    record = SourceRecord.objects.get(feed="police.contacts", record_key="P1")
    assert record.raw["unit"] == "a\\b\tc" and record.values["unit"] == "a\\b c"
    assert record.raw["address"] == "一樓\n二樓\\N"


def test_json_rows_with_a_nul_or_a_lone_surrogate_are_quarantined_with_the_cell_kept():
    """PostgreSQL stores neither; the row is kept with U+FFFD in place and quarantined with the reason."""
    summary = importing.import_rows(
        feed="police.contacts",
        rows=[
            {"contact_no": "P1", "name": "王\x00小明", "birth_date": "2009-01-01", "kind": "offence"},
            {"contact_no": "P2", "name": "林\ud800", "birth_date": "2009-01-01", "kind": "offence"},
            {"contact_no": "P3", "name": "陳小華", "birth_date": "2009-01-01", "kind": "offence"},
        ],
    )
    assert (summary.created, summary.quarantined) == (1, 2)
    rows = {q.record_key: q for q in QuarantinedRow.objects.all()}
    assert rows["P1"].raw["name"] == "王\ufffd小明" and rows["P2"].raw["name"] == "林\ufffd"
    assert all(
        "name: contains a NUL character or invalid Unicode" in r for q in rows.values() for r in q.reasons
    )


@pytest.mark.django_db(transaction=True)
def test_the_same_file_delivered_twice_at_once_is_imported_once():
    """A redelivered task running beside the first: the second waits for the first, then finds the file
    imported. Rows that only quarantine (no unique key to stop a second copy) are not quarantined twice."""
    import threading

    from django.db import connection

    text = "contact_no,name,birth_date,kind\nP1,王一,bad,offence\nP2,王二,bad,offence\n"
    results = []

    def run():
        try:
            results.append(imp("police.contacts", text).status)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["completed", "duplicate"]
    assert QuarantinedRow.objects.count() == 2
    assert ImportBatch.objects.filter(status=BatchStatus.COMPLETED).count() == 1


def test_a_header_repeating_a_persons_data_is_refused_without_quoting_it():
    """Review 4, F3: a file whose header line is missing may repeat a value of the first record (a name
    written twice); the error, kept on the batch, names columns by number, contract names only by name."""
    body = "S1,J01,王小明,王小明,2009-01-01,M,A123456789,A123456789\nS2,J01,林美華,x,2009-01-05,F,,\n"
    with pytest.raises(contract.ContractError) as refused:
        imp("school.students", body)
    error = ImportBatch.objects.get().error
    for text in (str(refused.value), error):
        assert "王小明" not in text and "A123456789" not in text
        assert "columns 3 and 4" in text and "columns 7 and 8" in text
    with pytest.raises(contract.ContractError, match=r"repeats column name\(s\): name$"):
        imp("school.students", "student_no,name,name\nS1,a,b\n")


def test_the_migration_withholds_names_and_ids_in_errors_already_stored():
    from importlib import import_module

    from django.apps import apps

    migration = import_module("integrations.migrations.0008_sealed_batches_forget_checksums")
    batch = ImportBatch.objects.create(
        feed="police.contacts",
        file_name="x.csv",
        checksum="c" * 64,
        status=BatchStatus.FAILED,
        error="header repeats column name(s): A123456789, name, 李無頭",
    )
    migration.forget(apps, None)
    batch.refresh_from_db()
    assert batch.error == "header repeats column name(s): name; other names withheld"


def test_an_unterminated_quote_fails_the_file_instead_of_swallowing_the_rows_after_it():
    """Review 4, F7: the rows after the quote would be read into one cell, neither counted nor quarantined."""
    text = (
        STUDENTS
        + 'S3,J01,"陳大同,2009-02-02,M,7,,\nS4,J01,李四,2009-03-03,F,7,,\nS5,J01,張五,2009-04-04,M,7,,\n'
    )
    with pytest.raises(contract.ContractError, match="row 3 opens a quote"):
        imp("school.students", text)
    assert ImportBatch.objects.get().status == BatchStatus.FAILED
    assert SourceRecord.objects.count() == 0


def test_a_quoted_cell_with_a_line_break_is_still_one_cell():
    """The refused side: a closed quote may hold a line break (an address over two lines)."""
    text = STUDENTS.replace("S2,J01,林美華", 'S2,J01,"林\n美華"')
    summary = imp("school.students", text)
    assert summary.rows_read == 2 and summary.quarantined + summary.created == 2


def test_a_json_object_or_list_where_the_contract_has_one_value_is_quarantined():
    """Review 4, F13: {"v": "<ID>"} was read as text and stored; a number is still read as its digits."""
    base = {
        "contact_no": "J1",
        "name": "王小明",
        "birth_date": "2009-01-01",
        "kind": "offence",
        "code": "theft",
    }
    summary = importing.import_rows(
        feed="police.contacts",
        rows=[
            {**base, "national_id": {"v": "A123456789"}},
            {**base, "contact_no": "J2", "name": ["王", "小明"]},
            {**base, "contact_no": 12345},
        ],
    )
    assert (summary.created, summary.quarantined) == (1, 2)
    reasons = sorted(r for row in QuarantinedRow.objects.all() for r in row.reasons)
    assert "name: expected one value, got a JSON list" in reasons
    assert "national_id: expected one value, got a JSON dict" in reasons
    assert current("police.contacts", "12345").values["name"] == "王小明"
