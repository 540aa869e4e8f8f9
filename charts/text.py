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


NO_START = "）)]}，、。．,.:：;；!！?？・·…"  # marks that may not begin a line
NO_END = "（([{「『"  # marks that may not end one
SEPARATORS = "·・:："  # where a label's parts meet: the best place for a line to end


def _breaks(text: str) -> list[int]:
    """Where a line may end: after a space, or before or after a Chinese, Japanese or Korean character, never
    before a closing mark or after an opening one."""
    wide = [unicodedata.east_asian_width(c) in "WF" for c in text]
    return [
        i
        for i in range(1, len(text))
        if text[i] != " "
        and text[i] not in NO_START
        and text[i - 1] not in NO_END
        and (text[i - 1] == " " or wide[i] or wide[i - 1])
    ]


def wrap(text: str, width: float, size: float, lines: int = 2) -> list[str]:
    """``text`` in at most ``lines`` lines of ``width``: broken after a space or between Chinese characters
    (inside a word only when the word alone is too wide), the last line shortened with an ellipsis if it is
    still too long."""
    out: list[str] = []
    rest = text.strip()
    while rest and len(out) < lines - 1 and text_width(rest, size) > width:
        fitting = [i for i in _breaks(rest) if text_width(rest[:i].rstrip(), size) <= width]
        # After a separator ("·", ":") when that fills at least half the line: the parts stay whole.
        parts = [i for i in fitting if rest[:i].rstrip()[-1:] in SEPARATORS]
        if parts and text_width(rest[: parts[-1]], size) >= width / 2:
            cut = parts[-1]
        elif fitting:
            cut = fitting[-1]
        else:  # a word wider than the line: break it where the line is full
            cut, used = 0, 0.0
            while cut < len(rest) - 1 and used + char_width(rest[cut]) * size <= width:
                used += char_width(rest[cut]) * size
                cut += 1
            cut = max(cut, 1)
        out.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        out.append(fit(rest, width, size))
    return out


def labelled(label: str, value: str) -> str:
    """A tooltip's ``label: value`` with the colon of the reader's language (``：`` in Traditional Chinese), from
    the same catalogue entry the pages use; a plain ``: `` where no translation is set up."""
    try:
        from django.utils.translation import pgettext

        colon = pgettext("label separator", ": ")
    except Exception:  # the kit also runs without Django (its own tests, a notebook)
        colon = ": "
    return f"{label}{colon}{value}"
