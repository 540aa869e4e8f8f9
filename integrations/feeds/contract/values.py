"""The contract's scalar values: dates (ISO and ROC), booleans, sex, integers, the Taiwanese national ID and
names."""

from __future__ import annotations

import datetime
import functools
import re

from casework.identifiers import NID_LETTER_CODES, national_id_checksum_ok, nid_digits, nid_weighted_sum
from integrations.feeds.contract.text import _WHITESPACE_RE, ContractError, _as_text, _clean

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
