"""Charts of points: a calibration curve against its diagonal, a beeswarm of individual effects, and small
multiples of bars above and below zero."""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass

from . import scale
from .bars import PAD, SWATCH
from .svg import LABEL, LINE, SMALL, WIDTH, Chart, element, place, rows_of, spaced, svg, text, title
from .text import fit, text_width

# ---------------------------------------------------------------------------------------------------------
# Calibration
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    title: str = ""


def calibration_chart(
    points: Sequence[Point],
    *,
    id: str,
    title_text: str,
    x_label: str,
    y_label: str,
    diagonal_title: str,
) -> Chart | None:
    """Points joined by a line (mean score, observed rate) against the diagonal of perfect calibration,
    both axes shares on one scale."""
    if not points:
        return None
    width, height = 520.0, 420.0
    maximum = scale.axis_max(max(max(p.x, p.y) for p in points) * 1.05)
    values = scale.ticks(0.0, maximum)
    write = scale.percent_format(values)
    left = 22 + max(text_width(write(v), SMALL) for v in values) + 8
    top, right, bottom = 14.0, width - 18, height - 48
    plot_w, plot_h = right - left, bottom - top

    def x(v: float) -> float:
        return left + plot_w * min(v, maximum) / maximum

    def y(v: float) -> float:
        return bottom - plot_h * min(v, maximum) / maximum

    body = []
    for v in values:
        body.append(element("line", css="grid", x1=x(v), y1=top, x2=x(v), y2=bottom))
        body.append(element("line", css="grid", x1=left, y1=y(v), x2=right, y2=y(v)))
    # The x axis's labels start at the y axis, clear of the y axis's own labels (both write 0 at the corner).
    for p in spaced([place(write(v), x(v), size=SMALL, low=left, high=width) for v in values]):
        body.append(text(p.text, x=p.x, y=bottom + 16, css="tick", anchor=p.anchor))
    last = None
    for v in values:
        if last is None or last - y(v) >= SMALL * LINE:
            body.append(text(write(v), x=left - 6, y=y(v) + 4, css="tick", anchor="end"))
            last = y(v)
    body.append(element("line", css="axis", x1=left, y1=bottom, x2=right, y2=bottom))
    body.append(element("line", css="axis", x1=left, y1=top, x2=left, y2=bottom))
    body.append(
        element("line", title(diagonal_title), css="diagonal", x1=x(0), y1=y(0), x2=x(maximum), y2=y(maximum))
    )
    body.append(
        element("polyline", css="curve", points=" ".join(f"{x(p.x):.1f},{y(p.y):.1f}" for p in points))
    )
    body.append(
        "".join(element("circle", title(p.title), css="dot", cx=x(p.x), cy=y(p.y), r=5.0) for p in points)
    )
    body.append(
        text(
            fit(x_label, plot_w, LABEL), x=left + plot_w / 2, y=height - 8, css="axis-label", anchor="middle"
        )
    )
    mid = top + plot_h / 2
    body.append(
        text(
            fit(y_label, plot_h, LABEL),
            x=14.0,
            y=mid,
            css="axis-label",
            anchor="middle",
            transform=f"rotate(-90 14 {mid:.1f})",
        )
    )
    return svg(
        id=id, title_text=title_text, width=width, height=height, body="\n".join(body), css="chart-square"
    )


# ---------------------------------------------------------------------------------------------------------
# Beeswarm
# ---------------------------------------------------------------------------------------------------------


def value_ranks(values: Sequence[float | None]) -> list[float | None]:
    """Each value's quantile in its own list: the share of the others that are strictly lower (so tied
    values, such as the many zeros of a count, all sit at the bottom)."""
    known = sorted(v for v in values if v is not None)
    if not known:
        return [None] * len(values)
    return [None if v is None else bisect.bisect_left(known, v) / len(known) for v in values]


@dataclass(frozen=True)
class Swarm:
    """One row of a beeswarm: its label and (effect, value) per sampled person (value None if unknown)."""

    label: str
    points: Sequence[tuple[float, float | None]]


def beeswarm_chart(
    rows: Sequence[Swarm],
    *,
    id: str,
    title_text: str,
    low_text: str,
    high_text: str,
    direction_text: str,
) -> Chart | None:
    """One row per indicator; a dot per sampled youth at its effect, stacked where dots would overlap,
    coloured by the rank of the indicator's value from low (``bee-0``) to high (``bee-4``)."""
    rows = [r for r in rows if r.points]
    if not rows:
        return None
    row_h, radius = 40.0, 2.2
    label_w = min(240.0, max(text_width(r.label, LABEL) for r in rows))
    plot_x = PAD + label_w + 12
    plot_w = WIDTH - plot_x - 16
    effects = [p[0] for r in rows for p in r.points]
    low, high = min(effects + [0.0]), max(effects + [0.0])
    pad = ((high - low) or 1.0) * 0.03
    low, high = low - pad, high + pad

    def x(v: float) -> float:
        return plot_x + plot_w * (v - low) / (high - low)

    top = 8.0
    bottom = top + len(rows) * row_h
    body = []
    values = scale.ticks(low, high, n=5)
    write = scale.number_format(values, sign=True)
    for v in values:
        body.append(element("line", css="grid", x1=x(v), y1=top, x2=x(v), y2=bottom))
    for p in spaced([place(write(v), x(v), size=SMALL, low=plot_x - 8, high=WIDTH) for v in values]):
        body.append(text(p.text, x=p.x, y=bottom + 16, css="tick", anchor=p.anchor))
    body.append(element("line", css="zero", x1=x(0.0), y1=top, x2=x(0.0), y2=bottom))
    for n, row in enumerate(rows):
        centre = top + n * row_h + row_h / 2
        limit = row_h / 2 - radius - 1
        counts: dict[int, int] = {}
        # One path per colour, a dot being a zero-length line with round caps: a tenth of the markup of
        # hundreds of circles per row.
        paths: dict[int, list[str]] = {}
        ranks = value_ranks([p[1] for p in row.points])
        for (effect, _value), rank in sorted(zip(row.points, ranks, strict=True), key=lambda p: p[0][0]):
            cx = x(effect)
            bucket = int(cx // (radius * 1.6))
            k = counts.get(bucket, 0)
            counts[bucket] = k + 1
            step = (k + 1) // 2 * (radius * 1.3) * (1 if k % 2 else -1)
            if abs(step) > limit:
                step = math.copysign(abs(step) % limit, step)
            shade = min(4, int(rank * 5)) if rank is not None else 2
            paths.setdefault(shade, []).append(f"M{cx:.1f} {centre + step:.1f}h0")
        line_y = top + (n + 1) * row_h
        parts = [
            text(
                fit(row.label, label_w, LABEL),
                x=PAD + label_w,
                y=centre + LABEL * 0.35,
                css="label",
                anchor="end",
            ),
            element("line", css="row-line", x1=plot_x, y1=line_y, x2=plot_x + plot_w, y2=line_y),
            *(element("path", css=f"bee bee-{shade}", d="".join(d)) for shade, d in sorted(paths.items())),
        ]
        body.append(element("g", title(row.label) + "".join(parts)))
    # The colour key (low ... high) under the labels, the direction under the dots; a second line when the
    # two would meet.
    key_y = bottom + 32
    low_w = text_width(low_text, SMALL)
    swatches_x = PAD + low_w + 6
    key_end = swatches_x + 5 * 16 + 4 + text_width(high_text, SMALL)
    body.append(text(low_text, x=swatches_x - 4, y=key_y + 10, css="legend", anchor="end"))
    for i in range(5):
        body.append(
            element("rect", css=f"bee-{i}", x=swatches_x + i * 16, y=key_y, width=SWATCH, height=12.0)
        )
    body.append(text(high_text, x=swatches_x + 5 * 16 + 4, y=key_y + 10, css="legend"))
    direction = fit(direction_text, WIDTH - 2 * PAD, SMALL)
    direction_y = key_y + 10 if key_end + 16 + text_width(direction, SMALL) <= WIDTH - PAD else key_y + 28
    body.append(text(direction, x=WIDTH - PAD, y=direction_y, css="legend", anchor="end"))
    return svg(id=id, title_text=title_text, width=WIDTH, height=direction_y + 8, body="\n".join(body))


# ---------------------------------------------------------------------------------------------------------
# Small multiples
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bin:
    """A bar of a panel: its short label under the axis, its value, the value as written, a tooltip."""

    label: str
    value: float
    text: str
    title: str = ""


@dataclass(frozen=True)
class Panel:
    title: str
    bins: Sequence[Bin]


def small_multiples_chart(
    panels: Sequence[Panel],
    *,
    id: str,
    title_text: str,
    up_text: str,
    down_text: str,
    columns: int = 3,
) -> Chart | None:
    """One panel per item, a bar per bin above the zero line (``bee-4``) or below it (``bee-0``); every panel
    on one scale, so a tall bar is a large value whichever the panel."""
    panels = [p for p in panels if p.bins]
    if not panels:
        return None
    gap, title_h, plot_h, pad = 18.0, 20.0, 104.0, 16.0
    panel_w = WIDTH / columns
    inner_w = panel_w - gap
    slots = [inner_w / len(p.bins) for p in panels]
    # Bin labels too wide for their slot take two lines, every other label on the second.
    staggered = any(
        text_width(b.label, SMALL) > s - 3 for p, s in zip(panels, slots, strict=True) for b in p.bins
    )
    second_line = math.ceil(SMALL * LINE)  # how far below the first line the second line of labels sits
    panel_h = title_h + plot_h + 28.0 + (second_line if staggered else 0.0)
    means = [b.value for p in panels for b in p.bins]
    high, low = max(0.0, *means), min(0.0, *means)
    span = (high - low) or 1.0

    def y(value: float, top: float) -> float:
        return top + title_h + pad + (plot_h - 2 * pad) * (high - value) / span

    body = []
    for i, (panel, slot) in enumerate(zip(panels, slots, strict=True)):
        x0 = (i % columns) * panel_w + gap / 2
        top = (i // columns) * panel_h
        zero = y(0.0, top)
        bar_w = min(30.0, slot * 0.7)
        parts = [text(fit(panel.title, inner_w, LABEL), x=x0, y=top + 14, css="label")]
        for j, b in enumerate(panel.bins):
            centre = x0 + slot * (j + 0.5)
            end = y(b.value, top)
            css = "bee-4" if b.value > 0 else "bee-0" if b.value < 0 else "series-random"
            label_y = top + title_h + plot_h + 12 + (second_line if staggered and j % 2 else 0)
            bar_parts = [
                element(
                    "rect",
                    css=f"bar {css}",
                    x=centre - bar_w / 2,
                    y=min(end, zero),
                    width=bar_w,
                    height=abs(zero - end),
                ),
                text(
                    fit(b.text, slot - 2, SMALL),
                    x=centre,
                    y=end - 4 if b.value >= 0 else end + 12,
                    css="value",
                    anchor="middle",
                ),
                text(
                    fit(b.label, (min(2 * slot, slot + gap) if staggered else slot) - 3, SMALL),
                    x=centre,
                    y=label_y,
                    css="tick",
                    anchor="middle",
                ),
            ]
            parts.append(element("g", (title(b.title) if b.title else "") + "".join(bar_parts)))
        parts.append(element("line", css="zero", x1=x0, y1=zero, x2=x0 + inner_w, y2=zero))
        body.append(element("g", title(panel.title) + "".join(parts)))
    bottom = math.ceil(len(panels) / columns) * panel_h
    items = [
        ((css, words), SWATCH + 4 + text_width(words, SMALL))
        for css, words in (("bee-4", up_text), ("bee-0", down_text))
    ]
    lines = rows_of(items, start=gap / 2, end=WIDTH - PAD, gap=18)
    for n, line in enumerate(lines):
        ly = bottom + 6 + n * 18
        for (css, words), lx in line:
            body.append(element("rect", css=css, x=lx, y=ly, width=SWATCH, height=12.0))
            body.append(text(words, x=lx + SWATCH + 4, y=ly + 10, css="legend"))
    return svg(
        id=id,
        title_text=title_text,
        width=WIDTH,
        height=bottom + 6 + 18 * len(lines) + 4,
        body="\n".join(body),
    )
