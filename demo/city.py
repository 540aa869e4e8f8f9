"""The demo city: a synthetic city generated, imported through the feed contract, linked, and given the
day-to-day casework (alerts, cases, referrals, interventions) a platform in use would hold."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import tempfile
from pathlib import Path

from django.utils import timezone

from casework.access.audit import Actor
from casework.demo import _casework_for, ensure_demo_users, ensure_reference_data
from casework.models import ACTIVE_ALERT_STATUSES, Alert, EventKind, School, Youth
from casework.triage.alerting import escalate_overdue_alerts
from config.progress import ProgressCallback
from config.progress import report as report_progress
from integrations.feeds import contract
from integrations.feeds.importing import import_file_bytes
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


def _day(cell: str) -> dt.date | None:
    try:
        return contract.parse_date(cell)
    except contract.ContractError:
        return None


def _cut_at(path: Path, feed: str, today: dt.date) -> int:
    """Remove from a generated feed the records of events after ``today`` (and blank later dates such as a
    return from dropout still to come). Returns the rows removed. Cells that do not parse are left for the
    importer to quarantine."""
    raw = path.read_bytes()
    encoding = contract.detect_encoding(raw)
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError:
        return 0  # a deliberately broken file: the importer's problem, as in real life
    spec = contract.get_feed(feed)
    dates = [c.name for c in spec.columns if c.type == "date" and c.name != "birth_date"]
    decisive = {spec.event_date_column, spec.knowledge_date_column} - {None}
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows:
        return 0
    header, kept, removed = rows[0], [rows[0]], 0
    where = {name: header.index(name) for name in dates if name in header}
    for row in rows[1:]:
        later = {name for name, i in where.items() if i < len(row) and (_day(row[i]) or dt.date.min) > today}
        if later & decisive:
            removed += 1
            continue
        for name in later:
            row[where[name]] = ""
        kept.append(row)
    with open(path, "w", encoding=encoding, newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(kept)
    return removed


def build_linked_demo(
    *,
    youth: int = 4000,
    years: int = 4,
    seed: int = 2026,
    casework: int = 150,
    progress: ProgressCallback | None = None,
) -> dict:
    """Build the demo once (does nothing when youth records already exist). ``progress(stage, done, total)``
    hears the stages of the generator, each import, the linkage, the models, then ``casework``."""
    bureaus = ensure_reference_data()
    if Youth.objects.exists():
        ensure_demo_users(
            bureaus,
            counsellor_school=School.objects.filter(code__regex=r"^\d")
            .values_list("code", flat=True)
            .first(),
        )
        return {"youth": 0, "note": "demo city already present"}
    # The window runs to the end of this month and is then cut at today, so the latest records are days
    # old, as in a platform in use: the focal-linkage rules raise alerts on them with live deadlines.
    today = timezone.localdate()
    start = (dt.date(today.year - years, today.month, 1) + dt.timedelta(days=32)).replace(day=1)
    counts: dict = {}
    with tempfile.TemporaryDirectory() as out:
        city = Path(out)
        report = generate_city(youth=youth, years=years, seed=seed, out=city, start=start, progress=progress)
        counts["generated_rows"] = sum(report.rows.values())
        counsellor_school = _load_schools(city, bureaus)
        imported = quarantined = 0
        counts["not_yet_happened"] = sum(
            _cut_at(city / f"{feed}.csv", feed, today) for feed in contract.FEEDS
        )
        for feed in contract.FEEDS:
            summary = import_file_bytes(
                feed=feed,
                data=(city / f"{feed}.csv").read_bytes(),
                file_name=f"{feed}.csv",
                progress=progress,
            )
            imported += summary.created
            quarantined += summary.quarantined
        counts.update(imported=imported, quarantined=quarantined)
    figures = link_all(progress=progress)
    counts.update({k: figures.get(k) for k in ("records", "youth_created", "review_pairs", "events_created")})
    users = ensure_demo_users(bureaus, counsellor_school=counsellor_school)

    # The models a city in use holds: last month's model, which passed the promotion gate and scores the
    # youth, and this month's retrain beside it as a candidate for the model steward to compare and promote.
    counts.update(_models(today, progress))
    report_progress(progress, "casework", 0, casework)

    # Casework for the youth with the most recent focal events.
    rng = random.Random(seed)
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
        work.update(_casework_for(rng, youth_row, bureaus, users, work))
    counts.update(work)
    # Alerts whose deadline has already passed go to the supervisors, as the ten-minute job would do.
    counts["escalated"] = escalate_overdue_alerts()
    counts["active_alerts"] = Alert.objects.filter(status__in=ACTIVE_ALERT_STATUSES).count()
    counts.update(_trust_examples(users, bureaus))
    return counts


def _models(today: dt.date, progress: ProgressCallback | None = None) -> dict:
    """Train last month's model and this month's; make active the one the gate lets through (last month's
    when both pass, leaving this month's as the candidate). A model that fails the gate is never made active
    here: with no model that earns its place the queues show no score, as they would in a city in use."""
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    earlier = risk.train_model(as_of=last_month, progress=progress)
    latest = risk.train_model(as_of=today, progress=progress)
    passed = [m for m in (earlier, latest) if m.gate.get("passed")]
    figures = {
        "models": [m.label for m in (earlier, latest)],
        "gate_passed": [m.label for m in passed],
        "active_model": "",
        "scored": 0,
    }
    if passed:
        active = risk.activate_model(model=passed[0], actor=Actor.system("seed_demo"))
        figures["active_model"] = active.label
        figures["scored"] = risk.score_youth(as_of=today, progress=progress).scored
    return figures


def _trust_examples(users, bureaus) -> dict[str, int]:
    """What the reviewers and the data steward find waiting: a record the officer opened by stating a purpose
    (for the police supervisor to review), and a guardian's contest of a record (for the data steward)."""
    from casework.access import policy
    from casework.access.services import grant_access
    from casework.models import AccessPurpose, Case
    from integrations.corrections.services import annotate_event, file_contest

    made = {"access_grants": 0, "contests": 0}
    officer, guidance = users["officer"], users["guidance"]
    stranger = (
        Youth.objects.filter(merged_into=None)
        .exclude(pk__in=policy.visible_youth(officer))
        .order_by("public_id")
    )
    stranger = stranger.filter(events__isnull=False).first()
    if stranger is not None:
        grant_access(
            actor=Actor(user=officer, path="demo:seed"),
            youth=[stranger],
            bureau=bureaus["police"],
            purpose_code=AccessPurpose.NEW_REPORT,
            purpose_text="學校來電通報此少年今晚未返家，需確認過往紀錄以協尋。The school reports the youth has not "
            "come home tonight.",
        )
        made["access_grants"] += 1
    cases = Case.objects.filter(assignee=guidance).order_by("pk")
    for case, (part, statement, note) in zip(
        cases,
        [
            ("date", "家長表示該日少年在外婆家，日期有誤。The guardian says the youth was at the grandmother's that day.", ""),
            ("details", "少年表示當時只是路過，並未參與。The youth says they were only passing by.",
             "依少年陳述加註；原紀錄保留。Noted at the youth's request; the record stays as reported."),
        ],
        strict=False,
    ):  # fmt: skip
        event = policy.timeline_for(guidance, case.youth).events
        if not event:
            continue
        contest = file_contest(
            actor=Actor(user=guidance, path="demo:seed"),
            youth=case.youth,
            event_id=event[0].pk,
            contested_by="guardian" if part == "date" else "youth",
            part=part,
            statement=statement,
        )
        if note:
            annotate_event(actor=Actor(user=users["steward"], path="demo:seed"), contest=contest, note=note)
        made["contests"] += 1
    return made
