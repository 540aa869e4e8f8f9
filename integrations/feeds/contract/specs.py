"""The feeds: each feed's columns, keys and meaning (``FEEDS``), and checks of a file's header against them."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from integrations.feeds.contract.text import ContractError

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
