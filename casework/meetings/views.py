"""Liaison-meeting pages: the meetings, scheduling, the agenda and its editing, shares for a meeting, the
record of the meeting, each bureau's pre-read pack, the minutes PDF, action items, and reviewing shares.

Thin: every write is a ``casework.meetings.services`` function; who may see what is ``policy`` rule 21.
"""

from __future__ import annotations

import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from casework.access import policy
from casework.access.audit import Actor, record, record_list
from casework.access.pages import not_found, require, safe_next
from casework.access.views import review_form
from casework.meetings import selectors, services
from casework.meetings.forms import (
    AddItemForm,
    AttendanceForm,
    CloseForm,
    DecisionForm,
    DoneForm,
    ItemNoteForm,
    MeetingForm,
    ShareForm,
)
from casework.meetings.minutes import minutes_pdf
from casework.models import AuditAction, Bureau, EventSource
from casework.words import labelled


def _meeting(request, pk: int):
    meeting = selectors.meeting_for(request.user, pk)
    if meeting is None:
        raise not_found(request, "meeting", pk)
    return meeting


def _item(request, meeting, item_pk: int):
    item = meeting.items.filter(pk=item_pk, removed_at__isnull=True).select_related("youth").first()
    if item is None:
        raise not_found(request, "agendaitem", item_pk)
    return item


def _errors(request, error: ValidationError) -> None:
    for text in error.messages:
        messages.error(request, text)


def _form_errors(request, form) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for text in errors:
            messages.error(request, labelled(label, text) if label else text)


def _back(meeting, anchor: str = ""):
    response = redirect("meeting-detail", pk=meeting.pk)
    if anchor:
        response["Location"] += f"#{anchor}"
    return response


@login_required
@require_GET
def meeting_list(request):
    user = request.user
    require(policy.can_use_meetings(user))
    meetings = list(policy.visible_meetings(user).select_related("chair").prefetch_related("invited_bureaus"))
    actions = list(selectors.my_action_items(user).filter(done_at__isnull=True))
    record_list(Actor.from_request(request), "meeting", count=len(meetings))
    return render(
        request,
        "casework/meetings/meeting_list.html",
        {
            "meetings": meetings,
            "actions": [(a, policy.action_item_youth_shown(user, a)) for a in actions],
            "can_run": policy.can_run_meetings(user),
            # The secretariat owns no action items (it has no tasks): no empty "My action items" for it.
            "owns_actions": bool(policy.principal_for(user).casework_bureau_ids),
        },
    )


@login_required
def meeting_new(request):
    require(policy.can_run_meetings(request.user))
    form = MeetingForm(request.POST or None, initial={"chair": request.user.pk})
    if request.method == "POST" and form.is_valid():
        try:
            meeting = services.schedule_meeting(actor=Actor.from_request(request), **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, _("Meeting scheduled; %(n)s items proposed.") % {"n": meeting.items.count()}
            )
            return redirect("meeting-detail", pk=meeting.pk)
    return render(
        request,
        "casework/meetings/meeting_form.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_GET
def meeting_detail(request, pk: int):
    """Runners: the agenda with its editing, shares and the record of the meeting. Participants: the packs
    they may open and the action items they own."""
    user = request.user
    require(policy.can_use_meetings(user))
    meeting = _meeting(request, pk)
    can_run = policy.can_run_meetings(user)
    context = {
        "meeting": meeting,
        "can_run": can_run,
        "can_edit": policy.can_edit_meeting(user, meeting),
        "can_export": policy.can_export_minutes(user, meeting),
        "pack_bureaus": selectors.pack_bureaus(user, meeting),
        "my_actions": [
            (a, policy.action_item_youth_shown(user, a)) for a in selectors.my_action_items(user, meeting)
        ],
        "invited": meeting.invited_bureaus.order_by("code"),
        "source_labels": dict(EventSource.choices),
    }
    youth_ids = []
    if can_run:
        items = selectors.agenda(meeting)
        youth_ids = sorted({i.youth.public_id for i in items if i.youth_id})
        context.update(
            items=[
                {
                    "item": i,
                    "share_form": ShareForm(meeting=meeting, prefix=f"s{i.pk}"),
                    "decision_form": DecisionForm(
                        meeting=meeting, prefix=f"d{i.pk}", initial={"decision": i.decision}
                    ),
                    "note_form": ItemNoteForm(prefix=f"n{i.pk}", initial={"note": i.note}),
                }
                for i in items
            ],
            add_form=AddItemForm(),
            attendance_form=AttendanceForm(
                meeting=meeting,
                initial={"attendees": meeting.attendees.all(), "other_attendees": meeting.other_attendees},
            ),
            close_form=CloseForm(),
            attendees=meeting.attendees.order_by("username"),
        )
    record(Actor.from_request(request), AuditAction.VIEW, meeting, detail={"agenda_youth": youth_ids})
    return render(request, "casework/meetings/meeting_detail.html", context)


@login_required
@require_POST
def meeting_propose(request, pk: int):
    require(policy.can_run_meetings(request.user))
    meeting = _meeting(request, pk)
    try:
        added = services.propose_agenda(actor=Actor.from_request(request), meeting=meeting)
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(request, _("%(n)s new items proposed.") % {"n": len(added)})
    return _back(meeting, "agenda")


@login_required
@require_POST
def meeting_item_add(request, pk: int):
    require(policy.can_run_meetings(request.user))
    meeting = _meeting(request, pk)
    form = AddItemForm(request.POST)
    if form.is_valid():
        try:
            services.add_item(
                actor=Actor.from_request(request),
                meeting=meeting,
                summary=form.cleaned_data["summary"],
                youth=form.cleaned_data["youth_id"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            _errors(request, error)
    else:
        # A refused youth ID is a try at a record: logged like any refused request (rule 8), the ID masked.
        record(
            Actor.from_request(request),
            AuditAction.DENIED,
            meeting,
            detail={"path": request.path, "fields": sorted(form.errors)},
        )
        _form_errors(request, form)
    return _back(meeting, "agenda")


@login_required
@require_POST
def meeting_item_edit(request, pk: int, item_pk: int):
    """One button per change: save the note, move up, move down, or take the item off the agenda."""
    require(policy.can_run_meetings(request.user))
    meeting = _meeting(request, pk)
    item = _item(request, meeting, item_pk)
    change = request.POST.get("change", "note")
    form = ItemNoteForm(request.POST, prefix=f"n{item.pk}")
    try:
        services.edit_item(
            actor=Actor.from_request(request),
            item=item,
            note=form.data.get(f"n{item.pk}-note") if change == "note" else None,
            move=change if change in ("up", "down") else "",
            remove=change == "remove",
        )
    except ValidationError as error:
        _errors(request, error)
    return _back(meeting, "agenda")


@login_required
@require_POST
def meeting_item_share(request, pk: int, item_pk: int):
    require(policy.can_run_meetings(request.user))
    meeting = _meeting(request, pk)
    item = _item(request, meeting, item_pk)
    form = ShareForm(request.POST, meeting=meeting, prefix=f"s{item.pk}")
    if form.is_valid():
        try:
            share = services.share_item(actor=Actor.from_request(request), item=item, **form.cleaned_data)
        except ValidationError as error:
            _errors(request, error)
        else:
            messages.success(
                request,
                _("Shared with %(bureau)s for this meeting until %(until)s.")
                % {"bureau": share.bureau.display_name, "until": f"{share.expires_at:%Y-%m-%d %H:%M}"},
            )
    else:
        _form_errors(request, form)
    return _back(meeting, f"item-{item.pk}")


@login_required
@require_POST
def meeting_item_decide(request, pk: int, item_pk: int):
    """The decision on an item, with an action item if one was agreed."""
    require(policy.can_run_meetings(request.user))
    meeting = _meeting(request, pk)
    item = _item(request, meeting, item_pk)
    form = DecisionForm(request.POST, meeting=meeting, prefix=f"d{item.pk}")
    if form.is_valid():
        actor = Actor.from_request(request)
        try:
            services.record_decision(actor=actor, item=item, decision=form.cleaned_data["decision"])
            if form.cleaned_data["action"].strip():
                services.add_action_item(
                    actor=actor,
                    item=item,
                    text=form.cleaned_data["action"],
                    due_on=form.cleaned_data["due_on"],
                    **form.owner_kwargs(),
                )
        except ValidationError as error:
            _errors(request, error)
        else:
            messages.success(request, _("Decision recorded."))
    else:
        _form_errors(request, form)
    return _back(meeting, f"item-{item.pk}")


@login_required
@require_POST
def meeting_attendance(request, pk: int):
    require(policy.can_run_meetings(request.user))
    meeting = _meeting(request, pk)
    form = AttendanceForm(request.POST, meeting=meeting)
    if form.is_valid():
        try:
            services.record_attendance(
                actor=Actor.from_request(request), meeting=meeting, **form.cleaned_data
            )
        except ValidationError as error:
            _errors(request, error)
        else:
            messages.success(request, _("Attendance recorded."))
    else:
        _form_errors(request, form)
    return _back(meeting, "attendance")


@login_required
@require_POST
def meeting_close(request, pk: int):
    require(policy.can_run_meetings(request.user))
    meeting = _meeting(request, pk)
    form = CloseForm(request.POST)
    form.is_valid()
    try:
        services.close_meeting(
            actor=Actor.from_request(request), meeting=meeting, notes=form.cleaned_data.get("notes", "")
        )
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(request, _("The minutes are final."))
    return _back(meeting)


@login_required
@require_GET
def meeting_pack(request, pk: int, bureau: str):
    """A bureau's pre-read pack, as the participant may see it; every youth shown is one logged view."""
    user = request.user
    require(policy.can_use_meetings(user))
    meeting = _meeting(request, pk)
    chosen = Bureau.objects.filter(code=bureau).first()
    if chosen is None or chosen.pk not in policy.pack_bureau_ids(user, meeting):
        raise not_found(request, "meetingpack", f"{pk}/{bureau}")
    entries = selectors.pack(user, meeting, chosen)
    actor = Actor.from_request(request)
    for entry in entries:
        record(
            actor,
            AuditAction.VIEW,
            entry.item,
            detail={
                "meeting": meeting.pk,
                "pack": chosen.code,
                "meeting_share": entry.share.pk if entry.share else None,
            },
        )
    record_list(
        actor, "meetingpack", count=len(entries), query={"meeting": meeting.pk, "bureau": chosen.code}
    )
    return render(
        request,
        "casework/meetings/meeting_pack.html",
        {
            "meeting": meeting,
            "bureau": chosen,
            "entries": [
                {"entry": e, "line": policy.pack_item_line_shown(user, e.item, e.share)} for e in entries
            ],
            "source_labels": dict(EventSource.choices),
        },
    )


@login_required
@require_GET
def meeting_minutes(request, pk: int):
    require(policy.can_run_meetings(request.user))
    meeting = _meeting(request, pk)
    if not policy.can_export_minutes(request.user, meeting):
        raise PermissionDenied
    data, number = minutes_pdf(actor=Actor.from_request(request), meeting=meeting)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="minutes-{meeting}-{number}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def action_done(request, pk: int):
    user = request.user
    action = policy.visible_action_items(user).filter(pk=pk).select_related("item__youth").first()
    if action is None:
        raise not_found(request, "actionitem", pk)
    form = DoneForm(request.POST)
    form.is_valid()
    services.complete_action_item(
        actor=Actor.from_request(request), action=action, note=form.cleaned_data.get("note", "")
    )
    messages.success(request, _("Action item done."))
    return redirect(safe_next(request, reverse("meeting-list")))


@login_required
@require_GET
def share_list(request):
    user = request.user
    require(policy.can_read_meeting_shares(user))
    shares = list(
        policy.visible_meeting_shares(user).select_related(
            "meeting", "bureau", "youth", "granted_by", "reviewed_by"
        )
    )
    record_list(Actor.from_request(request), "meetingshare", count=len(shares))
    return render(
        request,
        "casework/meetings/share_list.html",
        {
            "rows": [{"share": s, "can_review": policy.can_review_meeting_share(user, s)} for s in shares],
            "awaiting": sum(1 for s in shares if s.awaits_review),
        },
    )


@login_required
def share_detail(request, pk: int):
    user = request.user
    require(policy.can_read_meeting_shares(user))
    share = (
        policy.visible_meeting_shares(user)
        .select_related("meeting", "bureau", "youth", "granted_by", "reviewed_by", "item")
        .filter(pk=pk)
        .first()
    )
    if share is None:
        raise not_found(request, "meetingshare", pk)
    can_review = policy.can_review_meeting_share(user, share) and share.awaits_review
    form, done = review_form(
        request,
        can_review=can_review,
        review=functools.partial(services.review_meeting_share, share=share),
        done="meeting-share-list",
    )
    if done is not None:
        return done
    if request.method != "POST":
        record(Actor.from_request(request), AuditAction.VIEW, share, youth=share.youth)
    return render(
        request,
        "casework/meetings/share_detail.html",
        {
            "share": share,
            "views": selectors.share_views(share),
            "form": form,
            "can_review": can_review,
            "own": share.granted_by_id == user.pk,
            "source_labels": dict(EventSource.choices),
        },
        status=400 if request.method == "POST" else 200,
    )
