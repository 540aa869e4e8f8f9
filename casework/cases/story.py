"""The case as one story: selectors that read a case's timeline, its plan, and why a viewer may not approve it.

Every reader here is called for a viewer who may read the case (``policy.visible_cases``: rule 6); what the
case was opened on (an alert, a score) is told only as far as the viewer may read it (rules 5 and 19).
Times are Taipei times (``casework.clock.TAIPEI``), whatever the server's zone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from casework.access import policy
from casework.cases.worklist import REFERRAL_ANSWER_DAYS
from casework.clock import TAIPEI, deadline_text
from casework.models import (
    AlertTrigger,
    Case,
    CaseStatus,
    CaseStatusChange,
    ClosureAcknowledgement,
    PlannedService,
    PlannedServiceStatus,
    ReferralStatus,
    RiskBand,
    RiskScore,
    StatutoryDuty,
    TriageDecision,
    TriageDecisionKind,
)

# How many of a score's reasons the story shows (the strongest first); the youth page has them all.
STORY_REASONS = 3


def _user(user) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""


@dataclass
class StoryEntry:
    """One line of the case's story. ``day_only``: the record has a day, not a time (a home visit)."""

    at: dt.datetime
    kind: str
    title: str
    lines: list[str] = field(default_factory=list)
    who: str = ""
    day_only: bool = False
    deadline: str = ""  # a deadline in words, with its day ("answer by 2026-03-02")
    overdue: bool = False
    reasons: list[dict] = field(default_factory=list)  # {"up": bool, "text": str | None}
    order: int = 0  # among entries of the same moment, the order they happened in

    @property
    def local(self) -> dt.datetime:
        return self.at.astimezone(TAIPEI)

    @property
    def sort_key(self) -> tuple:
        # A dated record sorts on its day by when it was written down (``at`` holds that moment).
        return (self.local.date(), self.at, self.order)


def _day_at(day: dt.date, written: dt.datetime) -> dt.datetime:
    """A dated record's place in time: its day, at the time it was written down if that was the same day, else
    at the end of the day (a visit logged the next morning still sorts on the day it happened)."""
    local = written.astimezone(TAIPEI)
    if local.date() == day:
        return written
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=TAIPEI)


def _readable_reasons(user, case: Case, score: RiskScore) -> list[dict]:
    """The score's strongest reasons as this viewer may read them: the same grading as the youth page and the
    triage queue (``policy.reason_detail``), text withheld where the viewer may not read what it counts."""
    levels = policy.record_detail_by_source(user, case.youth)
    english = (get_language() or "").startswith("en")
    graded = [(r, policy.reason_detail(levels, r)) for r in score.reasons or []]
    graded = [(r, level) for r, level in graded if level != policy.Detail.HIDDEN]
    graded = sorted(graded, key=lambda pair: -abs(pair[0].get("shap") or 0))[:STORY_REASONS]
    return [
        {
            "up": r.get("direction") == "up",
            "text": (r.get("text_en") if english else r.get("text_zh"))
            if level == policy.Detail.FULL
            else None,
        }
        for r, level in graded
    ]


def _score_entry(user, case: Case, score: RiskScore, title: str, at: dt.datetime) -> StoryEntry:
    return StoryEntry(
        at=at,
        kind="score",
        title=title,
        lines=[
            _("%(band)s band (model %(model)s, as of %(day)s)")
            % {
                "band": RiskBand(score.band).label if score.band in RiskBand.values else score.band,
                "model": score.model_version,
                "day": score.as_of.isoformat(),
            }
        ],
        reasons=_readable_reasons(user, case, score),
        order=-1,
    )


def _origin_entries(user, case: Case) -> list[StoryEntry]:
    """The alert the case was opened on (its legal duty and deadline) and the score then and now, as far as
    the viewer may read them."""
    entries: list[StoryEntry] = []
    decision = (
        TriageDecision.objects.filter(case=case, decision=TriageDecisionKind.OPEN_CASE)
        .select_related("alert__rule", "alert__routed_to", "alert__source_event", "bureau", "decided_by")
        .order_by("created_at")
        .first()
    )
    alert = decision.alert if decision is not None else None
    if alert is not None:
        if alert.source_event_id is not None:
            readable = policy.event_detail_by_source(user, case.youth).get(alert.source_event.source) == (
                policy.Detail.FULL
            )
        else:
            readable = policy.sees_model_scores(user) and (
                alert.rule is None or alert.rule.trigger == AlertTrigger.SCORE
            )
        readable = readable or policy.visible_alerts(user).filter(pk=alert.pk).exists()
        due = alert.due_at.astimezone(TAIPEI)
        if readable:
            duty = alert.rule.statutory_duty if alert.rule_id else StatutoryDuty.OTHER
            lines = []
            if duty != StatutoryDuty.OTHER:
                lines.append(str(StatutoryDuty(duty).label))
            if alert.rule_id and alert.rule.duty:
                lines.append(alert.rule.duty)
            met = alert.met_deadline
            lines.append(
                _("Deadline %(due)s, routed to %(bureau)s.")
                % {"due": deadline_text(due), "bureau": alert.routed_to}
            )
            if met is not None:
                lines.append(_("Decided in time.") if met else _("Decided after its deadline."))
            entries.append(
                StoryEntry(
                    at=alert.created_at,
                    kind="alert",
                    title=_("Alert: %(rule)s") % {"rule": alert.label},
                    lines=lines,
                    order=-3,
                )
            )
        else:
            entries.append(
                StoryEntry(
                    at=alert.created_at,
                    kind="alert",
                    title=_("Alert routed to %(bureau)s") % {"bureau": alert.routed_to},
                    lines=[_("Its reason comes from records you have no reason to read.")],
                    order=-3,
                )
            )
        entries.append(
            StoryEntry(
                at=decision.created_at,
                kind="decision",
                title=_("Decision: %(decision)s") % {"decision": decision.get_decision_display()},
                lines=[decision.get_reason_code_display()] + ([decision.note] if decision.note else []),
                who=_user(decision.decided_by),
                order=-2,
            )
        )
    if policy.sees_model_scores(user):
        scores = policy.visible_scores(user).filter(youth=case.youth).order_by("-as_of", "-scored_at")
        opened_day = case.opened_at.astimezone(TAIPEI).date()
        at_opening = scores.filter(as_of__lte=opened_day).first()
        latest = scores.first()
        if at_opening is not None:
            entries.append(_score_entry(user, case, at_opening, _("Score at opening"), case.opened_at))
        if latest is not None and latest != at_opening:
            entries.append(_score_entry(user, case, latest, _("Score now"), timezone.now()))
    return entries


def case_story(user, case: Case) -> list[StoryEntry]:
    """Everything that happened on the case, oldest first, in Taipei time: what it was opened on (the alert, its
    duty and deadline, the decision, the score then and now), its status moves, the plan and its reviews,
    interventions with their next steps, referrals with the day they must be answered by, and the closure."""
    now = timezone.now()
    entries = _origin_entries(user, case)
    entries.append(
        StoryEntry(
            at=case.opened_at,
            kind="opened",
            title=_("Case opened: %(concern)s") % {"concern": case.get_concern_display()},
            lines=[_("Led by %(bureau)s.") % {"bureau": case.lead_bureau}],
            who=_user(case.opened_by),
        )
    )
    for change in CaseStatusChange.objects.filter(case=case).select_related("by"):
        entries.append(
            StoryEntry(
                at=change.at,
                kind="status",
                title=_("%(from)s → %(to)s")
                % {"from": change.get_from_status_display(), "to": change.get_to_status_display()},
                lines=[change.note] if change.note else [],
                who=_user(change.by),
            )
        )
    for need in case.needs.select_related("added_by"):
        entries.append(
            StoryEntry(
                at=need.added_at,
                kind="plan",
                title=_("Need found: %(area)s") % {"area": need.get_area_display()},
                lines=[need.finding] if need.finding else [],
                who=_user(need.added_by),
            )
        )
    for goal in case.goals.select_related("created_by"):
        entries.append(
            StoryEntry(
                at=goal.created_at,
                kind="plan",
                title=_("Goal set"),
                lines=[goal.text],
                who=_user(goal.created_by),
            )
        )
    for service in case.planned_services.select_related("owner_bureau", "owner_user", "created_by"):
        late = service.status in (PlannedServiceStatus.PLANNED, PlannedServiceStatus.IN_PROGRESS) and (
            service.due_on < timezone.localdate()
        )
        entries.append(
            StoryEntry(
                at=service.created_at,
                kind="plan",
                title=_("Service planned: %(what)s") % {"what": service.description},
                lines=[
                    _("Owner: %(owner)s · now %(status)s")
                    % {"owner": service.owner_label, "status": service.get_status_display()}
                ]
                + ([service.not_done_reason] if service.not_done_reason else []),
                who=_user(service.created_by),
                deadline=_("due %(day)s") % {"day": service.due_on.isoformat()},
                overdue=late,
            )
        )
    for review in case.plan_reviews.select_related("reviewed_by"):
        entries.append(
            StoryEntry(
                at=_day_at(review.reviewed_on, review.created_at),
                kind="review",
                title=_("Plan reviewed"),
                lines=[review.note] if review.note else [],
                who=_user(review.reviewed_by),
                day_only=True,
            )
        )
    for i in case.interventions.select_related("worker"):
        lines = [text for text in (i.notes, i.outcome) if text]
        if i.next_step:
            lines.append(_("Next step: %(step)s") % {"step": i.next_step})
        entries.append(
            StoryEntry(
                at=_day_at(i.occurred_on, i.created_at),
                kind="intervention",
                title=i.get_kind_display(),
                lines=lines,
                who=_user(i.worker),
                day_only=True,
                deadline=_("next step due %(day)s") % {"day": i.next_due.isoformat()} if i.next_due else "",
            )
        )
    for r in case.referrals.select_related(
        "from_bureau", "to_bureau", "from_user", "responded_by", "closed_by"
    ):
        answer_by = r.created_at.astimezone(TAIPEI).date() + dt.timedelta(days=REFERRAL_ANSWER_DAYS)
        pending = r.status == ReferralStatus.PENDING
        entries.append(
            StoryEntry(
                at=r.created_at,
                kind="referral",
                title=_("%(kind)s to %(bureau)s") % {"kind": r.get_kind_display(), "bureau": r.to_bureau},
                lines=[r.reason, _("Now: %(status)s") % {"status": r.get_status_display()}],
                who=_user(r.from_user),
                deadline=_("answer by %(day)s") % {"day": answer_by.isoformat()},
                overdue=pending and answer_by < now.astimezone(TAIPEI).date(),
            )
        )
        if r.responded_at:
            late = r.responded_at.astimezone(TAIPEI).date() > answer_by
            entries.append(
                StoryEntry(
                    at=r.responded_at,
                    kind="referral",
                    title=_("%(bureau)s answered: %(answer)s")
                    % {
                        "bureau": r.to_bureau,
                        "answer": _("declined") if r.status == ReferralStatus.DECLINED else _("accepted"),
                    },
                    lines=([r.response_note] if r.response_note else [])
                    + ([_("Answered after the day it was due.")] if late else []),
                    who=_user(r.responded_by),
                )
            )
        if r.closed_at:
            entries.append(
                StoryEntry(
                    at=r.closed_at,
                    kind="referral",
                    title=_("Referral %(status)s") % {"status": r.get_status_display()},
                    lines=[r.closed_note] if r.closed_note else [],
                    who=_user(r.closed_by),
                )
            )
    for ack in ClosureAcknowledgement.objects.filter(case=case).select_related("by"):
        entries.append(
            StoryEntry(
                at=ack.at,
                kind="closure",
                title=_("Closure approved with steps never done, acknowledged"),
                lines=[f"{s['description']} ({PlannedServiceStatus(s['status']).label})" for s in ack.steps],
                who=_user(ack.by),
                order=1,
            )
        )
    entries.sort(key=lambda e: e.sort_key)
    return entries


# ---------------------------------------------------------------------------------------------------------
# The plan as the page shows it
# ---------------------------------------------------------------------------------------------------------


@dataclass
class PlanView:
    needs: list
    goals: list
    services: list[PlannedService]
    reviews: list
    undone: list[PlannedService]

    @property
    def empty(self) -> bool:
        return not (self.needs or self.goals or self.services or self.reviews)


def case_plan(case: Case) -> PlanView:
    services = list(case.planned_services.select_related("owner_bureau", "owner_user", "goal"))
    return PlanView(
        needs=list(case.needs.all()),
        goals=list(case.goals.all()),
        services=services,
        reviews=list(case.plan_reviews.select_related("reviewed_by").order_by("-reviewed_on", "-id")),
        undone=[s for s in services if not s.is_done],
    )


# ---------------------------------------------------------------------------------------------------------
# Why there is no approve button
# ---------------------------------------------------------------------------------------------------------


def why_not_approver(user, case: Case) -> str:
    """Why this viewer has no button to approve the case's closure, in words ("" when they have one). Mirrors
    ``policy.can_approve_closure``: a supervisor of the lead bureau who never carried the case and never asked
    for its closure."""
    if case.status == CaseStatus.CLOSED:
        return ""
    if case.status != CaseStatus.CLOSURE_REQUESTED:
        return _(
            "No closure has been asked for: the approve button appears once the case's worker asks to close it."
        )
    if policy.can_approve_closure(user, case):
        return ""
    rule = _(
        "Closures are approved by a supervisor of the case's lead bureau (%(bureau)s) who never carried the case."
    ) % {"bureau": case.lead_bureau}
    p = policy.principal_for(user)
    if case.lead_bureau_id not in p.supervisor_bureau_ids:
        return rule
    uid = p.user.pk
    if (
        case.closure_requested_by_id == uid
        or CaseStatusChange.objects.filter(
            case=case, to_status=CaseStatus.CLOSURE_REQUESTED, by_id=uid
        ).exists()
    ):
        return f"{rule} {_('You asked for this closure.')}"
    if case.assignee_id == uid:
        return f"{rule} {_('You carry this case.')}"
    return f"{rule} {_('You carried this case before.')}"


# ---------------------------------------------------------------------------------------------------------
# Stored versions of the case and of its plan
# ---------------------------------------------------------------------------------------------------------


def case_and_plan_versions(case: Case) -> list:
    """``history.case_versions`` (the case, its interventions and referrals) and every stored version of its
    needs, goals, planned services and plan reviews, newest first. Callers check that the reader may read the
    case and log the reading."""
    from casework.history import _versions, case_versions
    from casework.models import CaseGoal, CaseNeed, CasePlanReview

    versions = case_versions(case)
    versions += _versions(
        CaseNeed.history.filter(case_id=case.pk).select_related("history_user"),
        lambda row: f"{_('Need')} · {row.get_area_display()}",
    )
    versions += _versions(
        CaseGoal.history.filter(case_id=case.pk).select_related("history_user"), lambda row: str(_("Goal"))
    )
    versions += _versions(
        PlannedService.history.filter(case_id=case.pk).select_related("history_user"),
        lambda row: f"{_('Planned service')} · {row.description}",
    )
    versions += _versions(
        CasePlanReview.history.filter(case_id=case.pk).select_related("history_user"),
        lambda row: f"{_('Plan review')} {row.reviewed_on:%Y-%m-%d}",
    )
    versions.sort(key=lambda v: v.at, reverse=True)
    return versions
