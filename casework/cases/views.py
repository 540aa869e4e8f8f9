"""Working a case in the browser: status moves, the case's text, interventions, referrals, and "my tasks".

Thin views over ``casework.services``: each POST finds its record through ``casework.access.policy`` (a record out of
reach answers 404 and the attempt is logged), hands the change to one service, and answers with a redirect
and a message. When the service refuses, the page comes back with the user's text kept and the service's
message shown: 400 for a submission to correct, 403 (logged) for a change this user may not make.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from casework.access import policy
from casework.access.audit import Actor, record, record_list
from casework.access.pages import not_found, require
from casework.access.services import record_youth_view
from casework.cases import services as case_services
from casework.cases import story, worklist
from casework.cases.conflicts import conflict_message
from casework.cases.forms import (
    MOVES,
    CaseMoveForm,
    CaseRecordForm,
    GoalForm,
    InterventionForm,
    NeedForm,
    PlannedServiceForm,
    PlanReviewForm,
    ReferralAnswerForm,
    ReferralForm,
    ReferralNoteForm,
)
from casework.cases.selectors import case_list_filter, referral_list_filter
from casework.models import (
    AuditAction,
    Case,
    CaseStatus,
    CaseStatusChange,
    Referral,
    ReferralStatus,
)
from casework.pagination import paginate, query_without_page

# The steps a case goes through, as the page's step indicator shows them.
STEPS = [
    (CaseStatus.OPENED, CaseStatus.OPENED.label),
    (CaseStatus.ASSESSMENT, CaseStatus.ASSESSMENT.label),
    (CaseStatus.PLANNING, CaseStatus.PLANNING.label),
    (CaseStatus.INTERVENTION, CaseStatus.INTERVENTION.label),
    (CaseStatus.MONITORING, CaseStatus.MONITORING.label),
    ("closure", None),
]
# Moves shown in the closure panel rather than as plain buttons.
CLOSURE_MOVES = frozenset({"request_closure", "approve_closure", "return_closure"})
STEP_OF_STATUS = {
    CaseStatus.OPENED: 0,
    CaseStatus.ASSESSMENT: 1,
    CaseStatus.PLANNING: 2,
    CaseStatus.INTERVENTION: 3,
    CaseStatus.MONITORING: 4,
    CaseStatus.CLOSURE_REQUESTED: 5,
    CaseStatus.CLOSED: 5,
}


# ---------------------------------------------------------------------------------------------------------
# The case page's working parts
# ---------------------------------------------------------------------------------------------------------


@dataclass
class CasePage:
    """What the case page needs beyond the case itself, for one viewer."""

    steps: list[dict]
    history: list[CaseStatusChange]
    moves: list[CaseMoveForm]
    hints: list[str]
    can_edit: bool
    record_form: CaseRecordForm | None
    intervention_form: InterventionForm | None
    referral_form: ReferralForm | None
    monitoring_since: dt.date | None = None
    monitoring_ends_on: dt.date | None = None
    monitoring_over: bool = False
    conflict: bool = False
    open_panels: set[str] = field(default_factory=set)
    plan_forms: dict = field(default_factory=dict)  # the plan's forms, for those who may edit the case
    why_no_approve: str = ""  # why this viewer has no approve button ("" when they have one, or it is moot)
    undone: list = field(default_factory=list)  # planned steps never done, listed where closure is approved

    @property
    def closure_moves(self) -> list[CaseMoveForm]:
        return [m for m in self.moves if m.move in CLOSURE_MOVES]

    @property
    def status_moves(self) -> list[CaseMoveForm]:
        return [m for m in self.moves if m.move not in CLOSURE_MOVES]


def _steps(case: Case) -> list[dict]:
    current = STEP_OF_STATUS[case.status]
    steps = []
    for index, (key, label) in enumerate(STEPS):
        if key == "closure":
            label = {
                CaseStatus.CLOSURE_REQUESTED: CaseStatus.CLOSURE_REQUESTED.label,
                CaseStatus.CLOSED: CaseStatus.CLOSED.label,
            }.get(case.status, _("Closure"))
        if case.status == CaseStatus.CLOSED or index < current:
            state = "done"
        elif index == current:
            state = "current"
        else:
            state = "upcoming"
        steps.append({"key": key, "label": str(label), "state": state})
    return steps


def case_page_context(request, case: Case, *, forms: dict | None = None) -> dict:
    """The working parts of the case page for the request's user: the step indicator, the status history, the
    moves they may make now, the edit, intervention and referral forms, and when monitoring ends.

    ``forms`` carries bound forms back after a refused submission (keyed "record", "intervention",
    "referral" or the move's name), so the user's text stays on the page.
    """
    user = request.user
    forms = forms or {}
    moves = []
    for name in case_services.available_moves(user, case):
        moves.append(forms.get(name) or CaseMoveForm(move=name, initial={"version": case.version}))
    can_edit = policy.can_edit_case(user, case)
    hints = []
    if can_edit and case.status == CaseStatus.ASSESSMENT and not case.has_assessment():
        hints.append(_("Write and save the assessment to move on to planning."))
    if can_edit and case.status == CaseStatus.PLANNING and not case.has_plan():
        hints.append(_("Write and save the plan to start the intervention."))
    can_refer = case.is_open and any(
        policy.can_refer(user, case.youth, b) for b in policy.acting_bureaus(user)
    )
    page = CasePage(
        steps=_steps(case),
        history=list(case.status_changes.select_related("by")),
        moves=moves,
        hints=hints,
        can_edit=can_edit,
        record_form=(forms.get("record") or CaseRecordForm.for_case(case)) if can_edit else None,
        intervention_form=(forms.get("intervention") or InterventionForm())
        if policy.can_log_intervention(user, case)
        else None,
        referral_form=(forms.get("referral") or ReferralForm(user=user, case=case)) if can_refer else None,
        conflict=bool(forms.get("conflict")),
        open_panels={name for name, form in forms.items() if hasattr(form, "errors") and form.is_bound},
    )
    if can_edit:
        page.plan_forms = _plan_forms(case, forms)
    page.why_no_approve = story.why_not_approver(user, case)
    if "approve_closure" in {m.move for m in moves}:
        page.undone = case_services.undone_services(case)
        for form in moves:
            if form.move == "approve_closure":
                if page.undone:
                    form.fields["acknowledge_undone"].widget.attrs["required"] = True
                    shown = ",".join(str(s.pk) for s in page.undone)
                    form.fields["undone_steps"].initial = shown
                    if form.is_bound:  # shown again after a refusal: the steps listed now are the ones read
                        form.data = form.data.copy()
                        form.data["undone_steps"] = shown
                else:
                    del form.fields["acknowledge_undone"]  # nothing to acknowledge
    in_monitoring = case.status == CaseStatus.MONITORING or (
        case.status == CaseStatus.CLOSURE_REQUESTED and case.status_before_closure == CaseStatus.MONITORING
    )
    if in_monitoring and case.monitoring_since:
        page.monitoring_since = case.monitoring_since
        page.monitoring_ends_on = case.monitoring_complete_on()
        page.monitoring_over = bool(
            page.monitoring_ends_on and page.monitoring_ends_on <= timezone.localdate()
        )
    return {"case_page": page}


def _plan_forms(case: Case, forms: dict) -> dict:
    """The plan's forms: add a need, a goal, a service, a review; and one edit form per goal and per service
    (a refused submission's form comes back in place of the blank one)."""
    return {
        "need": forms.get("need") or NeedForm(),
        "goal": forms.get("goal") or GoalForm(),
        "service": forms.get("service") or PlannedServiceForm(case=case),
        "review": forms.get("review") or PlanReviewForm(),
        "goals": [
            (
                goal,
                forms.get(f"goal-{goal.pk}")
                or GoalForm(prefix_id=f"goal_{goal.pk}", initial={"area": goal.area, "text": goal.text}),
            )
            for goal in case.goals.all()
        ],
        "services": [
            (service, forms.get(f"service-{service.pk}") or PlannedServiceForm(case=case, service=service))
            for service in case.planned_services.select_related("owner_bureau", "owner_user", "goal")
        ],
    }


def _visible_case(request, pk: int) -> Case:
    require(policy.is_caseworker(request.user))
    case = (
        policy.visible_cases(request.user)
        .select_related("youth", "lead_bureau", "assignee", "opened_by", "closure_approved_by")
        .filter(pk=pk)
        .first()
    )
    if case is None:
        raise not_found(request, "case", pk)
    return case


def case_page(request, pk: int, *, status: int, forms: dict | None = None) -> HttpResponse:
    """The case page as it stands now (after a refusal, with the submitted forms kept), with its history."""
    case = _visible_case(request, pk)
    user = request.user
    # The case page again: logged like the first view, with the purpose while a grant lets the user in.
    # The page shows the case's stored versions: reading them is logged with the view (how many were shown).
    versions = story.case_and_plan_versions(case)
    record_youth_view(Actor.from_request(request), case, case.youth, history_versions=len(versions))
    context = {
        "case": case,
        "versions": versions,
        "interventions": case.interventions.select_related("worker"),
        "referrals": case.referrals.select_related("from_bureau", "to_bureau", "from_user", "to_user"),
        "can_log": policy.can_log_intervention(user, case),
        "story": story.case_story(user, case),
        "plan": story.case_plan(case),
        **case_page_context(request, case, forms=forms),
    }
    return render(request, "casework/cases/case_detail.html", context, status=status)


def _messages_of(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [str(m) for errors in error.message_dict.values() for m in errors]
    return [str(m) for m in error.messages]


def _attach(form, error: ValidationError) -> None:
    """Show a service's field errors next to the form's fields of that name (the rest go to the message)."""
    if hasattr(error, "error_dict"):
        for name, errors in error.message_dict.items():
            if name in form.fields:
                for message in errors:
                    form.add_error(name, message)


def _refused(request, pk: int, error: Exception, forms: dict | None = None) -> HttpResponse:
    """A change this user may not make: logged like every refusal, and said on the page."""
    record(
        Actor.from_request(request),
        AuditAction.DENIED,
        detail={"path": request.path, "status": 403, "object_type": "case", "object_id": str(pk)},
    )
    messages.error(request, str(error) or _("You may not make this change."))
    return case_page(request, pk, status=403, forms=forms)


def _rejected(request, pk: int, error: ValidationError, name: str, form, extra: dict | None = None):
    """A submission the service turned down: its message on the page and the user's text kept."""
    for message in _messages_of(error):
        messages.error(request, message)
    _attach(form, error)
    return case_page(request, pk, status=400, forms={name: form, **(extra or {})})


def _back_to_case(request, case: Case):
    """Back to the case page, or to the case list when the change ended the user's reason to see it."""
    if policy.can_view_case(request.user, case):
        return redirect("case-detail", pk=case.pk)
    return redirect("case-list")


def _is_conflict(error: ValidationError) -> bool:
    """The service's refusal of a stale version (an error dict has no single code)."""
    return getattr(error, "code", None) == "conflict"


def _current_version(pk: int) -> int:
    return Case.objects.values_list("version", flat=True).get(pk=pk)


def _with_version(data, version: int):
    """The submitted data with the case's current version, so that saving again after reading a conflict
    message is a deliberate overwrite rather than a second refusal."""
    data = data.copy()
    data["version"] = str(version)
    return data


@login_required
@require_POST
def case_move(request, pk: int, move: str):
    """Make one status move (the buttons of ``case_services.available_moves``)."""
    case = _visible_case(request, pk)
    if move not in MOVES:
        raise Http404
    form = CaseMoveForm(request.POST, move=move)
    if not form.is_valid():
        messages.error(request, _("Check the form below and try again."))
        return case_page(request, pk, status=400, forms={move: form})
    try:
        case = case_services.move_case(
            actor=Actor.from_request(request),
            case=case,
            move=move,
            expected_version=form.cleaned_data["version"],
            note=form.cleaned_data["note"],
            closure_reason=form.cleaned_data.get("closure_reason", ""),
            acknowledge_undone=form.cleaned_data.get("acknowledge_undone", False),
            acknowledged_steps=form.cleaned_data.get("undone_steps") if move == "approve_closure" else None,
        )
    except PermissionDenied as error:
        return _refused(request, pk, error)
    except ValidationError as error:
        if _is_conflict(error):
            # Say who moved the case on; the note typed stays in the form.
            messages.error(request, conflict_message(case, request.user, moved=True))
            form = CaseMoveForm(_with_version(request.POST, _current_version(pk)), move=move)
            form.is_valid()
            note = form.cleaned_data.get("note", "")
            if note and move not in case_services.available_moves(request.user, _visible_case(request, pk)):
                # The other change made this move impossible, so its form is gone from the page: the note
                # comes back in the message instead, to be copied into whatever the person does next.
                messages.info(request, _("Your note, which was not saved: %(note)s") % {"note": note})
        return _rejected(request, pk, error, move, form)
    messages.success(
        request,
        _("%(move)s: the case is now “%(status)s”.")
        % {"move": form.label, "status": CaseStatus(case.status).label},
    )
    return _back_to_case(request, case)


@login_required
@require_POST
def case_edit(request, pk: int):
    """Save the case's summary, assessment, plan and assignee against the version the page showed."""
    case = _visible_case(request, pk)
    form = CaseRecordForm(request.POST, case=case)
    if not form.is_valid():
        return case_page(request, pk, status=400, forms={"record": form})
    data = form.cleaned_data
    assignee = data["assignee"]
    try:
        case_services.update_case(
            actor=Actor.from_request(request),
            case=case,
            expected_version=data["version"],
            summary=data["summary"],
            assessment=data["assessment"],
            plan=data["plan"],
            assignee=... if assignee == case.assignee else assignee,
        )
    except PermissionDenied as error:
        return _refused(request, pk, error)
    except ValidationError as error:
        if _is_conflict(error):
            messages.error(request, conflict_message(case, request.user))
            form = CaseRecordForm(_with_version(request.POST, _current_version(pk)), case=case)
            form.is_valid()
            return _rejected(request, pk, error, "record", form, extra={"conflict": True})
        return _rejected(request, pk, error, "record", form)
    messages.success(request, _("The case was saved."))
    return redirect("case-detail", pk=pk)


@login_required
@require_POST
def case_log_intervention(request, pk: int):
    """Log an intervention on the case, with its outcome and next step."""
    case = _visible_case(request, pk)
    form = InterventionForm(request.POST)
    if not form.is_valid():
        return case_page(request, pk, status=400, forms={"intervention": form})
    try:
        case_services.log_intervention(actor=Actor.from_request(request), case=case, **form.cleaned_data)
    except PermissionDenied as error:
        return _refused(request, pk, error)
    except ValidationError as error:
        return _rejected(request, pk, error, "intervention", form)
    messages.success(request, _("The intervention was logged."))
    return redirect("case-detail", pk=pk)


@login_required
@require_POST
def case_refer(request, pk: int):
    """Refer the case's youth to another bureau or worker, or transfer the case's lead."""
    case = _visible_case(request, pk)
    form = ReferralForm(request.POST, user=request.user, case=case)
    if not form.is_valid():
        return case_page(request, pk, status=400, forms={"referral": form})
    data = form.cleaned_data
    try:
        referral = case_services.refer(
            actor=Actor.from_request(request),
            youth=case.youth,
            case=case,
            from_bureau=data["from_bureau"],
            to_bureau=data["to_bureau"],
            to_user=data["to_user"],
            kind=data["kind"],
            reason=data["reason"],
            consent=data["consent"],
            consent_note=data["consent_note"],
        )
    except PermissionDenied as error:
        return _refused(request, pk, error)
    except ValidationError as error:
        return _rejected(request, pk, error, "referral", form)
    messages.success(
        request,
        _("%(kind)s sent to %(bureau)s.")
        % {"kind": referral.get_kind_display(), "bureau": referral.to_bureau},
    )
    return redirect("case-detail", pk=pk)


# ---------------------------------------------------------------------------------------------------------
# Answering, completing and revoking referrals (from the referrals page and the case page)
# ---------------------------------------------------------------------------------------------------------


def _visible_referral(request, pk: int) -> Referral:
    require(policy.is_caseworker(request.user))
    referral = policy.visible_referrals(request.user).select_related("case").filter(pk=pk).first()
    if referral is None:
        raise not_found(request, "referral", pk)
    return referral


# Pages a referral action may send the user back to (never to another POST endpoint).
RETURN_PAGES = frozenset({"referral-list", "case-detail", "my-tasks"})


def _after_referral(request, referral: Referral, next_url: str):
    """Back where the user came from, unless that was a case page the change closed to them."""
    if not next_url or not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect("referral-list")
    try:
        match = resolve(next_url.split("?")[0].split("#")[0])
    except Resolver404:
        return redirect("referral-list")
    if match.url_name not in RETURN_PAGES:
        return redirect("referral-list")
    if (
        match.url_name == "case-detail"
        and not policy.visible_cases(request.user).filter(pk=match.kwargs["pk"]).exists()
    ):
        return redirect("referral-list")
    return redirect(next_url)


def _referral_refused(request, referral: Referral, error: Exception) -> HttpResponse:
    """A referral action this user may not take: logged, and said on the referrals page."""

    record(
        Actor.from_request(request),
        AuditAction.DENIED,
        referral,
        detail={
            "path": request.path,
            "status": 403,
            "object_type": "referral",
            "object_id": str(referral.pk),
        },
    )
    messages.error(request, str(error) or _("You may not make this change."))
    response = referral_list(request)
    response.status_code = 403
    return response


def _referral_action(request, referral: Referral, next_url: str, act, done: str):
    try:
        act()
    except PermissionDenied as error:
        return _referral_refused(request, referral, error)
    except ValidationError as error:
        for message in _messages_of(error):
            messages.error(request, message)
    else:
        messages.success(request, done)
    return _after_referral(request, referral, next_url)


@login_required
@require_POST
def referral_respond(request, pk: int):
    """Accept or decline a referral addressed to the user or their bureau."""
    referral = _visible_referral(request, pk)
    form = ReferralAnswerForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose to accept or decline."))
        return _after_referral(request, referral, request.POST.get("next", ""))
    accept = form.cleaned_data["decision"] == "accept"

    def act():
        case_services.respond_to_referral(
            actor=Actor.from_request(request),
            referral=referral,
            accept=accept,
            note=form.cleaned_data["note"],
        )

    done = _("The referral was accepted.") if accept else _("The referral was declined.")
    return _referral_action(request, referral, form.cleaned_data["next"], act, done)


@login_required
@require_POST
def referral_complete(request, pk: int):
    """The receiver reports the referred work done."""
    referral = _visible_referral(request, pk)
    form = ReferralNoteForm(request.POST)
    form.is_valid()
    note = form.cleaned_data.get("note", "")

    def act():
        case_services.complete_referral(actor=Actor.from_request(request), referral=referral, note=note)

    return _referral_action(
        request, referral, form.cleaned_data.get("next", ""), act, _("The referral was completed.")
    )


@login_required
@require_POST
def referral_revoke(request, pk: int):
    """The sender (or a supervisor of the sending bureau) withdraws a referral, with a reason."""
    referral = _visible_referral(request, pk)
    form = ReferralNoteForm(request.POST)
    form.is_valid()
    note = form.cleaned_data.get("note", "")

    def act():
        case_services.revoke_referral(actor=Actor.from_request(request), referral=referral, note=note)

    return _referral_action(
        request, referral, form.cleaned_data.get("next", ""), act, _("The referral was revoked.")
    )


def referral_actions(user, referral: Referral) -> dict[str, bool]:
    """Which buttons a referral's row shows this user (the services decide again on submit)."""
    pending = referral.status == ReferralStatus.PENDING
    accepted = referral.status == ReferralStatus.ACCEPTED
    return {
        "respond": pending and policy.can_respond_to_referral(user, referral),
        "complete": accepted and policy.can_complete_referral(user, referral),
        "revoke": (pending or accepted) and policy.can_revoke_referral(user, referral),
    }


def referral_tabs(request) -> list[dict]:
    """The "received" and "sent" views of the referrals page, per bureau the user acts for (plain filter links)."""
    bureaus = list(policy.triage_bureaus(request.user))
    params = request.GET.copy()
    params.pop("page", None)
    current = params.urlencode()
    base = reverse("referral-list")
    tabs = [{"label": _("All"), "url": base, "active": not current}]
    for bureau in bureaus:
        suffix = f" · {bureau}" if len(bureaus) > 1 else ""
        for label, query in (
            (pgettext("referral tab", "Received"), f"to_bureau={bureau.code}"),
            (pgettext("referral tab", "Sent"), f"from_bureau={bureau.code}"),
        ):
            tabs.append({"label": f"{label}{suffix}", "url": f"{base}?{query}", "active": current == query})
    return tabs


# ---------------------------------------------------------------------------------------------------------
# My tasks
# ---------------------------------------------------------------------------------------------------------


@login_required
def my_tasks(request):
    """What the user must do next, soonest first, each with its due date and whether it is overdue."""
    require(policy.is_caseworker(request.user))
    now = timezone.now()
    tasks = worklist.my_tasks(request.user, now=now)
    record_list(
        Actor.from_request(request),
        "task",
        count=len(tasks),
        query={"youth": sorted({t.youth_public_id for t in tasks})},
    )
    counts = dict.fromkeys(worklist.TaskKind.LABELS, 0)
    for task in tasks:
        counts[task.kind] += 1
    return render(
        request,
        "casework/cases/my_tasks.html",
        {
            "tasks": tasks,
            "overdue_count": sum(t.overdue for t in tasks),
            "counts": [
                {"kind": kind, "label": worklist.TaskKind.LABELS[kind], "n": n}
                for kind, n in counts.items()
                if n
            ],
            "today": timezone.localdate(now),
            "quiet_days": worklist.QUIET_DAYS,
        },
    )


@login_required
def case_list(request):
    require(policy.is_caseworker(request.user))
    filterset = case_list_filter(request)
    page = paginate(request, filterset.qs)
    record_list(
        Actor.from_request(request), "case", count=page.paginator.count, query=dict(request.GET.items())
    )
    return render(
        request,
        "casework/cases/case_list.html",
        {"filter": filterset, "page": page, "query": query_without_page(request)},
    )


@login_required
def case_detail(request, pk: int):
    return case_page(request, pk, status=200)


@login_required
def referral_list(request):
    require(policy.is_caseworker(request.user))
    filterset = referral_list_filter(request)
    page = paginate(request, filterset.qs)
    record_list(
        Actor.from_request(request), "referral", count=page.paginator.count, query=dict(request.GET.items())
    )
    return render(
        request,
        "casework/cases/referral_list.html",
        {"filter": filterset, "page": page, "query": query_without_page(request)},
    )
