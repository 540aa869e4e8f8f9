"""Retention: how long each type of record is kept (``RetentionRule``, data), what expires when, and the
purge job that removes what has expired and logs what it removed (docs/retention.md).

Holds: nothing of a youth goes while they have an open case, an active (pending or accepted) referral,
an active alert, or a contest waiting for a data steward. A youth's record goes as a whole, in one
transaction, when their own rule has expired and every case of theirs has too; a closed case whose seven
years are up goes on its own (with its guidance records) while the rest of the youth's record stays.
The audit log is never purged: it keeps public youth IDs, not content.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Q, Subquery
from django.db.models.deletion import ProtectedError
from django.utils import timezone

from casework.access.audit import Actor, record
from casework.access.policy import ACTIVE_REFERRAL_STATUSES
from casework.access.sealing import erase_agenda_items
from casework.models import (
    ACTIVE_ALERT_STATUSES,
    ADULT_AGE,
    OPEN_CASE_STATUSES,
    Alert,
    AuditAction,
    Case,
    CaseStatus,
    Event,
    Intervention,
    Referral,
    TriageDecision,
    Youth,
    YouthMerge,
    YouthSplit,
)
from integrations.linkage.timeline import ROSTER, SCHOOL_EVENT_FEEDS
from integrations.models import (
    ContestStatus,
    PurgeRun,
    PurgeRunStatus,
    QuarantinedRow,
    RecordContest,
    RecordLink,
    RecordType,
    RetentionRule,
    ReviewPair,
    SourceRecord,
)

# A youth with no birth date is taken to have been 12 (the youngest juvenile) when last recorded, so their
# 18th birthday is at most this many years after their last record: the longest they could need keeping.
UNKNOWN_BIRTH_YEARS = ADULT_AGE - 12
SEALED_RESIDUE = "integrations.sealedshell"


class HoldReason:
    OPEN_CASE = "open_case"
    ACTIVE_REFERRAL = "active_referral"
    ACTIVE_ALERT = "active_alert"
    OPEN_CONTEST = "open_contest"


@dataclass(frozen=True)
class Due:
    """One record and the day it expires under its rule."""

    record_type: str
    expires_on: dt.date
    youth_public_id: str
    label: str
    rule: RetentionRule
    object_id: int


@dataclass
class PurgeSummary:
    as_of: dt.date
    dry_run: bool
    counts: Counter = field(default_factory=Counter)
    youth_public_ids: list[str] = field(default_factory=list)
    held: Counter = field(default_factory=Counter)
    run_id: int | None = None

    def as_dict(self) -> dict:
        return {
            "as_of": self.as_of.isoformat(),
            "dry_run": self.dry_run,
            "counts": dict(sorted(self.counts.items())),
            "youth_removed": len(self.youth_public_ids),
            "held": dict(sorted(self.held.items())),
            "run": self.run_id,
        }


def rules() -> dict[str, RetentionRule]:
    """The schedule. A missing rule (a flushed test database) is restored from the seeding migration, the
    one place the default schedule is written: without it nothing, or the wrong things, would be purged."""
    found = {rule.record_type: rule for rule in RetentionRule.objects.all()}
    if set(found) != set(RecordType.values):
        from importlib import import_module

        seed = import_module("integrations.migrations.0004_retention_and_corrections").RULES
        for item in seed:
            if item["record_type"] not in found:
                found[item["record_type"]] = RetentionRule.objects.create(**item)
    return found


def expires_on(anchor: dt.date, rule: RetentionRule) -> dt.date:
    """The first day the record may go: the anchor plus the rule's period (29 February rolls to 28)."""
    return anchor + relativedelta(months=rule.period_months)


def _local_day(value: dt.datetime) -> dt.date:
    return timezone.localdate(value) if timezone.is_aware(value) else value.date()


# ---------------------------------------------------------------------------------------------------------
# Selectors: what expires when
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class YouthExpiry:
    youth_id: int
    public_id: str
    expires_on: dt.date
    holds: tuple[str, ...]


def youth_expiries(rule_map: dict[str, RetentionRule] | None = None) -> Iterator[YouthExpiry]:
    """Every (unmerged) youth with the day their whole record expires and what holds it now."""
    rule_map = rule_map or rules()
    youth_rule = rule_map[RecordType.YOUTH_RECORD]
    case_rule = rule_map[RecordType.CLOSED_CASE]
    mine = OuterRef("pk")
    rows = (
        Youth.objects.filter(merged_into__isnull=True)
        .annotate(
            open_case=Exists(Case.objects.filter(youth=mine, status__in=OPEN_CASE_STATUSES)),
            active_referral=Exists(Referral.objects.filter(youth=mine, status__in=ACTIVE_REFERRAL_STATUSES)),
            active_alert=Exists(Alert.objects.filter(youth=mine, status__in=ACTIVE_ALERT_STATUSES)),
            open_contest=Exists(RecordContest.objects.filter(event__youth=mine, status=ContestStatus.OPEN)),
            last_closed=Subquery(
                Case.objects.filter(youth=mine, status=CaseStatus.CLOSED)
                .values("youth")
                .annotate(m=Max("closed_at"))
                .values("m")[:1]
            ),
            last_known=Subquery(
                Event.all_objects.filter(youth=mine).order_by("-knowledge_date").values("knowledge_date")[:1]
            ),
        )
        .values_list(
            "pk",
            "public_id",
            "birth_date",
            "created_at",
            "last_known",
            "last_closed",
            "open_case",
            "active_referral",
            "active_alert",
            "open_contest",
        )  # fmt: skip
    )
    for pk, public_id, birth, created, known, closed, *flags in rows.iterator(chunk_size=5000):
        if birth is not None:
            anchor = birth + relativedelta(years=ADULT_AGE)
        else:
            anchor = (known or _local_day(created)) + relativedelta(years=UNKNOWN_BIRTH_YEARS)
        day = expires_on(anchor, youth_rule)
        if closed is not None:
            day = max(day, expires_on(_local_day(closed), case_rule))
        names = (
            HoldReason.OPEN_CASE, HoldReason.ACTIVE_REFERRAL, HoldReason.ACTIVE_ALERT, HoldReason.OPEN_CONTEST,
        )  # fmt: skip
        holds = tuple(name for name, on in zip(names, flags, strict=True) if on)
        yield YouthExpiry(pk, public_id, day, holds)


def due_records(
    *, until: dt.date, rule_map: dict[str, RetentionRule] | None = None
) -> tuple[list[Due], Counter]:
    """Records that expire on or before ``until`` (already expired ones included), earliest first, and
    how many youth are held back by what. Held youth and their cases are not listed: they have no date."""
    rule_map = rule_map or rules()
    case_rule = rule_map[RecordType.CLOSED_CASE]
    due: list[Due] = []
    held: Counter = Counter()
    free: dict[int, YouthExpiry] = {}
    for item in youth_expiries(rule_map):
        if item.holds:
            for reason in item.holds:
                held[reason] += 1
            continue
        free[item.youth_id] = item
        if item.expires_on <= until:
            due.append(
                Due(RecordType.YOUTH_RECORD, item.expires_on, item.public_id, item.public_id,
                    rule_map[RecordType.YOUTH_RECORD], item.youth_id)
            )  # fmt: skip
    latest_closure = until - relativedelta(months=case_rule.period_months)
    closed = Case.objects.filter(
        status=CaseStatus.CLOSED,
        closed_at__isnull=False,
        closed_at__date__lte=latest_closure + dt.timedelta(1),
    ).values_list("pk", "youth_id", "closed_at")
    for pk, youth_id, closed_at in closed.iterator(chunk_size=5000):
        owner = free.get(youth_id)
        day = expires_on(_local_day(closed_at), case_rule)
        if owner is None or day > until:
            continue
        due.append(Due(RecordType.CLOSED_CASE, day, owner.public_id, f"C{pk:06d}", case_rule, pk))
    quarantine_rule = rule_map[RecordType.QUARANTINED_ROW]
    oldest = until - relativedelta(months=quarantine_rule.period_months)
    rows = QuarantinedRow.objects.filter(batch__received_at__date__lte=oldest + dt.timedelta(1)).values_list(
        "pk", "feed", "row_number", "batch__received_at"
    )
    for pk, feed, number, received in rows.iterator(chunk_size=5000):
        day = expires_on(_local_day(received), quarantine_rule)
        if day <= until:
            due.append(Due(RecordType.QUARANTINED_ROW, day, "", f"{feed} #{number}", quarantine_rule, pk))
    due.sort(key=lambda d: (d.expires_on, d.record_type, d.label))
    return due, held


def sealed_residue() -> int:
    """Erased shells of sealed records that still carry the event date or hash sealing left on them."""
    return _residue_rows().count()


def _residue_rows():
    return SourceRecord.objects.filter(sealed_at__isnull=False).filter(
        Q(event_date__isnull=False) | ~Q(row_hash="")
    )


# ---------------------------------------------------------------------------------------------------------
# The purge job
# ---------------------------------------------------------------------------------------------------------


def _delete(queryset) -> Counter:
    """Delete and count per model (cascades included), keyed "app_label.model"."""
    _total, per_model = queryset.delete()
    return Counter({label.lower(): n for label, n in per_model.items() if n})


def _purge_case(case_id: int) -> Counter:
    """A closed case and its guidance records."""
    counts: Counter = Counter()
    referrals = Referral.objects.filter(case_id=case_id)
    counts += _delete(TriageDecision.objects.filter(Q(case_id=case_id) | Q(referral__in=referrals)))
    counts += _delete(Intervention.objects.filter(case_id=case_id))
    counts += _delete(referrals)
    counts += _delete(Case.objects.filter(pk=case_id))  # status history and notifications cascade
    return counts


def _person(youth: Youth) -> list[int]:
    """The youth and every record merged into it (a merged record is a pointer left by a merge), leaves
    last so that they can be deleted first."""
    ids = [youth.pk]
    frontier = [youth.pk]
    while frontier:
        frontier = list(Youth.objects.filter(merged_into_id__in=frontier).values_list("pk", flat=True))
        ids += frontier
    return ids


def _source_keys(ids: list[int]) -> list[tuple[str, str]]:
    """(feed, record key) of every source record about these youth: linked person records, and school
    records of their student numbers."""
    links = list(RecordLink.objects.filter(youth_id__in=ids).values_list("feed", "record_key"))
    students = [key.split("/", 1) for feed, key in links if feed == ROSTER and "/" in key]
    keys = set(links)
    if students:
        q = Q(pk__in=[])
        for code, number in students:
            q |= Q(values__school_code=code, values__student_no=number)
        keys |= set(
            SourceRecord.objects.filter(q, feed__in=SCHOOL_EVENT_FEEDS).values_list("feed", "record_key")
        )
    event_records = Event.all_objects.filter(youth_id__in=ids).exclude(source_record_id=None)
    keys |= set(
        SourceRecord.objects.filter(pk__in=event_records.values("source_record_id")).values_list(
            "feed", "record_key"
        )
    )
    return sorted(keys)


def _keys_q(keys: list[tuple[str, str]], feed_field: str = "feed", key_field: str = "record_key") -> Q:
    by_feed: dict[str, list[str]] = {}
    for feed, key in keys:
        by_feed.setdefault(feed, []).append(key)
    q = Q(pk__in=[])
    for feed, feed_keys in by_feed.items():
        q |= Q(**{feed_field: feed, f"{key_field}__in": feed_keys})
    return q


def _purge_youth(youth: Youth) -> Counter:
    """Everything of one youth (every case must already have expired; the caller checked)."""
    ids = _person(youth)
    counts: Counter = Counter()
    for case_id in Case.objects.filter(youth_id__in=ids).values_list("pk", flat=True):
        counts += _purge_case(case_id)
    keys = _source_keys(ids)
    # Liaison-meeting lines about the youth, with their action items and shares, go before the youth.
    lines = erase_agenda_items(Q(youth_id__in=ids))
    if lines:
        counts["casework.agendaitem"] += lines
    counts += _delete(TriageDecision.objects.filter(youth_id__in=ids))
    counts += _delete(Referral.objects.filter(youth_id__in=ids))
    counts += _delete(Alert.objects.filter(youth_id__in=ids))
    counts += _delete(Event.all_objects.filter(youth_id__in=ids))  # contests and corrections cascade
    if keys:
        counts += _delete(RecordLink.objects.filter(_keys_q(keys)))
        counts += _delete(SourceRecord.objects.filter(_keys_q(keys)).filter(sealed_at__isnull=True))
        counts += _delete(
            ReviewPair.objects.filter(
                _keys_q(keys, "left_feed", "left_key") | _keys_q(keys, "right_feed", "right_key")
            )
        )
    counts += _delete(RecordLink.objects.filter(youth_id__in=ids))
    counts += _delete(YouthMerge.objects.filter(Q(kept_id__in=ids) | Q(absorbed_id__in=ids)))
    counts += _delete(YouthSplit.objects.filter(Q(source_id__in=ids) | Q(created_id__in=ids)))
    # Whatever other apps attach to a youth (access grants, ...) goes with it; enrolments, scores,
    # notifications and fairness attributes cascade. Merged pointers first: they point at the youth.
    for pk in reversed(ids):
        counts += _delete(Youth.objects.filter(pk=pk))
    return counts


def _still_free(youth_id: int, case_rule: RetentionRule, as_of: dt.date, *, whole: bool) -> bool:
    """Re-checked under the row lock: a case opened or a referral sent since the plan was made holds it."""
    if Case.objects.filter(youth_id=youth_id, status__in=OPEN_CASE_STATUSES).exists():
        return False
    if Referral.objects.filter(youth_id=youth_id, status__in=ACTIVE_REFERRAL_STATUSES).exists():
        return False
    if Alert.objects.filter(youth_id=youth_id, status__in=ACTIVE_ALERT_STATUSES).exists():
        return False
    if RecordContest.objects.filter(event__youth_id=youth_id, status=ContestStatus.OPEN).exists():
        return False
    if whole:
        latest = Case.objects.filter(youth_id=youth_id).aggregate(m=Max("closed_at"))["m"]
        if latest is not None and expires_on(_local_day(latest), case_rule) > as_of:
            return False
    return True


def _save_progress(run: PurgeRun | None, summary: PurgeSummary, counts: Counter, public_id: str) -> None:
    """Inside the youth's transaction: the run's log moves forward with the deletions or not at all."""
    if run is None:
        return
    merged = summary.counts + counts
    ids = summary.youth_public_ids + ([public_id] if public_id else [])
    PurgeRun.objects.filter(pk=run.pk).update(counts=dict(merged), youth_public_ids=ids)


def _run(summary: PurgeSummary, run: PurgeRun | None, actor: Actor) -> None:
    as_of = summary.as_of
    rule_map = rules()
    case_rule = rule_map[RecordType.CLOSED_CASE]
    due, held = due_records(until=as_of, rule_map=rule_map)
    summary.held.update(held)
    whole = {d.object_id for d in due if d.record_type == RecordType.YOUTH_RECORD}

    for item in due:
        if item.record_type == RecordType.QUARANTINED_ROW:
            continue
        youth_id = item.object_id if item.record_type == RecordType.YOUTH_RECORD else None
        if item.record_type == RecordType.CLOSED_CASE:
            youth_id = Case.objects.filter(pk=item.object_id).values_list("youth_id", flat=True).first()
            if youth_id is None or youth_id in whole:
                continue  # already gone, or goes with the whole youth record
        try:
            with transaction.atomic():
                youth = Youth.objects.select_for_update().filter(pk=youth_id).first()
                if youth is None:
                    continue
                is_whole = item.record_type == RecordType.YOUTH_RECORD
                if not _still_free(youth.pk, case_rule, as_of, whole=is_whole):
                    summary.held["changed_since_planned"] += 1
                    continue
                if is_whole:
                    counts = _purge_youth(youth)
                    removed = youth.public_id
                else:
                    counts = _purge_case(item.object_id)
                    removed = ""
                _save_progress(run, summary, counts, removed)
                record(
                    actor,
                    AuditAction.DELETE,
                    run,
                    youth=youth,
                    detail={
                        "retention": item.record_type,
                        "rule": item.rule.record_type,
                        "counts": dict(counts),
                    },
                )
        except ProtectedError as exc:
            # A table this job does not know holds on to the record: keep it and say which.
            names = sorted({o._meta.label_lower for o in exc.protected_objects})
            summary.held["protected_by:" + ",".join(names)] += 1
            continue
        summary.counts += counts
        if removed:
            summary.youth_public_ids.append(removed)

    quarantined = [d.object_id for d in due if d.record_type == RecordType.QUARANTINED_ROW]
    if quarantined:
        with transaction.atomic():
            counts = _delete(QuarantinedRow.objects.filter(pk__in=quarantined))
            _save_progress(run, summary, counts, "")
        summary.counts += counts

    with transaction.atomic():
        residue = _residue_rows().filter(sealed_at__date__lte=as_of)
        n = residue.count()
        if n:
            # The date the sealed contact happened and the hash of its content are content too.
            residue.update(event_date=None, row_hash="")
            counts = Counter({SEALED_RESIDUE: n})
            _save_progress(run, summary, counts, "")
            summary.counts += counts


def purge_expired(
    *, as_of: dt.date | None = None, dry_run: bool = False, actor: Actor | None = None, origin: str = ""
) -> PurgeSummary:
    """Remove every record whose retention has expired by ``as_of`` (today), one transaction per youth
    (or case), logged in a :class:`PurgeRun` and the audit log. A dry run does the same work and rolls it
    all back: it reports what would go, changes nothing and logs nothing. Re-running removes nothing more."""
    as_of = as_of or timezone.localdate()
    actor = actor or Actor.system("purge_expired")
    summary = PurgeSummary(as_of=as_of, dry_run=dry_run)
    if dry_run:
        with transaction.atomic():
            _run(summary, None, actor)
            transaction.set_rollback(True)
        return summary
    run = PurgeRun.objects.create(as_of=as_of, origin=origin or actor.path)
    summary.run_id = run.pk
    try:
        _run(summary, run, actor)
    except Exception as exc:
        PurgeRun.objects.filter(pk=run.pk).update(
            status=PurgeRunStatus.FAILED, finished_at=timezone.now(), error=repr(exc)[:2000]
        )
        raise
    PurgeRun.objects.filter(pk=run.pk).update(
        status=PurgeRunStatus.COMPLETED,
        finished_at=timezone.now(),
        counts=dict(summary.counts),
        youth_public_ids=summary.youth_public_ids,
        held=dict(summary.held),
    )
    run.refresh_from_db()
    record(actor, AuditAction.DELETE, run, detail={"retention_run": summary.as_dict()})
    return summary
