"""From linked source records to the youth timeline (events) and school rosters (enrolments).

Every event carries its source record (feed, key, version id). Syncing is idempotent: it creates the
events of new records, moves events whose record now belongs to another youth, refreshes events whose
record has a new version, and leaves everything else alone. Sealed records are skipped (their events,
if any, are hidden by the sealing notice itself).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import connection, transaction
from django.utils import timezone

from casework.models import Bureau, BureauKind, Enrollment, Event, EventKind, School
from casework.triage.alerting import raise_event_alerts
from casework.youth.services import record_events_bulk
from integrations.models import RecordLink, SourceRecord

ROSTER = "school.students"
SCHOOL_EVENT_FEEDS = ("school.absences", "school.dropouts", "school.incidents", "school.counselling")
PERSON_EVENT_FEEDS = ("police.contacts", "welfare.reports", "welfare.assistance")
EVENT_FEEDS = SCHOOL_EVENT_FEEDS + PERSON_EVENT_FEEDS
RETURNED_SUFFIX = "#returned"

_POLICE_KIND = {
    "offence": EventKind.POLICE_OFFENCE,
    "exposure": EventKind.POLICE_EXPOSURE,
    "deviant": EventKind.POLICE_DEVIANT,
    "missing": EventKind.POLICE_MISSING,
}
_WELFARE_KIND = {"child_protection": EventKind.CHILD_PROTECTION, "fragile_family": EventKind.FRAGILE_FAMILY}
_UPDATED_FIELDS = [
    "youth",
    "kind",
    "code",
    "event_date",
    "knowledge_date",
    "school",
    "details",
    "source_record_id",
]


def _day(value) -> dt.date | None:
    return dt.date.fromisoformat(value[:10]) if value else None


def _events_of(feed: str, key: str, values: dict, known: dt.date) -> list[tuple[str, dict]]:
    """(source key, event fields) for one source record; most records make one event."""
    v = values
    if feed == "school.absences":
        return [
            (key, {"kind": EventKind.ABSENCE, "event_date": _day(v["date"]), "code": v.get("kind") or ""})
        ]
    if feed == "school.dropouts":
        out = [(key, {"kind": EventKind.DROPOUT_REPORTED, "event_date": _day(v["reported_on"]),
                      "code": v.get("reason_code") or ""})]  # fmt: skip
        if v.get("returned_on"):
            back = _day(v["returned_on"])
            out.append((key + RETURNED_SUFFIX, {"kind": EventKind.DROPOUT_RETURNED, "event_date": back,
                                                "knowledge_date": max(known, back)}))  # fmt: skip
        return out
    if feed == "school.incidents":
        return [(key, {"kind": EventKind.CAMPUS_INCIDENT, "event_date": _day(v["occurred_on"]),
                       "code": v.get("category") or "", "details": {"severity": v.get("severity")}})]  # fmt: skip
    if feed == "school.counselling":
        return [(key, {"kind": EventKind.COUNSELLING_TIER, "event_date": _day(v["started_on"]),
                       "code": f"tier {v.get('tier')}", "details": {"ended_on": v.get("ended_on")}})]  # fmt: skip
    if feed == "police.contacts":
        return [(key, {"kind": _POLICE_KIND.get(v.get("kind")), "event_date": _day(v["occurred_on"]),
                       "code": v.get("code") or "", "details": {"unit": v.get("unit")}})]  # fmt: skip
    if feed == "welfare.reports":
        reasons = v.get("reason_codes") or []
        return [(key, {"kind": _WELFARE_KIND.get(v.get("kind")), "event_date": _day(v["reported_on"]),
                       "code": (";".join(reasons) if isinstance(reasons, list) else str(reasons))[:64],
                       "details": {"reasons": reasons, "level": v.get("level"), "substantiated": v.get("substantiated"),
                                   "closed_on": v.get("closed_on")}})]  # fmt: skip
    if feed == "welfare.assistance":
        return [(key, {"kind": EventKind.ASSISTANCE_STATUS, "event_date": _day(v["valid_from"]),
                       "code": v.get("status") or "", "details": {"valid_to": v.get("valid_to")}})]  # fmt: skip
    return []


def _owner_kind(feed: str) -> str:
    return {"school": BureauKind.EDUCATION, "police": BureauKind.POLICE, "welfare": BureauKind.WELFARE}[
        feed.split(".")[0]
    ]


def ensure_schools(codes: Iterable[str]) -> dict[str, School]:
    """School rows for the codes the feeds use; an unknown code gets a row named by its code."""
    codes = set(codes)
    schools = {s.code: s for s in School.objects.filter(code__in=codes)}
    missing = codes - set(schools)
    if missing:
        education = Bureau.objects.get(kind=BureauKind.EDUCATION)
        School.objects.bulk_create(
            [
                School(code=c, name_zh=f"學校 {c}", name_en=f"School {c}", district="", bureau=education)
                for c in missing
            ]
        )
        schools.update({s.code: s for s in School.objects.filter(code__in=missing)})
    return schools


@transaction.atomic
def sync_events(*, youth_ids: Iterable[int] | None = None, batch_ids: Iterable[int] | None = None) -> dict:
    """Bring events and enrolments in line with the current record links (for everyone, for some youth,
    or for the records of some import batches). Returns counts."""
    bureaus = {b.kind: b for b in Bureau.objects.all()}
    links = RecordLink.objects.all()
    restrict = set(youth_ids) if youth_ids is not None else None
    person_youth = {(f, k): y for f, k, y in links.values_list("feed", "record_key", "youth_id")}
    student_youth = {k: y for (f, k), y in person_youth.items() if f == ROSTER}

    records = SourceRecord.objects.filter(
        is_current=True, sealed_at__isnull=True, feed__in=EVENT_FEEDS + (ROSTER,)
    )
    if restrict is not None:
        mine = [(f, k) for (f, k), y in person_youth.items() if y in restrict]
        students = [k for f, k in mine if f == ROSTER]
        from django.db.models import Q

        q = Q(pk__in=[])
        for feed in PERSON_EVENT_FEEDS + (ROSTER,):
            keys = [k for f, k in mine if f == feed]
            if keys:
                q |= Q(feed=feed, record_key__in=keys)
        ids = set(
            SourceRecord.objects.filter(q, is_current=True, sealed_at__isnull=True).values_list(
                "pk", flat=True
            )
        )
        if students:
            # One pass over the school feeds for these students' records (new or never synced).
            school = SourceRecord.objects.filter(
                feed__in=SCHOOL_EVENT_FEEDS, is_current=True, sealed_at__isnull=True
            )
            if connection.vendor == "postgresql":
                school = school.extra(  # noqa: S610 - fixed SQL, parameters bound
                    where=["(\"values\"->>'school_code') || '/' || (\"values\"->>'student_no') = ANY(%s)"],
                    params=[students],
                )
            else:
                by_school: dict[str, list[str]] = {}
                for student in students:
                    code, number = student.split("/", 1)
                    by_school.setdefault(code, []).append(number)
                sq = Q(pk__in=[])
                for code, numbers in by_school.items():
                    sq |= Q(values__school_code=code, values__student_no__in=numbers)
                school = school.filter(sq)
            ids |= set(school.values_list("pk", flat=True))
        # Records whose events sit on these youth now (they may have to move away).
        ids |= set(
            Event.all_objects.filter(youth_id__in=restrict)
            .exclude(source_record_id=None)
            .values_list("source_record_id", flat=True)
        )
        records = SourceRecord.objects.filter(pk__in=ids, is_current=True, sealed_at__isnull=True)
    if batch_ids is not None:
        records = records.filter(batch_id__in=list(batch_ids))
    rows = list(records.values_list("id", "feed", "record_key", "values", "knowledge_date"))

    school_codes = {v.get("school_code") for _, f, _, v, _ in rows if f.startswith("school.")}
    schools = ensure_schools(c for c in school_codes if c)

    desired: dict[tuple[str, str], dict] = {}
    enrolments: dict[tuple[str, str], dict] = {}
    for rid, feed, key, values, known in rows:
        if feed == ROSTER:
            youth = person_youth.get((feed, key))
            if youth is not None:
                enrolments[(values["school_code"], values["student_no"])] = {
                    "youth_id": youth, "grade": values.get("grade"),
                    "enrolled_on": _day(values.get("enrolled_on")), "left_on": _day(values.get("left_on")),
                }  # fmt: skip
            continue
        if feed in SCHOOL_EVENT_FEEDS:
            youth = student_youth.get(f"{values['school_code']}/{values['student_no']}")
            school = schools.get(values["school_code"])
        else:
            youth = person_youth.get((feed, key))
            school = None
        if youth is None:
            continue
        for source_key, fields in _events_of(feed, key, values, known):
            # A blank event date or kind means unknown (docs/feeds.md): the record is stored and linked, but
            # makes no timeline event, since the event's day or kind (and so any alert rule) is not known.
            if fields["event_date"] is None or not fields["kind"]:
                continue
            fields.setdefault("knowledge_date", max(known, fields["event_date"]))
            fields.setdefault("code", "")
            fields.setdefault("details", {})
            desired[(feed, source_key)] = {
                **fields, "youth_id": youth, "school_id": school.pk if school else None, "source_record_id": rid,
                "owning_bureau_id": bureaus[_owner_kind(feed)].pk,
            }  # fmt: skip

    existing = {
        (f, k): (pk, y, r)
        for pk, f, k, y, r in Event.all_objects.filter(source_feed__in=EVENT_FEEDS)
        .filter(**({"youth_id__in": restrict} if restrict is not None else {}))
        .filter(**({"source_record_id__in": [r[0] for r in rows]} if batch_ids is not None else {}))
        .values_list("id", "source_feed", "source_key", "youth_id", "source_record_id")
    }
    if restrict is not None:
        # Events of these records that currently sit on other youth.
        more = Event.all_objects.filter(
            source_record_id__in={d["source_record_id"] for d in desired.values()}
        )
        for pk, f, k, y, r in more.values_list(
            "id", "source_feed", "source_key", "youth_id", "source_record_id"
        ):
            existing[(f, k)] = (pk, y, r)

    create, update, moved = [], [], 0
    for (feed, source_key), fields in desired.items():
        found = existing.get((feed, source_key))
        if found is None:
            create.append({"source_feed": feed, "source_key": source_key, **fields})
            continue
        pk, youth, record_id = found
        if youth == fields["youth_id"] and record_id == fields["source_record_id"]:
            continue
        moved += youth != fields["youth_id"]
        update.append(Event(pk=pk, **{k: v for k, v in fields.items() if k != "owning_bureau_id"}))
    started = timezone.now()
    record_events_bulk(create)
    for start in range(0, len(update), 2000):
        Event.all_objects.bulk_update(update[start : start + 2000], _UPDATED_FIELDS)

    _sync_enrolments(enrolments, schools)
    # New arrivals on the timeline go through the focal-linkage rules (offence, exposure, protection, ...).
    alerts = raise_event_alerts(Event.objects.filter(created_at__gte=started, source_feed__in=EVENT_FEEDS))
    return {
        "events_created": len(create),
        "events_updated": len(update),
        "events_moved": moved,
        "alerts_raised": alerts,
    }


def _sync_enrolments(enrolments: dict[tuple[str, str], dict], schools: dict[str, School]) -> None:
    if not enrolments:
        return
    current = {
        (e.school.code, e.student_no): e
        for e in Enrollment.objects.filter(
            school__code__in={c for c, _ in enrolments}, student_no__in={n for _, n in enrolments}
        ).select_related("school")
    }
    create, update = [], []
    for (code, student_no), fields in enrolments.items():
        row = current.get((code, student_no))
        if row is None:
            create.append(Enrollment(school=schools[code], student_no=student_no, **fields))
        elif any(getattr(row, k) != v for k, v in fields.items()):
            for k, v in fields.items():
                setattr(row, k, v)
            update.append(row)
    Enrollment.objects.bulk_create(create, batch_size=5000)
    Enrollment.objects.bulk_update(update, ["youth_id", "grade", "enrolled_on", "left_on"], batch_size=2000)
