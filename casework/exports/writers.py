"""The one way to write an export (CSV, XLSX or JSON): formula-safe, watermarked, logged before it leaves.

Every export, whatever page or command asks for it, goes through :func:`render_export` (bytes, for commands)
or :func:`write_export` / :func:`write_sheets` (an HTTP download). They:

1. take rows the caller has already scoped through ``casework.access.policy`` (this module never queries data);
2. write one ``AuditEntry`` with action ``export`` (format, row counts, filter query, title) *before* any
   byte is produced; that entry's id is the **export number**;
3. mark the file with who exported it, their roles, when (Asia/Taipei), the export number and a
   confidentiality line in Traditional Chinese and English: comment lines at the top of a CSV; header rows,
   workbook properties and the printed page header/footer of an XLSX; a ``watermark`` object in JSON;
4. neutralise spreadsheet formula injection in every text cell (OWASP "CSV injection"): text starting with
   ``= + - @``, a tab or a carriage return, or their full-width forms, gets a leading single quote, so a
   spreadsheet shows it as text instead of running it. Numbers, dates and booleans keep their type.

JSON keeps text exactly as held (it is not opened by spreadsheets, and a lawful copy must be faithful); it is
served as an attachment with ``nosniff`` so no browser renders it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import models
from django.http import HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from casework.access.audit import Actor, record
from casework.clock import TAIPEI
from casework.models import AuditAction, AuditEntry, Youth


class ExportFormat:
    CSV = "csv"
    XLSX = "xlsx"
    JSON = "json"

    TABLE = (CSV, XLSX)  # one table: every list and report export
    ALL = (CSV, XLSX, JSON)

    CONTENT_TYPES = {
        CSV: "text/csv; charset=utf-8",
        XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        JSON: "application/json; charset=utf-8",
    }


# Characters a spreadsheet reads as the start of a formula (OWASP), with the full-width forms a Chinese IME
# types, which some spreadsheet programs normalise to the ASCII ones.
FORMULA_PREFIXES = frozenset("=+-@\t\r＝＋－＠")
# Spaces a spreadsheet may skip before it looks for a formula sign (" =1+1" is a formula in some programs).
_LEADING_SPACE = " \u3000\u00a0\n"
# XLSX (XML 1.0) cannot hold most control characters; openpyxl refuses them.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
XLSX_CELL_LIMIT = 32767


def neutralise(text: str) -> str:
    """Text as it may go into a spreadsheet cell: prefixed with ``'`` when it could start a formula."""
    stripped = text.lstrip(_LEADING_SPACE)
    if stripped and stripped[0] in FORMULA_PREFIXES or text[:1] in FORMULA_PREFIXES:
        return "'" + text
    return text


def taipei(value: dt.datetime) -> dt.datetime:
    """An aware datetime as Taipei wall-clock time, without tzinfo (spreadsheets have no time zones)."""
    if value.tzinfo is None:
        return value
    return value.astimezone(TAIPEI).replace(tzinfo=None)


def cell_value(value: Any) -> Any:
    """A value as it goes into a spreadsheet cell: numbers, booleans and dates keep their type; everything
    else becomes formula-safe text."""
    if value is None:
        return ""
    if isinstance(value, bool | int | float):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.datetime):
        return taipei(value).replace(microsecond=0)
    if isinstance(value, dt.date):
        return value
    if isinstance(value, dict | list | tuple):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return neutralise(str(value))


def json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(TAIPEI).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


@dataclass(frozen=True)
class Column:
    """One column: the row key it reads and its heading (translated by the caller)."""

    key: str
    label: str


@dataclass
class Sheet:
    """One table of an export. ``rows`` are mappings from column key to value; ``name`` is the (translated)
    sheet title, ``key`` a stable English name used in JSON and in the audit entry."""

    name: str
    columns: Sequence[Column]
    rows: list[Mapping[str, Any]] = field(default_factory=list)
    key: str = ""

    @classmethod
    def of(
        cls, name: str, columns: Sequence[Column], rows: Iterable[Mapping[str, Any]], key: str = ""
    ) -> Sheet:
        return cls(name=name, columns=list(columns), rows=list(rows), key=key)

    @property
    def id(self) -> str:
        return self.key or self.name


def columns(*pairs: tuple[str, str]) -> list[Column]:
    return [Column(key, str(label)) for key, label in pairs]


def model_rows(
    objects: Iterable[models.Model], cols: Sequence[Column], getters: Mapping[str, Callable] | None = None
) -> list[dict[str, Any]]:
    """Rows from model instances: each column reads ``getters[key](obj)`` if given, else the attribute; a
    field with choices gives its label."""
    getters = getters or {}
    rows = []
    for obj in objects:
        row = {}
        for col in cols:
            if col.key in getters:
                row[col.key] = getters[col.key](obj)
                continue
            display = getattr(obj, f"get_{col.key}_display", None)
            row[col.key] = display() if callable(display) else getattr(obj, col.key, None)
        rows.append(row)
    return rows


# ---------------------------------------------------------------------------------------------------------
# The watermark
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Watermark:
    """Who exported what and when, under which export number."""

    number: int
    username: str
    full_name: str
    roles: str
    at: dt.datetime  # Taipei wall-clock time
    title: str
    reference: str = ""

    @property
    def who(self) -> str:
        name = f"{self.username} ({self.full_name})" if self.full_name else self.username
        return name or "system"

    @property
    def when(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} Asia/Taipei"

    def lines(self) -> list[str]:
        """The watermark as lines: in the reader's language, then the confidentiality notice in both
        languages (the file may travel to a reader of either)."""
        lines = [
            self.title,
            _("Export number: %(number)s") % {"number": self.number},
            _("Exported by: %(who)s") % {"who": self.who},
            _("Roles: %(roles)s") % {"roles": self.roles or "—"},
            _("Exported at: %(when)s") % {"when": self.when},
        ]
        if self.reference:
            lines.append(_("Request reference: %(reference)s") % {"reference": self.reference})
        lines.extend(confidentiality_lines())
        return lines

    def as_dict(self) -> dict[str, Any]:
        return {
            "export_number": self.number,
            "title": self.title,
            "exported_by": self.username or "system",
            "full_name": self.full_name,
            "roles": self.roles,
            "exported_at": self.at.replace(tzinfo=TAIPEI).isoformat(),
            "request_reference": self.reference,
            "confidentiality": confidentiality_lines(),
        }


# Marked for translation here, translated into both languages in confidentiality_lines().
CONFIDENTIALITY = gettext_noop(
    "Confidential personal data of a minor (Personal Data Protection Act; Juvenile Justice Act). For the "
    "stated purpose only: do not copy, forward or publish. Destroy when no longer needed."
)


def confidentiality_lines() -> list[str]:
    """The confidentiality notice in Traditional Chinese and in English, whatever the reader's language."""
    out = []
    for language in ("zh-hant", "en"):
        with translation.override(language):
            text = _(CONFIDENTIALITY)
        if text not in out:
            out.append(text)
    return out


def _watermark(entry: AuditEntry, actor: Actor, title: str, reference: str) -> Watermark:
    user = actor.user if getattr(actor.user, "is_authenticated", False) else None
    return Watermark(
        number=entry.pk,
        username=entry.username or (actor.path if user is None else ""),
        full_name=user.get_full_name() if user is not None else "",
        roles=entry.roles_label,
        at=taipei(entry.at),
        title=title,
        reference=reference,
    )


# ---------------------------------------------------------------------------------------------------------
# Writers
# ---------------------------------------------------------------------------------------------------------


def _csv_bytes(sheet: Sheet, mark: Watermark) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for line in mark.lines():
        writer.writerow([f"# {line}"])
    writer.writerow([neutralise(c.label) for c in sheet.columns])
    for row in sheet.rows:
        values = []
        for col in sheet.columns:
            value = cell_value(row.get(col.key))
            if isinstance(value, bool):
                value = "TRUE" if value else "FALSE"
            elif isinstance(value, dt.datetime):
                value = f"{value:%Y-%m-%d %H:%M:%S}"
            elif isinstance(value, dt.date):
                value = value.isoformat()
            values.append(value)
        writer.writerow(values)
    # UTF-8 with a byte-order mark: Excel in Taiwan otherwise reads the file as CP950 and garbles Chinese.
    return "\ufeff".encode() + out.getvalue().encode("utf-8")


def _xlsx_text(value: Any) -> Any:
    if isinstance(value, str):
        value = _ILLEGAL_XML.sub("\ufffd", value)[:XLSX_CELL_LIMIT]
    return value


def _header_footer_text(text: str) -> str:
    # "&" starts a code in Excel's header/footer language; the whole header is limited to 255 characters.
    return text.replace("&", "&&")[:80]


def _sheet_title(name: str, used: set[str]) -> str:
    title = re.sub(r"[\[\]\*\?/\\:]", " ", name).strip()[:31] or "Sheet"
    base, n = title, 2
    while title in used:
        suffix = f" {n}"
        title = base[: 31 - len(suffix)] + suffix
        n += 1
    used.add(title)
    return title


def _xlsx_bytes(sheets: Sequence[Sheet], mark: Watermark) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    props = wb.properties
    props.creator = mark.who
    props.lastModifiedBy = mark.who
    props.title = mark.title
    props.subject = _("Export number: %(number)s") % {"number": mark.number}
    props.identifier = str(mark.number)
    props.description = "\n".join(mark.lines())
    props.keywords = "confidential"
    bold = Font(bold=True)
    muted = Font(italic=True, color="555555")
    used: set[str] = set()
    for sheet in sheets:
        ws = wb.create_sheet(_sheet_title(sheet.name, used))
        for line in mark.lines():
            ws.append([_xlsx_text(neutralise(line))])
            ws.cell(row=ws.max_row, column=1).font = muted
        ws.append([])
        ws.append([_xlsx_text(neutralise(c.label)) for c in sheet.columns])
        header_row = ws.max_row
        for cell in ws[header_row]:
            cell.font = bold
        for row in sheet.rows:
            ws.append([_xlsx_text(cell_value(row.get(c.key))) for c in sheet.columns])
        for cells in ws.iter_rows(min_row=header_row + 1):
            for cell in cells:
                if isinstance(cell.value, dt.datetime):
                    cell.number_format = "yyyy-mm-dd hh:mm:ss"
                elif isinstance(cell.value, dt.date):
                    cell.number_format = "yyyy-mm-dd"
                elif isinstance(cell.value, str):
                    # Never let a spreadsheet reinterpret text (openpyxl would store "=..." as a formula).
                    cell.data_type = "s"
        ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
        for i, col in enumerate(sheet.columns, start=1):
            ws.column_dimensions[get_column_letter(i)].width = min(max(10, len(col.label) * 2 + 2), 40)
        # Printed pages carry the mark too: a photocopy of a printout is still traceable.
        notice = confidentiality_lines()
        ws.oddHeader.center.text = _header_footer_text(f"{notice[0][:30]} · #{mark.number}")
        ws.oddHeader.right.text = _header_footer_text(f"#{mark.number}")
        ws.oddFooter.left.text = _header_footer_text(f"{mark.who} · {mark.when}")
        ws.oddFooter.right.text = "&P / &N"
        ws.print_title_rows = f"{header_row}:{header_row}"
    if not wb.worksheets:
        wb.create_sheet("-")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _json_bytes(sheets: Sequence[Sheet], mark: Watermark) -> bytes:
    body = {
        "watermark": mark.as_dict(),
        "sheets": {
            sheet.id: [{c.key: json_value(row.get(c.key)) for c in sheet.columns} for row in sheet.rows]
            for sheet in sheets
        },
        "sheet_titles": {sheet.id: sheet.name for sheet in sheets},
        "columns": {sheet.id: {c.key: c.label for c in sheet.columns} for sheet in sheets},
    }
    return json.dumps(body, ensure_ascii=False, indent=2).encode("utf-8")


# ---------------------------------------------------------------------------------------------------------
# The entry points
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportFile:
    content: bytes
    filename: str
    content_type: str
    entry: AuditEntry

    @property
    def number(self) -> int:
        return self.entry.pk


def render_export(
    sheets: Sequence[Sheet],
    fmt: str,
    actor: Actor,
    *,
    title: str,
    query: Mapping[str, Any],
    object_type: str,
    filename_stem: str,
    youth: Youth | None = None,
    reference: str = "",
    detail: Mapping[str, Any] | None = None,
) -> ExportFile:
    """Log the export, then write it. The audit entry exists before any byte does; its id is the export
    number printed in the file and its name."""
    if fmt not in ExportFormat.ALL:
        raise ValueError(f"unknown export format {fmt!r}")
    if fmt == ExportFormat.CSV and len(sheets) != 1:
        raise ValueError("a CSV export holds exactly one table")
    counts = {sheet.id: len(sheet.rows) for sheet in sheets}
    entry = record(
        actor,
        AuditAction.EXPORT,
        youth=youth,
        detail={
            "format": fmt,
            "title": title,
            "object_type": object_type,
            "rows": sum(counts.values()),
            "sheets": counts,
            "query": {str(k): json_value(v) for k, v in query.items()},
            **({"reference": reference} if reference else {}),
            **(detail or {}),
        },
    )
    mark = _watermark(entry, actor, title, reference)
    if fmt == ExportFormat.CSV:
        content = _csv_bytes(sheets[0], mark)
    elif fmt == ExportFormat.XLSX:
        content = _xlsx_bytes(sheets, mark)
    else:
        content = _json_bytes(sheets, mark)
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", filename_stem).strip("-") or "export"
    return ExportFile(
        content=content,
        filename=f"{stem}-export-{entry.pk:06d}.{fmt}",
        content_type=ExportFormat.CONTENT_TYPES[fmt],
        entry=entry,
    )


def as_response(export: ExportFile) -> HttpResponse:
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    # Personal data: no shared or browser cache keeps a copy.
    response["Cache-Control"] = "no-store, private"
    response["X-Export-Number"] = str(export.number)
    return response


def write_sheets(sheets: Sequence[Sheet], fmt: str, actor: Actor, **kwargs) -> HttpResponse:
    """An export of one or more tables as a download (see :func:`render_export` for the arguments)."""
    return as_response(render_export(sheets, fmt, actor, **kwargs))


def write_export(
    rows: Iterable[Mapping[str, Any]],
    cols: Sequence[Column],
    fmt: str,
    actor: Actor,
    *,
    title: str,
    query: Mapping[str, Any],
    object_type: str,
    filename_stem: str,
    **kwargs,
) -> HttpResponse:
    """An export of one table as a download: the usual case (lists and reports)."""
    sheet = Sheet.of(title, cols, rows, key=object_type)
    return write_sheets(
        [sheet],
        fmt,
        actor,
        title=title,
        query=query,
        object_type=object_type,
        filename_stem=filename_stem,
        **kwargs,
    )
