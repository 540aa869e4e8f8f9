"""Pages for contests and corrections: a worker files a youth's or guardian's contest against an event;
data stewards work the queue and decide. Thin: the rules are in :mod:`integrations.corrections.services`."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from casework.access import policy
from casework.access.audit import Actor, record, record_list
from casework.access.pages import not_found, require
from casework.access.services import record_youth_view
from casework.models import AuditAction, Youth
from casework.pagination import paginate
from integrations.corrections import services as correction_services
from integrations.corrections.forms import AnnotateForm, ContestForm, CorrectForm, RejectForm
from integrations.models import ContestStatus, RecordContest


@login_required
def contest_new(request, public_id: str, event_id: int):
    require(policy.is_caseworker(request.user))
    youth = Youth.objects.filter(public_id=public_id).first()
    event = correction_services.contestable_event(request.user, youth, event_id) if youth else None
    if event is None:
        raise not_found(request, "event", event_id)
    form = ContestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        correction_services.file_contest(
            actor=Actor.from_request(request), youth=youth, event_id=event.pk, **form.cleaned_data
        )
        messages.success(request, _("The contest was filed. A data steward will decide; you will be told."))
        return redirect("youth-detail", public_id=youth.public_id)
    # The form shows the youth ID and the event (kind, code, date): a read of the record, logged like the youth
    # page, with the purpose while a stated purpose is what lets the worker in (rule 17).
    record_youth_view(Actor.from_request(request), event, youth, page="contest")
    return render(
        request,
        "integrations/corrections/corrections_contest.html",
        {"youth": youth, "event": event, "form": form},
    )


@login_required
def contest_queue(request):
    require(policy.can_decide_contests(request.user))
    status = request.GET.get("status") or ContestStatus.OPEN
    if status not in ContestStatus.values:
        status = ContestStatus.OPEN
    rows = RecordContest.objects.filter(status=status).select_related(
        "event__youth", "filed_by", "decided_by"
    )
    page = paginate(request, rows)
    record_list(
        Actor.from_request(request), "recordcontest", count=page.paginator.count, query={"status": status}
    )
    return render(
        request,
        "integrations/corrections/corrections_queue.html",
        {"page": page, "status": status, "statuses": ContestStatus.choices, "query": f"status={status}"},
    )


@login_required
def contest_decide(request, pk: int):
    require(policy.can_decide_contests(request.user))
    contest = get_object_or_404(
        RecordContest.objects.select_related("event__youth", "event__owning_bureau", "filed_by"), pk=pk
    )
    event = contest.event
    action = request.POST.get("action") if request.method == "POST" else None
    forms = {
        # Three forms on one page: each its own element ids.
        "correct": CorrectForm(
            request.POST if action == "correct" else None, event=event, auto_id="correct_%s"
        ),
        "annotate": AnnotateForm(request.POST if action == "annotate" else None, auto_id="annotate_%s"),
        "reject": RejectForm(request.POST if action == "reject" else None, auto_id="reject_%s"),
    }
    actor = Actor.from_request(request)
    if action in forms and contest.status == ContestStatus.OPEN and forms[action].is_valid():
        data = forms[action].cleaned_data
        try:
            if action == "correct":
                correction_services.correct_event(
                    actor=actor,
                    contest=contest,
                    note=data["note"],
                    event_date=data["event_date"],
                    kind=data["kind"],
                    code=data["code"],
                    details=data["details"],
                    withdraw=data["withdraw"],
                )
                messages.success(request, _("The record was corrected; the youth will be rescored."))
            elif action == "annotate":
                correction_services.annotate_event(actor=actor, contest=contest, note=data["note"])
                messages.success(request, _("The note was added beside the record."))
            else:
                correction_services.reject_contest(actor=actor, contest=contest, reason=data["reason"])
                messages.success(request, _("The contest was rejected."))
        except ValidationError as exc:
            forms[action].add_error(None, exc)
        else:
            return redirect("integrations:corrections-queue")
    elif request.method != "POST":
        record(actor, AuditAction.VIEW, contest, youth=event.youth)
    history = [
        c
        for c in correction_services.event_history([event.pk]).get(event.pk, [])
        if c.status != ContestStatus.OPEN
    ]
    return render(
        request,
        "integrations/corrections/corrections_decide.html",
        {"contest": contest, "event": event, "forms": forms, "history": history},
    )
