"""What casework does when a court seals records (Art. 83-1): everything derived from the sealed events goes.

A sealed record "counts as never made". ``integrations`` erases the record itself (its content, links and
review pairs); this module erases or rewrites what casework computed or decided *because of* it, the same
categories the subject-access export leaves out (``privacy.subject_access``):

- **Alerts raised from a sealed event**, whatever their status, with the triage decisions on them and every
  notification about them (raised, escalated, decided). Without the alert nobody keeps a reason to see the
  youth through it (access-policy rules 2 and 3 count alerts of any status for supervisors).
- **What a decision on such an alert set going**: the case it opened, with its interventions, status and
  assignee history, its structured plan (needs, goals, planned services, plan reviews and the closure's
  acknowledgement of steps never done), referrals and notifications, and the referrals it made, whatever their status. A guidance
  case opened for a sealed offence or exposure is a record of the sealed matter: the court's notice orders
  the agencies to erase it (Art. 83-1), and its concern and summary (often the decision's note) would repeat
  the sealed record. A revoked referral would still give the supervisors of both bureaus a reason to see the
  youth (access-policy rule 3), so referrals are erased, not revoked.
- **Risk scores** of the youth as of a day on or after the earliest sealed record was known (their features
  and reasons may rest on it), and **score alerts** raised since then (with their decisions and
  notifications): the youth is rescored without the sealed record (``youth_record_changed`` with
  ``sealed=True``; the risk model listens), and a score alert comes back only if the new score warrants it.
- **Triage decisions** made since then on the youth that stay (not on a removed alert) keep the decision but
  lose the score and band they showed (``score``, ``band``, ``model_version`` blanked).
- **Timeline events** themselves, with the contests and corrections filed about them.
- **Stored versions** (``casework.history``): the versions of every alert, case, intervention, referral,
  need, goal, planned service and plan review erased here go with it (their models delete their history with them), and so do the versions of the
  youth's own record, whose identity may have come from a sealed record (the golden record is rebuilt from
  what is left, and linkage writes it without new versions).

The access log is append-only and is not rewritten: its lines hold object numbers and codes, never a sealed
record's content, and only auditors read it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q

from casework.access.audit import Actor
from casework.history import erase_history_of
from casework.models import (
    ActionItem,
    AgendaItem,
    AgendaItemKind,
    Alert,
    AlertTrigger,
    Case,
    CaseGoal,
    CaseNeed,
    CasePlanReview,
    ClosureAcknowledgement,
    Enrollment,
    Event,
    Intervention,
    MeetingShare,
    Notification,
    PlannedService,
    Referral,
    ReferralStatus,
    RiskScore,
    TriageDecision,
    TriageDecisionKind,
    Youth,
)
from casework.signals import youth_record_changed


@dataclass
class ErasedDerived:
    """What :func:`erase_derived_from_events` removed or rewrote, by kind (counts only)."""

    youth_ids: set[int] = field(default_factory=set)
    counts: dict[str, int] = field(default_factory=dict)


def _since_by_youth(events: Iterable[tuple[int, dt.date]]) -> dict[int, dt.date]:
    since: dict[int, dt.date] = {}
    for youth_id, known in events:
        if youth_id not in since or known < since[youth_id]:
            since[youth_id] = known
    return since


def _holding_nothing(youth_ids: Iterable[int]) -> list[int]:
    """Of these youth, those with no timeline, enrolment, case, alert, referral or triage decision left."""
    held = Q(pk__in=[])
    for model in (Event, Enrollment, Case, Alert, Referral, TriageDecision):
        held |= Q(pk__in=model.objects.values("youth_id"))
    return list(Youth.objects.filter(pk__in=list(youth_ids)).exclude(held).values_list("pk", flat=True))


def erase_agenda_items(items: Q) -> int:
    """Delete the agenda lines ``items`` selects, with what hangs on them: their action items, the lines of
    later meetings that followed those up (and so on), and their meeting shares. Returns how many lines."""
    ids = set(AgendaItem.objects.filter(items).values_list("pk", flat=True))
    frontier = set(ids)
    while frontier:
        actions = ActionItem.objects.filter(item_id__in=frontier).values("pk")
        frontier = (
            set(AgendaItem.objects.filter(follows_up_id__in=actions).values_list("pk", flat=True)) - ids
        )
        ids |= frontier
    if not ids:
        return 0
    MeetingShare.objects.filter(item_id__in=ids).delete()
    AgendaItem.objects.filter(follows_up__item_id__in=ids).update(follows_up=None)
    ActionItem.objects.filter(item_id__in=ids).delete()
    return AgendaItem.objects.filter(pk__in=ids).delete()[1].get("casework.AgendaItem", 0)


def erase_derived_from_events(
    *, event_ids: Iterable[int], extra_youth_ids: Iterable[int] = (), actor: Actor
) -> ErasedDerived:
    """Erase the events (sealed by a court) and everything casework derived from them (module docstring).

    ``extra_youth_ids``: youth who lost a sealed record that never reached their timeline (their scores may
    still rest on nothing sealed, but their golden record changed): they are rescored too."""
    event_ids = list(event_ids)
    out = ErasedDerived()
    rows = list(Event.all_objects.filter(pk__in=event_ids).values_list("youth_id", "knowledge_date"))
    since = _since_by_youth(rows)
    out.youth_ids = set(since) | set(extra_youth_ids)
    counts = out.counts

    alert_q = Q(source_event_id__in=event_ids)
    for youth_id, day in since.items():
        # Score alerts raised since the sealed record was known may rest on it.
        alert_q |= Q(youth_id=youth_id, rule__trigger=AlertTrigger.SCORE, created_at__date__gte=day)
    alert_ids = list(Alert.objects.filter(alert_q).values_list("pk", flat=True)) if event_ids else []

    decisions = TriageDecision.objects.filter(alert_id__in=alert_ids)
    # What a decision on an alert of the sealed event itself set going is the sealed matter: the case it
    # opened (with its interventions and referrals) and the referrals it made, whatever their status.
    on_event = decisions.filter(alert__source_event_id__in=event_ids)
    case_ids = list(
        on_event.filter(decision=TriageDecisionKind.OPEN_CASE, case__isnull=False).values_list(
            "case_id", flat=True
        )
    )
    referral_ids = set(on_event.exclude(referral__isnull=True).values_list("referral_id", flat=True))
    referral_ids |= set(Referral.objects.filter(case_id__in=case_ids).values_list("pk", flat=True))
    # A decision on a score alert rests on the sealed record only through the score: the referral it made
    # and nobody has answered yet goes; a case it opened is the workers' judgement of the whole record, and
    # stays (cut loose from the alert).
    referral_ids |= set(
        Referral.objects.filter(
            pk__in=decisions.exclude(referral__isnull=True).values("referral_id"),
            status=ReferralStatus.PENDING,
        ).values_list("pk", flat=True)
    )
    counts["notifications"] = Notification.objects.filter(
        Q(alert_id__in=alert_ids) | Q(referral_id__in=referral_ids) | Q(case_id__in=case_ids)
    ).delete()[0]
    # A liaison meeting's agenda line about a sealed alert, case or referral, or about a youth's band that
    # rested on the sealed record, is derived from it: the line goes, with its decision, its action items
    # (and the lines that followed them up) and its shares, from past minutes too (insider review 9, F1).
    counts["agenda_items"] = erase_agenda_items(
        Q(alert_id__in=alert_ids)
        | Q(case_id__in=case_ids)
        | Q(referral_id__in=referral_ids)
        | Q(kind=AgendaItemKind.TOP_BAND_NO_CASE, youth_id__in=list(since))
    )
    TriageDecision.objects.filter(Q(case_id__in=case_ids) | Q(referral_id__in=referral_ids)).exclude(
        alert_id__in=alert_ids
    ).update(case=None, referral=None)
    counts["triage_decisions"] = decisions.delete()[0]
    counts["referrals"] = Referral.objects.filter(pk__in=referral_ids).delete()[0]
    counts["interventions"] = Intervention.objects.filter(case_id__in=case_ids).delete()[0]
    # The plan would go with the case (CASCADE); erased by name so the count says so, steps before goals.
    counts["case_plan"] = sum(
        model.objects.filter(case_id__in=case_ids).delete()[0]
        for model in (ClosureAcknowledgement, PlannedService, CaseGoal, CaseNeed, CasePlanReview)
    )
    # Status and assignee history go with the case (CASCADE).
    counts["cases"] = Case.objects.filter(pk__in=case_ids).delete()[1].get("casework.Case", 0)
    counts["alerts"] = Alert.objects.filter(pk__in=alert_ids).delete()[0]

    rewritten = 0
    for youth_id, day in since.items():
        rewritten += TriageDecision.objects.filter(youth_id=youth_id, created_at__date__gte=day).update(
            score=None, band="", model_version=""
        )
    counts["triage_decisions_rewritten"] = rewritten
    scores = 0
    for youth_id, day in since.items():
        scores += RiskScore.objects.filter(youth_id=youth_id, as_of__gte=day).delete()[0]
    counts["risk_scores"] = scores
    # Contests and corrections of the events go with them (CASCADE).
    counts["events"] = Event.all_objects.filter(pk__in=event_ids).delete()[1].get("casework.Event", 0)
    # A youth left holding nothing keeps no agenda line either (one added by hand included).
    counts["agenda_items"] += erase_agenda_items(Q(youth_id__in=_holding_nothing(out.youth_ids)))

    youth_ids = sorted(out.youth_ids)
    # Versions of the erased alerts, cases, interventions and referrals went with them (cascade_delete_history).
    erase_history_of(Youth, youth_ids)
    if youth_ids:
        transaction.on_commit(
            lambda: youth_record_changed.send(sender=Event, youth_ids=youth_ids, sealed=True), robust=True
        )
    return out
