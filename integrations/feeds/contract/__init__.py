"""The bureau feed contract (``/work/shared/FEEDS.md``) as pure Python.

Modules: ``csvfile`` (reading a file), ``values`` (dates, booleans, sex, integers, national IDs, names),
``specs`` (the feeds and their columns), ``rows`` (validating one row), ``text`` (helpers, ``ContractError``).

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

from casework.identifiers import national_id_checksum_ok
from integrations.feeds.contract.csvfile import (
    FORCEABLE_ENCODINGS,
    OVERFLOW_KEY,
    CsvFile,
    detect_encoding,
    read_rows,
)
from integrations.feeds.contract.rows import (
    MAX_RECORD_KEY_LENGTH,
    ParsedRow,
    event_date,
    knowledge_date,
    record_key,
    validate_row,
)
from integrations.feeds.contract.specs import (
    BUREAUS,
    FEEDS,
    IDENTITY_COLUMNS,
    ColumnSpec,
    FeedSpec,
    get_feed,
    header_problem,
    missing_columns,
    repeats_header,
)
from integrations.feeds.contract.text import ContractError
from integrations.feeds.contract.values import (
    NATIONAL_ID_STATUSES,
    make_national_id,
    normalise_name,
    normalise_national_id,
    parse_bool,
    parse_date,
    parse_int,
    parse_sex,
)

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
    "header_problem",
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
    "repeats_header",
    "validate_row",
]
