"""Spelling and encoding of the feed files: how each bureau's export looks."""

from __future__ import annotations

import csv
import datetime
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from integrations.synthetic import dates
from integrations.synthetic.dirt import Broken


@dataclass(frozen=True)
class FileStyle:
    """How one feed file is written.

    ``dates`` gives the date spellings and their shares (chosen per row); ``bools`` and ``sexes`` give
    the spellings of true/false and male/female.
    """

    encoding: str  # "utf-8", "utf-8-sig" (with BOM) or "cp950"
    dates: tuple[tuple[str, float], ...] = (("iso", 1.0),)
    bools: tuple[str, str] = ("Y", "N")
    sexes: tuple[str, str] = ("M", "F")
    newline: str = "\n"


FILE_STYLES: dict[str, FileStyle] = {
    "school.students": FileStyle("utf-8-sig"),  # bools and sex are spelled per school, see ROSTER_SPELLINGS
    "school.absences": FileStyle("utf-8"),
    "school.dropouts": FileStyle("utf-8", dates=(("roc_slash3", 1.0),)),
    "school.incidents": FileStyle("utf-8-sig"),
    "school.counselling": FileStyle("utf-8"),
    "police.contacts": FileStyle(
        "utf-8-sig", dates=(("iso", 0.85), ("roc_compact", 0.15)), sexes=("男", "女")
    ),
    "welfare.reports": FileStyle(
        "cp950",
        dates=(("roc_slash3", 0.55), ("roc_slash", 0.2), ("roc_compact", 0.15), ("roc_dot", 0.1)),
        bools=("是", "否"),
        sexes=("男", "女"),
        newline="\r\n",
    ),
    "welfare.assistance": FileStyle(
        "cp950", dates=(("roc_compact", 0.7), ("roc_slash3", 0.3)), sexes=("1", "2"), newline="\r\n"
    ),
    "court.sealing": FileStyle("utf-8", dates=(("roc_dot", 0.6), ("roc_slash3", 0.4))),
}
# Each school's system spells booleans and sex its own way.
ROSTER_SPELLINGS = ((("Y", "N"), ("M", "F")), (("1", "0"), ("1", "2")), (("true", "false"), ("男", "女")),
                    (("是", "否"), ("M", "F")))  # fmt: skip


def broken_text(marker: Broken, style: str) -> str:
    """A date cell that no contract reader accepts, in the spelling of its file."""
    original = marker.original
    if marker.reason in ("missing_birth_date", "missing_name"):
        return ""
    if not isinstance(original, datetime.date):
        return "不詳"
    if marker.reason == "bad_month":
        return dates.format_ymd(original.year, 13, original.day, style)
    if marker.reason == "bad_day":
        return dates.format_ymd(original.year, original.month, 30 if original.month == 2 else 32, style)
    return "不詳"


def format_cell(
    value: object, date_style: str, bools: tuple[str, str], sexes: tuple[str, str], column: str
) -> str:
    """One cell as text."""
    if value is None:
        return ""
    if isinstance(value, Broken):
        value.written = broken_text(value, date_style)
        return value.written
    if isinstance(value, bool):
        return bools[0] if value else bools[1]
    if isinstance(value, datetime.date):
        return dates.format_date(value, date_style)
    if column == "sex":
        return {"M": sexes[0], "F": sexes[1]}.get(value, "")
    if isinstance(value, list):
        return ";".join(ref["contact_no"] for ref in value)
    return str(value)


def write_table(
    path: Path,
    columns: tuple[str, ...],
    rows: list[dict],
    style: FileStyle,
    rng: np.random.Generator,
    per_row_spelling: list[tuple[tuple[str, str], tuple[str, str]]] | None = None,
) -> None:
    """Write rows (typed values) to ``path`` in ``style``."""
    names = [s for s, _ in style.dates]
    probs = np.asarray([p for _, p in style.dates])
    pick = rng.choice(len(names), size=len(rows), p=probs / probs.sum()) if rows else []
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator=style.newline)
    writer.writerow(columns)
    for j, row in enumerate(rows):
        ds = names[pick[j]]
        bools, sexes = per_row_spelling[j] if per_row_spelling else (style.bools, style.sexes)
        writer.writerow([format_cell(row.get(c), ds, bools, sexes, c) for c in columns])
    path.write_bytes(buf.getvalue().encode(style.encoding))


def write_lines(path: Path, header: str, lines: list[str], style: FileStyle) -> None:
    """Write preformatted CSV lines (no quoting needed) to ``path``."""
    text = style.newline.join([header, *lines]) + style.newline
    path.write_bytes(text.encode(style.encoding))
