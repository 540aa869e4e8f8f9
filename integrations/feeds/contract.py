"""The bureau feed contract (``/work/shared/FEEDS.md``) as pure Python.

This module knows nothing about Django models or the database. It turns the bytes of a feed file into
rows of raw strings (:func:`read_rows`) and turns one raw row into typed, normalised values plus a list
of contract breaches (:func:`validate_row`). The importer decides what to store; a row whose
``ParsedRow.errors`` is non-empty must be quarantined with those reasons, never dropped.

Everything the fixed contract requires is accepted. The module accepts a little more, and documents it
here so that the project documentation can list it:

* Any value may use fullwidth characters (``０９８／０３／１２``, ``Ｙ``); values are NFKC-normalised first.
* Dates: ``2009/03/12`` and ``2009.03.12`` (a 4-digit year is Gregorian), ``20090312``, ROC dates with
  dashes ``98-03-12`` (a 2- or 3-digit year is always ROC), ``民國98年3月12日`` / ``2009年3月12日``, and
  an ISO date followed by a time of day (``2009-03-12 00:00:00``, as Excel writes it). A 6-digit compact
  date (``980312``) is rejected as ambiguous. Years outside 1900-2100 are rejected as implausible.
* Booleans: also ``yes``/``no``. Sex: also ``male``/``female``.
* Enumerations are case-insensitive and accept a few Chinese labels used by the bureaus (for example
  ``觸法`` for ``offence``, ``脆弱家庭`` for ``fragile_family``, ``中低收入戶`` for ``mid_low_income``)
  and the spelling ``offense``.
* Column names are matched after trimming whitespace, and case-insensitively for known columns.
* ``;``-separated lists also accept the fullwidth ``；``.

Decisions on points the contract leaves open:

* Only the record key, the person reference (``school_code`` + ``student_no`` in school feeds), and the
  identity columns the contract marks as required (``birth_date``; ``name`` unless ``name_romanized``)
  are required. Every other blank value means "unknown", as the contract says for dates, booleans and sex.
* ``court.sealing`` carries the identity columns: a sealing notice is about one person ("blank
  ``contact_nos`` = all of this person's police contacts"), so it names a person.
* A national ID that is blank, malformed or fails its checksum is *not* a row error; its status is
  reported in ``ParsedRow.national_id_status`` for record linkage.
* A record key longer than :data:`MAX_RECORD_KEY_LENGTH` characters is a row error (the row is
  quarantined with an empty key). A NUL character anywhere makes the whole file unreadable, whatever
  the encoding, and ``--encoding`` may force only the contract's encodings (:data:`FORCEABLE_ENCODINGS`).
* Dates that run backwards inside a row (``left_on`` before ``enrolled_on``, an event before the birth
  date, ...) are reported as ``ParsedRow.warnings``, not errors: the contract does not forbid them.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import functools
import io
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

from casework.identifiers import NID_LETTER_CODES, national_id_checksum_ok, nid_digits, nid_weighted_sum

__all__ = [
    "BUREAUS",
    "FEEDS",
    "FORCEABLE_ENCODINGS",
    "IDENTITY_COLUMNS",
    "MAX_RECORD_KEY_LENGTH",
    "NATIONAL_ID_STATUSES",
    "OVERFLOW_KEY",
    "ColumnSpec",
    "ContractError",
    "CsvFile",
    "FeedSpec",
    "ParsedRow",
    "detect_encoding",
    "event_date",
    "get_feed",
    "knowledge_date",
    "make_national_id",
    "missing_columns",
    "national_id_checksum_ok",
    "normalise_name",
    "normalise_national_id",
    "parse_bool",
    "parse_date",
    "parse_int",
    "parse_sex",
    "read_rows",
    "record_key",
    "validate_row",
]


class ContractError(ValueError):
    """A value, a row or a whole file breaks the feed contract. The message says why in plain English."""


# --------------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------------

_WHITESPACE_RE = re.compile(r"\s+")


def _as_text(value: object) -> str:
    """Turn a raw cell (CSV string, or a JSON scalar from the API) into a string; ``None`` is blank."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _clean(value: object) -> str:
    """NFKC-normalise (fullwidth to ASCII, compatibility ideographs to unified ones) and trim."""
    if type(value) is str:
        if value.isascii():  # NFKC leaves ASCII as it is
            return value.strip()
        return _clean_text(value)
    return unicodedata.normalize("NFKC", _as_text(value)).strip()


@functools.lru_cache(maxsize=65536)
def _clean_text(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip()


def _is_blank(value: object) -> bool:
    if isinstance(value, list | tuple):
        return all(_is_blank(item) for item in value)
    return _clean(value) == ""


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


# --------------------------------------------------------------------------------------------------
# Scalar values: dates, booleans, sex, integers
# --------------------------------------------------------------------------------------------------

_MIN_YEAR, _MAX_YEAR = 1900, 2100
_ROC_OFFSET = 1911
_TIME_SUFFIX = r"(?:[T ]?\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_GREGORIAN_SEP_RE = re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})" + _TIME_SUFFIX, re.ASCII)
_ROC_SEP_RE = re.compile(r"(\d{2,3})([-/.])(\d{1,2})\2(\d{1,2})", re.ASCII)
_ROC_COMPACT_RE = re.compile(r"(\d{3})(\d{2})(\d{2})", re.ASCII)
_GREGORIAN_COMPACT_RE = re.compile(r"(\d{4})(\d{2})(\d{2})", re.ASCII)
_CJK_DATE_RE = re.compile(r"(民國)?(\d{2,4})年(\d{1,2})月(\d{1,2})日", re.ASCII)
_DATE_FORMS = "YYYY-MM-DD, or ROC YYY/MM/DD, YY/MM/DD, YYYMMDD or YY.MM.DD"


def _make_date(value: str, year: int, month: int, day: int, *, roc: bool) -> datetime.date:
    if roc:
        if year < 1:
            raise ContractError(f"{value!r} is not a valid date (ROC year must be at least 1)")
        year += _ROC_OFFSET
    if not _MIN_YEAR <= year <= _MAX_YEAR:
        raise ContractError(
            f"{value!r} is not a valid date (year {year} is outside the plausible range "
            f"{_MIN_YEAR}-{_MAX_YEAR})"
        )
    if not 1 <= month <= 12:
        raise ContractError(f"{value!r} is not a valid date (month {month} does not exist)")
    try:
        return datetime.date(year, month, day)
    except ValueError as exc:
        raise ContractError(
            f"{value!r} is not a valid date (day {day} does not exist in {year}-{month:02d})"
        ) from exc


def parse_date(value: object) -> datetime.date | None:
    """Parse a contract date; blank means unknown and gives ``None``.

    Accepted: ISO ``2009-03-12``; ROC ``098/03/12``, ``98/03/12``, ``0980312``, ``98.03.12``,
    ``98-03-12`` (ROC year + 1911 = Gregorian year). A 2- or 3-digit year is ROC, a 4-digit year is
    Gregorian, so the separators never make a date ambiguous. See the module docstring for the extra
    spellings. ``datetime.date`` objects pass through.

    Raises ``ContractError`` naming the value for an unrecognised spelling or a date that does not
    exist (month 13, 30 February, ...).
    """
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        return _parse_date_text(value)
    return _parse_date_uncached(value)


@functools.lru_cache(maxsize=65536)
def _parse_date_text(value: str) -> datetime.date | None:
    # Feeds repeat the same few thousand dates: parse each spelling once (errors are not cached).
    return _parse_date_uncached(value)


def _parse_date_uncached(value: object) -> datetime.date | None:
    text = _WHITESPACE_RE.sub("", _clean(value))
    if not text:
        return None
    original = _as_text(value).strip()
    if match := _GREGORIAN_SEP_RE.fullmatch(text):
        year, _sep, month, day = match.groups()
        return _make_date(original, int(year), int(month), int(day), roc=False)
    if match := _ROC_SEP_RE.fullmatch(text):
        year, _sep, month, day = match.groups()
        return _make_date(original, int(year), int(month), int(day), roc=True)
    if match := _ROC_COMPACT_RE.fullmatch(text):
        year, month, day = match.groups()
        return _make_date(original, int(year), int(month), int(day), roc=True)
    if match := _GREGORIAN_COMPACT_RE.fullmatch(text):
        year, month, day = match.groups()
        return _make_date(original, int(year), int(month), int(day), roc=False)
    if match := _CJK_DATE_RE.fullmatch(text):
        prefix, year, month, day = match.groups()
        if not (prefix and len(year) == 4):
            roc = bool(prefix) or len(year) <= 3
            return _make_date(original, int(year), int(month), int(day), roc=roc)
    raise ContractError(f"{original!r} is not a valid date (expected {_DATE_FORMS})")


_TRUE = frozenset({"y", "yes", "1", "是", "true"})
_FALSE = frozenset({"n", "no", "0", "否", "false"})


def parse_bool(value: object) -> bool | None:
    """Parse ``Y``/``N``, ``1``/``0``, ``是``/``否``, ``true``/``false`` (also ``yes``/``no``).

    Case-insensitive and trimmed; blank gives ``None`` (unknown). Anything else raises ``ContractError``.
    """
    if isinstance(value, bool):
        return value
    text = _clean(value).lower()
    if not text:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ContractError(
        f"{_as_text(value).strip()!r} is not a valid boolean (expected Y/N, 1/0, 是/否 or true/false)"
    )


_SEX = {"m": "M", "男": "M", "1": "M", "male": "M", "f": "F", "女": "F", "2": "F", "female": "F"}


def parse_sex(value: object) -> str:
    """Parse ``M``/``F``, ``男``/``女``, ``1``/``2`` (the national-ID digit) into ``"M"``/``"F"``.

    Also ``male``/``female``; case-insensitive. Blank gives ``""`` (unknown); anything else raises
    ``ContractError``.
    """
    text = _clean(value).lower()
    if not text:
        return ""
    try:
        return _SEX[text]
    except KeyError:
        raise ContractError(
            f"{_as_text(value).strip()!r} is not a valid sex (expected M/F, 男/女 or 1/2)"
        ) from None


_INT_RE = re.compile(r"\d+(?:\.0+)?", re.ASCII)


def _int_range(min_value: int | None, max_value: int | None) -> str:
    if min_value is not None and max_value is not None:
        return f"must be between {min_value} and {max_value}"
    if min_value is not None:
        return f"must be at least {min_value}"
    return f"must be at most {max_value}"


def parse_int(value: object, min_value: int | None = None, max_value: int | None = None) -> int | None:
    """Parse a whole number (``7``, ``07``, ``7.0``), optionally within ``[min_value, max_value]``.

    Blank gives ``None``; anything else that is not a whole number in range raises ``ContractError``.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
        shown = str(value)
    else:
        text = _clean(value)
        if not text:
            return None
        shown = _as_text(value).strip()
        if not _INT_RE.fullmatch(text):
            raise ContractError(f"{shown!r} is not a whole number")
        number = int(text.split(".")[0])
    if min_value is not None and number < min_value:
        raise ContractError(f"{shown!r} is out of range ({_int_range(min_value, max_value)})")
    if max_value is not None and number > max_value:
        raise ContractError(f"{shown!r} is out of range ({_int_range(min_value, max_value)})")
    return number


# --------------------------------------------------------------------------------------------------
# Taiwanese national ID
# --------------------------------------------------------------------------------------------------

_NID_VALID_RE = re.compile(r"[A-Z][1289]\d{8}", re.ASCII)
_NID_SEPARATORS_RE = re.compile(r"[\s\-]+")

NATIONAL_ID_STATUSES = ("missing", "malformed", "bad_checksum", "valid")


def normalise_national_id(value: object) -> tuple[str, str]:
    """Return ``(normalised_id, status)`` for a national-ID cell.

    The id is NFKC-normalised, uppercased, and stripped of spaces and hyphens. ``status`` is:

    * ``"missing"``: blank (the id is ``""``);
    * ``"malformed"``: not a letter + 9 digits whose first digit is 1 or 2 (citizens) or 8 or 9
      (new-format resident certificates);
    * ``"bad_checksum"``: well-formed but the check digit is wrong (a typo);
    * ``"valid"``.

    A malformed or mistyped id is kept (with its status) for record linkage; it is not a row error.
    """
    text = _NID_SEPARATORS_RE.sub("", _clean(value)).upper()
    if not text:
        return "", "missing"
    if not _NID_VALID_RE.fullmatch(text):
        return text, "malformed"
    if not national_id_checksum_ok(text):
        return text, "bad_checksum"
    return text, "valid"


def make_national_id(letter: str, sex_digit: int, seven_digits: str) -> str:
    """Build a national ID with a correct check digit, e.g. for synthetic test data.

    ``letter`` is the area letter (A-Z), ``sex_digit`` 1 (male) or 2 (female), or 8/9 for resident
    certificates, ``seven_digits`` the serial number. Raises ``ContractError`` on bad input.
    """
    letter = letter.strip().upper()
    if letter not in NID_LETTER_CODES:
        raise ContractError(f"national ID letter {letter!r} must be one letter A-Z")
    if sex_digit not in (1, 2, 8, 9):
        raise ContractError(f"national ID sex digit {sex_digit!r} must be 1, 2, 8 or 9")
    if not isinstance(seven_digits, str) or not re.fullmatch(r"[0-9]{7}", seven_digits):
        raise ContractError(f"national ID serial {seven_digits!r} must be exactly 7 digits")
    body = f"{sex_digit}{seven_digits}"
    check = (10 - nid_weighted_sum(nid_digits(letter, body)) % 10) % 10
    return f"{letter}{body}{check}"


# --------------------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------------------

# Middle dots and look-alikes used between the parts of indigenous names written in Chinese characters
# (e.g. 瓦歷斯·諾幹-style names): after NFKC, U+FF65 has become U+30FB and U+FF0E has become ".".
_MIDDLE_DOTS_RE = re.compile("[\u00b7\u0387\u2022\u2027\u2219\u22c5\u2e31\u30fb\u318d\u16eb.]+")


def normalise_name(value: object) -> str:
    """Normalise a Chinese-character name for display and matching.

    NFKC-normalises, removes all whitespace (including the ideographic space), and unifies every middle
    dot variant (``・ · ‧ • ･ ．`` ...) into a single ``·`` (U+00B7), with no dot at either end. It does
    not romanise or convert Simplified to Traditional characters. Not meant for romanised names.
    """
    text = _WHITESPACE_RE.sub("", _clean(value))
    return _MIDDLE_DOTS_RE.sub("\u00b7", text).strip("\u00b7")


def _normalise_romanized(value: object) -> str:
    return _WHITESPACE_RE.sub(" ", _clean(value))


_ASCII_WHITESPACE = frozenset(" \t\n\r\x0b\x0c")


def _normalise_text(value: object) -> str:
    if type(value) is str:
        if value.isascii():
            # Record keys are unique per row, so caching them only churns the cache: the common case (no
            # inner whitespace) is a strip.
            text = value.strip()
            if _ASCII_WHITESPACE.isdisjoint(text):
                return text
        return _normalise_text_cached(value)
    return _WHITESPACE_RE.sub(" ", _clean(value))


@functools.lru_cache(maxsize=65536)
def _normalise_text_cached(value: str) -> str:
    return _WHITESPACE_RE.sub(" ", _clean(value))


def _parse_list(value: object) -> list[str]:
    items = value if isinstance(value, list | tuple) else _clean(value).split(";")
    result: list[str] = []
    for item in items:
        text = _normalise_text(item)
        if text and text not in result:
            result.append(text)
    return result


# --------------------------------------------------------------------------------------------------
# Feed definitions
# --------------------------------------------------------------------------------------------------

Bureau = Literal["education", "police", "welfare", "court"]
BUREAUS: tuple[Bureau, ...] = ("education", "police", "welfare", "court")
ColumnType = Literal["date", "bool", "sex", "int", "enum", "list", "text", "name", "national_id"]


@dataclass(frozen=True)
class ColumnSpec:
    """One contract column: its type, whether a value is required, and type parameters.

    ``choices`` (for ``enum``) are the contract values; ``aliases`` maps extra accepted spellings to a
    choice; ``min_value``/``max_value`` bound an ``int``. ``name`` columns are Chinese names normalised
    with :func:`normalise_name`; ``national_id`` columns are normalised with
    :func:`normalise_national_id`.
    """

    name: str
    type: ColumnType = "text"
    required: bool = False
    choices: tuple[str, ...] = ()
    aliases: tuple[tuple[str, str], ...] = ()
    min_value: int | None = None
    max_value: int | None = None


@dataclass(frozen=True)
class FeedSpec:
    """One feed of the contract.

    ``key_columns`` form the record key (joined with ``/``); ``carries_identity`` says whether rows name
    a person through the identity columns (school feeds other than ``school.students`` instead name the
    student by ``school_code`` + ``student_no``); ``columns`` lists every known column, identity columns
    included; ``event_date_column`` and ``knowledge_date_column`` name the dates described in the
    contract; ``date_order`` lists ``(earlier, later)`` column pairs checked for warnings.
    """

    name: str
    bureau: Bureau
    key_columns: tuple[str, ...]
    carries_identity: bool
    columns: tuple[ColumnSpec, ...]
    event_date_column: str | None
    knowledge_date_column: str | None
    date_order: tuple[tuple[str, str], ...] = ()

    @property
    def column_names(self) -> tuple[str, ...]:
        """Names of all known columns, in contract order."""
        return tuple(column.name for column in self.columns)

    @functools.cached_property
    def column_map(self) -> dict[str, ColumnSpec]:
        """Known columns by name (worked out once per feed; treat as read-only)."""
        return {column.name: column for column in self.columns}

    @property
    def required_columns(self) -> tuple[str, ...]:
        """Columns whose value may not be blank (``name``/``name_romanized`` are checked as a pair)."""
        return tuple(column.name for column in self.columns if column.required)

    @property
    def refers_to_student(self) -> bool:
        """True for school feeds that name the person by ``school_code`` + ``student_no``."""
        return self.bureau == "education" and not self.carries_identity

    def column(self, name: str) -> ColumnSpec:
        """The known column ``name``; ``KeyError`` if the feed has no such column."""
        return self.column_map[name]


def _key(name: str) -> ColumnSpec:
    return ColumnSpec(name, "text", required=True)


def _date(name: str) -> ColumnSpec:
    return ColumnSpec(name, "date")


def _enum(name: str, choices: tuple[str, ...], aliases: dict[str, str] | None = None) -> ColumnSpec:
    return ColumnSpec(name, "enum", choices=choices, aliases=tuple((aliases or {}).items()))


IDENTITY_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("national_id", "national_id"),
    ColumnSpec("name", "name"),  # required unless name_romanized is given: checked in validate_row
    ColumnSpec("name_romanized", "text"),
    ColumnSpec("birth_date", "date", required=True),
    ColumnSpec("sex", "sex"),
    ColumnSpec("district", "text"),
    ColumnSpec("address", "text"),
)
_STUDENT_REFERENCE = (_key("student_no"), _key("school_code"))


def _feed(
    name: str,
    bureau: Bureau,
    key_columns: tuple[str, ...],
    columns: tuple[ColumnSpec, ...],
    *,
    identity: bool,
    event: str | None,
    knowledge: str | None = None,
    order: tuple[tuple[str, str], ...] = (),
) -> FeedSpec:
    all_columns = columns + (IDENTITY_COLUMNS if identity else ())
    return FeedSpec(name, bureau, key_columns, identity, all_columns, event, knowledge, order)


FEEDS: dict[str, FeedSpec] = {
    spec.name: spec
    for spec in (
        _feed(
            "school.students",
            "education",
            ("school_code", "student_no"),
            (
                _key("school_code"),
                _key("student_no"),
                ColumnSpec("grade", "int", min_value=1, max_value=12),
                _date("enrolled_on"),
                _date("left_on"),
                ColumnSpec("indigenous", "bool"),
                ColumnSpec("new_immigrant_parent", "bool"),
            ),
            identity=True,
            event="enrolled_on",
            order=(("enrolled_on", "left_on"),),
        ),
        _feed(
            "school.absences",
            "education",
            ("absence_no",),
            (
                _key("absence_no"),
                *_STUDENT_REFERENCE,
                _date("date"),
                _enum("kind", ("excused", "unexcused"), {"請假": "excused", "曠課": "unexcused"}),
            ),
            identity=False,
            event="date",
        ),
        _feed(
            "school.dropouts",
            "education",
            ("report_no",),
            (
                _key("report_no"),
                *_STUDENT_REFERENCE,
                _date("reported_on"),
                ColumnSpec("reason_code", "text"),
                _date("returned_on"),
            ),
            identity=False,
            event="reported_on",
            knowledge="reported_on",
            order=(("reported_on", "returned_on"),),
        ),
        _feed(
            "school.incidents",
            "education",
            ("incident_no",),
            (
                _key("incident_no"),
                *_STUDENT_REFERENCE,
                _date("occurred_on"),
                _date("reported_on"),
                ColumnSpec("category", "text"),
                _enum(
                    "severity",
                    ("urgent", "legal", "general"),
                    {"緊急": "urgent", "法定": "legal", "一般": "general"},
                ),
            ),
            identity=False,
            event="occurred_on",
            knowledge="reported_on",
            order=(("occurred_on", "reported_on"),),
        ),
        _feed(
            "school.counselling",
            "education",
            ("counselling_no",),
            (
                _key("counselling_no"),
                *_STUDENT_REFERENCE,
                ColumnSpec("tier", "int", min_value=1, max_value=3),
                _date("started_on"),
                _date("ended_on"),
            ),
            identity=False,
            event="started_on",
            order=(("started_on", "ended_on"),),
        ),
        _feed(
            "police.contacts",
            "police",
            ("contact_no",),
            (
                _key("contact_no"),
                _date("occurred_on"),
                _date("recorded_on"),
                _enum(
                    "kind",
                    ("offence", "exposure", "deviant", "missing"),
                    {"offense": "offence", "觸法": "offence", "曝險": "exposure", "偏差": "deviant"},
                ),
                ColumnSpec("code", "text"),
                ColumnSpec("unit", "text"),
            ),
            identity=True,
            event="occurred_on",
            knowledge="recorded_on",
            order=(("occurred_on", "recorded_on"),),
        ),
        _feed(
            "welfare.reports",
            "welfare",
            ("report_no",),
            (
                _key("report_no"),
                _date("reported_on"),
                _enum(
                    "kind",
                    ("child_protection", "fragile_family"),
                    {
                        "兒少保護": "child_protection",
                        "兒保": "child_protection",
                        "脆弱家庭": "fragile_family",
                    },
                ),
                ColumnSpec("reason_codes", "list"),
                _enum("level", ("high", "medium", "low"), {"高": "high", "中": "medium", "低": "low"}),
                ColumnSpec("substantiated", "bool"),
                _date("closed_on"),
            ),
            identity=True,
            event="reported_on",
            knowledge="reported_on",
            order=(("reported_on", "closed_on"),),
        ),
        _feed(
            "welfare.assistance",
            "welfare",
            ("assistance_no",),
            (
                _key("assistance_no"),
                _enum(
                    "status",
                    ("low_income", "mid_low_income"),
                    {
                        "低收入戶": "low_income",
                        "低收": "low_income",
                        "中低收入戶": "mid_low_income",
                        "中低收": "mid_low_income",
                    },
                ),
                _date("valid_from"),
                _date("valid_to"),
            ),
            identity=True,
            event="valid_from",
            order=(("valid_from", "valid_to"),),
        ),
        _feed(
            "court.sealing",
            "court",
            ("notice_no",),
            (
                _key("notice_no"),
                ColumnSpec("court_case_no", "text"),
                _date("effective_on"),
                ColumnSpec("contact_nos", "list"),
            ),
            identity=True,
            event="effective_on",
        ),
    )
}


def get_feed(feed: str) -> FeedSpec:
    """The :class:`FeedSpec` named ``feed``; ``ContractError`` for an unknown feed name."""
    try:
        return FEEDS[feed]
    except (KeyError, TypeError):
        raise ContractError(f"unknown feed {feed!r}; known feeds: {', '.join(FEEDS)}") from None


def header_problem(feed: str, header: list[str]) -> str | None:
    """Why ``header`` cannot be this feed's header line, or None.

    A file whose first line names none of the feed's columns has lost its header (a bureau's export that
    starts at the data): the first record would be read as column names and every other row would be
    misread, so the file as a whole cannot be read. The message never quotes the line, which is a person's
    data."""
    spec = get_feed(feed)
    known = {name.lower() for name in spec.column_map}
    present = {name.strip().lower() for name in header}
    if present & known:
        return None
    return (
        f"the first line names none of {spec.name}'s columns (expected a header such as "
        f"{', '.join(spec.required_columns[:4])}): the header line seems to be missing, so nothing was imported"
    )


def repeats_header(header: list[str], raw: Mapping[str, object]) -> bool:
    """True when a data row is the header line again (two files joined, or a spreadsheet's repeated
    header row): every cell equals its column's name, ignoring case and surrounding spaces."""
    names = [name for name in header if not name.startswith("_column_")]
    return bool(names) and all(
        isinstance(raw.get(name), str) and raw[name].strip().lower() == name.strip().lower() for name in names
    )


def missing_columns(feed: str, header: list[str]) -> list[str]:
    """Required columns absent from ``header`` (trimmed, case-insensitive).

    When neither ``name`` nor ``name_romanized`` is present, ``"name or name_romanized"`` is listed.
    Every row of such a file would be quarantined; the caller may prefer to reject the file.
    """
    spec = get_feed(feed)
    present = {name.strip().lower() for name in header}
    missing = [name for name in spec.required_columns if name not in present]
    if spec.carries_identity and not present & {"name", "name_romanized"}:
        missing.append("name or name_romanized")
    return missing


# --------------------------------------------------------------------------------------------------
# Row validation
# --------------------------------------------------------------------------------------------------


@dataclass
class ParsedRow:
    """The outcome of :func:`validate_row` for one raw row.

    ``key`` is the record key (``school_code/student_no`` for ``school.students``; ``""`` when it is
    missing). ``values`` holds typed, normalised values for every known column of the feed (blank:
    ``None`` for dates, booleans, integers and enumerations, ``""`` for text and sex, ``[]`` for lists).
    ``extra`` keeps unknown columns raw. ``national_id_status`` is one of
    :data:`NATIONAL_ID_STATUSES`, or ``""`` for feeds without identity columns. ``errors`` lists every
    contract breach (quarantine the row when non-empty); ``warnings`` lists oddities that are not breaches.
    """

    feed: str
    key: str
    values: dict[str, object] = field(default_factory=dict)
    extra: dict[str, str] = field(default_factory=dict)
    national_id_status: str = ""
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the row has no contract errors."""
        return not self.errors


def _parse_enum(column: ColumnSpec, value: object) -> str | None:
    text = _clean(value)
    if not text:
        return None
    token = re.sub(r"[\s\-]+", "_", text.lower())
    if token in column.choices:
        return token
    aliases = dict(column.aliases)
    if token in aliases:
        return aliases[token]
    raise ContractError(f"{_as_text(value).strip()!r} is not one of {', '.join(column.choices)}")


def _parse_value(column: ColumnSpec, value: object) -> object:
    """Typed value for one known column (blank gives the type's 'unknown' value)."""
    match column.type:
        case "date":
            return parse_date(value)
        case "bool":
            return parse_bool(value)
        case "sex":
            return parse_sex(value)
        case "int":
            return parse_int(value, column.min_value, column.max_value)
        case "enum":
            return _parse_enum(column, value)
        case "list":
            return _parse_list(value)
        case "name":
            return normalise_name(value)
        case "national_id":
            return normalise_national_id(value)[0]
        case _:
            return _normalise_text(value)


MAX_RECORD_KEY_LENGTH = 128
"""Longest record key accepted (``school_code/student_no`` included); a longer key is a row error."""


def record_key(feed: str, values: Mapping[str, object]) -> str:
    """The record key of a row: the ``*_no`` value, or ``school_code/student_no`` for ``school.students``.

    Works on raw cells or on ``ParsedRow.values``. Returns ``""`` when any key part is blank.
    """
    spec = get_feed(feed)
    parts = [_normalise_text(values.get(name)) for name in spec.key_columns]
    return "/".join(parts) if all(parts) else ""


@functools.lru_cache(maxsize=262144, typed=True)
def _parse_cell(feed: str, column_name: str, value: object) -> tuple[bool, object, str | None]:
    """(blank, typed value, error) for one cell. Feeds repeat the same codes, dates and names over and
    over, so each distinct spelling is parsed once; lists come back shared (callers copy them)."""
    column = get_feed(feed).column_map[column_name]
    blank = _is_blank(value)
    try:
        return blank, _parse_value(column, value), None
    except ContractError as exc:
        return blank, None, str(exc)


def _national_id_status(value: object) -> str:
    try:
        return _national_id_status_cached(value)
    except TypeError:
        return normalise_national_id(value)[1]


@functools.lru_cache(maxsize=65536, typed=True)
def _national_id_status_cached(value: object) -> str:
    return normalise_national_id(value)[1]


@functools.lru_cache(maxsize=256)
def _header_names(feed: str, raw_names: tuple) -> tuple:
    """For each raw column name, the contract column it is (or None: unknown or overflow). A file's rows
    share one header, so this is worked out once per file."""
    known = get_feed(feed).column_map
    exact_names = {key.strip() for key in raw_names if isinstance(key, str)}
    out = []
    for raw_name in raw_names:
        if raw_name is None or raw_name == OVERFLOW_KEY:
            out.append(None)
            continue
        name = str(raw_name).strip()
        if name not in known and name.lower() in known and name.lower() not in exact_names:
            name = name.lower()
        out.append(name if name in known else None)
    return tuple(out)


def validate_row(feed: str, raw: Mapping[str, object]) -> ParsedRow:
    """Check one raw row (CSV cells or a JSON object) against the contract of ``feed``.

    Returns a :class:`ParsedRow` with typed values and every breach found, each a sentence starting with
    the column name, e.g. ``"birth_date: '098/13/40' is not a valid date (month 13 does not exist)"``.
    Raises ``ContractError`` only for an unknown feed name.
    """
    spec = get_feed(feed)
    result = ParsedRow(feed=spec.name, key="")

    try:
        names = _header_names(spec.name, tuple(raw))
    except TypeError:  # a key that cannot be hashed: map this row on its own
        names = _header_names.__wrapped__(spec.name, tuple(raw))
    cells: dict[str, object] = {}
    for (raw_name, value), name in zip(raw.items(), names, strict=True):
        if raw_name is None or raw_name == OVERFLOW_KEY:
            if isinstance(value, str):
                surplus = value
            elif isinstance(value, list | tuple):
                surplus = ",".join(_as_text(v) for v in value)
            else:  # a JSON row may name the overflow key itself, with any value (found by fuzzing)
                surplus = _as_text(value)
            if surplus.strip(", "):
                result.extra[OVERFLOW_KEY] = surplus
                result.errors.append(f"row has more fields than the header (surplus: {surplus!r})")
            continue
        if name is not None:
            cells[name] = value
        else:
            result.extra[str(raw_name)] = _as_text(value)

    for column in spec.columns:
        value = cells.get(column.name)
        if isinstance(value, Mapping) or (isinstance(value, list | tuple) and column.type != "list"):
            # A JSON object or list where the contract has one value (a national ID sent as {"v": ...}): the
            # row is quarantined rather than its value guessed at. Numbers and true/false are read as text.
            result.errors.append(f"{column.name}: expected one value, got a JSON {type(value).__name__}")
            result.values[column.name] = None
            continue
        try:
            blank, parsed, error = _parse_cell(spec.name, column.name, value)
        except TypeError:  # an unhashable cell (a JSON list or object from the API): parse it directly
            blank, parsed, error = _parse_cell.__wrapped__(spec.name, column.name, value)
        if column.required and blank:
            where = "required value is missing" if column.name in cells else "required column is missing"
            result.errors.append(f"{column.name}: {where}")
        result.values[column.name] = list(parsed) if isinstance(parsed, list) else parsed
        if error is not None:
            result.errors.append(f"{column.name}: {error}")

    if spec.carries_identity:
        if not result.values.get("name") and not result.values.get("name_romanized"):
            result.errors.append("name: required unless name_romanized is given, and both are blank")
        result.national_id_status = _national_id_status(cells.get("national_id"))

    result.key = record_key(spec.name, result.values)
    if len(result.key) > MAX_RECORD_KEY_LENGTH:
        # No real bureau key is this long, and it could not be stored or looked up: quarantine the row.
        result.errors.append(
            f"{'/'.join(spec.key_columns)}: record key is {len(result.key)} characters long "
            f"(at most {MAX_RECORD_KEY_LENGTH} are accepted)"
        )
        result.key = ""
    result.warnings.extend(_date_warnings(spec, result.values))
    return result


def _date_warnings(spec: FeedSpec, values: Mapping[str, object]) -> list[str]:
    warnings: list[str] = []
    for earlier, later in spec.date_order:
        first, second = values.get(earlier), values.get(later)
        if isinstance(first, datetime.date) and isinstance(second, datetime.date) and second < first:
            warnings.append(f"{later}: {second.isoformat()} is before {earlier} {first.isoformat()}")
    birth = values.get("birth_date")
    if isinstance(birth, datetime.date):
        for column in spec.columns:
            when = values.get(column.name)
            is_event = column.type == "date" and column.name != "birth_date"
            if is_event and isinstance(when, datetime.date) and when < birth:
                warnings.append(f"{column.name}: {when.isoformat()} is before birth_date {birth.isoformat()}")
    return warnings


def knowledge_date(feed: str, values: Mapping[str, object]) -> datetime.date | None:
    """When the bureau learned of the record: the feed's ``recorded_on``/``reported_on`` value.

    ``None`` when the feed has no such column or the value is blank; the caller then uses the import
    date. ``values`` may be ``ParsedRow.values`` or raw cells.
    """
    spec = get_feed(feed)
    if spec.knowledge_date_column is None:
        return None
    return _date_value(values.get(spec.knowledge_date_column))


def event_date(feed: str, values: Mapping[str, object]) -> datetime.date | None:
    """The date the record's event happened (``date``, ``occurred_on``, ``started_on``, ...), or ``None``.

    Per feed: students ``enrolled_on``, absences ``date``, dropouts ``reported_on``, incidents and police
    contacts ``occurred_on``, counselling ``started_on``, welfare reports ``reported_on``, assistance
    ``valid_from``, sealing ``effective_on``.
    """
    spec = get_feed(feed)
    if spec.event_date_column is None:
        return None
    return _date_value(values.get(spec.event_date_column))


def _date_value(value: object) -> datetime.date | None:
    if value is None or isinstance(value, datetime.date):
        return value.date() if isinstance(value, datetime.datetime) else value
    return parse_date(value)
