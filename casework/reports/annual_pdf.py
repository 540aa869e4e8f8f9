"""The annual work report as a PDF: the page's tables and pictures, watermarked and logged like every export.

reportlab's built-in CID font ``MSung-Light`` sets Traditional Chinese with no font file (as the meeting
minutes do, ``casework.meetings.minutes``). The figures are the page's own (``annual_views.annual_context``:
the same published counts, a withheld one a dash), the pictures the page's own chart descriptions
(``annual_charts.Spec``) drawn with reportlab's graphics. The ``export`` row of the access log is written before
any byte of the file, and its id is the export number printed on every page with who exported it, their roles
and when, and the confidentiality notice in both languages.

The watermark's lines are the exports' own (``casework.exports.writers.Watermark.lines``, checked equal by
``tests/casework/test_annual_report.py``); ``reports`` sits below ``exports`` in the rooms' layers and may not
import it, so :class:`PdfMark` writes the same lines here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from django.utils import translation
from django.utils.translation import gettext as _

import charts
from casework import pdf
from casework.access.audit import Actor, record
from casework.clock import TAIPEI
from casework.models import AuditAction
from casework.reports.annual_charts import Spec, count_text
from casework.words import labelled

FONT = pdf.FONT
# The exports' confidentiality notice (casework.exports.writers.CONFIDENTIALITY): the same msgid, so the same
# translation.
CONFIDENTIALITY = (
    "Confidential personal data of a minor (Personal Data Protection Act; Juvenile Justice Act). For the "
    "stated purpose only: do not copy, forward or publish. Destroy when no longer needed."
)


@dataclass(frozen=True)
class PdfMark:
    """Who exported the report and when, under which export number (the exports' ``Watermark``)."""

    number: int
    username: str
    full_name: str
    roles: str
    at: dt.datetime  # Taipei wall-clock time
    title: str

    @property
    def who(self) -> str:
        name = f"{self.username} ({self.full_name})" if self.full_name else self.username
        return name or "system"

    @property
    def when(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} Asia/Taipei"

    def lines(self) -> list[str]:
        notice = []
        for language in ("zh-hant", "en"):
            with translation.override(language):
                text = _(CONFIDENTIALITY)
            if text not in notice:
                notice.append(text)
        return [
            self.title,
            _("Export number: %(number)s") % {"number": self.number},
            _("Exported by: %(who)s") % {"who": self.who},
            _("Roles: %(roles)s") % {"roles": self.roles or "—"},
            _("Exported at: %(when)s") % {"when": self.when},
            *notice,
        ]


def annual_pdf(*, actor: Actor, scope: dict[str, Any], context: dict[str, Any], query: dict[str, Any]):
    """The report as PDF bytes and its export number; logs the export first. The caller has checked
    ``policy.can_export_supervisor_reports`` and the bureau (``annual_scope``)."""
    bureau, period = scope["bureau"], scope["period"]
    title = (
        f"{_('Annual work report')} · {bureau.display_name} · {period.start:%Y-%m-%d}–{period.end:%Y-%m-%d}"
    )
    entry = record(
        actor,
        AuditAction.EXPORT,
        detail={
            "format": "pdf",
            "title": title,
            "object_type": "report_annual",
            "query": query,
            "sections": list(SECTIONS),
        },
    )
    user = actor.user if getattr(actor.user, "is_authenticated", False) else None
    mark = PdfMark(
        number=entry.pk,
        username=entry.username,
        full_name=user.get_full_name() if user else "",
        roles=entry.roles_label,
        at=entry.at.astimezone(TAIPEI).replace(tzinfo=None),
        title=title,
    )
    return render(context, scope, mark), entry


SECTIONS = ("intake", "cases", "referrals", "interventions", "alerts", "overrides", "models")


# Colours of the page's chart classes (static/css/reports.css).
COLOURS = {
    "seg-intervention": "#1d4a7d",
    "seg-opened": "#9bb7d8",
    "seg-monitoring": "#6b8f71",
    "bar-on-time": "#1d6b34",
    "bar-override": "#c4561f",
}


def _fit(text: str, width: float, size: float) -> str:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    if stringWidth(text, FONT, size) <= width:
        return text
    while text and stringWidth(text + "…", FONT, size) > width:
        text = text[:-1]
    return text + "…"


def chart_drawing(spec: Spec, width: float):
    """A horizontal bar chart of ``spec`` (reportlab graphics): labels left, one bar per series, the figure
    after each bar, a legend above when there are several series; None when it has no bar (as on the page)."""
    from reportlab.graphics.shapes import Drawing, Line, Rect, String
    from reportlab.lib import colors
    from reportlab.pdfbase.pdfmetrics import stringWidth

    if spec.empty:
        return None
    size, bar_h, gap = 8, 9, 5
    per_row = len(spec.series)
    row_h = per_row * (bar_h + 1) + gap
    label_w = min(width * 0.42, max(stringWidth(label, FONT, size) for label, _v in spec.rows) + 4)
    value_w = max(stringWidth(spec.text(v), FONT, size) for _l, values in spec.rows for v in values) + 6
    legend_h = 14 if per_row > 1 else 0
    height = legend_h + len(spec.rows) * row_h + 14
    plot_x, plot_w = label_w + 6, width - label_w - 6 - value_w
    values = [v for _l, vs in spec.rows for v in vs if v is not None]
    top = 1.0 if spec.share else spec.step * charts.axis_max(max(values + [1]) / spec.step, whole=True)
    drawing = Drawing(width, height)
    if per_row > 1:
        x = plot_x
        for name, css in spec.series:
            drawing.add(
                Rect(x, height - 10, 10, 8, fillColor=colors.HexColor(COLOURS[css]), strokeColor=None)
            )
            drawing.add(String(x + 13, height - 9, name, fontName=FONT, fontSize=size))
            x += 13 + stringWidth(name, FONT, size) + 14
    y = height - legend_h
    for label, row_values in spec.rows:
        y -= row_h
        drawing.add(
            String(label_w, y + gap / 2 + (row_h - gap) / 2 - 3, _fit(label, label_w - 4, size), fontName=FONT,
                   fontSize=size, textAnchor="end")
        )  # fmt: skip
        for k, (value, (_name, css)) in enumerate(zip(row_values, spec.series, strict=True)):
            by = y + gap / 2 + (per_row - 1 - k) * (bar_h + 1)
            w = plot_w * min(max(value or 0.0, 0.0), top) / top
            if w > 0:
                drawing.add(
                    Rect(plot_x, by, w, bar_h, fillColor=colors.HexColor(COLOURS[css]), strokeColor=None)
                )
            drawing.add(String(plot_x + w + 3, by + 1.5, spec.text(value), fontName=FONT, fontSize=size))
    drawing.add(Line(plot_x, y, plot_x, height - legend_h, strokeColor=colors.grey, strokeWidth=0.5))
    drawing.add(Line(plot_x, y, plot_x + plot_w, y, strokeColor=colors.grey, strokeWidth=0.5))
    marks = (
        charts.ticks(0.0, 1.0)
        if spec.share
        else [spec.step * t for t in charts.ticks(0, top / spec.step, whole=True)]
    )
    for tick in marks:
        text = f"{tick * 100:.0f}%" if spec.share else f"{tick:.0f}"
        drawing.add(
            String(plot_x + plot_w * tick / top, y - 10, text, fontName=FONT, fontSize=7, textAnchor="middle")
        )
    return drawing


def render(context: dict[str, Any], scope: dict[str, Any], mark: PdfMark) -> bytes:
    """The PDF of the page's ``context`` (``annual_views.annual_context``)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import KeepTogether, Paragraph, Spacer, Table, TableStyle

    pdf.register_font()
    report, specs = context["report"], context["specs"]
    body = ParagraphStyle("body", fontName=FONT, fontSize=9, leading=13, wordWrap="CJK")
    cell = ParagraphStyle("cell", parent=body, fontSize=8, leading=11)
    hint = ParagraphStyle("hint", parent=body, fontSize=8, leading=11, textColor=colors.HexColor("#555555"))
    h1 = ParagraphStyle("h1", parent=body, fontSize=16, leading=22, spaceAfter=4)
    h2 = ParagraphStyle("h2", parent=body, fontSize=12, leading=17, spaceBefore=10, spaceAfter=4)
    h3 = ParagraphStyle("h3", parent=body, fontSize=10, leading=14, spaceBefore=6, spaceAfter=3)
    width = A4[0] - 30 * mm

    def p(text, style=body):
        return Paragraph(escape(str(text)).replace("\n", "<br/>"), style)

    def table(header: list[str], rows: list[list[Any]], caption: str, first_width: float = 0.4):
        data = [[p(h, cell) for h in header]] + [
            [p(v if isinstance(v, str) else count_text(v), cell) for v in r] for r in rows
        ]
        rest = (1 - first_width) / max(1, len(header) - 1)
        t = Table(data, colWidths=[width * first_width] + [width * rest] * (len(header) - 1), repeatRows=1)
        t.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        return [p(caption, h3), t]

    def chart(spec_id: str):
        drawing = chart_drawing(specs[spec_id], width)
        return [KeepTogether([p(specs[spec_id].title, hint), drawing, Spacer(1, 3 * mm)])] if drawing else []

    def counts(rows, first: str, column: str, caption: str, youth: str = ""):
        header = [first, column] + ([youth] if youth else [])
        return table(header, [[r["label"], r["n"]] + ([r["youth"]] if youth else []) for r in rows], caption)

    period = scope["period"]
    exposure = report["exposure"]
    story: list[Any] = [
        p(_("Annual work report"), h1),
        p(f"{scope['bureau'].display_name} · {period.start:%Y-%m-%d}–{period.end:%Y-%m-%d}", h3),
        p(
            _(
                "Every count of young people, or of records about them, is rounded to a multiple of %(base)s (a 0 "
                "may stand for 0 to 4), totals included; a dash marks a count withheld. Shares and medians are "
                "shown only where their count is %(min)s or more."
            )
            % {"base": context["rounding_base"], "min": context["rate_min_base"]},
            hint,
        ),
        # 1.
        p(_("1. Referrals received and cases opened"), h2),
        p(labelled(_("Young people referred to the bureau"), count_text(report["referred_youth"]))),
        *chart("opened-chart"),
        *counts(report["opened"], _("Concern"), _("Cases"), _("Cases opened, by concern")),
        *table(
            [
                _("Alerts raised"),
                _("Decided by the deadline"),
                _("Decided later"),
                _("Not decided yet"),
                _("On-time share"),
            ],
            [[*context["exposure_cells"], exposure["share_text"]]],
            _("Exposure alerts raised in the period: decided within the %(days)s-day deadline or later")
            % {"days": context["referral_days"]},
            first_width=0.2,
        ),  # fmt: skip
        p(_("Cases opened and not opened within 14 days, with the reasons recorded"), h3),
        *chart("exposure-outcomes-chart"),
        *counts(
            report["exposure_outcomes"],
            _("Outcome"),
            _("Alerts"),
            _("Exposure alerts by what became of them"),
        ),
        # 2.
        p(_("2. Cases open at the end of the period, cases closed, and follow-up after closure"), h2),
        *chart("open-chart"),
        *counts(
            report["open_at_end"],
            _("Concern"),
            _("Cases"),
            _("Cases open at the end of the period, by concern"),
        ),
        *chart("closed-chart"),
        *counts(
            report["closed"], _("Reason for closing"), _("Cases"), _("Cases closed in the period, by reason")
        ),
        p(_("Follow-up after closure"), h3),
    ]
    if not report["police_readable"]:
        story.append(p(_("Police contacts are not counted: your bureau does not read police records."), hint))
    story += chart("followup-chart")
    story += table(
        [_("Window"), *context["followup_headers"]],
        [
            [r["label"], *(f"{count_text(c['n'])}" + (f" ({c['share']})" if c["share"] not in ("", "—") else "")
                           for c in r["cells_shown"])]
            for r in report["followup"]
        ],
        _("Closed cases and what followed within 6 and 12 months"),
        first_width=0.2,
    )  # fmt: skip
    # 3.
    referral_header = [_("Referrals"), _("Accepted"), _("Declined"), _("Pending"), _("Revoked"),
                       _("Median days to an answer")]  # fmt: skip

    def referral_rows(rows):
        return [
            [r["label"], *r["cells_shown"], "—" if r["median_days"] is None else f"{r['median_days']:g}"]
            for r in rows
        ]

    story += [p(_("3. Referrals between bureaus"), h2), *chart("referrals-chart")]
    story += table([_("To"), *referral_header], referral_rows(report["referrals_sent"]),
                   _("Referrals sent, by receiving bureau"), first_width=0.25)  # fmt: skip
    story += table([_("From"), *referral_header], referral_rows(report["referrals_received"]),
                   _("Referrals received, by sending bureau"), first_width=0.25)  # fmt: skip
    # 4.
    story += [p(_("4. Interventions"), h2), *chart("interventions-chart")]
    story += counts(report["interventions"], _("Kind"), _("Interventions"), _("Interventions, by kind"),
                    _("Young people reached"))  # fmt: skip
    # 5.
    story += [p(_("5. Alerts by rule and their deadlines"), h2), *chart("alerts-chart")]
    story += table(
        [_("Rule"), _("Alerts raised"), _("Decided on time"), _("Missed the deadline"), _("Still within the deadline"),
         _("On-time share")],
        [[r["label"], *r["cells_shown"], r["share_text"]] for r in report["alerts"]],
        _("Alerts raised in the period, per rule"),
        first_width=0.3,
    )  # fmt: skip
    # 6.
    story += [p(_("6. Overrides of the model"), h2), *chart("overrides-chart")]
    total = report["overrides"]["total"]
    story += table(
        [_("Reason"), _("Decisions"), _("Overrides"), _("Override rate")],
        [[r["label"], r["decisions"], r["overrides"], r["rate_text"]] for r in context["override_rows"]]
        + [[_("All decisions"), total["decisions"], total["overrides"], context["override_share_text"]]],
        _("Triage decisions and overrides, by reason given"),
    )
    # 7.
    story += [p(_("7. Score models in use, with their promotion-gate figures"), h2)]
    if not context["gates_connected"]:
        story.append(
            p(
                _(
                    "The promotion-gate figures are kept by the model registry, which has not been connected to "
                    "this report: see each model's report."
                ),
                hint,
            )
        )
    story += chart("models-chart")
    model_rows = []
    for m in report["models"]:
        gate = m["gate"]
        if gate:
            verdict = (
                _("Passed")
                if gate["passed"]
                else (_("Failed; made active by an approved override") if gate["overridden"] else _("Failed"))
            )
            if gate["failed"]:
                verdict += "：" + "、".join(gate["failed"])
            model_rows.append([m["version"], "、".join(m["months"]), verdict, m["roc_auc_text"],
                               m["precision_text"], m["ece_text"]])  # fmt: skip
        else:
            model_rows.append([m["version"], "、".join(m["months"]), _("Not available here"), "", "", ""])
    if not model_rows:
        model_rows.append([_("No scores in this period."), "", "", "", "", ""])
    story += table(
        [_("Model version"), _("Months in use"), _("Promotion gate"), _("ROC AUC (95% interval)"),
         _("Precision at capacity"), _("Calibration error (ECE)")],
        model_rows,
        _("Model versions whose scores were in use in the period, with the months they scored in and their gate "
          "figures"),
        first_width=0.14,
    )  # fmt: skip

    return pdf.build(story, mark, page_numbers=True)
