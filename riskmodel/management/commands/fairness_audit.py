"""python manage.py fairness_audit --csv PATH --score-col C --label-col C --group-col C --threshold T
[--reference-group G] [--bootstrap N] [--seed S] [--encoding ENC] [--drop-missing]

Reads the files people really have (docs/fairness.md, "The command"): UTF-8 with or without a BOM, UTF-16 with
a BOM (Excel's "Unicode text"), CP950/Big5; CRLF line ends; numbers in quotes, with spaces or in full-width
digits; a column name repeated with the same values (read once, said on stderr). Anything it cannot read
stops it with a one-line error that names the row or column, never a traceback.
"""

import csv
import io
import json
import re
import unicodedata
from pathlib import Path

import pandas as pd
from django.core.management.base import BaseCommand, CommandError

from riskmodel.fairness import audit

# Cells that say "no value" in published tables (R's NA, pandas' NaN, SQL's NULL, Excel's #N/A, ...).
MISSING = {"", "na", "n/a", "nan", "null", "none", "#n/a", "missing", "-", "?"}
# Quotes around a value that CSV quoting did not remove: '0.4', "0.4" inside a quoted field, Excel's leading
# apostrophe, and the typographic quotes a word processor puts in.
QUOTES = "'\"‘’“”"
# A published column can hold long text (a free-text note); csv's default limit is 128 kB per field.
FIELD_LIMIT = 16 * 1024 * 1024


class Command(BaseCommand):
    help = (
        "Bias audit of any scored table (CSV, UTF-8 or CP950/Big5, detected): a row is flagged when its score "
        "is at least the threshold. Prints per-group counts and rates, disparities to the reference group "
        "(the largest group unless --reference-group), flags outside 0.8-1.25, calibration and, with "
        "--bootstrap, 95% intervals, as JSON. See docs/fairness.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("--csv", required=True, dest="csv_path", metavar="PATH")
        parser.add_argument("--score-col", required=True, help="column of numeric scores")
        parser.add_argument("--label-col", required=True, help="column of outcomes: 0/1, true/false or Y/N")
        parser.add_argument("--group-col", required=True, help="column whose values form the groups")
        parser.add_argument("--threshold", required=True, type=float, help="flag rows with score >= T")
        parser.add_argument("--reference-group", help="group the others are compared with (default: largest)")
        parser.add_argument(
            "--bootstrap", type=int, default=0, metavar="N", help="resamples for 95%% intervals (0 = none)"
        )
        parser.add_argument("--seed", type=int, default=0, help="random seed for --bootstrap")
        parser.add_argument("--encoding", help="force an encoding (utf-8, utf-8-sig, utf-16, cp950, big5)")
        parser.add_argument(
            "--drop-missing",
            action="store_true",
            help="leave out rows whose score or label is blank, NA, NaN or NULL (counted on stderr) "
            "instead of stopping",
        )

    def handle(
        self,
        *args,
        csv_path: str,
        score_col: str,
        label_col: str,
        group_col: str,
        threshold: float,
        reference_group: str | None = None,
        bootstrap: int = 0,
        seed: int = 0,
        encoding: str | None = None,
        drop_missing: bool = False,
        **options,
    ):
        file = Path(csv_path)
        if not file.is_file():
            raise CommandError(f"{csv_path}: no such file")
        notes: list[str] = []
        try:
            table = _read_csv(file.read_bytes(), encoding)
            wanted = list(dict.fromkeys((score_col, label_col, group_col)))
            where = _columns(table, wanted, notes)
            if not table.rows:
                raise ValueError("the file has no data rows")
            frame = pd.DataFrame(
                [[_cell(cells, where[c]) for c in wanted] for _, cells in table.rows],
                index=[number for number, _ in table.rows],
                columns=wanted,
                dtype=object,
            )
            frame[score_col] = frame[score_col].map(_number_text)
            frame[label_col] = frame[label_col].map(_unquoted)
            frame = _missing(frame, [score_col, label_col], drop=drop_missing, notes=notes)
            result = audit(
                frame,
                score_col,
                label_col,
                group_col,
                threshold,
                reference_group=reference_group,
                bootstrap=bootstrap,
                seed=seed,
            )
        except ValueError as exc:  # includes ContractError
            raise CommandError(f"{csv_path}: {_one_line(exc)}") from exc
        except csv.Error as exc:
            raise CommandError(f"{csv_path}: not a CSV file this command can read: {_one_line(exc)}") from exc
        for note in notes:
            self.stderr.write(f"{csv_path}: {note}")
        self.stdout.write(json.dumps(result, ensure_ascii=False, allow_nan=False, indent=2))


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())


class _Table:
    def __init__(self, header: list[str], rows: list[tuple[int, list[str]]]):
        self.header, self.rows = header, rows


def _decode(data: bytes, encoding: str | None) -> str:
    """UTF-8 (with or without BOM), UTF-16 with a BOM, or CP950/Big5, detected (riskmodel does not import
    integrations' feed reader: the two apps stand apart); ``encoding`` forces one."""
    if encoding is not None:
        try:
            return data.decode(encoding)
        except (LookupError, UnicodeDecodeError) as exc:
            raise ValueError(f"cannot read the file as {encoding}: {exc}") from exc
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ValueError(f"the file starts like UTF-16 text but is not: {exc}") from exc
    for candidate in ("utf-8-sig", "cp950"):
        try:
            return data.decode(candidate)
        except UnicodeDecodeError:
            continue
    raise ValueError("the file is neither UTF-8, UTF-16 (with a BOM) nor CP950/Big5 text")


def _read_csv(data: bytes, encoding: str | None) -> _Table:
    text = _decode(data, encoding).replace("\ufeff", "")
    if "\x00" in text:
        raise ValueError(
            "the file contains NUL bytes: it is not CSV text (an Excel workbook? save it as CSV first)"
        )
    csv.field_size_limit(max(csv.field_size_limit(), FIELD_LIMIT))
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    while header is not None and not any(c.strip() for c in header):
        header = next(reader, None)
    if not header:
        raise ValueError("the file has no header row")
    header = [h.strip() for h in header]
    rows = []
    for number, cells in enumerate(reader, start=1):
        if not any(c.strip() for c in cells):
            continue
        extra = cells[len(header) :]
        if any(c.strip() for c in extra):
            raise ValueError(
                f"row {number} has {len(cells)} cells but the header has {len(header)} (a comma inside a value "
                "that is not in quotes?)"
            )
        rows.append((number, cells))
    return _Table(header, rows)


def _columns(table: _Table, wanted: list[str], notes: list[str]) -> dict[str, int]:
    """Where each wanted column is. A name the header repeats is read once when every copy holds the same
    values (said in ``notes``); when the copies differ the error names the positions and the first row where
    they part."""
    positions: dict[str, list[int]] = {}
    for i, name in enumerate(table.header):
        positions.setdefault(name, []).append(i)
    missing = [c for c in wanted if c not in positions]
    if missing:
        raise ValueError(
            f"missing column(s): {', '.join(missing)} (the file has: {', '.join(dict.fromkeys(table.header))})"
        )
    for name, where in positions.items():
        if len(where) < 2:
            continue
        shown = ", ".join(str(i + 1) for i in where)
        for number, cells in table.rows:
            values = [_cell(cells, i).strip() for i in where]
            if len(set(values)) > 1:
                parts = " and ".join(f"{v!r} in column {i + 1}" for v, i in zip(values, where, strict=True))
                if name in wanted:
                    raise ValueError(
                        f"the column name {name!r} appears at positions {shown} with different values "
                        f"(row {number}: {parts}); rename one of them"
                    )
                notes.append(f"column {name!r} appears at positions {shown} with different values; not used")
                break
        else:
            notes.append(f"column {name!r} appears at positions {shown} with the same values: read once")
    return {c: positions[c][0] for c in wanted}


def _cell(cells: list[str], index: int) -> str:
    return cells[index] if index < len(cells) else ""


def _unquoted(value: str) -> str:
    """A cell without surrounding spaces and the quotes CSV quoting left in (NFKC: full-width digits and
    letters become ASCII)."""
    text = unicodedata.normalize("NFKC", value).strip()
    while len(text) >= 2 and text[0] in QUOTES and text[-1] in QUOTES:
        text = text[1:-1].strip()
    return text.lstrip("'").strip()


def _number_text(value: str) -> str:
    """A score as a number's text: unquoted, and with thousands separators removed ('1,234.5')."""
    text = _unquoted(value)
    if re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?", text):
        text = text.replace(",", "")
    return text


def _missing(frame: pd.DataFrame, columns: list[str], *, drop: bool, notes: list[str]) -> pd.DataFrame:
    """Rows whose score or label says "no value": left out with ``drop`` (counted in ``notes``), otherwise
    a one-line error that counts them and names the first rows."""
    gone = pd.Series(False, index=frame.index)
    for column in columns:
        blank = frame[column].map(lambda v: v.strip().lower() in MISSING)
        if not blank.any():
            continue
        rows = list(blank[blank].index)
        named = ", ".join(str(r) for r in rows[:5]) + (f" and {len(rows) - 5} more" if len(rows) > 5 else "")
        if not drop:
            raise ValueError(
                f"column {column!r} has no value (blank, NA, NaN or NULL) in {len(rows)} row(s): {named}. An audit "
                "needs every row's score and outcome; --drop-missing leaves such rows out"
            )
        notes.append(f"left out {len(rows)} row(s) with no value in column {column!r}: {named}")
        gone |= blank
    kept = frame[~gone]
    if kept.empty:
        raise ValueError("no row has both a score and a label")
    return kept
