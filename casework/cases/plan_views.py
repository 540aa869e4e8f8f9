"""The structured assessment and plan in the browser: thin views over ``casework.cases.plan``.

Each POST finds the case through the policy (a case out of reach answers the logged 404, as the case page does),
hands the change to one service, and answers with a redirect back to the plan. A refusal by the service comes
back on the case page: 400 with the user's text kept, or 403 (logged) for someone who may not edit the case.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from casework.access.audit import Actor
from casework.access.pages import not_found
from casework.cases import plan as plan_services
from casework.cases.forms import GoalForm, NeedForm, PlannedServiceForm, PlanReviewForm
from casework.cases.views import _refused, _rejected, _visible_case, case_page
from casework.models import CaseGoal, PlannedService


def _back_to_plan(pk: int):
    return redirect(f"{reverse('case-detail', args=[pk])}#plan-h")


def _run(request, pk: int, name: str, form, act, done: str):
    """Call the service; on refusal, the case page with the form kept (400) or the logged 403."""
    try:
        act()
    except PermissionDenied as error:
        return _refused(request, pk, error)
    except ValidationError as error:
        return _rejected(request, pk, error, name, form)
    messages.success(request, done)
    return _back_to_plan(pk)


def _invalid(request, pk: int, name: str, form):
    messages.error(request, _("Check the form below and try again."))
    return case_page(request, pk, status=400, forms={name: form})


@login_required
@require_POST
def plan_need(request, pk: int):
    """Add an area of need to the assessment, or rewrite what was found there."""
    case = _visible_case(request, pk)
    form = NeedForm(request.POST)
    if not form.is_valid():
        return _invalid(request, pk, "need", form)
    return _run(
        request,
        pk,
        "need",
        form,
        lambda: plan_services.record_need(actor=Actor.from_request(request), case=case, **form.cleaned_data),
        _("The need was saved."),
    )


@login_required
@require_POST
def plan_goal_add(request, pk: int):
    case = _visible_case(request, pk)
    form = GoalForm(request.POST)
    if not form.is_valid():
        return _invalid(request, pk, "goal", form)
    return _run(
        request,
        pk,
        "goal",
        form,
        lambda: plan_services.add_goal(actor=Actor.from_request(request), case=case, **form.cleaned_data),
        _("The goal was added."),
    )


@login_required
@require_POST
def plan_goal_edit(request, pk: int, goal_pk: int):
    case = _visible_case(request, pk)
    goal = CaseGoal.objects.filter(case=case, pk=goal_pk).first()
    if goal is None:
        raise not_found(request, "casegoal", goal_pk)
    form = GoalForm(request.POST, prefix_id=f"goal_{goal.pk}")
    name = f"goal-{goal.pk}"
    if not form.is_valid():
        return _invalid(request, pk, name, form)
    return _run(
        request,
        pk,
        name,
        form,
        lambda: plan_services.edit_goal(actor=Actor.from_request(request), goal=goal, **form.cleaned_data),
        _("The goal was saved."),
    )


@login_required
@require_POST
def plan_service_add(request, pk: int):
    case = _visible_case(request, pk)
    form = PlannedServiceForm(request.POST, case=case)
    if not form.is_valid():
        return _invalid(request, pk, "service", form)
    return _run(
        request,
        pk,
        "service",
        form,
        lambda: plan_services.plan_service(actor=Actor.from_request(request), case=case, **form.cleaned_data),
        _("The service was added to the plan."),
    )


@login_required
@require_POST
def plan_service_edit(request, pk: int, service_pk: int):
    case = _visible_case(request, pk)
    service = PlannedService.objects.filter(case=case, pk=service_pk).first()
    if service is None:
        raise not_found(request, "plannedservice", service_pk)
    form = PlannedServiceForm(request.POST, case=case, service=service)
    name = f"service-{service.pk}"
    if not form.is_valid():
        return _invalid(request, pk, name, form)
    return _run(
        request,
        pk,
        name,
        form,
        lambda: plan_services.update_service(
            actor=Actor.from_request(request), service=service, **form.cleaned_data
        ),
        _("The service was saved."),
    )


@login_required
@require_POST
def plan_review(request, pk: int):
    case = _visible_case(request, pk)
    form = PlanReviewForm(request.POST)
    if not form.is_valid():
        return _invalid(request, pk, "review", form)
    return _run(
        request,
        pk,
        "review",
        form,
        lambda: plan_services.review_plan(actor=Actor.from_request(request), case=case, **form.cleaned_data),
        _("The review was recorded."),
    )
