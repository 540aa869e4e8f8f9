"""Liaison-meeting writes: scheduling, the agenda, shares for a meeting, the record of the meeting, action items.

Each function checks ``casework.access.policy`` (rule 21), writes in one transaction and appends the audit row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from casework.access import policy
from casework.access.audit import Actor, record
from casework.access.services import record_review
from casework.meetings.proposal import proposed_items
from casework.models import (
    ActionItem,
    AgendaItem,
    AgendaItemKind,
    AuditAction,
    Bureau,
    BureauKind,
    EventSource,
    Meeting,
    MeetingShare,
    MeetingStatus,
    User,
    Youth,
    validate_purpose_text,
)

# Agenda lines are kept in the minutes' language (Traditional Chinese), whoever proposed them.
MINUTES_LANGUAGE = "zh-hant"


# Meetings are monthly or weekly: one is scheduled at most a quarter ahead, and a youth is shared with a bureau
# at most two weeks before it (the share ends when the meeting is over: insider review 9, F2).
SCHEDULE_AHEAD_DAYS = 92
SHARE_AHEAD_DAYS = 14


def _require_run(actor: Actor) -> None:
    if not policy.can_run_meetings(actor.user):
        raise PermissionDenied(_("Only the committee's supervisors and secretariat run liaison meetings."))


def _require_edit(actor: Actor, meeting: Meeting) -> None:
    _require_run(actor)
    if not policy.can_edit_meeting(actor.user, meeting):
        raise ValidationError(_("The minutes of this meeting are final; it can no longer be changed."))


def _meeting_bureau_ids(meeting: Meeting) -> set[int]:
    """The invited bureaus and the committee (the convenor is always there)."""
    ids = set(meeting.invited_bureaus.values_list("pk", flat=True))
    ids |= set(Bureau.objects.filter(kind=BureauKind.COMMITTEE).values_list("pk", flat=True))
    return ids


@transaction.atomic
def schedule_meeting(
    *,
    actor: Actor,
    title: str,
    starts_at: dt.datetime,
    chair: User,
    invited_bureaus: Iterable[Bureau],
    invitees: Iterable[User] = (),
) -> Meeting:
    """Schedule a meeting and propose its agenda at once."""
    _require_run(actor)
    bureaus = list(invited_bureaus)
    if not bureaus:
        raise ValidationError({"invited_bureaus": _("Invite at least one bureau.")})
    if not policy.can_run_meetings(chair):
        raise ValidationError({"chair": _("The chair must be a committee supervisor or secretariat member.")})
    if starts_at - timezone.now() > dt.timedelta(days=SCHEDULE_AHEAD_DAYS):
        raise ValidationError(
            {
                "starts_at": _("Schedule a meeting at most %(days)s days ahead.")
                % {"days": SCHEDULE_AHEAD_DAYS}
            }
        )
    meeting = Meeting.objects.create(
        title=title.strip(), starts_at=starts_at, chair=chair, created_by=actor.user
    )
    meeting.invited_bureaus.set(bureaus)
    _set_invitees(meeting, invitees)
    record(
        actor,
        AuditAction.CREATE,
        meeting,
        detail={"bureaus": sorted(b.code for b in bureaus), "invitees": sorted(u.username for u in invitees)},
    )
    propose_agenda(actor=actor, meeting=meeting)
    return meeting


def _set_invitees(meeting: Meeting, invitees: Iterable[User]) -> None:
    invitees = list(invitees)
    allowed = set(policy.meeting_participants(_meeting_bureau_ids(meeting)).values_list("pk", flat=True))
    if any(u.pk not in allowed for u in invitees):
        raise ValidationError({"invitees": _("Invite only case workers of the bureaus invited.")})
    meeting.invitees.set(invitees)


@transaction.atomic
def propose_agenda(*, actor: Actor, meeting: Meeting) -> list[AgendaItem]:
    """Add to the agenda what is stuck now and not yet on it (an item the secretariat removed stays off)."""
    _require_edit(actor, meeting)
    known = set(meeting.items.exclude(source_key="").values_list("source_key", flat=True))
    position = meeting.items.aggregate(m=Max("position"))["m"] or 0
    added = []
    with translation.override(MINUTES_LANGUAGE):
        rows = proposed_items(meeting)
    for row in rows:
        if row.source_key in known:
            continue
        position += 1
        item = AgendaItem.objects.create(
            meeting=meeting,
            position=position,
            kind=row.kind,
            youth_id=row.youth_id,
            case_id=row.case_id,
            referral_id=row.referral_id,
            alert_id=row.alert_id,
            follows_up_id=row.action_id,
            summary=row.summary[:300],
            due=row.due,
            source_key=row.source_key,
        )
        item.bureaus.set(row.bureau_ids)
        added.append(item)
    record(
        actor,
        AuditAction.UPDATE,
        meeting,
        detail={"proposed": len(added), "keys": [i.source_key for i in added]},
    )
    return added


@transaction.atomic
def add_item(
    *, actor: Actor, meeting: Meeting, summary: str, youth: Youth | None = None, note: str = ""
) -> AgendaItem:
    """An item the secretariat adds by hand (a youth by exact youth ID, or a general item)."""
    _require_edit(actor, meeting)
    summary = summary.strip()
    if not summary:
        raise ValidationError({"summary": _("Say what the item is about.")})
    position = (meeting.items.aggregate(m=Max("position"))["m"] or 0) + 1
    item = AgendaItem.objects.create(
        meeting=meeting,
        position=position,
        kind=AgendaItemKind.OTHER,
        youth=youth,
        summary=summary[:300],
        note=note,
    )
    record(actor, AuditAction.CREATE, item, youth=youth, detail={"meeting": meeting.pk})
    return item


@transaction.atomic
def edit_item(
    *, actor: Actor, item: AgendaItem, note: str | None = None, move: str = "", remove: bool = False
) -> AgendaItem:
    """Change an item's note, move it one place up or down, or take it off the agenda."""
    meeting = item.meeting
    _require_edit(actor, meeting)
    changes: dict = {}
    if note is not None and note != item.note:
        item.note = note.strip()
        changes["note"] = True
    if remove and item.removed_at is None:
        item.removed_at = timezone.now()
        changes["removed"] = True
    item.save()
    if move in ("up", "down"):
        order = list(meeting.items.filter(removed_at__isnull=True).order_by("position", "pk"))
        i = next(n for n, x in enumerate(order) if x.pk == item.pk) if item in order else None
        j = None if i is None else (i - 1 if move == "up" else i + 1)
        if j is not None and 0 <= j < len(order):
            order[i], order[j] = order[j], order[i]
            for n, x in enumerate(order, start=1):
                if x.position != n:
                    AgendaItem.objects.filter(pk=x.pk).update(position=n)
            changes["move"] = move
        item.refresh_from_db()
    record(actor, AuditAction.UPDATE, item, detail={"meeting": meeting.pk, **changes})
    return item


@transaction.atomic
def share_item(
    *,
    actor: Actor,
    item: AgendaItem,
    bureau: Bureau,
    sources: Iterable[str],
    case_content: bool,
    reason: str,
) -> MeetingShare:
    """The committee shares, with one invited bureau and for this meeting only, more of an agenda youth's
    record than that bureau may otherwise see: the named sources in full, and the case content if said so.
    The share ends at midnight after the meeting's day and is reviewed like an access by stated purpose."""
    meeting = item.meeting
    _require_edit(actor, meeting)
    if item.youth_id is None or item.removed_at is not None:
        raise ValidationError(_("Only a youth on the agenda can be shared."))
    if not meeting.invited_bureaus.filter(pk=bureau.pk).exists():
        raise ValidationError({"bureau": _("Share only with a bureau invited to the meeting.")})
    sources = sorted(set(sources))
    if any(s not in EventSource.values for s in sources):
        raise ValidationError({"sources": _("Choose records by their source.")})
    if not sources and not case_content:
        raise ValidationError(_("Choose what to share."))
    reason = reason.strip()
    validate_purpose_text(reason)
    now = timezone.now()
    if meeting.starts_at - now > dt.timedelta(days=SHARE_AHEAD_DAYS):
        # A share lasts until the meeting is over: made weeks ahead it would be weeks of access.
        raise ValidationError(
            _("Share a youth at most %(days)s days before the meeting.") % {"days": SHARE_AHEAD_DAYS}
        )
    until = policy.meeting_share_until(meeting)
    if until <= now:
        raise ValidationError(_("The meeting is over: nothing more can be shared for it."))
    share = MeetingShare.objects.create(
        meeting=meeting,
        item=item,
        youth_id=item.youth_id,
        bureau=bureau,
        sources=sources,
        case_content=case_content,
        reason=reason,
        granted_by=actor.user,
        granted_at=now,
        expires_at=until,
    )
    record(
        actor,
        AuditAction.CREATE,
        share,
        youth=item.youth,
        detail={
            "meeting_share": share.pk,
            "meeting": meeting.pk,
            "bureau": bureau.code,
            "sources": sources,
            "case_content": case_content,
            # Not the reason: free text about the youth's matter, which would outlive a sealed record in the
            # log (insider review 10, F2). The share holds it for the reviewers, and goes with the record.
            # A time written with "T" would be masked as a national ID (a letter and nine digits).
            "expires_at": until.isoformat(sep=" ", timespec="seconds"),
        },
    )
    return share


@transaction.atomic
def record_decision(*, actor: Actor, item: AgendaItem, decision: str) -> AgendaItem:
    _require_edit(actor, item.meeting)
    decision = decision.strip()
    if not decision:
        raise ValidationError({"decision": _("Write the decision.")})
    item.decision = decision
    item.decided_by = actor.user
    item.decided_at = timezone.now()
    item.save(update_fields=["decision", "decided_by", "decided_at"])
    record(actor, AuditAction.UPDATE, item, detail={"meeting": item.meeting_id, "decision": True})
    return item


@transaction.atomic
def add_action_item(
    *,
    actor: Actor,
    item: AgendaItem,
    text: str,
    due_on: dt.date,
    owner_bureau: Bureau | None = None,
    owner_user: User | None = None,
) -> ActionItem:
    """An action the meeting asks of a bureau or of one of its workers, by a date: a task in the owner's
    worklist, and on every later meeting's proposed agenda until it is done."""
    meeting = item.meeting
    _require_edit(actor, meeting)
    text = text.strip()
    if not text:
        raise ValidationError({"text": _("Say what must be done.")})
    if (owner_bureau is None) == (owner_user is None):
        raise ValidationError(_("Name one owner: a bureau or a person."))
    bureaus = _meeting_bureau_ids(meeting)
    if owner_bureau is not None and owner_bureau.pk not in bureaus:
        raise ValidationError({"owner_bureau": _("The owner must be a bureau at the meeting.")})
    if owner_user is not None and not policy.meeting_participants(bureaus).filter(pk=owner_user.pk).exists():
        raise ValidationError(
            {"owner_user": _("The owner must be a case worker of a bureau at the meeting.")}
        )
    action = ActionItem.objects.create(
        meeting=meeting,
        item=item,
        text=text,
        due_on=due_on,
        owner_bureau=owner_bureau,
        owner_user=owner_user,
        created_by=actor.user,
    )
    record(
        actor,
        AuditAction.CREATE,
        action,
        youth=item.youth,
        detail={
            "meeting": meeting.pk,
            "owner_bureau": owner_bureau.code if owner_bureau else "",
            "owner_user": owner_user.username if owner_user else "",
            "due_on": due_on.isoformat(),
        },
    )
    return action


@transaction.atomic
def record_attendance(
    *, actor: Actor, meeting: Meeting, attendees: Iterable[User], other_attendees: str = ""
) -> Meeting:
    _require_edit(actor, meeting)
    attendees = list(attendees)
    meeting.attendees.set(attendees)
    meeting.other_attendees = other_attendees.strip()
    meeting.save(update_fields=["other_attendees"])
    record(actor, AuditAction.UPDATE, meeting, detail={"attendees": sorted(u.username for u in attendees)})
    return meeting


@transaction.atomic
def close_meeting(*, actor: Actor, meeting: Meeting, notes: str = "") -> Meeting:
    """The minutes become final: nothing on the meeting changes after this, and they may be exported."""
    _require_edit(actor, meeting)
    if not meeting.attendees.exists() and not meeting.other_attendees.strip():
        raise ValidationError(_("Record who attended before closing the minutes."))
    meeting.status = MeetingStatus.HELD
    meeting.held_at = timezone.now()
    if notes.strip():
        meeting.notes = notes.strip()
    meeting.save(update_fields=["status", "held_at", "notes"])
    record(actor, AuditAction.UPDATE, meeting, detail={"status": MeetingStatus.HELD})
    return meeting


@transaction.atomic
def complete_action_item(*, actor: Actor, action: ActionItem, note: str = "") -> ActionItem:
    """Its owner (or who runs meetings) says it is done; it leaves the tasks and the next agendas."""
    locked = ActionItem.objects.select_for_update().get(pk=action.pk)
    if not policy.can_complete_action_item(actor.user, locked):
        raise PermissionDenied(_("Only the owner of this action item may say it is done."))
    locked.done_at = timezone.now()
    locked.done_by = actor.user
    locked.done_note = note.strip()
    locked.save(update_fields=["done_at", "done_by", "done_note"])
    record(actor, AuditAction.UPDATE, locked, youth=locked.item.youth, detail={"done": True})
    return locked


@transaction.atomic
def review_meeting_share(*, actor: Actor, share: MeetingShare, outcome: str, note: str = "") -> MeetingShare:
    """An auditor or a committee supervisor who did not make it judges whether the share was needed."""
    locked = MeetingShare.objects.select_for_update().get(pk=share.pk)
    if not policy.can_review_meeting_share(actor.user, locked):
        raise PermissionDenied(_("You may not review this share (nobody reviews their own)."))
    return record_review(actor=actor, locked=locked, outcome=outcome, note=note, youth=locked.youth)
