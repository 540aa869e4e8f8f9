"""Charts that sit inside a sentence or a table cell: a bar for one number, and the line of a score over time.

They have no axes or labels of their own (the table or the text beside them gives the numbers), so they are
drawn in their own small units and the stylesheet sizes them (``svg.bar``, ``svg.score-history``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from .svg import Chart, element, number, title


def cell_bar(share: float, *, css: str, label: str) -> Chart:
    """A bar filling ``share`` (0 to 1) of a table cell, named by ``label`` (the number it stands for)."""
    width = 100 * max(0.0, min(1.0, share))
    rect = element("rect", x=0, y=1, width=float(width), height=8, css=css)
    head = element(
        "svg", None, css="bar", viewBox="0 0 100 10", preserveAspectRatio="none", role="img", aria_label=label
    )[:-2]
    return Chart(f"{head}>{rect}</svg>")


@dataclass(frozen=True)
class Step:
    """One point of a line over time: its value, the class that colours its dot, and its tooltip."""

    value: float
    css: str
    tip: str


def score_line(steps: Sequence[Step], *, id: str, title_text: str, floor: float = 0.05) -> Chart | None:
    """The line of a score over runs, oldest first, scaled to the highest value shown (at least ``floor``);
    None for fewer than two runs (one point is not a line)."""
    if len(steps) < 2 or not id or not title_text:
        return None
    top = max(floor, max(s.value for s in steps))
    gap = 100 / (len(steps) - 1)
    points = [(i * gap, 40 - 36 * s.value / top) for i, s in enumerate(steps)]
    line = element(
        "polyline", points=" ".join(f"{number(x)},{number(y)}" for x, y in points), css="history-line"
    )
    dots = "".join(
        element("circle", title(s.tip), cx=float(x), cy=float(y), r=1.2, css=s.css)
        for (x, y), s in zip(points, steps, strict=True)
    )
    head = element(
        "svg", None, css="score-history", viewBox="-2 -2 104 44", role="img", aria_labelledby=f"{id}-title"
    )[:-2]
    name = f'<title id="{escape(id, quote=True)}-title">{escape(title_text, quote=False)}</title>'
    return Chart(f"{head}>{name}{line}{dots}</svg>")
