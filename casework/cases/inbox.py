"""The inbox: messages to a person or their bureau (escalations, referrals, decisions on their reports).

Read state is each person's own (a message to a bureau stays unread for a colleague who has not read it), and a
message whose action is done (the alert decided, the referral answered, the closure decided) no longer counts
as unread for anyone (``casework.cases.selectors.inbox_messages``)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from casework.access import policy
from casework.access.audit import Actor, record_list
from casework.access.pages import not_found, safe_next
from casework.cases import services as case_services
from casework.cases.selectors import inbox_messages, unread_messages
from casework.clock import TAIPEI
from casework.models import (
    Bureau,
    NotificationKind,
    ReferralStatus,
    TriageDecisionKind,
)
from casework.pagination import paginate, query_without_page

# ---------------------------------------------------------------------------------------------------------
# The inbox
# ---------------------------------------------------------------------------------------------------------


@login_required
def inbox(request):
    """The user's notifications (and their bureau's), newest first, each told in words with a link to the
    thing when the user may open it."""
    user = request.user
    notes = inbox_messages(user).select_related(
        "youth", "alert__rule", "alert__routed_to", "case", "referral__from_bureau", "referral__to_bureau"
    )
    unread = unread_messages(user).count()
    page = paginate(request, notes)
    page.object_list = _describe_notifications(user, page.object_list)
    record_list(
        Actor.from_request(request),
        "notification",
        count=page.paginator.count,
        query=dict(request.GET.items()),
    )
    return render(
        request,
        "casework/cases/inbox.html",
        {
            "page": page,
            "unread": unread,
            "query": query_without_page(request),
            "here": request.get_full_path(),
        },
    )


def _visible_ids(queryset, ids) -> set[int]:
    ids = {i for i in ids if i is not None}
    return set(queryset.filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()


def _describe_notifications(user, notes) -> list[dict]:
    alerts = _visible_ids(policy.visible_alerts(user), (n.alert_id for n in notes))
    cases = _visible_ids(policy.visible_cases(user), (n.case_id for n in notes))
    youth = _visible_ids(policy.visible_youth(user), (n.youth_id for n in notes))
    referrals = _visible_ids(policy.visible_referrals(user), (n.referral_id for n in notes))
    bureaus = {b.code: b for b in Bureau.objects.all()}
    grant_ids = [(n.detail or {}).get("grant") for n in notes if n.kind == NotificationKind.ACCESS_BY_PURPOSE]
    grants = set(
        policy.visible_access_grants(user)
        .filter(pk__in=[g for g in grant_ids if isinstance(g, int)])
        .values_list("pk", flat=True)
    )
    items = []
    for note in notes:
        links = []
        if note.alert_id in alerts:
            links.append((reverse("triage-decide", args=[note.alert_id]), _("Open the alert")))
        if note.case_id in cases:
            links.append((reverse("case-detail", args=[note.case_id]), _("Open the case")))
        if note.youth_id in youth:
            links.append((reverse("youth-detail", args=[note.youth.public_id]), _("Open the youth's record")))
        if note.referral_id in referrals and note.youth_id not in youth:
            links.append((reverse("referral-list"), _("Open your referrals")))
        grant = (note.detail or {}).get("grant") if note.kind == NotificationKind.ACCESS_BY_PURPOSE else None
        if grant in grants:
            links.insert(0, (reverse("access-review-detail", args=[grant]), _("Review the access")))
        items.append(
            {
                "note": note,
                "text": _notification_text(note, bureaus),
                "kind": NotificationKind(note.kind).label
                if note.kind in NotificationKind.values
                else note.kind,
                "link": links[0] if links else None,
                "unread": not note.read_by_me and not note.action_done,
                "done": note.action_done,
            }
        )
    return items


def _notification_text(note, bureaus: dict) -> str:
    """One notification in words. Only what the message itself carries is told."""
    detail = note.detail or {}
    youth = note.youth.public_id if note.youth_id else "—"
    case = str(note.case) if note.case_id else "—"
    referral = note.referral
    kind = note.kind
    if kind == NotificationKind.ALERT_RAISED:
        rule = note.alert.label if note.alert_id else "—"
        return _("New alert for youth %(youth)s: %(rule)s.") % {"youth": youth, "rule": rule}
    if kind == NotificationKind.ALERT_ESCALATED:
        if note.alert_id:
            due = timezone.localtime(note.alert.due_at, TAIPEI).strftime("%Y-%m-%d %H:%M")
            return _(
                "Alert past its deadline, escalated to you: %(rule)s for youth %(youth)s, routed to %(bureau)s, "
                "was due %(due)s."
            ) % {"rule": note.alert.label, "youth": youth, "bureau": note.alert.routed_to, "due": due}
        return _("An alert for youth %(youth)s is past its deadline.") % {"youth": youth}
    if kind == NotificationKind.TRIAGE_OUTCOME:
        decision = detail.get("decision", "")
        decision = TriageDecisionKind(decision).label if decision in TriageDecisionKind.values else decision
        bureau = bureaus.get(detail.get("decided_by_bureau", ""), detail.get("decided_by_bureau", "—"))
        return _("Decision on your report about youth %(youth)s: %(decision)s (decided by %(bureau)s).") % {
            "youth": youth,
            "decision": decision,
            "bureau": bureau,
        }
    if kind == NotificationKind.ACCESS_BY_PURPOSE:
        return _("%(by)s opened the record of youth %(youth)s by stating a purpose; review it.") % {
            "by": detail.get("by", "—"),
            "youth": youth,
        }
    if kind == NotificationKind.CONTEST_DECIDED:
        decision = detail.get("decision", "")
        words = {
            "corrected": _("the record was corrected"),
            "annotated": _("a note was added beside the record"),
            "rejected": _("the record was found right"),
        }.get(decision, decision)
        text = _("The contest you filed for youth %(youth)s was decided: %(decision)s.") % {
            "youth": youth,
            "decision": words,
        }
        note = detail.get("note")
        return f"{text} {note}" if note else text
    if kind == NotificationKind.REFERRAL_RECEIVED:
        sender = referral.from_bureau if referral else "—"
        return _("Referral received for youth %(youth)s from %(bureau)s.") % {
            "youth": youth,
            "bureau": sender,
        }
    if kind == NotificationKind.REFERRAL_ANSWERED:
        status = detail.get("status", "")
        names = {
            "youth": youth,
            "to": referral.to_bureau if referral else "—",
            "from": referral.from_bureau if referral else "—",
        }
        if status == ReferralStatus.ACCEPTED:
            return _("Your referral of youth %(youth)s to %(to)s was accepted.") % names
        if status == ReferralStatus.DECLINED:
            return _("Your referral of youth %(youth)s to %(to)s was declined.") % names
        if status == ReferralStatus.COMPLETED:
            return _("%(to)s reports the work on your referral of youth %(youth)s completed.") % names
        if status == ReferralStatus.REVOKED:
            return _("The referral of youth %(youth)s from %(from)s was withdrawn.") % names
        return _("Your referral of youth %(youth)s was answered.") % names
    if kind == NotificationKind.CLOSURE_REQUESTED:
        return _("Closure of case %(case)s (youth %(youth)s) awaits your decision.") % {
            "case": case,
            "youth": youth,
        }
    if kind == NotificationKind.CLOSURE_DECIDED:
        if detail.get("approved"):
            return _("Closure of case %(case)s (youth %(youth)s) was approved.") % {
                "case": case,
                "youth": youth,
            }
        text = _("Closure of case %(case)s (youth %(youth)s) was returned.") % {"case": case, "youth": youth}
        if detail.get("note"):
            text += " " + _("Why: %(note)s") % {"note": detail["note"]}
        return text
    if kind == NotificationKind.TASK_DUE:
        return _("Next step on case %(case)s (youth %(youth)s) due %(due)s: %(step)s") % {
            "case": case,
            "youth": youth,
            "due": detail.get("due", "—"),
            "step": detail.get("next_step") or "—",
        }
    return _("A message about youth %(youth)s.") % {"youth": youth}


@login_required
@require_POST
def inbox_mark_read(request, pk: int):
    """Mark one message in the user's inbox (their own, or their bureau's) read; anyone else's answers 404."""
    note = policy.visible_notifications(request.user).filter(pk=pk).first()
    if note is None:
        raise not_found(request, "notification", pk)
    case_services.mark_notification_read(actor=Actor.from_request(request), notification=note)
    return redirect(safe_next(request, reverse("inbox")))


@login_required
@require_POST
def inbox_mark_all_read(request):
    actor = Actor.from_request(request)
    unread = list(inbox_messages(request.user).filter(read_by_me=False))
    for note in unread:
        case_services.mark_notification_read(actor=actor, notification=note)
    n = len(unread)
    messages.success(
        request, ngettext("%(n)d message marked as read.", "%(n)d messages marked as read.", n) % {"n": n}
    )
    return redirect(safe_next(request, reverse("inbox")))
