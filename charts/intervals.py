"""Estimates with their intervals on one scale around zero (a forest plot): one row per estimate, a dot for the
estimate and a line for its 95 % interval, a solid line at zero, the value written after each row.

Labels are measured like every chart of the kit: the plot keeps at least ``PLOT_MIN`` of the width, a label
longer than its column takes a second line (every row then grows to two lines) and beyond that ends in "…"
(the full label is the row's tooltip). Tick labels that would touch are left out, walking out from zero,
which is always written. A row without an estimate keeps its label and says why in its text; a chart with no
estimate at all is None.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from . import scale
from .svg import LABEL, LINE, SMALL, WIDTH, Chart, element, lines, place, spaced_from, svg, text, title
from .text import labelled, text_width, wrap

PAD = 4.0
ROW = 26.0
ROW_TWO_LINES = 2 * LABEL * LINE + 4  # a row whose label takes two lines
PLOT_MIN = 0.4 * WIDTH  # the share of the width the estimates keep however long the labels
TOP = 8.0
AXIS = 22.0


@dataclass(frozen=True)
class Interval:
    label: str
    estimate: float | None
    low: float | None = None
    high: float | None = None
    text: str = ""  # written after the row: the figure, or why there is none
    css: str = "series-a"


def interval_chart(
    rows: Sequence[Interval],
    *,
    id: str,
    title_text: str,
    tick_format: Callable[[float], str],
    label_cap: float = 280.0,
    ticks: Sequence[float] | None = None,
    extent: float | None = None,
    markers: Sequence[float] = (),
) -> Chart | None:
    """The estimates and intervals on a symmetric scale around zero, so the side of zero reads at a glance.
    ``ticks`` and ``extent`` (half the axis) may be given, for a scale of its own (log ratios); ``markers`` are
    dashed lines (a band of tolerance), explained by the chart's caption."""
    shown = [r for r in rows if r.estimate is not None]
    if not shown:
        return None
    if extent is None:
        extent = max(abs(v) for r in shown for v in (r.estimate, r.low, r.high) if v is not None) or 0.01
        top = scale.axis_max(extent)
    else:
        top = extent
    ticks = list(ticks) if ticks is not None else scale.ticks(-top, top, 4)
    value_w = max(text_width(r.text, SMALL) for r in rows) + 2 * PAD
    room = WIDTH - PAD - 10 - value_w - PAD - PLOT_MIN
    label_w = max(60.0, min(label_cap, room, max(text_width(r.label, LABEL) for r in rows)))
    plot_x = PAD + label_w + 10
    plot_w = WIDTH - plot_x - value_w - PAD
    labels = [wrap(r.label, label_w, LABEL) for r in rows]
    row = ROW_TWO_LINES if any(len(ls) > 1 for ls in labels) else ROW

    def x(value: float) -> float:
        return plot_x + plot_w * (min(max(value, -top), top) + top) / (2 * top)

    parts: list[str] = []
    height = TOP + row * len(rows) + AXIS
    axis_y = TOP + row * len(rows)
    for t in ticks:
        parts.append(element("line", css="grid", x1=x(t), x2=x(t), y1=TOP, y2=axis_y))
    placed = [place(tick_format(t), x(t), size=SMALL) for t in ticks]
    if placed:
        centre = min(range(len(ticks)), key=lambda i: abs(ticks[i]))
        for p in spaced_from(placed, centre):
            parts.append(text(p.text, x=p.x, y=axis_y + 15, css="tick", anchor=p.anchor))
    parts.append(element("line", css="zero", x1=x(0.0), x2=x(0.0), y1=TOP, y2=axis_y))
    for m in markers:
        parts.append(element("line", css="marker", x1=x(m), x2=x(m), y1=TOP, y2=axis_y))
    for i, (r, label) in enumerate(zip(rows, labels, strict=True)):
        y = TOP + row * i + row / 2
        body = [title(labelled(r.label, r.text) if r.text else r.label)]
        body.append(lines(label, x=plot_x - 10, middle=y, size=LABEL, css="label", anchor="end"))
        if r.estimate is not None:
            if r.low is not None and r.high is not None:
                body.append(element("line", css=f"interval {r.css}", x1=x(r.low), x2=x(r.high), y1=y, y2=y))
                for end in (r.low, r.high):
                    body.append(
                        element("line", css=f"interval {r.css}", x1=x(end), x2=x(end), y1=y - 5, y2=y + 5)
                    )
            body.append(element("circle", css=f"dot {r.css}", cx=x(r.estimate), cy=y, r=5))
        body.append(text(r.text, x=plot_x + plot_w + PAD, y=y + 4, css="value"))
        parts.append(element("g", "".join(body)))
    return svg(id=id, title_text=title_text, width=WIDTH, height=height, body="\n".join(parts))
