"""Sealing on SQLite, the demo's database: the feed contract's commands in a subprocess on a fresh SQLite file.

The suite runs on PostgreSQL; a lookup SQLite lacks (JSON containment) once made every import fail in the demo
after an ID-less notice (insider review 16, N1). This plays the orders that review used, through
``import_feed`` and ``link_records``, and checks that each command succeeds and what it left.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from integrations.feeds.contract import make_national_id

ROOT = Path(__file__).resolve().parents[2]
HEADER = "contact_no,occurred_on,recorded_on,kind,code,unit,national_id,name,name_romanized,birth_date,sex\n"
NOTICE = "notice_no,court_case_no,effective_on,contact_nos,national_id,name,birth_date,sex\n"
ONE, TWO, THREE = (make_national_id("F", 1, f"264000{i}") for i in (1, 2, 3))

FILES = {
    "police1.csv": HEADER
    + f"SQ-C1-001,2024-05-01,2024-05-02,deviant,runaway,測試分局,{ONE},測試霖,,2012-09-09,M\n",
    # An ordinary ID-less notice for one child.
    "notice1.csv": NOTICE + "SQ-N-C,SQ-COURT-C,2026-12-07,,,測試霖,2012-09-09,M\n",
    "police2.csv": HEADER + "SQ-Z-001,2024-06-01,2024-06-02,deviant,runaway,測試分局,,測試怡,,2011-06-06,F\n",
    # Two children with one name and birth date, then an ID-less notice naming them.
    "police3.csv": HEADER
    + f"SQ-A1-001,2024-05-01,2024-05-02,deviant,runaway,測試分局,{TWO},測試諺,,2012-07-07,M\n"
    + f"SQ-A2-001,2024-05-01,2024-05-02,deviant,runaway,測試分局,{THREE},測試諺,,2012-07-07,M\n",
    "notice2.csv": NOTICE + "SQ-N-A,SQ-COURT-A,2026-12-07,,,測試諺,2012-07-07,M\n",
}
STEPS = [
    ("import_feed", "police.contacts", "police1.csv"),
    ("link_records",),
    ("import_feed", "court.sealing", "notice1.csv"),
    ("import_feed", "police.contacts", "police2.csv"),
    ("import_feed", "police.contacts", "police3.csv"),
    ("import_feed", "court.sealing", "notice2.csv"),
    ("link_records",),
]
REPORT = """
import json
from integrations.models import QuarantinedRow, SealingAction, SourceRecord
print(json.dumps({
    "actions": {a.notice_key: [a.contested, a.sealed_keys] for a in SealingAction.objects.all()},
    "waiting": sorted(q.record_key for q in QuarantinedRow.objects.filter(feed="court.sealing")),
    "contacts": sorted(SourceRecord.objects.filter(feed="police.contacts").values_list("record_key", flat=True)),
}))
"""


def test_the_sealing_orders_of_review_16_run_on_sqlite(tmp_path):
    for name, text in FILES.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "CELERY_BROKER_URL": "",
    }

    def manage(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, (args, done.stdout[-2000:], done.stderr[-4000:])
        return done.stdout

    manage("migrate", "-v0")
    for step in STEPS:
        manage(*[str(tmp_path / part) if part.endswith(".csv") else part for part in step])
    found = json.loads(manage("shell", "-c", REPORT).strip().splitlines()[-1])
    # The one child's notice sealed their contact; the unrelated child's contact came in afterwards.
    assert found["actions"]["SQ-N-C"] == [False, ["SQ-C1-001"]]
    # The notice two children share sealed nobody and waits for the court.
    assert found["actions"]["SQ-N-A"][0] is True and found["actions"]["SQ-N-A"][1] == []
    assert found["waiting"] == ["SQ-N-A"]
    assert found["contacts"] == ["SQ-A1-001", "SQ-A2-001", "SQ-Z-001"]
