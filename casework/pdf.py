"""The one way to print a PDF the platform hands out (meeting minutes, the annual work report): Traditional
Chinese set in reportlab's built-in CID font (no font file), A4, and on every page the watermark of the export
that made it: who, their roles, when, the export number and the confidentiality notice in both languages, and a
diagonal stamp with the person's name and "Confidential"."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Protocol

from django.utils.translation import gettext as _

FONT = "MSung-Light"


class Mark(Protocol):
    """What a watermark says (``casework.exports.writers.Watermark`` and the annual report's mark)."""

    number: int
    username: str
    title: str

    @property
    def who(self) -> str: ...

    @property
    def when(self) -> str: ...

    def lines(self) -> list[str]: ...


def register_font() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def build(story: Sequence, mark: Mark, *, page_numbers: bool = False) -> bytes:
    """The document's bytes: ``story`` (reportlab flowables) on A4 with the mark on every page; with
    ``page_numbers``, the export number and the page at the top right."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.lib.utils import simpleSplit
    from reportlab.platypus import SimpleDocTemplate

    register_font()
    lines = mark.lines()

    def watermark(canvas, doc):
        canvas.saveState()
        canvas.setFont(FONT, 7)
        canvas.setFillColor(colors.HexColor("#666666"))
        wrapped = [part for line in lines[1:] for part in simpleSplit(line, FONT, 7, A4[0] - 30 * mm)]
        y = 8 * mm
        for line in reversed(wrapped):
            canvas.drawString(15 * mm, y, line)
            y += 3 * mm
        if page_numbers:
            canvas.drawRightString(A4[0] - 15 * mm, A4[1] - 10 * mm, f"#{mark.number} · {doc.page}")
        canvas.setFont(FONT, 40)
        canvas.setFillColor(colors.Color(0.6, 0.6, 0.6, alpha=0.18))
        canvas.translate(A4[0] / 2, A4[1] / 2)
        canvas.rotate(40)
        canvas.drawCentredString(0, 0, f"{mark.username} · {mark.when[:16]}")
        canvas.drawCentredString(0, -48, _("Confidential"))
        canvas.restoreState()

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=40 * mm,
        title=mark.title,
        author=mark.who,
        subject=_("Export number: %(number)s") % {"number": mark.number},
        keywords="confidential",
    )
    doc.build(list(story), onFirstPage=watermark, onLaterPages=watermark)
    return buffer.getvalue()
