"""Property-based fuzzing of every feed parser (issue 6, "Hostile input").

The feed contract (../shared/FEEDS.md) promises that a row that breaks it "is never silently dropped and
never stops the rest of the file". These properties hold the parsers to that for any input:

* arbitrary bytes: :func:`contract.read_rows` either refuses the whole file with a ``ContractError`` (its
  one documented failure) or returns rows, and :func:`contract.validate_row` turns every row into an
  accepted row or a row with non-empty reasons, never another exception;
* structured fuzz: files with a real header and rows mixing valid values, ROC/Gregorian/garbage dates,
  invalid national IDs, missing and extra columns, short and long rows, quotes, newlines, formula prefixes,
  HTML, fullwidth characters and very long cells, written as UTF-8 (with or without BOM) or CP950: every
  data row comes out, accepted or quarantined with its raw cells intact;
* through the importer and the database: the batch's counts add up to the rows in the file, every
  quarantined row is stored with reasons and its raw content, and re-sending the same bytes changes
  nothing.

Example counts are kept small enough for CI (the file runs well under 90 s); set ``HOSTILE_SCALE=10`` for a
deeper run. Generation is derandomised so a failure in CI reproduces locally.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from integrations.feeds import contract, importing
from integrations.models import BatchStatus, ImportBatch, QuarantinedRow, SourceRecord
from tests.hostile import figures

SCALE = int(os.environ.get("HOSTILE_SCALE", "1"))
settings.register_profile(
    "hostile",
    deadline=None,
    derandomize=True,
    database=None,  # no .hypothesis/ directory in the working tree
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
        HealthCheck.filter_too_much,
    ],
)
PROFILE = settings.get_profile("hostile")


def examples(n: int) -> settings:
    return settings(PROFILE, max_examples=n * SCALE)


FEED_NAMES = sorted(contract.FEEDS)


def _count(test: str) -> None:
    figures.examples[test] += 1


# ------------------------------------------------------------------------------------------------
# Strategies
# ------------------------------------------------------------------------------------------------

# Characters CP950 encodes but decodes to another character: a CP950 file cannot carry them verbatim.
_CP950_LOSSY = "¢£¥•‾∼☉♁､"
_ANY_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"], exclude_characters="\x00"),
    max_size=30,
)
_CP950_TEXT = st.text(
    alphabet=st.characters(codec="cp950", exclude_characters=_CP950_LOSSY + "\x00"), max_size=30
)

HOSTILE_VALUES = [
    "=cmd|' /C calc'!A0",
    '=HYPERLINK("http://evil.example","click")',
    "+1+1",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "<script>alert('x')</script>",
    "<img src=x onerror=alert(1)>",
    '"quoted, with a comma"',
    'he said "hi"',
    "line one\nline two",
    "carriage\r\nreturn",
    "ends with a backslash \\",
    "Ａ１２３４５６７８９",
    "０９８／０３／１２",
    "王\u3000小明",
    "瓦歷斯・諾幹",
    "  ",
    ";;;",
    "x" * 3000,
    "長" * 1500,
    "k" * 200,  # longer than any record key may be
]
GARBAGE_DATES = [
    "098/13/40",
    "2009-02-30",
    "0000312",
    "980312",
    "12/31/2009",
    "tomorrow",
    "3000-01-01",
    "-1/1/1",
]
VALID_DATES = [
    "2009-03-12",
    "098/03/12",
    "98/03/12",
    "0980312",
    "98.03.12",
    "98-03-12",
    "民國98年3月12日",
    "",
]
VALID_BY_TYPE: dict[str, list[str]] = {
    "date": VALID_DATES,
    "bool": ["Y", "N", "1", "0", "是", "否", "true", "false", ""],
    "sex": ["M", "F", "男", "女", "1", "2", ""],
    "int": ["1", "7", "12", "07", "3.0", ""],
    "list": ["a;b", "neglect；abuse", "", "P1;P2;P1"],
    "national_id": [
        contract.make_national_id("H", 1, "2345678"),
        contract.make_national_id("A", 2, "0000001"),
        "H123456780",  # bad checksum
        "A1234",  # malformed
        "",
    ],
    "name": ["王小明", "陳美玲", "瓦歷斯·諾幹", ""],
    "text": ["J01", "S-001", "中壢區", "theft", ""],
}


def _valid_for(column: contract.ColumnSpec) -> list[str]:
    if column.type == "enum":
        return [*column.choices, ""]
    return VALID_BY_TYPE[column.type]


def _round_trips(values: list[str], encoding: str) -> list[str]:
    """The values a file in ``encoding`` can carry verbatim."""
    out = []
    for value in values:
        try:
            if value.encode(encoding).decode(encoding) == value:
                out.append(value)
        except UnicodeError:
            pass
    return out


def cell_for(
    column: contract.ColumnSpec, encoding: str, text: st.SearchStrategy[str]
) -> st.SearchStrategy[str]:
    """Mostly plausible values, with garbage, hostile strings and arbitrary text mixed in."""
    options = [
        st.sampled_from(_round_trips(_valid_for(column), encoding)),
        st.sampled_from(_round_trips(HOSTILE_VALUES, encoding)),
        text,
    ]
    if column.type == "date":
        options.append(st.sampled_from(GARBAGE_DATES))
        options.append(st.dates(dt.date(1800, 1, 1), dt.date(2200, 1, 1)).map(lambda d: d.isoformat()))
    return st.one_of(*options)


@st.composite
def feed_files(draw):
    """(feed, encoding, file bytes, the rows as written) for a structured, partly hostile feed file."""
    feed = draw(st.sampled_from(FEED_NAMES))
    spec = contract.FEEDS[feed]
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp950"]))
    text = _CP950_TEXT if encoding == "cp950" else _ANY_TEXT
    columns = list(draw(st.permutations(spec.columns)))
    # Sometimes drop a column (a required one too), sometimes add unknown ones.
    if draw(st.booleans()):
        columns = columns[: draw(st.integers(max(1, len(columns) - 2), len(columns)))]
    header = [column.name for column in columns]
    extra = draw(
        st.lists(
            st.sampled_from(["remark", "備註", "=1+1", "<b>x</b>", "extra col"]), unique=True, max_size=2
        )
    )
    header += [name for name in extra if name not in header]
    hostile = st.sampled_from(_round_trips(HOSTILE_VALUES, encoding))
    strategies = [cell_for(column, encoding, text) for column in columns] + [
        st.one_of(text, hostile) for _ in header[len(columns) :]
    ]
    rows = []
    for _ in range(draw(st.integers(0, 12))):
        row = [draw(strategy) for strategy in strategies]
        shape = draw(st.sampled_from(["full", "full", "full", "short", "long"]))
        if shape == "short":
            row = row[: draw(st.integers(1, len(row)))]
        elif shape == "long":
            row += draw(st.lists(st.one_of(text, hostile), min_size=1, max_size=3))
        rows.append(row)
    buffer = io.StringIO(newline="")
    # Python's writer quotes a cell only for the characters of its own line terminator, so a bare "\r" in a
    # cell is quoted only with "\r\n" endings; "\n" endings go with quoting every cell, as some exports do.
    if draw(st.booleans()):
        writer = csv.writer(buffer, lineterminator="\r\n")
    else:
        writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow(header)
    writer.writerows(rows)
    data = buffer.getvalue().encode(encoding)
    return feed, encoding, data, header, rows


def _expected_rows(rows: list[list[str]]) -> list[list[str]]:
    """The rows read_rows must return: all but those in which every cell is blank (Excel's ",,,," lines)."""
    return [row for row in rows if any(cell.strip() for cell in row)]


def _check_rows(feed: str, csv_file: contract.CsvFile) -> tuple[int, int]:
    """Validate every row: accepted, or quarantined with non-empty reasons. Returns (accepted, quarantined)."""
    accepted = quarantined = 0
    for _number, cells in csv_file.rows:
        parsed = contract.validate_row(feed, cells)
        if parsed.ok:
            accepted += 1
            assert parsed.key, "an accepted row always has its record key"
        else:
            quarantined += 1
            assert all(isinstance(reason, str) and reason.strip() for reason in parsed.errors)
    return accepted, quarantined


# ------------------------------------------------------------------------------------------------
# (a) Arbitrary bytes
# ------------------------------------------------------------------------------------------------


@examples(300)
@given(
    feed=st.sampled_from(FEED_NAMES),
    data=st.one_of(st.binary(max_size=600), _ANY_TEXT.map(lambda t: t.encode("utf-8"))),
    encoding=st.sampled_from(
        [None, None, "utf-8", "cp950", "big5", "utf-8-sig", "latin-1", "base64", "utf-16"]
    ),
)
def test_arbitrary_bytes_are_refused_or_fully_accounted_for(feed, data, encoding):
    _count("arbitrary bytes")
    try:
        csv_file = contract.read_rows(data, encoding)
    except contract.ContractError as exc:
        assert str(exc), "a refused file says why"
        return
    accepted, quarantined = _check_rows(feed, csv_file)
    assert accepted + quarantined == len(csv_file.rows)


@examples(300)
@given(
    feed=st.sampled_from(FEED_NAMES),
    tail=st.binary(max_size=600),
    bom=st.booleans(),
)
def test_a_real_header_then_arbitrary_bytes(feed, tail, bom):
    """Past a valid header, garbage must still end as a refused file or accounted-for rows."""
    _count("header + arbitrary bytes")
    header = ",".join(contract.FEEDS[feed].column_names).encode("utf-8") + b"\r\n"
    data = (b"\xef\xbb\xbf" if bom else b"") + header + tail
    try:
        csv_file = contract.read_rows(data)
    except contract.ContractError as exc:
        assert str(exc)
        return
    assert csv_file.header == list(contract.FEEDS[feed].column_names)
    accepted, quarantined = _check_rows(feed, csv_file)
    assert accepted + quarantined == len(csv_file.rows)


@examples(300)
@given(
    feed=st.sampled_from(FEED_NAMES),
    row=st.dictionaries(
        st.one_of(
            st.sampled_from(sorted({c for f in contract.FEEDS.values() for c in f.column_names})), _ANY_TEXT
        ),
        st.one_of(
            st.none(),
            st.booleans(),
            st.integers(-(10**12), 10**12),
            st.floats(allow_nan=True, allow_infinity=True),
            _ANY_TEXT,
            st.sampled_from(HOSTILE_VALUES),
            st.lists(_ANY_TEXT, max_size=3),
            st.dictionaries(_ANY_TEXT, _ANY_TEXT, max_size=2),
        ),
        max_size=12,
    ),
)
def test_any_json_row_validates_without_crashing(feed, row):
    """The API sends rows as JSON objects: any JSON value in any column gives an accepted or reasoned row."""
    _count("JSON rows")
    parsed = contract.validate_row(feed, row)
    assert parsed.ok or all(reason.strip() for reason in parsed.errors)
    assert len(parsed.key) <= contract.MAX_RECORD_KEY_LENGTH


# ------------------------------------------------------------------------------------------------
# (b) Structured fuzz: no row lost, raw content kept
# ------------------------------------------------------------------------------------------------


@examples(500)
@given(case=feed_files())
def test_structured_files_lose_no_row(case):
    feed, encoding, data, header, rows = case
    _count("structured files")
    note(f"{feed} {encoding} {data[:300]!r}")
    csv_file = contract.read_rows(data)  # a well-formed CSV file in a contract encoding always reads
    assert csv_file.encoding in ({"utf-8-sig"} if encoding == "utf-8-sig" else {"utf-8", "cp950"})
    if encoding != "cp950":
        # ASCII-only CP950 files are indistinguishable from UTF-8, and are detected as such.
        assert csv_file.encoding == encoding or encoding == "utf-8"
    assert csv_file.header == header
    expected = _expected_rows(rows)
    assert len(csv_file.rows) == len(expected)

    for (_number, cells), written in zip(csv_file.rows, expected, strict=True):
        # The raw cells are exactly what was written: the quarantine can show the row as received.
        for i, name in enumerate(header):
            assert cells[name] == (written[i] if i < len(written) else "")
        surplus = written[len(header) :]
        if any(cell.strip() for cell in surplus):
            assert cells[contract.OVERFLOW_KEY] == ",".join(surplus)
        parsed = contract.validate_row(feed, cells)
        if surplus and any(cell.strip() for cell in surplus):
            assert not parsed.ok, "a row longer than the header is never accepted silently"
    accepted, quarantined = _check_rows(feed, csv_file)
    assert accepted + quarantined == len(expected)


@examples(60)
@given(case=feed_files(), position=st.integers(0, 10**6))
def test_a_nul_anywhere_refuses_the_whole_file(case, position):
    """A NUL is never text (and PostgreSQL cannot store it): the file is refused, whatever the encoding."""
    feed, encoding, data, _header, _rows = case
    _count("NUL files")
    text = data.decode(encoding)
    at = position % (len(text) + 1)
    poisoned = (text[:at] + "\x00" + text[at:]).encode(encoding)
    for forced in (None, encoding):
        with pytest.raises(contract.ContractError, match="NUL"):
            contract.read_rows(poisoned, forced)


# ------------------------------------------------------------------------------------------------
# (c) Through the importer into the database
# ------------------------------------------------------------------------------------------------


def _stored() -> tuple[int, int, int]:
    return SourceRecord.objects.count(), QuarantinedRow.objects.count(), ImportBatch.objects.count()


@pytest.mark.django_db
@examples(80)
@given(
    case=st.one_of(
        feed_files(),
        st.tuples(
            st.sampled_from(FEED_NAMES), st.just(None), st.binary(max_size=300), st.just(None), st.just(None)
        ),
    )
)
def test_import_accounts_for_every_row_and_is_idempotent(case):
    feed, _encoding, data, _header, rows = case
    _count("imports into the database")
    # Each example in its own rolled-back transaction: examples do not see each other's batches.
    with transaction.atomic():
        try:
            summary = importing.import_file_bytes(feed=feed, data=data, file_name="fuzz.csv")
        except contract.ContractError as exc:
            assert rows is None, f"a well-formed file was refused: {exc}"
            failed = ImportBatch.objects.get()
            assert failed.status == BatchStatus.FAILED and failed.error == str(exc)
            assert SourceRecord.objects.count() == QuarantinedRow.objects.count() == 0
        else:
            batch = ImportBatch.objects.get(pk=summary.batch_id)
            if rows is not None:
                assert batch.rows_read == len(_expected_rows(rows))
            assert batch.created + batch.updated + batch.unchanged + batch.quarantined == batch.rows_read
            assert SourceRecord.objects.filter(batch=batch).count() == batch.created + batch.updated
            stored_quarantine = list(QuarantinedRow.objects.filter(batch=batch))
            assert len(stored_quarantine) == batch.quarantined
            parsed_rows = dict(contract.read_rows(data).rows)
            for row in stored_quarantine:
                assert row.reasons and all(reason.strip() for reason in row.reasons)
                received = parsed_rows[row.row_number]
                if row.feed == "court.sealing":
                    # A court notice keeps its number and case, never the person it names (docs/sealing.md).
                    received = {k: v for k, v in received.items() if k in importing.NOTICE_KEPT}
                assert row.raw == received, "the quarantine keeps the row as received"
            before = _stored()
            again = importing.import_file_bytes(feed=feed, data=data, file_name="fuzz.csv")
            assert again.status == BatchStatus.DUPLICATE
            assert again.created == again.updated == again.quarantined == 0
            assert _stored() == before, "re-sending the same bytes changes nothing"
        transaction.set_rollback(True)


# ------------------------------------------------------------------------------------------------
# Crashes the fuzzing found, pinned as plain examples
# ------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_overlong_record_key_is_quarantined_not_a_database_error():
    long_key = "P" * 300
    data = (
        "contact_no,name,birth_date,kind\n"
        f"{long_key},王小明,098/03/12,offence\n"
        f"{long_key},王小明,not a date,offence\n"
        "P1,陳美玲,98/03/12,offence\n"
    ).encode()
    summary = importing.import_file_bytes(feed="police.contacts", data=data, file_name="long.csv")
    assert (summary.rows_read, summary.created, summary.quarantined) == (3, 1, 2)
    rows = QuarantinedRow.objects.order_by("row_number")
    assert [row.record_key for row in rows] == ["", ""]
    assert all("record key is 300 characters long" in " ".join(row.reasons) for row in rows)
    assert rows[0].raw["contact_no"] == long_key, "the row is kept as received"


@pytest.mark.django_db
def test_a_quarantined_notice_naming_an_overlong_contact_number_seals_the_others_not_a_database_error():
    from integrations.models import SealedRecord

    data = f"notice_no,court_case_no,effective_on,contact_nos\nN1,113-1,2024-12-31,{'P' * 300};P1\n".encode()
    summary = importing.import_file_bytes(feed="court.sealing", data=data, file_name="n.csv")
    # The over-long number breaks the contract (quarantined), but a quarantined notice still seals what it
    # names that can exist: registering the impossible key crashed the import.
    assert summary.quarantined == 1
    assert list(SealedRecord.objects.values_list("record_key", flat=True)) == ["P1"]


@pytest.mark.django_db
@pytest.mark.parametrize("forced", ["utf-8", "latin-1", "utf-16", "base64", "rot13"])
def test_a_forced_encoding_cannot_smuggle_nul_or_crash_the_decoder(forced):
    data = "contact_no,name,birth_date\nP1,王\x00小明,2009-01-01\n".encode()
    with pytest.raises(contract.ContractError) as refused:
        importing.import_file_bytes(feed="police.contacts", data=data, encoding=forced)
    assert "NUL" in str(refused.value) or "not accepted" in str(refused.value)
    assert not SourceRecord.objects.exists() and not QuarantinedRow.objects.exists()
    assert ImportBatch.objects.get().status == BatchStatus.FAILED
