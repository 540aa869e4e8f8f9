"""One raw row validated against its feed: typed, normalised values plus the contract breaches that send it
to the quarantine (``validate_row``)."""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from integrations.feeds.contract.csvfile import OVERFLOW_KEY
from integrations.feeds.contract.specs import ColumnSpec, FeedSpec, get_feed
from integrations.feeds.contract.text import ContractError, _as_text, _clean, _is_blank
from integrations.feeds.contract.values import (
    _normalise_text,
    _parse_list,
    normalise_name,
    normalise_national_id,
    parse_bool,
    parse_date,
    parse_int,
    parse_sex,
)

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
