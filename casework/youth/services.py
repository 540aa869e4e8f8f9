"""Writes to the youth record: golden records, timeline events, risk scores."""

from __future__ import annotations

import datetime as dt
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.models import (
    EVENT_SOURCE,
    Bureau,
    Event,
    EventKind,
    School,
    Sensitivity,
    Youth,
)

DEFAULT_SENSITIVITY = {
    EventKind.POLICE_OFFENCE: Sensitivity.SENSITIVE,
    EventKind.POLICE_EXPOSURE: Sensitivity.SENSITIVE,
    EventKind.CHILD_PROTECTION: Sensitivity.PROTECTED,
    EventKind.FRAGILE_FAMILY: Sensitivity.PROTECTED,
}


def new_youth_public_id() -> str:
    """A random, non-guessable, non-sequential youth identifier (Y + 10 base-32 characters)."""
    alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
    return "Y" + "".join(secrets.choice(alphabet) for _ in range(10))


@transaction.atomic
def create_youth(
    *,
    name: str = "",
    name_romanized: str = "",
    birth_date: dt.date | None = None,
    sex: str = "",
    national_id: str = "",
    district: str = "",
    address: str = "",
    indigenous: bool | None = None,
    new_immigrant_parent: bool | None = None,
) -> Youth:
    """Create a golden record (used by linkage and by the demo)."""
    from casework.models import FairnessAttributes

    youth = Youth.objects.create(
        public_id=new_youth_public_id(),
        name=name,
        name_romanized=name_romanized,
        birth_date=birth_date,
        sex=sex,
        national_id=national_id,
        district=district,
        address=address,
    )
    FairnessAttributes.objects.create(
        youth=youth, indigenous=indigenous, new_immigrant_parent=new_immigrant_parent
    )
    return youth


def record_event(
    *,
    youth: Youth,
    kind: str,
    event_date: dt.date,
    knowledge_date: dt.date,
    owning_bureau: Bureau,
    school: School | None = None,
    code: str = "",
    details: dict | None = None,
    sensitivity: str | None = None,
    source_feed: str = "",
    source_key: str = "",
    source_record_id: int | None = None,
) -> Event:
    """Put one event on a youth's timeline. Imports call this; the import batch carries the audit row."""
    if knowledge_date < event_date:
        raise ValidationError(_("An event cannot be known before it happened."))
    return Event.objects.create(
        youth=youth,
        kind=kind,
        source=EVENT_SOURCE[kind],
        event_date=event_date,
        knowledge_date=knowledge_date,
        owning_bureau=owning_bureau,
        school=school,
        code=code,
        details=details or {},
        sensitivity=sensitivity or DEFAULT_SENSITIVITY.get(kind, Sensitivity.ORDINARY),
        source_feed=source_feed,
        source_key=source_key,
        source_record_id=source_record_id,
    )


EVENT_COPY_COLUMNS = (
    "youth_id", "kind", "source", "code", "event_date", "knowledge_date", "owning_bureau_id", "school_id",
    "sensitivity", "details", "source_feed", "source_key", "source_record_id", "created_at",
)  # fmt: skip


def record_events_bulk(events: list[dict]) -> int:
    """Put many events on timelines at once (linkage writes imported records this way). Each event (a
    dict of :data:`EVENT_COPY_COLUMNS` without source, sensitivity and created_at) is checked as
    :func:`record_event` checks one; the source and default sensitivity follow from the kind."""
    import orjson

    from casework.bulk import copy_rows

    now = timezone.now()
    rows = []
    for event in events:
        if event["knowledge_date"] < event["event_date"]:
            raise ValidationError(_("An event cannot be known before it happened."))
        kind = event["kind"]
        rows.append(
            (
                event["youth_id"],
                kind,
                EVENT_SOURCE[kind],
                event.get("code", ""),
                event["event_date"],
                event["knowledge_date"],
                event["owning_bureau_id"],
                event.get("school_id"),
                event.get("sensitivity") or DEFAULT_SENSITIVITY.get(kind, Sensitivity.ORDINARY),
                orjson.dumps(event.get("details") or {}).decode("utf-8"),
                event.get("source_feed", ""),
                event.get("source_key", ""),
                event.get("source_record_id"),
                now,
            )  # fmt: skip
        )
    copy_rows(Event, EVENT_COPY_COLUMNS, rows, json_columns=("details",))
    return len(rows)


RISK_SCORE_COLUMNS = ("youth_id", "as_of", "score", "band", "rank", "model_version", "reasons", "scored_at")


@transaction.atomic
def record_scores_bulk(*, model_version: str, as_of: dt.date, scores: list[dict]) -> int:
    """Write one scoring run's scores onto the youth (replacing an earlier run of the same model and date).
    Each score: youth_id, score (a probability), band, rank, reasons."""
    import orjson

    from casework.bulk import copy_rows
    from casework.models import RiskBand, RiskScore

    bands = set(RiskBand.values)
    now = timezone.now()
    rows = []
    for item in scores:
        if not 0.0 <= item["score"] <= 1.0:
            raise ValidationError(_("A score is a probability between 0 and 1."))
        if item["band"] not in bands:
            raise ValidationError(_("Unknown risk band."))
        rows.append(
            (item["youth_id"], as_of, float(item["score"]), item["band"], int(item["rank"]), model_version,
             orjson.dumps(item.get("reasons") or []).decode("utf-8"), now)
        )  # fmt: skip
    RiskScore.objects.filter(model_version=model_version, as_of=as_of).delete()
    copy_rows(RiskScore, RISK_SCORE_COLUMNS, rows, json_columns=("reasons",))
    return len(rows)
