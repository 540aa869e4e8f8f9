"""Writing the SVG: escaped elements, the chart's root with its accessible name, and labels that stay apart.

A chart is markup a template prints as it is (``Chart.__html__``, which Django's templates honour). Nothing
here writes a ``style`` attribute or a script: the page's content security policy allows neither, so every
colour and font comes from a class in the site's stylesheet (``.chart-svg`` in ``static/css``).
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from .text import text_width

WIDTH = 720  # the chart's own units; the stylesheet scales the whole drawing to the page
LABEL = 12.0  # px: category labels (.chart-svg text)
SMALL = 11.0  # px: ticks, values, legends (.tick, .value, .legend, .marker-text)
# The height of a line of text, in ems, as the browser lays it out: the ascent and descent of Noto Sans CJK,
# the font the stylesheet asks for first (1.16 + 0.288). Texts stacked closer than this overlap on screen.
LINE = 1.45


class Chart(str):
    """A finished chart: SVG markup, printed unescaped by templates."""

    def __html__(self) -> str:
        return str(self)


def number(value: float) -> str:
    """A coordinate: one decimal at most, no trailing zero."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def attrs(**values) -> str:
    """Attributes in the order given; ``css`` is written as ``class``, ``_`` as ``-``; None is left out."""
    out = []
    for key, value in values.items():
        if value is None:
            continue
        name = "class" if key == "css" else key.rstrip("_").replace("_", "-")
        text = number(value) if isinstance(value, float) else str(value)
        out.append(f' {name}="{escape(text, quote=True)}"')
    return "".join(out)


def element(tag: str, content: str | None = None, **values) -> str:
    """``<tag attrs/>``, or ``<tag attrs>content</tag>`` (content already markup)."""
    if content is None:
        return f"<{tag}{attrs(**values)}/>"
    return f"<{tag}{attrs(**values)}>{content}</{tag}>"


def title(text: str) -> str:
    """A tooltip and accessible name for the element it is the first child of."""
    return f"<title>{escape(text, quote=False)}</title>"


def text(content: str, *, x: float, y: float, css: str, anchor: str | None = None, **more) -> str:
    anchor = None if anchor == "start" else anchor
    return element("text", escape(content, quote=False), css=css, x=x, y=y, text_anchor=anchor, **more)


def lines(
    content: list[str], *, x: float, middle: float, size: float, css: str, anchor: str | None = None
) -> str:
    """A label of one or more lines, centred on ``middle``: one ``<text>`` (a ``<tspan>`` per line when more
    than one), so it stays one label for the reader and for the tests."""
    first = middle + size * 0.35 - (len(content) - 1) * size * LINE / 2
    if len(content) == 1:
        return text(content[0], x=x, y=first, css=css, anchor=anchor)
    spans = "".join(
        element("tspan", escape(line, quote=False), x=x, y=first + n * size * LINE)
        for n, line in enumerate(content)
    )
    anchor = None if anchor == "start" else anchor
    return element("text", spans, css=css, x=x, y=first, text_anchor=anchor)


def svg(*, id: str, title_text: str, width: float, height: float, body: str, css: str = "") -> Chart:
    """The chart's root: an image whose accessible name is its ``<title>`` (``id``-title)."""
    if not id or not title_text:
        raise ValueError("a chart needs an id and a title: its accessible name")
    head = element(
        "svg",
        None,
        css=f"chart-svg {css}".strip(),
        viewBox=f"0 0 {number(width)} {number(height)}",
        role="img",
        aria_labelledby=f"{id}-title",
    )[:-2]
    name = f'<title id="{escape(id, quote=True)}-title">{escape(title_text, quote=False)}</title>'
    return Chart(f"{head}>{name}\n{body}</svg>")


@dataclass(frozen=True)
class Placed:
    """A label laid out: its text, where it is anchored, and the span it covers."""

    text: str
    x: float
    anchor: str
    left: float
    right: float


def place(content: str, x: float, *, size: float, low: float = 0.0, high: float = WIDTH) -> Placed:
    """A label centred on ``x``, moved to start or end there when centring would cross ``low`` or ``high``."""
    w = text_width(content, size)
    if x - w / 2 < low:
        return Placed(content, x, "start", x, x + w)
    if x + w / 2 > high:
        return Placed(content, x, "end", x - w, x)
    return Placed(content, x, "middle", x - w / 2, x + w / 2)


def spaced_from(labels: list[Placed], keep: int, gap: float = 4.0) -> list[Placed]:
    """The labels to draw so none touches another: ``labels[keep]`` (zero, say) always, then, walking away
    from it on each side, every label clear of the last one kept."""
    kept = [labels[keep]]
    for side in (labels[keep + 1 :], labels[:keep][::-1]):
        last = labels[keep]
        for label in side:
            if label.left >= last.right + gap or label.right + gap <= last.left:
                kept.append(label)
                last = label
    return sorted(kept, key=lambda p: p.x)


def spaced(labels: list[Placed], gap: float = 4.0) -> list[Placed]:
    """The labels to draw so none touches the next: every label when they fit, else every second, third
    ... (the first always kept)."""
    for every in range(1, len(labels) + 1):
        kept = labels[::every]
        if all(a.right + gap <= b.left for a, b in zip(kept, kept[1:], strict=False)):
            return kept
    return labels[:1]


def rows_of(items: list[tuple[str, float]], *, start: float, end: float, gap: float) -> list[list[tuple]]:
    """Legend items (text, width) in lines that fit from ``start`` to ``end``: [(text, x), ...] per line."""
    lines: list[list[tuple]] = [[]]
    x = start
    for content, w in items:
        if lines[-1] and x + w > end:
            lines.append([])
            x = start
        lines[-1].append((content, x))
        x += w + gap
    return lines
