"""A small city for the sealing tests, delivered through the feed contract's command (``import_feed``).

Two people, every name and number invented:
- P (測試安): on a school roster and in a welfare report, with two police contacts: ``SC-P1`` before the
  person-wide notice's ``effective_on`` (sealed by it) and ``SC-P2`` after it (kept).
- Q (測試秘): known only through police contact ``SC-Q1``, which notice ``SN-Q`` names by number.

Every sealed row carries a marker (``SEALMARK``) in its unit and in an extra column, and Q's national ID is
only in Q's contact: after sealing, none of them may be anywhere but in the fact of sealing.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import splink
from django.core.management import call_command

from integrations.feeds.contract import make_national_id
from integrations.linkage import engine
from integrations.models import LinkageModel

MARKER = "SEALMARK"
P_NID = make_national_id("H", 1, "3579246")
Q_NID = make_national_id("F", 2, "8642097")
P = {"name": "測試安", "birth_date": "2011-04-05", "sex": "M", "district": "桃園區", "national_id": P_NID}
Q = {"name": "測試秘", "birth_date": "2010-08-09", "sex": "F", "district": "中壢區", "national_id": Q_NID}

CONTACT_COLUMNS = [
    "contact_no", "occurred_on", "recorded_on", "kind", "code", "unit", "note", "national_id", "name",
    "birth_date", "sex", "district",
]  # fmt: skip


def contact(key: str, person: dict, occurred: str, *, sealed: bool, code: str = "theft", **extra) -> dict:
    unit = f"{MARKER}-{key}-unit" if sealed else f"KEEP-{key}-unit"
    return {
        "contact_no": key,
        "occurred_on": occurred,
        "recorded_on": occurred,
        "kind": "offence",
        "code": code,
        "unit": unit,
        "note": f"{MARKER}-{key}-note" if sealed else "",
        **{k: person[k] for k in ("national_id", "name", "birth_date", "sex", "district")},
        **extra,
    }


P1 = contact("SC-P1", P, "2024-05-01", sealed=True)
P2 = contact("SC-P2", P, "2025-03-01", sealed=False, code="assault")
# Q's contact carries no national ID: the notice that names it does not either (its number is enough).
Q1 = contact("SC-Q1", {**Q, "national_id": Q_NID}, "2024-06-01", sealed=True, code="drugs")
# The same contact re-sent with a contract error (an impossible date) and with changed content.
Q1_MALFORMED = {**Q1, "occurred_on": "2024-13-45"}
P1_CHANGED = {**P1, "code": "fraud_mule", "unit": f"{MARKER}-SC-P1-changed"}

ROSTER = {
    "school_code": "J01",
    "student_no": "S-P",
    "grade": "8",
    "enrolled_on": "2023-09-01",
    "left_on": "",
    "indigenous": "N",
    "new_immigrant_parent": "N",
    **{k: P[k] for k in ("national_id", "name", "birth_date", "sex", "district")},
}
WELFARE = {
    "report_no": "SW-P",
    "reported_on": "2024-02-01",
    "kind": "fragile_family",
    "reason_codes": "economic",
    "level": "medium",
    "substantiated": "Y",
    **{k: P[k] for k in ("name", "birth_date", "sex", "district")},
}
# Person-wide: every police contact of P up to the end of 2024.
NOTICE_P = {
    "notice_no": "SN-P",
    "court_case_no": "113年度少調字第9號",
    "effective_on": "2024-12-31",
    "contact_nos": "",
    **{k: P[k] for k in ("national_id", "name", "birth_date", "sex")},
}
NOTICE_Q = {
    "notice_no": "SN-Q",
    "court_case_no": "113年度少調字第10號",
    "effective_on": "2025-01-15",
    "contact_nos": "SC-Q1",
    **{k: Q[k] for k in ("name", "birth_date", "sex")},
}
# The same notice delivered with a contract error (no birth date): the contact it names is sealed anyway.
NOTICE_Q_MALFORMED = {**NOTICE_Q, "notice_no": "SN-Q-bad", "birth_date": "not a date"}

SEALED_KEYS = ("SC-P1", "SC-Q1")
SECRETS = (MARKER, Q_NID)


def write_csv(path: Path, rows: list[dict]) -> Path:
    columns = list(dict.fromkeys(c for row in rows for c in row))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def deliver(tmp_path: Path, feed: str, rows: list[dict], *, name: str | None = None) -> str:
    """Import rows as a CSV file through ``import_feed``; returns what the command printed."""
    out = io.StringIO()
    path = write_csv(tmp_path / (name or f"{feed}-{len(list(tmp_path.iterdir()))}.csv"), rows)
    call_command("import_feed", feed, str(path), stdout=out)
    return out.getvalue()


def activate_linkage(settings: dict) -> LinkageModel:
    return LinkageModel.objects.create(
        version=1,
        splink_version=splink.__version__,
        settings=settings,
        upper_threshold=engine.UPPER_THRESHOLD,
        lower_threshold=engine.LOWER_THRESHOLD,
        is_active=True,
    )
