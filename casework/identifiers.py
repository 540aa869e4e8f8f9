"""The shapes of the two identifiers a worker may type, and keeping national IDs out of URLs and the log.

A youth ID (``Y`` + 10 characters of an unambiguous base-32 alphabet, ``services.new_youth_public_id``) is the
platform's own and safe to show. A national ID (one letter + 9 digits) is the child's for life: it is searched
only by POST (never in a URL, where it would reach browser history, proxies and server logs), and the access
log keeps it masked (``mask_national_id``), enough to see that someone typed one, not enough to copy it.
"""

from __future__ import annotations

import re

YOUTH_ID = re.compile(r"Y[2-9A-HJ-NP-Z]{10}")
NATIONAL_ID = re.compile(r"[A-Z][0-9]{9}")
# A national ID standing on its own inside a longer text (a URL, a query value), in either case.
_NATIONAL_ID_IN_TEXT = re.compile(r"(?<![A-Za-z0-9])[A-Za-z][0-9]{9}(?![A-Za-z0-9])")


def normalise_identifier(value: str) -> str:
    """What the person typed, without spaces and in capitals (``h 123456789`` is ``H123456789``)."""
    return "".join((value or "").split()).upper()


def looks_like_national_id(value: object) -> bool:
    return isinstance(value, str) and NATIONAL_ID.fullmatch(normalise_identifier(value)) is not None


def mask_national_id(value: str) -> str:
    """Enough of a national ID to confirm an identity by phone, not enough to copy it."""
    value = normalise_identifier(value)
    return f"{value[:2]}******{value[-2:]}" if len(value) == 10 else ""


def redact_national_ids(text: str) -> str:
    """The text with every national ID in it masked (for paths and query values written to the log)."""
    return _NATIONAL_ID_IN_TEXT.sub(lambda m: mask_national_id(m.group(0)), text or "")
