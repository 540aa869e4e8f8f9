"""Bar charts: horizontal bars (one or more per row, each of one or more stacked segments) and vertical bars
in groups.

Every label is measured (:mod:`charts.text`): the label column is as wide as the longest label up to a cap,
a longer label takes a second line and beyond that ends in an ellipsis (the full label is the row's tooltip),
the bars of a row are a line of text apart so their values never touch, room is kept after the longest bar
for its value, marker and tick labels that would touch are moved apart or thinned, and a chart
with nothing to draw is None, not an empty axis.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from . import scale
from .svg import LABEL, LINE, SMALL, WIDTH, Chart, element, lines, place, rows_of, spaced, svg, text, title
from .text import fit, labelled, text_width, wrap

PAD = 4.0
SWATCH = 14.0


@dataclass(frozen=True)
class Segment:
    """A piece of a bar: its value, the stylesheet class that colours it and its tooltip."""

    value: float
    css: str
    title: str = ""


@dataclass(frozen=True)
class Bar:
    """One bar: segments stacked left to right, and the text written after it ("—" for no figure)."""

    segments: Sequence[Segment] = ()
    text: str = ""

    @property
    def total(self) -> float:
        return sum(max(0.0, s.value) for s in self.segments)


@dataclass(frozen=True)
class Row:
    """A labelled row of one or more bars (two for a comparison of two models)."""

    label: str
    bars: Sequence[Bar]
    title: str = ""  # the row's tooltip; the label and its bars' texts when empty


@dataclass(frozen=True)
class Series:
    """A named colour in a legend."""

    name: str
    css: str


def bar(label: str, value: float | None, *, text: str, css: str, title: str = "") -> Row:
    """A row of one bar of one segment (no bar for a value of None)."""
    segments = [] if value is None else [Segment(abs(value), css, title or labelled(label, text))]
    return Row(label=label, bars=[Bar(segments, text)], title=labelled(label, text))


@dataclass
class _Top:
    """What sits above the plot (legend lines, then marker labels) and how tall it is."""

    markup: list[str] = field(default_factory=list)
    height: float = 6.0


def _legend(series: Sequence[Series], *, start: float, end: float, y: float) -> tuple[list[str], float]:
    items = [(s, SWATCH + 6 + text_width(s.name, SMALL)) for s in series]
    lines = rows_of(items, start=start, end=end, gap=18)
    out = []
    for n, line in enumerate(lines):
        line_y = y + n * 18
        for s, x in line:
            out.append(element("rect", css=f"bar {s.css}", x=x, y=line_y, width=SWATCH, height=12.0))
            out.append(text(s.name, x=x + SWATCH + 6, y=line_y + 10, css="legend"))
    return out, len(lines) * 18


def _ticks(
    maximum: float, fmt: Callable[[list[float]], Callable[[float], str]], *, whole: bool, x0: float, w: float
) -> tuple[list[tuple[float, str, str]], list[float]]:
    """The tick labels to write (x, text, anchor), thinned so none touches the next, and every grid line."""
    values = scale.ticks(0.0, maximum, whole=whole)
    write = fmt(values)
    placed = [place(write(v), x0 + w * v / maximum, size=SMALL) for v in values]
    return [(p.x, p.text, p.anchor) for p in spaced(placed)], [x0 + w * v / maximum for v in values]


def hbar_chart(
    rows: Sequence[Row],
    *,
    id: str,
    title_text: str,
    tick_format: Callable[[list[float]], Callable[[float], str]],
    maximum: float | None = None,
    whole: bool = False,
    markers: Sequence[tuple[float, str]] = (),
    legend: Sequence[Series] = (),
    label_cap: float = 300.0,
    css: str = "",
) -> Chart | None:
    """Horizontal bars on one scale from 0, labels on the left, each bar's text after it; ``markers`` are
    dashed lines (a threshold, the overall rate) with a label above the plot; ``legend`` names the bars of
    a row (series) above the plot. ``tick_format`` makes the tick writer from the ticks
    (:func:`charts.scale.percent_format`, ``number_format``, ``count_format``)."""
    if not any(b.total > 0 for r in rows for b in r.bars):
        return None
    per_row = max(len(r.bars) for r in rows)
    # Bars of one row are as far apart as their values' lines of text, so the values never touch.
    bar_h, pitch = (16.0, 17.0) if per_row == 1 else (12.0, math.ceil(SMALL * LINE))
    label_w = min(label_cap, max(text_width(r.label, LABEL) for r in rows))
    labels = [wrap(r.label, label_w, LABEL) for r in rows]
    # A label longer than its column takes two lines, and every row the room for two.
    row_h = max(24.0 if per_row == 1 else 6 + pitch * per_row, *(len(ls) * LABEL * LINE + 4 for ls in labels))
    value_w = max(text_width(b.text, SMALL) for r in rows for b in r.bars) + 2 * PAD
    plot_x = PAD + label_w + 10
    plot_w = WIDTH - plot_x - value_w - PAD
    top_v = maximum or scale.axis_max(max([b.total for r in rows for b in r.bars] + [v for v, _ in markers]))

    def x(value: float) -> float:
        return plot_x + plot_w * min(max(value, 0.0), top_v) / top_v

    top = _Top()
    if legend:
        items, h = _legend(legend, start=plot_x, end=WIDTH - PAD, y=top.height + 2)
        top.markup += items
        top.height += h + 4
    marker_lines: list[list] = []
    for value, label in sorted(markers):
        p = place(label, x(value), size=SMALL)
        line = next((ln for ln in marker_lines if ln[-1][0].right + 6 <= p.left), None)
        if line is None:
            marker_lines.append(line := [])
        line.append((p, value))
    plot_top = top.height + 16 * len(marker_lines) + (4 if marker_lines else 0)

    body = []
    tick_labels, grid = _ticks(top_v, tick_format, whole=whole, x0=plot_x, w=plot_w)
    plot_bottom = plot_top + len(rows) * row_h
    for gx in grid:
        body.append(element("line", css="grid", x1=gx, y1=plot_top, x2=gx, y2=plot_bottom))
    for tx, content, anchor in tick_labels:
        body.append(text(content, x=tx, y=plot_bottom + 16, css="tick", anchor=anchor))
    for n, (row, label) in enumerate(zip(rows, labels, strict=True)):
        y = plot_top + n * row_h
        first_bar = y + (row_h - pitch * len(row.bars) + pitch - bar_h) / 2
        parts = [lines(label, x=PAD + label_w, middle=y + row_h / 2, size=LABEL, css="label", anchor="end")]
        for k, b in enumerate(row.bars):
            by = first_bar + k * pitch
            end = plot_x
            for s in b.segments:
                w = min(plot_w * max(s.value, 0.0) / top_v, plot_x + plot_w - end)
                if w > 0:
                    tip = title(s.title) if s.title else None
                    parts.append(element("rect", tip, css=f"bar {s.css}", x=end, y=by, width=w, height=bar_h))
                end += max(w, 0.0)
            if b.text:
                parts.append(text(b.text, x=end + PAD, y=by + bar_h / 2 + SMALL * 0.35, css="value"))
        tip = row.title or labelled(row.label, " / ".join(b.text for b in row.bars if b.text))
        body.append(element("g", title(tip) + "".join(parts)))
    body.append(element("line", css="axis", x1=plot_x, y1=plot_top, x2=plot_x, y2=plot_bottom))
    for n, line in enumerate(marker_lines):
        ty = top.height + 12 + 16 * n
        for p, value in line:
            mx = x(value)
            body.append(element("line", css="marker", x1=mx, y1=ty + 4, x2=mx, y2=plot_bottom))
            body.append(text(p.text, x=p.x, y=ty, css="marker-text", anchor=p.anchor))
    return svg(
        id=id,
        title_text=title_text,
        width=WIDTH,
        height=plot_bottom + 28,
        body="\n".join(top.markup + body),
        css=css,
    )


@dataclass(frozen=True)
class Group:
    """A group of vertical bars (one per series) under one label; None where a series has no figure."""

    label: str
    values: Sequence[float | None]


def grouped_bar_chart(
    groups: Sequence[Group],
    series: Sequence[Series],
    *,
    id: str,
    title_text: str,
    value_text: Callable[[float], str],
    tick_format: Callable[[list[float]], Callable[[float], str]] = scale.percent_format,
) -> Chart | None:
    """Vertical bars in groups (one group per capacity k, one bar per method), the legend above."""
    values = [v for g in groups for v in g.values if v is not None]
    if not any(v > 0 for v in values):
        return None
    maximum = scale.axis_max(max(values))
    tick_values = scale.ticks(0.0, maximum)
    write = tick_format(tick_values)
    left = PAD + max(text_width(write(v), SMALL) for v in tick_values) + 8
    right = WIDTH - PAD
    legend, legend_h = _legend(series, start=left, end=right, y=8)
    top = 8 + legend_h + 12
    plot_h = 220.0
    bottom = top + plot_h
    slot = (right - left) / len(groups)
    bar_w = min(28.0, (slot - 16) / max(1, len(series)))

    def y(value: float) -> float:
        return bottom - plot_h * min(value, maximum) / maximum

    body = list(legend)
    # Tick labels sit left of the axis, one per line; a line closer than a label's height drops its label.
    last = None
    for v in tick_values:
        body.append(element("line", css="grid", x1=left, y1=y(v), x2=right, y2=y(v)))
        if last is None or last - y(v) >= SMALL * LINE:
            body.append(text(write(v), x=left - 6, y=y(v) + 4, css="tick", anchor="end"))
            last = y(v)
    for n, group in enumerate(groups):
        x0 = left + n * slot + (slot - bar_w * len(series)) / 2
        for s, value in enumerate(group.values):
            shown = "—" if value is None else value_text(value)
            h = 0.0 if value is None else plot_h * min(max(value, 0.0), maximum) / maximum
            body.append(
                element(
                    "rect",
                    title(f"{series[s].name}, {group.label}: {shown}"),
                    css=f"bar {series[s].css}",
                    x=x0 + s * bar_w,
                    y=bottom - h,
                    width=bar_w - 2,
                    height=h,
                )
            )
        centre = left + n * slot + slot / 2
        body.append(
            text(fit(group.label, slot - 4, LABEL), x=centre, y=bottom + 18, css="label", anchor="middle")
        )
    body.append(element("line", css="axis", x1=left, y1=bottom, x2=right, y2=bottom))
    return svg(id=id, title_text=title_text, width=WIDTH, height=bottom + 30, body="\n".join(body))
