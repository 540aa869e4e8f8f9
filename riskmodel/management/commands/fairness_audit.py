"""python manage.py fairness_audit --csv PATH --score-col C --label-col C --group-col C --threshold T
[--reference-group G] [--bootstrap N] [--seed S] [--encoding ENC]"""

import csv
import io
import json
from pathlib import Path

import pandas as pd
from django.core.management.base import BaseCommand, CommandError

from riskmodel.fairness import audit


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
        parser.add_argument("--encoding", help="force an encoding (utf-8, utf-8-sig, cp950, big5)")

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
        **options,
    ):
        file = Path(csv_path)
        if not file.is_file():
            raise CommandError(f"{csv_path}: no such file")
        try:
            table = _read_csv(file.read_bytes(), encoding)
            missing = [c for c in dict.fromkeys((score_col, label_col, group_col)) if c not in table.header]
            if missing:
                raise ValueError(
                    f"missing column(s): {', '.join(missing)} (the file has: {', '.join(table.header)})"
                )
            if not table.rows:
                raise ValueError("the file has no data rows")
            # Index by CSV row number so that an error names the row to fix; every cell stays a string.
            frame = pd.DataFrame(
                [cells for _, cells in table.rows],
                index=[number for number, _ in table.rows],
                columns=table.header,
                dtype=object,
            )
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
        self.stdout.write(json.dumps(result, ensure_ascii=False, allow_nan=False, indent=2))


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())


class _Table:
    def __init__(self, header: list[str], rows: list[tuple[int, dict[str, str]]]):
        self.header, self.rows = header, rows


def _read_csv(data: bytes, encoding: str | None) -> _Table:
    """CSV in UTF-8 (with or without BOM) or CP950/Big5, detected (riskmodel does not import integrations'
    feed reader: the two apps stand apart)."""
    if encoding is None:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = data.decode("cp950")
            except UnicodeDecodeError as exc:
                raise ValueError("the file is neither UTF-8 nor CP950/Big5 text") from exc
    else:
        try:
            text = data.decode(encoding)
        except (LookupError, UnicodeDecodeError) as exc:
            raise ValueError(f"cannot read the file as {encoding}: {exc}") from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip() for h in next(reader, [])]
    if not header:
        raise ValueError("the file has no header row")
    rows = []
    for number, cells in enumerate(reader, start=1):
        if not any(c.strip() for c in cells):
            continue
        rows.append((number, {h: (cells[i] if i < len(cells) else "") for i, h in enumerate(header)}))
    return _Table(header, rows)
