"""How wide a label is drawn, and shortening one to fit a width.

Widths are estimated, not measured in a browser: Chinese, Japanese and Korean glyphs (East Asian width W or F)
take a full em, and so do characters whose width depends on the font (East Asian width A, such as "…" in a
CJK font); ASCII takes the widest of the fonts a page falls back on (Noto Sans CJK, which the stylesheet
asks for first, DejaVu Sans and Liberation Sans). The estimate is an upper bound: a label that fits here
fits on screen.
"""

from __future__ import annotations

import unicodedata

ELLIPSIS = "…"

# Em widths of printable ASCII and a few marks, the widest of DejaVu Sans, Liberation Sans and Noto Sans CJK
# (JP, KR, SC, TC) as their font files give them, rounded up to a hundredth (measured for docs/charts.md).
_MEASURED = {
    0.28: "'ij", 0.29: "l", 0.3: "I", 0.32: " ,.", 0.34: ":;|", 0.36: "f", 0.37: "-", 0.4: "()/[\\]t",
    0.41: "!", 0.42: "r", 0.48: '"', 0.5: "*", 0.53: "sz", 0.54: "J", 0.55: "c", 0.56: "?L_–", 0.58: "k",
    0.6: "vxy", 0.61: "`", 0.62: "FTaeo", 0.64: "$0123456789bdghnpqu{}", 0.67: "EKPSY", 0.69: "ABVXZ",
    0.73: "CR", 0.74: "U", 0.75: "N", 0.76: "H", 0.78: "&DG", 0.79: "OQ", 0.82: "w", 0.84: "#+<=>^~−",
    0.87: "M", 0.96: "%", 0.98: "m", 0.99: "W", 1.0: "—·×→←…", 1.02: "@",
}  # fmt: skip
_WIDTHS = {char: width for width, chars in _MEASURED.items() for char in chars}
OTHER = 0.8  # any other letter or mark of half width (accented Latin, Greek ...)


def char_width(char: str) -> float:
    """Width of one character in ems."""
    if char in _WIDTHS:
        return _WIDTHS[char]
    if unicodedata.combining(char):
        return 0.0
    if unicodedata.east_asian_width(char) in "WFA":
        return 1.0
    return OTHER


def text_width(text: str, size: float) -> float:
    """Width of ``text`` drawn at ``size`` px (an upper bound; see the module docstring)."""
    return size * sum(char_width(c) for c in text)


def fit(text: str, width: float, size: float) -> str:
    """``text`` as it is when it fits ``width``, else shortened at the end with an ellipsis."""
    if text_width(text, size) <= width:
        return text
    room = width - text_width(ELLIPSIS, size)
    kept, used = [], 0.0
    for char in text:
        used += char_width(char) * size
        if used > room:
            break
        kept.append(char)
    return "".join(kept).rstrip() + ELLIPSIS


def labelled(label: str, value: str) -> str:
    """A tooltip's ``label: value`` with the colon of the reader's language (``：`` in Traditional Chinese), from
    the same catalogue entry the pages use; a plain ``: `` where no translation is set up."""
    try:
        from django.utils.translation import pgettext

        colon = pgettext("label separator", ": ")
    except Exception:  # the kit also runs without Django (its own tests, a notebook)
        colon = ": "
    return f"{label}{colon}{value}"
