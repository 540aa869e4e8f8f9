"""What a case worker must do next ("my tasks"): selectors that only read.

Each selector returns :class:`Task` rows for one kind of work, scoped through ``casework.access.policy`` so that a
task never names a record the user may not see; :func:`my_tasks` puts them together, soonest first.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, Max, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.access import policy
from casework.cases.plan import OPEN_STEP_STATUSES
from casework.models import (
    ACTIVE_ALERT_STATUSES,
    DUTY_RANK,
    OPEN_CASE_STATUSES,
    WORKING_STATUSES,
    Case,
    CaseStatus,
    Intervention,
    PlannedService,
    ReferralStatus,
    StatutoryDuty,
    User,
)
from casework.words import labelled

# A referral is answered within 14 days: the committee's legal deadline for deciding whether to open an
# exposure case, used here as the house target for every bureau.
REFERRAL_ANSWER_DAYS = 14
# A closure request waits for a supervisor no longer than this (the house target, not a legal deadline).
CLOSURE_DECISION_DAYS = 14
# A case with no intervention logged for this many days needs contact (or a note on why not).
QUIET_DAYS = 30


class TaskKind:
    NEXT_STEP = "next_step"
    REFERRAL = "referral"
    ALERT = "alert"
    CLOSURE_APPROVAL = "closure_approval"
    MONITORING_ENDED = "monitoring_ended"
    QUIET_CASE = "quiet_case"
    MEETING_ACTION = "meeting_action"
    PLANNED_STEP = "planned_step"

    LABELS = {
        NEXT_STEP: _("Next step due"),
        REFERRAL: _("Referral to answer"),
        ALERT: _("Alert to decide"),
        CLOSURE_APPROVAL: _("Closure to approve"),
        MONITORING_ENDED: _("Monitoring period over: ready to close"),
        QUIET_CASE: _("No intervention logged for 30 days"),
        MEETING_ACTION: _("Action item from a liaison meeting"),
        PLANNED_STEP: _("Planned step of a case plan"),
    }


@dataclass(frozen=True)
class Task:
    """One thing the user must do, with the day it is due."""

    kind: str
    due: dt.date
    overdue: bool
    url: str
    youth_public_id: str
    youth_name: str = ""
    detail: str = ""
    due_at: dt.datetime | None = None  # for deadlines with a time of day (alerts)
    case_label: str = ""
    since: dt.date | None = None  # quiet cases: the last contact (or the opening day)
    duty: str = StatutoryDuty.OTHER  # alerts: the legal duty of the rule that raised it

    @property
    def label(self) -> str:
        return str(TaskKind.LABELS[self.kind])

    @property
    def duty_label(self) -> str:
        """The legal duty in words, for a task that carries one ("" for ordinary follow-up)."""
        return "" if self.duty == StatutoryDuty.OTHER else str(StatutoryDuty(self.duty).label)

    @property
    def sort_key(self) -> tuple:
        """The most severe legal duty first (a child-protection alert before a home-visit step, however
        overdue that is), then the deadline."""
        when = self.due_at or timezone.make_aware(dt.datetime.combine(self.due, dt.time.max))
        return (DUTY_RANK.get(self.duty, DUTY_RANK[StatutoryDuty.OTHER]), when, self.kind, self.url)


def _case_url(case_id: int) -> str:
    return reverse("case-detail", args=[case_id])


def carried_cases(user) -> QuerySet[Case]:
    """Open cases the user carries: assigned to them, or opened by them and not yet assigned to anyone."""
    uid = policy.principal_for(user).user.pk
    return (
        policy.visible_cases(user)
        .filter(status__in=OPEN_CASE_STATUSES)
        .filter(Q(assignee_id=uid) | Q(assignee__isnull=True, opened_by_id=uid))
    )


def next_steps_due(user, *, today: dt.date) -> list[Task]:
    """Next steps with a due date: the latest one on each case the user carries, and the latest one the user
    set on any other open case they work (e.g. through an accepted referral), which someone else's later
    visit does not cancel."""
    uid = policy.principal_for(user).user.pk

    def newer(**same):
        return Intervention.objects.filter(case=OuterRef("case"), **same).filter(
            Q(occurred_on__gt=OuterRef("occurred_on"))
            | Q(occurred_on=OuterRef("occurred_on"), pk__gt=OuterRef("pk"))
        )

    carried = Intervention.objects.filter(case__in=carried_cases(user), next_due__isnull=False).filter(
        ~Exists(newer())
    )
    own = Intervention.objects.filter(
        worker_id=uid,
        next_due__isnull=False,
        case__in=policy.visible_cases(user).filter(status__in=OPEN_CASE_STATUSES),
    ).filter(~Exists(newer(worker_id=uid)))
    latest = {i.pk: i for qs in (carried, own) for i in qs.select_related("case__youth")}.values()
    return [
        Task(
            kind=TaskKind.NEXT_STEP,
            due=i.next_due,
            overdue=i.next_due < today,
            url=_case_url(i.case_id),
            youth_public_id=i.case.youth.public_id,
            youth_name=i.case.youth.name,
            detail=i.next_step,
            case_label=str(i.case),
        )
        for i in latest
    ]


def referrals_to_answer(user, *, today: dt.date) -> list[Task]:
    """Pending referrals addressed to the user, or to their bureau without naming a worker (never their own)."""
    p = policy.principal_for(user)
    pending = (
        policy.visible_referrals(user)
        .filter(status=ReferralStatus.PENDING)
        .filter(Q(to_user_id=p.user.pk) | Q(to_user__isnull=True, to_bureau_id__in=p.casework_bureau_ids))
        .exclude(from_user_id=p.user.pk)
        .select_related("youth", "from_bureau")
    )
    tasks = []
    for r in pending:
        due = timezone.localdate(r.created_at) + dt.timedelta(days=REFERRAL_ANSWER_DAYS)
        tasks.append(
            Task(
                kind=TaskKind.REFERRAL,
                due=due,
                overdue=due < today,
                url=f"{reverse('referral-list')}?status=pending#referral-{r.pk}",
                youth_public_id=r.youth.public_id,
                youth_name=r.youth.name,
                detail=labelled(r.from_bureau, r.reason),
                case_label=str(r.case) if r.case_id else "",
            )
        )
    return tasks


def alerts_to_decide(user, *, now: dt.datetime) -> list[Task]:
    """Active alerts routed to a bureau the user acts for (decided on the triage page)."""
    p = policy.principal_for(user)
    alerts = (
        policy.visible_alerts(user)
        .filter(status__in=ACTIVE_ALERT_STATUSES, routed_to_id__in=p.casework_bureau_ids)
        .select_related("youth", "rule")
    )
    return [
        Task(
            kind=TaskKind.ALERT,
            due=timezone.localdate(a.due_at),
            due_at=a.due_at,
            overdue=a.due_at < now,
            # The triage page is built elsewhere; it is linked by its path.
            url=f"/triage/alerts/{a.pk}/",
            youth_public_id=a.youth.public_id,
            youth_name=a.youth.name,
            detail=a.label,
            duty=a.rule.statutory_duty if a.rule_id else StatutoryDuty.OTHER,
        )
        for a in alerts
    ]


def closures_to_approve(user, *, today: dt.date) -> list[Task]:
    """Closure requests the user, as a supervisor of the lead bureau, may decide (policy.can_approve_closure)."""
    p = policy.principal_for(user)
    if not p.supervisor_bureau_ids:
        return []
    requested = (
        policy.visible_cases(user)
        .filter(status=CaseStatus.CLOSURE_REQUESTED, lead_bureau_id__in=p.supervisor_bureau_ids)
        .select_related("youth")
    )
    tasks = []
    for case in requested:
        if not policy.can_approve_closure(user, case):
            continue
        asked = timezone.localdate(case.closure_requested_at) if case.closure_requested_at else today
        due = asked + dt.timedelta(days=CLOSURE_DECISION_DAYS)
        tasks.append(
            Task(
                kind=TaskKind.CLOSURE_APPROVAL,
                due=due,
                overdue=due < today,
                url=_case_url(case.pk),
                youth_public_id=case.youth.public_id,
                youth_name=case.youth.name,
                detail=case.get_closure_reason_display(),
                case_label=str(case),
            )
        )
    return tasks


def monitoring_over(user, *, today: dt.date) -> list[Task]:
    """Cases the user carries in monitoring whose monitoring period has ended: ready to ask for closure."""
    tasks = []
    for case in carried_cases(user).filter(status=CaseStatus.MONITORING).select_related("youth"):
        ends = case.monitoring_complete_on()
        if ends is None or ends > today:
            continue
        tasks.append(
            Task(
                kind=TaskKind.MONITORING_ENDED,
                due=ends,
                overdue=ends < today,
                url=_case_url(case.pk),
                youth_public_id=case.youth.public_id,
                youth_name=case.youth.name,
                case_label=str(case),
            )
        )
    return tasks


def quiet_cases(user, *, today: dt.date, days: int = QUIET_DAYS) -> list[Task]:
    """Working cases the user carries with no intervention logged for ``days`` days (counted from opening
    when none was ever logged)."""
    tasks = []
    cases = (
        carried_cases(user)
        .filter(status__in=WORKING_STATUSES)
        .annotate(last_contact=Max("interventions__occurred_on"))
        .select_related("youth")
    )
    for case in cases:
        since = case.last_contact or timezone.localdate(case.opened_at)
        due = since + dt.timedelta(days=days)
        if due > today:
            continue
        tasks.append(
            Task(
                kind=TaskKind.QUIET_CASE,
                due=due,
                overdue=due < today,
                url=_case_url(case.pk),
                youth_public_id=case.youth.public_id,
                youth_name=case.youth.name,
                since=since,
                case_label=str(case),
            )
        )
    return tasks


def meeting_actions(user, *, today: dt.date) -> list[Task]:
    """Action items a liaison meeting gave the user or a bureau they act for, until someone says they are done.
    The youth is named only to whom may see them (policy rule 21)."""
    actions = (
        policy.owned_action_items(user)
        .filter(done_at__isnull=True)
        .select_related("meeting", "item__youth", "owner_bureau", "owner_user")
    )
    tasks = []
    # A bureau's action item reaches every worker of the bureau; one not invited by name cannot open the
    # meeting, so their link goes to their list of action items (on the meetings page) instead.
    opens = set(policy.visible_meetings(user).values_list("pk", flat=True))
    for a in actions:
        shown = policy.action_item_youth_shown(user, a)
        page = (
            reverse("meeting-detail", args=[a.meeting_id])
            if a.meeting_id in opens
            else reverse("meeting-list")
        )
        youth = a.item.youth if shown else None
        tasks.append(
            Task(
                kind=TaskKind.MEETING_ACTION,
                due=a.due_on,
                overdue=a.due_on < today,
                url=f"{page}#action-{a.pk}",
                youth_public_id=youth.public_id if youth else "",
                youth_name=youth.name if youth else "",
                detail=labelled(a.meeting.title, a.text),
            )
        )
    return tasks


def planned_steps(user, *, today: dt.date) -> list[Task]:
    """Open steps (planned, in progress) of the plans of open cases that are the user's to carry out: those
    naming them as owner, while they may read the case (``policy.owned_planned_services``: naming an owner
    never grants access, and an owner who loses access loses the task); and, on the cases they carry, steps
    owned only by a bureau (the carrier sees them through) or by someone who may no longer read the case (the
    carrier names another owner). Each is an ordinary duty, due on its day."""
    uid = policy.principal_for(user).user.pk
    open_steps = PlannedService.objects.filter(
        status__in=OPEN_STEP_STATUSES, case__status__in=OPEN_CASE_STATUSES
    ).select_related("case__youth", "owner_bureau", "owner_user")
    owned = list(open_steps.filter(pk__in=policy.owned_planned_services(user).values("pk")))
    handed_to_others = list(open_steps.filter(case__in=carried_cases(user)).exclude(owner_user_id=uid))
    # Which of the other owners may still read the case: asked once per owner, for the cases in question.
    cases_by_owner: dict[int, set[int]] = {}
    for s in handed_to_others:
        if s.owner_user_id is not None:
            cases_by_owner.setdefault(s.owner_user_id, set()).add(s.case_id)
    readable = {
        owner.pk: set(
            policy.visible_cases(owner).filter(pk__in=cases_by_owner[owner.pk]).values_list("pk", flat=True)
        )
        if policy.principal_for(owner).casework_bureau_ids
        else set()
        for owner in User.objects.filter(pk__in=cases_by_owner)
    }
    tasks = [_step_task(s, today=today, detail=s.description) for s in owned]
    for s in handed_to_others:
        if s.owner_user_id is None:
            note = labelled(_("Owner bureau"), s.owner_bureau)
        elif s.case_id not in readable.get(s.owner_user_id, set()):
            note = _("%(owner)s may no longer read this case: name another owner.") % {"owner": s.owner_label}
        else:
            continue
        tasks.append(_step_task(s, today=today, detail=f"{s.description}\n{note}"))
    return tasks


def _step_task(step: PlannedService, *, today: dt.date, detail: str) -> Task:
    return Task(
        kind=TaskKind.PLANNED_STEP,
        due=step.due_on,
        overdue=step.due_on < today,
        url=f"{_case_url(step.case_id)}#service-{step.pk}",
        youth_public_id=step.case.youth.public_id,
        youth_name=step.case.youth.name,
        detail=detail,
        case_label=str(step.case),
    )


def my_tasks(user, *, now: dt.datetime | None = None) -> list[Task]:
    """Everything above for one user: the most severe legal duty first, then the soonest due."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    tasks = [
        *next_steps_due(user, today=today),
        *referrals_to_answer(user, today=today),
        *alerts_to_decide(user, now=now),
        *closures_to_approve(user, today=today),
        *monitoring_over(user, today=today),
        *quiet_cases(user, today=today),
        *meeting_actions(user, today=today),
        *planned_steps(user, today=today),
    ]
    return sorted(tasks, key=lambda t: t.sort_key)
