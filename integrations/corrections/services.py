"""Contesting and correcting timeline events (docs/retention.md, "Correction").

A youth or guardian contests an event through a worker who may see it; a data steward corrects it,
annotates it, or rejects the contest with a reason. A correction changes the event on the timeline and
keeps the values before and after in an :class:`EventCorrection`; the source record stays as the bureau
sent it. A withdrawn event (not about this youth, or it did not happen) is hidden the way a sealed one is.
After a correction, ``casework.signals.youth_record_changed`` tells the risk model to rescore the youth.
Every step is in the audit log (ids only, no content) and the filing worker hears of the decision.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.access import policy
from casework.access.audit import Actor, record
from casework.models import EVENT_SOURCE, AuditAction, Event, NotificationKind
from casework.notifications import notify
from casework.signals import youth_record_changed
from integrations.models import ContestStatus, EventCorrection, RecordContest

CORRECTABLE = ("event_date", "kind", "code", "details")


def contestable_event(user, youth, event_id: int) -> Event | None:
    """The event, if the user may contest it: a case worker who sees the youth and the event in full."""
    if not policy.can_view_youth(user, youth):
        return None
    return policy.visible_events(user).filter(pk=event_id, youth=youth).first()


def open_contests() -> QuerySet[RecordContest]:
    return RecordContest.objects.filter(status=ContestStatus.OPEN).select_related("event__youth", "filed_by")


def _snapshot(event: Event) -> dict:
    return {
        "event_date": event.event_date.isoformat(),
        "kind": event.kind,
        "code": event.code,
        "details": event.details,
    }


@transaction.atomic
def file_contest(
    *, actor: Actor, youth, event_id: int, contested_by: str, part: str, statement: str
) -> RecordContest:
    """A worker files a youth's or guardian's contest against one event they may see."""
    event = contestable_event(actor.user, youth, event_id)
    if event is None:
        raise PermissionDenied(_("You may not contest this record."))
    if not statement.strip():
        raise ValidationError(_("Write down what they say."))
    contest = RecordContest.objects.create(
        event=event, contested_by=contested_by, part=part, statement=statement.strip(), filed_by=actor.user
    )
    record(actor, AuditAction.CREATE, contest, youth=event.youth, detail={"event": event.pk, "part": part})
    return contest


def _locked_open(contest: RecordContest) -> RecordContest:
    locked = RecordContest.objects.select_for_update().select_related("event__youth").get(pk=contest.pk)
    if locked.status != ContestStatus.OPEN:
        raise ValidationError(_("This contest has already been decided."))
    return locked


def _decide(actor: Actor, contest: RecordContest, status: str, note: str) -> RecordContest:
    contest.status = status
    contest.decided_by = actor.user
    contest.decided_at = timezone.now()
    contest.decision_note = note.strip()
    contest.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    record(actor, AuditAction.UPDATE, contest, youth=contest.event.youth, detail={"decision": status})
    notify(
        kind=NotificationKind.CONTEST_DECIDED,
        user_id=contest.filed_by_id,
        youth_id=contest.event.youth_id,
        detail={"contest": contest.pk, "decision": status, "note": contest.decision_note[:200]},
    )
    return contest


@transaction.atomic
def correct_event(
    *,
    actor: Actor,
    contest: RecordContest,
    note: str,
    event_date: dt.date | None = None,
    kind: str | None = None,
    code: str | None = None,
    details: dict | None = None,
    withdraw: bool = False,
) -> EventCorrection:
    """A data steward corrects the contested event (or withdraws it from the timeline)."""
    if not policy.can_decide_contests(actor.user):
        raise PermissionDenied(_("Only data stewards decide contests."))
    if not note.strip():
        raise ValidationError(_("Say why the record is corrected."))
    contest = _locked_open(contest)
    event = Event.all_objects.select_for_update().get(pk=contest.event_id)
    before = _snapshot(event)
    if kind is not None and kind != event.kind:
        if EVENT_SOURCE.get(kind) != event.source:
            # Who may read an event follows its source; a correction cannot move it between bureaus.
            raise ValidationError(_("A correction keeps the record with the bureau that sent it."))
        event.kind = kind
    if event_date is not None:
        event.event_date = event_date
        # The bureau cannot have known of it before it happened.
        event.knowledge_date = max(event.knowledge_date, event_date)
    if code is not None:
        event.code = code
    if details is not None:
        event.details = details
    after = _snapshot(event)
    if after == before and not withdraw:
        raise ValidationError(_("Nothing was changed: annotate or reject instead."))
    if withdraw:
        event.sealed_at = timezone.now()
    event.save()
    correction = EventCorrection.objects.create(
        contest=contest,
        event=event,
        before=before,
        after=after,
        source_record_id=event.source_record_id,
        withdrawn=withdraw,
        by=actor.user,
    )
    _decide(actor, contest, ContestStatus.CORRECTED, note)
    youth_id = event.youth_id
    transaction.on_commit(lambda: youth_record_changed.send(sender=EventCorrection, youth_ids=[youth_id]))
    return correction


@transaction.atomic
def annotate_event(*, actor: Actor, contest: RecordContest, note: str) -> RecordContest:
    """A data steward keeps the record as it is and adds the youth's side as a note shown beside it."""
    if not policy.can_decide_contests(actor.user):
        raise PermissionDenied(_("Only data stewards decide contests."))
    if not note.strip():
        raise ValidationError(_("Write the note to show beside the record."))
    return _decide(actor, _locked_open(contest), ContestStatus.ANNOTATED, note)


@transaction.atomic
def reject_contest(*, actor: Actor, contest: RecordContest, reason: str) -> RecordContest:
    """A data steward finds the record right and says why."""
    if not policy.can_decide_contests(actor.user):
        raise PermissionDenied(_("Only data stewards decide contests."))
    if not reason.strip():
        raise ValidationError(_("Give the reason for rejecting the contest."))
    return _decide(actor, _locked_open(contest), ContestStatus.REJECTED, reason)


def event_history(event_ids) -> dict[int, list[RecordContest]]:
    """Per event, its contests with their decisions and corrections, oldest first (for the youth page)."""
    out: dict[int, list[RecordContest]] = {}
    contests = RecordContest.objects.filter(event_id__in=list(event_ids)).select_related(
        "correction", "filed_by", "decided_by"
    )
    for contest in contests:
        out.setdefault(contest.event_id, []).append(contest)
    return out
