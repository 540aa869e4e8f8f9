"""Reading a feed file: its encoding detected (UTF-8 with or without BOM, CP950/Big5), its CSV rows read as
raw strings, and what makes a whole file unreadable."""

from __future__ import annotations

import codecs
import csv
import io
from typing import NamedTuple

from integrations.feeds.contract.specs import FEEDS
from integrations.feeds.contract.text import ContractError

# --------------------------------------------------------------------------------------------------
# Encoding and CSV reading
# --------------------------------------------------------------------------------------------------

_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def detect_encoding(data: bytes) -> str:
    """Return ``"utf-8-sig"``, ``"utf-8"`` or ``"cp950"`` for the bytes of a feed file.

    A UTF-8 byte-order mark means ``utf-8-sig``. Otherwise the bytes are tried as strict UTF-8, then as
    CP950 (Microsoft's Big5, what Excel writes on Traditional-Chinese Windows). CP950-encoded Chinese
    text is almost never valid UTF-8, so the order is safe. Empty input is ``utf-8``.

    Raises ``ContractError`` when the bytes are neither, or are plainly not a CP950/UTF-8 text file
    (UTF-16, NUL bytes).
    """
    if data.startswith(codecs.BOM_UTF8):
        try:
            data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ContractError(
                f"file starts with a UTF-8 byte-order mark but is not valid UTF-8 (byte {exc.start})"
            ) from exc
        return "utf-8-sig"
    if data.startswith(_UTF16_BOMS):
        raise ContractError("file is encoded as UTF-16; the feed contract accepts UTF-8 or CP950 (Big5)")
    if b"\x00" in data:
        raise ContractError("file contains NUL bytes; it is not a UTF-8 or CP950 (Big5) text file")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8"
    try:
        data.decode("cp950")
    except UnicodeDecodeError as exc:
        raise ContractError(
            f"file is neither valid UTF-8 nor valid CP950 (Big5): undecodable byte at offset {exc.start}"
        ) from exc
    return "cp950"


OVERFLOW_KEY = "__overflow__"
"""Key under which :func:`read_rows` keeps fields beyond the header (comma-joined); always a row error."""


class CsvFile(NamedTuple):
    """What :func:`read_rows` returns; unpacks as ``(encoding, header, rows)``.

    ``rows`` is a list of ``(row_number, cells)``: ``row_number`` is the 1-based number of the data
    record after the header, counting skipped blank lines, so ``row_number + 1`` is the spreadsheet row
    when no quoted field spans lines (a multi-line quoted record counts once); ``cells`` maps every
    header name to its raw, untrimmed string (``""`` when the row is short) plus any unknown extra
    columns, and :data:`OVERFLOW_KEY` when the row has more fields than the header.
    """

    encoding: str
    header: list[str]
    rows: list[tuple[int, dict[str, str]]]


FORCEABLE_ENCODINGS = frozenset({"utf-8", "utf-8-sig", "cp950", "big5", "big5hkscs"})
"""Codecs ``--encoding`` may force: the contract's UTF-8 and CP950/Big5 (and the HKSCS superset of Big5).
Anything else (Latin-1, UTF-16, or a bytes-to-bytes codec such as ``base64``) is refused with a clear
message rather than decoded into nonsense or crashing on a codec that does not produce text."""


def _canonical_encoding(name: str) -> str:
    try:
        codec = codecs.lookup(name)
    except (LookupError, TypeError, ValueError) as exc:
        raise ContractError(f"unknown encoding {name!r}") from exc
    canonical = codec.name.replace("_", "-")
    if canonical not in FORCEABLE_ENCODINGS:
        raise ContractError(
            f"encoding {name!r} is not accepted; the feed contract accepts UTF-8 or CP950 (Big5)"
        )
    return canonical


def _repeated_columns(header: list[str], duplicates: list[str]) -> str:
    """The whole-file error for a header that repeats names. A name of the contract is quoted; any other is
    given by its column numbers only: a file whose header line is missing has a person's data there, and the
    error is kept on the batch and shown to stewards."""
    known = {name for spec in FEEDS.values() for name in spec.column_map}
    quoted = [name for name in duplicates if name.lower() in known]
    others = [
        "columns " + " and ".join(str(i) for i, n in enumerate(header, start=1) if n == name)
        for name in duplicates
        if name.lower() not in known
    ]
    return "header repeats column name(s): " + "; ".join(quoted + others)


def read_rows(data: bytes, encoding: str | None = None) -> CsvFile:
    """Decode a feed file and split it into header and rows of raw strings.

    ``encoding`` forces the codec (the ``--encoding`` option); otherwise it is detected with
    :func:`detect_encoding`. A leading BOM is removed from the first header name whatever the codec,
    header names are trimmed, blank header names become ``_column_N`` (N = 1-based position), and
    ``\\r\\n``, ``\\n`` and ``\\r`` line endings are all accepted. Empty lines and rows in which every
    cell is blank (Excel's trailing ``,,,,`` lines) are skipped but still numbered.

    Raises ``ContractError`` when the file cannot be decoded, is not parseable CSV, has no header row,
    or repeats a column name: those are whole-file failures.
    """
    if encoding:
        used = _canonical_encoding(encoding)
        try:
            text = data.decode(used)
        except UnicodeDecodeError as exc:
            raise ContractError(
                f"file cannot be decoded as {encoding!r}: undecodable byte at offset {exc.start}"
            ) from exc
    else:
        used = detect_encoding(data)
        text = data.decode(used)
    text = text.removeprefix("\ufeff")
    if "\x00" in text:
        # Also when the encoding was forced: a NUL is never text, and PostgreSQL cannot store it.
        raise ContractError("file contains NUL bytes; it is not a UTF-8 or CP950 (Big5) text file")

    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        raw_header = next(reader, None)
        while raw_header is not None and all(not cell.strip() for cell in raw_header):
            raw_header = next(reader, None)
        if raw_header is None:
            raise ContractError("file has no header row")
        header = [
            (cell.replace("\ufeff", "").strip() or f"_column_{index}")
            for index, cell in enumerate(raw_header, start=1)
        ]
        duplicates = sorted({name for name in header if header.count(name) > 1})
        if duplicates:
            raise ContractError(_repeated_columns(header, duplicates))

        rows: list[tuple[int, dict[str, str]]] = []
        for number, record in enumerate(reader, start=1):
            if all(not cell.strip() for cell in record):
                continue
            cells = {name: (record[i] if i < len(record) else "") for i, name in enumerate(header)}
            if len(record) > len(header):
                surplus = record[len(header) :]
                if any(cell.strip() for cell in surplus):
                    cells[OVERFLOW_KEY] = ",".join(surplus)
            rows.append((number, cells))
    except csv.Error as exc:
        raise ContractError(f"file is not valid CSV near line {reader.line_num}: {exc}") from exc
    if (
        rows
        and any("\n" in cell or "\r" in cell for cell in rows[-1][1].values())
        and _ends_inside_quotes(text)
    ):
        # The last record runs to the end of the file inside a quote: a quote opened and never closed has
        # swallowed every line after it, which would be lost as rows (and never counted or quarantined).
        raise ContractError(
            f'row {rows[-1][0]} opens a quote (") that is never closed, so the lines after it cannot be read '
            "as rows; nothing was imported"
        )
    return CsvFile(used, header, rows)


def _ends_inside_quotes(text: str) -> bool:
    """True when the CSV text ends inside a quoted field (Python's strict reader says "unexpected end")."""
    try:
        for _record in csv.reader(io.StringIO(text, newline=""), strict=True):
            pass
    except csv.Error as exc:
        return "unexpected end of data" in str(exc)
    return False
