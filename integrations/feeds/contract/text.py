"""Small text helpers and the contract's error."""

from __future__ import annotations

import functools
import re
import unicodedata


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
