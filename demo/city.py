"""The demo city: a synthetic city generated, imported through the feed contract, linked, and given the
day-to-day casework (alerts, cases, referrals, interventions) a platform in use would hold."""

from __future__ import annotations

import csv
import datetime as dt
import random
import tempfile
from pathlib import Path

from django.utils import timezone

from casework.audit import Actor
from casework.demo import _casework_for, ensure_demo_users, ensure_reference_data
from casework.models import ACTIVE_ALERT_STATUSES, Alert, EventKind, School, Youth
from integrations import contract
from integrations.importing import import_file_bytes
from integrations.linkage.service import link_all
from integrations.synthetic import generate_city
from riskmodel import service as risk

FOCAL = [
    EventKind.POLICE_OFFENCE,
    EventKind.POLICE_EXPOSURE,
    EventKind.CHILD_PROTECTION,
    EventKind.DROPOUT_REPORTED,
]


def _load_schools(city: Path, bureaus) -> str:
    """The city's schools as the education bureau's register; returns a junior high's code."""
    first_junior = ""
    with open(city / "truth" / "schools.csv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            School.objects.update_or_create(
                code=row["school_code"],
                defaults={
                    "name_zh": row["name"],
                    "name_en": f"School {row['school_code']} ({row['level'].replace('_', ' ')})",
                    "district": row["district"],
                    "bureau": bureaus["education"],
                },
            )
            if not first_junior and row["level"] == "junior_high":
                first_junior = row["school_code"]
    return first_junior


def build_linked_demo(*, youth: int = 3000, years: int = 3, seed: int = 2026, casework: int = 150) -> dict:
    """Build the demo once (does nothing when youth records already exist)."""
    bureaus = ensure_reference_data()
    if Youth.objects.exists():
        ensure_demo_users(
            bureaus,
            counsellor_school=School.objects.filter(code__regex=r"^\d")
            .values_list("code", flat=True)
            .first(),
        )
        return {"youth": 0, "note": "demo city already present"}
    # The window ends this month, so deadlines and "recent" mean now.
    today = timezone.localdate()
    start = dt.date(today.year - years, today.month, 1)
    counts: dict = {}
    with tempfile.TemporaryDirectory() as out:
        city = Path(out)
        report = generate_city(youth=youth, years=years, seed=seed, out=city, start=start)
        counts["generated_rows"] = sum(report.rows.values())
        counsellor_school = _load_schools(city, bureaus)
        imported = quarantined = 0
        for feed in contract.FEEDS:
            summary = import_file_bytes(
                feed=feed, data=(city / f"{feed}.csv").read_bytes(), file_name=f"{feed}.csv"
            )
            imported += summary.created
            quarantined += summary.quarantined
        counts.update(imported=imported, quarantined=quarantined)
    figures = link_all()
    counts.update({k: figures.get(k) for k in ("records", "youth_created", "review_pairs", "events_created")})
    users = ensure_demo_users(bureaus, counsellor_school=counsellor_school)

    # A risk model trained on what the city knows today, and everyone in scope scored with reasons.
    model = risk.train_model(as_of=today)
    failed = [name for name, ok in model.gate.get("checks", {}).items() if not ok]
    reason = (
        ""
        if model.gate.get("passed")
        else f"demo city too small to judge a model (failed: {', '.join(failed)}); activated for demonstration only"
    )
    risk.activate_model(model=model, actor=Actor.system("seed_demo"), override_reason=reason)
    run = risk.score_youth(as_of=today)
    counts.update(model=model.label, gate_passed=model.gate.get("passed"), scored=run.scored)

    # Casework for the youth with the most recent focal events.
    rng = random.Random(seed)
    now = timezone.now()
    work = {"alerts": 0, "cases": 0, "referrals": 0, "interventions": 0, "events": 0}
    recent = (
        Youth.objects.filter(
            merged_into=None,
            events__kind__in=FOCAL,
            events__knowledge_date__gte=today - dt.timedelta(days=365),
        )
        .distinct()
        .order_by("public_id")[:casework]
    )
    for youth_row in recent:
        work.update(_casework_for(rng, youth_row, bureaus, users, rng.betavariate(2, 3), now, work))
    counts.update(work)
    counts["active_alerts"] = Alert.objects.filter(status__in=ACTIVE_ALERT_STATUSES).count()
    return counts
