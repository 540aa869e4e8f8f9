"""The minutes of a liaison meeting as a PDF, in Traditional Chinese, watermarked and logged like every export.

reportlab's built-in CID font ``MSung-Light`` sets Traditional Chinese with no font file. The watermark (who,
their roles, when, the export number, the confidentiality notice in both languages) is the exports' own
(``casework.exports.writers.Watermark``), printed on every page; the ``export`` row of the access log is
written before any byte of the file, and its id is the export number. The minutes carry youth IDs, never
names: a file leaves the platform's access control (policy, "Exports").
"""

from __future__ import annotations

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from casework import pdf
from casework.access.audit import Actor, record
from casework.clock import TAIPEI
from casework.exports.writers import Watermark, taipei
from casework.models import AuditAction, Meeting

FONT = pdf.FONT


def _person(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else ""


def minutes_pdf(*, actor: Actor, meeting: Meeting) -> tuple[bytes, int]:
    """The minutes as PDF bytes and the export number. The caller has checked ``policy.can_export_minutes``."""
    items = list(
        meeting.items.filter(removed_at__isnull=True)
        .select_related("youth")
        .prefetch_related("action_items__owner_bureau", "action_items__owner_user", "bureaus")
    )
    entry = record(
        actor,
        AuditAction.EXPORT,
        meeting,
        detail={
            "format": "pdf",
            "title": "minutes",
            "items": len(items),
            "youth": sorted({i.youth.public_id for i in items if i.youth_id}),
        },
    )
    user = actor.user if getattr(actor.user, "is_authenticated", False) else None
    with translation.override("zh-hant"):
        mark = Watermark(
            number=entry.pk,
            username=entry.username,
            full_name=user.get_full_name() if user else "",
            roles=entry.roles,
            at=taipei(entry.at),
            title=_("Minutes of liaison meeting %(title)s") % {"title": meeting.title},
        )
        return _render(meeting, items, mark), entry.pk


def _render(meeting: Meeting, items, mark: Watermark) -> bytes:
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

    pdf.register_font()
    body = ParagraphStyle("body", fontName=FONT, fontSize=10, leading=15, wordWrap="CJK")
    small = ParagraphStyle("small", parent=body, fontSize=8, leading=11, textColor=colors.HexColor("#555555"))
    h1 = ParagraphStyle("h1", parent=body, fontSize=16, leading=22, spaceAfter=6)
    h2 = ParagraphStyle("h2", parent=body, fontSize=12, leading=18, spaceBefore=8, spaceAfter=4)

    def p(text, style=body):
        return Paragraph(escape(str(text)).replace("\n", "<br/>"), style)

    starts = timezone.localtime(meeting.starts_at, TAIPEI)
    story = [
        p(_("Juvenile guidance committee: liaison meeting minutes"), h1),
        p(meeting.title, h2),
        p(_("Date: %(when)s") % {"when": f"{starts:%Y-%m-%d %H:%M}"}),
        p(_("Chair: %(who)s") % {"who": _person(meeting.chair)}),
        p(
            _("Bureaus invited: %(list)s")
            % {"list": "、".join(b.display_name for b in meeting.invited_bureaus.order_by("code"))}
        ),
        p(
            _("Attended: %(list)s")
            % {"list": "、".join(_person(u) for u in meeting.attendees.order_by("username")) or "—"}
        ),
    ]
    if meeting.other_attendees:
        story.append(p(_("Also attended: %(list)s") % {"list": meeting.other_attendees}))
    if meeting.notes:
        story.append(p(_("Notes: %(text)s") % {"text": meeting.notes}))
    story.append(Spacer(1, 4 * mm))
    for n, item in enumerate(items, start=1):
        youth = item.youth.public_id if item.youth_id else _("General item")
        story.append(p(f"{n}. {item.get_kind_display()} · {youth}", h2))
        story.append(p(item.summary))
        if item.note:
            story.append(p(_("Secretariat's note: %(text)s") % {"text": item.note}, small))
        story.append(p(_("Decision: %(text)s") % {"text": item.decision or _("none recorded")}))
        actions = list(item.action_items.all())
        if actions:
            rows = [[p(_("Task")), p(_("Owner")), p(_("Due")), p(_("Status"))]]
            for a in actions:
                rows.append(
                    [
                        p(a.text),
                        p(a.owner_label),
                        p(a.due_on.isoformat()),
                        p(_("done") if a.is_done else _("open")),
                    ]
                )
            table = Table(rows, colWidths=[85 * mm, 40 * mm, 25 * mm, 20 * mm])
            table.setStyle(
                TableStyle(
                    [
                        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                        ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ]
                )
            )
            story.append(table)
    if not items:
        story.append(p(_("The agenda was empty.")))

    return pdf.build(story, mark)
