"""Writes of the structured assessment and plan: needs, goals, planned services and plan reviews.

Each is a service in the house's habit: it checks the policy (``policy.can_edit_case``, the same rule as editing
the case's text), writes in one transaction inside ``acting`` (so every change is a stored version,
``casework.history``) and appends one access-log line, which names the object and the fields changed, never
what they say: the log outlives a sealing order, and a need's area ("substance use") is case content (insider
review 12). Nothing here deletes: a need, goal or step that no longer
applies is rewritten or marked not done with a reason, so the record keeps what was planned (docs/case-plan.md).

A step's owner by name is someone who may already read the case (``policy.can_own_planned_service``): naming
them puts the step on their tasks (``casework.cases.worklist.planned_steps``) and tells them through
``casework.notifications.notify``; it never gives them access.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from casework.access import policy
from casework.access.audit import Actor, record
from casework.history import by_actor
from casework.models import (
    AuditAction,
    Bureau,
    Case,
    CaseGoal,
    CaseNeed,
    CasePlanReview,
    NeedArea,
    NotificationKind,
    PlannedService,
    PlannedServiceStatus,
    User,
)
from casework.notifications import notify

# A service may be planned at most this far ahead (a plan is reviewed well within a year).
LONGEST_PLAN_DAYS = 366
# A step still to be carried out: it is its owner's task (``casework.cases.worklist.planned_steps``).
OPEN_STEP_STATUSES = (PlannedServiceStatus.PLANNED, PlannedServiceStatus.IN_PROGRESS)
OWNER_MAY_NOT_READ = _lazy(
    "Name as owner only someone who may already read this case: naming a person gives them a task, never "
    "access. Choose a bureau, or someone who works on the case."
)


def _may_edit(actor: Actor, case: Case) -> Case:
    """The case as it is now, if the actor may edit it (the one rule for the case's text and its plan)."""
    case = Case.objects.select_related("youth").get(pk=case.pk)
    if not policy.can_edit_case(actor.user, case):
        raise PermissionDenied(_("You may not edit this case's assessment or plan."))
    return case


def _same_case(case: Case, obj) -> None:
    if obj.case_id != case.pk:
        raise ValidationError(_("That belongs to another case."))


@transaction.atomic
@by_actor
def record_need(*, actor: Actor, case: Case, area: str, finding: str = "") -> CaseNeed:
    """Add an area of need to the assessment, or rewrite what was found there (one entry per area)."""
    case = _may_edit(actor, case)
    if area not in NeedArea.values:
        raise ValidationError({"area": _("Choose an area of need from the list.")})
    need = CaseNeed.objects.select_for_update().filter(case=case, area=area).first()
    if need is None:
        need = CaseNeed.objects.create(case=case, area=area, finding=finding.strip(), added_by=actor.user)
        record(actor, AuditAction.CREATE, need, youth=case.youth)
    elif need.finding != finding.strip():
        need.finding = finding.strip()
        need.save(update_fields=["finding"])
        record(actor, AuditAction.UPDATE, need, youth=case.youth)
    return need


@transaction.atomic
@by_actor
def add_goal(*, actor: Actor, case: Case, text: str, area: str = "") -> CaseGoal:
    """Add a goal, for one area of need or for the case as a whole."""
    case = _may_edit(actor, case)
    if not text.strip():
        raise ValidationError({"text": _("Write the goal.")})
    if area and area not in NeedArea.values:
        raise ValidationError({"area": _("Choose an area of need from the list.")})
    goal = CaseGoal.objects.create(case=case, area=area, text=text.strip(), created_by=actor.user)
    record(actor, AuditAction.CREATE, goal, youth=case.youth)
    return goal


@transaction.atomic
@by_actor
def edit_goal(*, actor: Actor, goal: CaseGoal, text: str, area: str = "") -> CaseGoal:
    """Rewrite a goal (the earlier wording stays in the case's history)."""
    case = _may_edit(actor, goal.case)
    goal = CaseGoal.objects.select_for_update().get(pk=goal.pk)
    _same_case(case, goal)
    if not text.strip():
        raise ValidationError({"text": _("Write the goal.")})
    if area and area not in NeedArea.values:
        raise ValidationError({"area": _("Choose an area of need from the list.")})
    changed = [
        name for name, value in (("text", text.strip()), ("area", area)) if getattr(goal, name) != value
    ]
    if changed:
        goal.text, goal.area = text.strip(), area
        goal.save(update_fields=changed)
        record(actor, AuditAction.UPDATE, goal, youth=case.youth, detail={"changed": changed})
    return goal


def _owner_allowed(case: Case, owner_user: User, *, status: str, owner_before: int | None) -> bool:
    """Only someone who may already read the case is named owner (``policy.can_own_planned_service``): naming
    gives a task, never access. A step that is closed (done, or not done) keeps the owner it had even if they
    have since lost access, so the record says who was meant to do it; a step still open needs an owner who
    can carry it out."""
    if owner_user.pk == owner_before and status not in OPEN_STEP_STATUSES:
        return True
    return policy.can_own_planned_service(owner_user, case)


def _tell_owner(actor: Actor, service: PlannedService, case: Case) -> None:
    """Tell a person named owner of an open step (new, or handed to them), through the one way rooms notify.
    The message carries what they may read already (the case, its youth, the step and its day); nobody is
    told of a step they gave themselves."""
    if service.owner_user_id in (None, actor.user.pk) or service.status not in OPEN_STEP_STATUSES:
        return
    notify(
        kind=NotificationKind.TASK_DUE,
        user_id=service.owner_user_id,
        youth_id=case.youth_id,
        case=case,
        detail={
            "next_step": service.description[:200],
            "due": service.due_on.isoformat(),
            "planned_service": service.pk,
        },
    )


def _check_service(
    case: Case,
    *,
    description: str,
    owner_bureau: Bureau | None,
    owner_user: User | None,
    due_on: dt.date,
    goal: CaseGoal | None,
    status: str,
    not_done_reason: str,
    owner_before: int | None = None,
) -> None:
    errors: dict[str, str] = {}
    if not description.strip():
        errors["description"] = _("Say what the service or step is.")
    if owner_bureau is None and owner_user is None:
        errors["owner_bureau"] = _("Name who provides it: a person, a bureau, or both.")
    if (
        owner_user is not None
        and not policy.caseworkers_of(Bureau.objects.values_list("pk", flat=True))
        .filter(pk=owner_user.pk)
        .exists()
    ):
        errors["owner_user"] = _("The owner must be a case worker of one of the bureaus.")
    elif owner_user is not None and not _owner_allowed(
        case, owner_user, status=status, owner_before=owner_before
    ):
        errors["owner_user"] = OWNER_MAY_NOT_READ
    if due_on > timezone.localdate() + dt.timedelta(days=LONGEST_PLAN_DAYS):
        errors["due_on"] = _("Plan at most a year ahead; review the plan before then.")
    if goal is not None and goal.case_id != case.pk:
        errors["goal"] = _("That goal belongs to another case.")
    if status not in PlannedServiceStatus.values:
        errors["status"] = _("Choose a status from the list.")
    if status == PlannedServiceStatus.NOT_DONE and not not_done_reason.strip():
        errors["not_done_reason"] = _("Say why the step was not done.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
@by_actor
def plan_service(
    *,
    actor: Actor,
    case: Case,
    description: str,
    due_on: dt.date,
    owner_bureau: Bureau | None = None,
    owner_user: User | None = None,
    goal: CaseGoal | None = None,
) -> PlannedService:
    """Add a service or step to the plan, with its owner (a person or a bureau) and the day it is due."""
    case = _may_edit(actor, case)
    _check_service(
        case,
        description=description,
        owner_bureau=owner_bureau,
        owner_user=owner_user,
        due_on=due_on,
        goal=goal,
        status=PlannedServiceStatus.PLANNED,
        not_done_reason="",
    )
    service = PlannedService.objects.create(
        case=case,
        goal=goal,
        description=description.strip(),
        owner_bureau=owner_bureau,
        owner_user=owner_user,
        due_on=due_on,
        created_by=actor.user,
    )
    record(actor, AuditAction.CREATE, service, youth=case.youth)
    _tell_owner(actor, service, case)
    return service


@transaction.atomic
@by_actor
def update_service(
    *,
    actor: Actor,
    service: PlannedService,
    description: str,
    due_on: dt.date,
    status: str,
    not_done_reason: str = "",
    owner_bureau: Bureau | None = None,
    owner_user: User | None = None,
    goal: CaseGoal | None = None,
) -> PlannedService:
    """Rewrite a planned step or record how it went (planned, in progress, done, or not done with a reason)."""
    case = _may_edit(actor, service.case)
    service = PlannedService.objects.select_for_update().get(pk=service.pk)
    _same_case(case, service)
    reason = not_done_reason.strip() if status == PlannedServiceStatus.NOT_DONE else ""
    _check_service(
        case,
        description=description,
        owner_bureau=owner_bureau,
        owner_user=owner_user,
        due_on=due_on,
        goal=goal,
        status=status,
        not_done_reason=reason,
        owner_before=service.owner_user_id,
    )
    owner_before = service.owner_user_id
    values = {
        "description": description.strip(),
        "due_on": due_on,
        "status": status,
        "not_done_reason": reason,
        "owner_bureau_id": owner_bureau.pk if owner_bureau else None,
        "owner_user_id": owner_user.pk if owner_user else None,
        "goal_id": goal.pk if goal else None,
    }
    changed = [name for name, value in values.items() if getattr(service, name) != value]
    if changed:
        for name in changed:
            setattr(service, name, values[name])
        service.save(update_fields=[name.removesuffix("_id") for name in changed])
        detail = {"changed": [name.removesuffix("_id") for name in changed]}
        record(actor, AuditAction.UPDATE, service, youth=case.youth, detail=detail)
        if service.owner_user_id != owner_before:
            _tell_owner(actor, service, case)
    return service


@transaction.atomic
@by_actor
def review_plan(*, actor: Actor, case: Case, reviewed_on: dt.date, note: str = "") -> CasePlanReview:
    """Record that the plan was reviewed (with the youth or family), on which day, and what was concluded."""
    case = _may_edit(actor, case)
    if reviewed_on > timezone.localdate():
        raise ValidationError({"reviewed_on": _("A review cannot be recorded for a future date.")})
    if reviewed_on < timezone.localtime(case.opened_at).date():
        raise ValidationError({"reviewed_on": _("A review cannot be dated before the case was opened.")})
    review = CasePlanReview.objects.create(
        case=case, reviewed_on=reviewed_on, note=note.strip(), reviewed_by=actor.user
    )
    record(actor, AuditAction.CREATE, review, youth=case.youth)
    return review
