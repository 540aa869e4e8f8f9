"""The shapes of the two identifiers a worker may type, and keeping national IDs out of URLs and the log.

A youth ID (``Y`` + 10 characters of an unambiguous base-32 alphabet, ``casework.youth.services.new_youth_public_id``) is the
platform's own and safe to show. A national ID (one letter + 9 digits) is the child's for life: it is searched
only by POST (never in a URL, where it would reach browser history, proxies and server logs), and the access
log keeps it masked (``mask_national_id``), enough to see that someone typed one, not enough to copy it.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import unquote

YOUTH_ID = re.compile(r"Y[2-9A-HJ-NP-Z]{10}")
NATIONAL_ID = re.compile(r"[A-Z][0-9]{9}")
# What people put between the characters of an ID they type or paste: spaces (an IME's full-width space too),
# hyphens and dashes of every width, dots, slashes, commas, brackets, quotes, "+" (a space in a query string),
# in short any run of characters that are neither letters nor digits (``[\W_]``: every script's letters and
# digits count as such, so a name in Chinese characters is not a separator). Invisible format characters
# (Unicode category Cf: zero-width space and joiners, word joiner, byte-order mark, soft hyphen), which a
# copy from a web page or a word processor carries, are dropped before looking (``fold``).
_SEPARATOR = "[\\W_]"
_SEPARATOR_RUN = re.compile(f"{_SEPARATOR}+")
# A national ID inside a longer text (a URL, a query value, a header), in either case and with separators
# between its characters, once the text is folded (``fold``). Letters before it do not hide it
# (``xH123456789``); more digits around it make it something else (a longer number), with one exception
# below. A run of separators of any length counts: over-masking a date in a log line is harmless, a whole ID
# kept is not.
_NATIONAL_ID_IN_TEXT = re.compile(f"(?<![0-9])[A-Za-z](?:{_SEPARATOR}*[0-9]){{9}}(?![0-9])")
# The exception: an ID with more digits before or after it (a date or sequence number in a file name, a slip
# of the finger: ``A1052536460``, ``20261207A128576160001``) still carries the whole ID. Such a letter and nine
# digits are masked when they pass the national-ID checksum (looked for last, after percent-encoding is undone,
# so that ``%20`` is not read as digits); one number in ten passes by chance, and over-masking is harmless.
_NATIONAL_ID_AMONG_DIGITS = re.compile(f"[A-Za-z](?:{_SEPARATOR}*[0-9]){{9}}")
# Percent-encoding is undone (up to this many layers) before looking, so ``%EF%BC%A8226031425`` is seen.
_PERCENT_LAYERS = 3


def fold(text: str) -> tuple[str, list[int]]:
    """The text with each character in its compatibility form (NFKC: full-width ``Ｈ２２６`` is ``H226``,
    an ideographic space is a space), every script's decimal digits as ASCII digits, and without invisible
    format characters (category Cf), and for each folded character the index of the one it came from."""
    folded: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        if ord(char) <= 127:
            form = char
        elif unicodedata.category(char) == "Cf":
            form = ""  # invisible (zero-width space, joiners, soft hyphen, BOM): not part of what was typed
        elif unicodedata.decimal(char, None) is not None:
            form = str(unicodedata.decimal(char))  # a digit of any script (Arabic-Indic ١, Devanagari १): 1
        else:
            form = unicodedata.normalize("NFKC", char)
        folded.append(form)
        origin.extend([index] * len(form))
    return "".join(folded), origin


def normalise_identifier(value: str) -> str:
    """What the person typed, folded to plain letters and digits, without spaces, separators or invisible
    characters and in capitals (``h 123456789``, ``Ｈ１２３４５６７８９``, ``H-123-456-789``, ``H/123/456/789``
    and ``H`` + zero-width space + ``123456789`` are all ``H123456789``)."""
    folded, _origin = fold(value or "")
    return _SEPARATOR_RUN.sub("", folded).upper()


def looks_like_national_id(value: object) -> bool:
    return isinstance(value, str) and NATIONAL_ID.fullmatch(normalise_identifier(value)) is not None


def mask_national_id(value: str) -> str:
    """Enough of a national ID to confirm an identity by phone, not enough to copy it."""
    value = normalise_identifier(value)
    return f"{value[:2]}******{value[-2:]}" if len(value) == 10 else ""


def _checksum_ok(found: str) -> bool:
    return national_id_checksum_ok(normalise_identifier(found))


def _mask_in(
    text: str, pattern: re.Pattern = _NATIONAL_ID_IN_TEXT, keep=lambda _found: True
) -> tuple[str, bool]:
    folded, origin = fold(text)
    spans = [
        (origin[m.start()], origin[m.end() - 1] + 1, m.group(0))
        for m in pattern.finditer(folded)
        if keep(m.group(0))
    ]
    if not spans:
        return text, False
    parts, last = [], 0
    for start, end, found in spans:
        parts.append(text[last:start])
        parts.append(mask_national_id(found))
        last = end
    parts.append(text[last:])
    return "".join(parts), True


def redact_national_ids(text: str) -> str:
    """The text with every national ID in it masked: the one normaliser for everything the access log keeps
    (paths, query values, purposes, user agents, details). IDs typed full-width, spaced, hyphenated,
    percent-encoded, in another script's digits or among more digits are found too; a text in which one
    was found behind percent-encoding is kept decoded."""
    masked, _found = _mask_in(_redact_whole_ids(text or ""), _NATIONAL_ID_AMONG_DIGITS, _checksum_ok)
    decoded = masked
    for _layer in range(_PERCENT_LAYERS):
        if "%" not in decoded:
            break
        decoded = unquote(decoded, errors="replace")
        decoded_masked, found_here = _mask_in(decoded, _NATIONAL_ID_AMONG_DIGITS, _checksum_ok)
        if found_here:
            return decoded_masked
    return masked


def _redact_whole_ids(text: str) -> str:
    masked, found = _mask_in(text)
    decoded = masked
    for _layer in range(_PERCENT_LAYERS):
        if "%" not in decoded:
            break
        decoded = unquote(decoded, errors="replace")
        decoded_masked, found_here = _mask_in(decoded)
        if found_here:
            return _redact_whole_ids(decoded_masked)
    return masked


# The national ID's check digit (the feed contract's national-ID rules build on these).
NID_LETTER_CODES: dict[str, int] = {
    "A": 10, "B": 11, "C": 12, "D": 13, "E": 14, "F": 15, "G": 16, "H": 17, "I": 34,
    "J": 18, "K": 19, "L": 20, "M": 21, "N": 22, "O": 35, "P": 23, "Q": 24, "R": 25,
    "S": 26, "T": 27, "U": 28, "V": 29, "W": 32, "X": 30, "Y": 31, "Z": 33,
}  # fmt: skip
_NID_WEIGHTS = (1, 9, 8, 7, 6, 5, 4, 3, 2, 1, 1)
_NID_SHAPE_RE = re.compile(r"[A-Z]\d{9}", re.ASCII)


def nid_weighted_sum(digits: list[int]) -> int:
    return sum(d * w for d, w in zip(digits, _NID_WEIGHTS, strict=False))


def nid_digits(letter: str, rest: str) -> list[int]:
    code = NID_LETTER_CODES[letter]
    return [code // 10, code % 10, *(int(c) for c in rest)]


def national_id_checksum_ok(nid: str) -> bool:
    """True when ``nid`` is one uppercase letter + 9 digits whose checksum is right.

    The letter becomes its two-digit area code (A=10 ... Z=33, with I=34, O=35, W=32, X=30, Y=31);
    the 11 digits are weighted 1,9,8,7,6,5,4,3,2,1,1 and the sum must be divisible by 10. Anything that
    is not letter + 9 digits returns False. The second digit is not checked here (see
    :func:`integrations.feeds.contract.normalise_national_id`).
    """
    if not isinstance(nid, str) or not _NID_SHAPE_RE.fullmatch(nid):
        return False
    return nid_weighted_sum(nid_digits(nid[0], nid[1:])) % 10 == 0
