"""Reference data every installation has: the four bureaus (also made by migration 0014)."""

from __future__ import annotations

from casework.models import (
    BureauKind,
)

BUREAUS = [
    ("police", BureauKind.POLICE, "少年警察隊", "Police juvenile unit"),
    ("committee", BureauKind.COMMITTEE, "少年輔導委員會", "Juvenile guidance committee"),
    ("welfare", BureauKind.WELFARE, "社會局", "Social welfare bureau"),
    ("education", BureauKind.EDUCATION, "教育局", "Education bureau"),
]
