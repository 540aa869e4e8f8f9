"""Triage and alerts in the browser: the queue per bureau, the decision page, the inbox, and the alert rules.

Thin views: every youth-bearing queryset comes from ``casework.access.policy`` (through ``casework.triage.selectors``), every
change goes through ``casework.services`` or ``casework.triage.alerting``, every page view and list is written to
the access log, and refusals are logged like everywhere else (404 for what is out of reach, 403 for pages a
role may not use).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from casework.access import policy
from casework.access.audit import Actor, record, record_list
from casework.access.pages import not_found, require, safe_next
from casework.clock import TAIPEI
from casework.filters import AlertFilter
from casework.models import (
    ACTIVE_ALERT_STATUSES,
    OPEN_CASE_STATUSES,
    AlertStatus,
    AlertTrigger,
    AuditAction,
    Bureau,
    BureauKind,
    EventKind,
    EventSource,
    ReferralStatus,
    RiskBand,
    TriageDecisionKind,
)
from casework.pagination import paginate, query_without_page
from casework.triage import alerting, selectors
from casework.triage import services as triage_services
from casework.triage.forms import (
    AlertRuleForm,
    NewAlertRuleForm,
    TriageDecisionForm,
    TriageQueueFilter,
    add_service_error,
)

SHORT_TIMELINE = 10
ACKNOWLEDGEABLE = (AlertStatus.OPEN, AlertStatus.ESCALATED)


def _queue_url(bureau: Bureau) -> str:
    return f"{reverse('triage-queue')}?bureau={bureau.code}"


# ---------------------------------------------------------------------------------------------------------
# The triage queue
# ---------------------------------------------------------------------------------------------------------


@login_required
def triage_queue(request):
    """One bureau's active alerts, most urgent first, with the youth's score and the reasons the viewer may read."""
    user = request.user
    bureaus = list(policy.triage_bureaus(user))
    require(bool(bureaus))
    code = request.GET.get("bureau")
    bureau = next((b for b in bureaus if b.code == code), None) if code else bureaus[0]
    if bureau is None:
        raise not_found(request, "bureau", code)
    now = timezone.now()
    # No active model, no score: alerts from the rules still arrive, ordered by their deadlines alone.
    scores_shown = selectors.scores_shown() and policy.sees_model_scores(user)
    filterset = TriageQueueFilter(
        request.GET,
        queryset=selectors.triage_queue(user, bureau, now=now, with_scores=scores_shown),
        request=request,
    )
    page = paginate(request, filterset.qs)
    page.object_list = _queue_rows(user, page.object_list, now)
    record_list(
        Actor.from_request(request),
        "triage-queue",
        count=page.paginator.count,
        query={**dict(request.GET.items()), "bureau": bureau.code},
    )
    counts = selectors.queue_counts(user)
    return render(
        request,
        "casework/triage/triage_queue.html",
        {
            "bureau": bureau,
            "bureaus": [{"bureau": b, "count": counts.get(b.pk, 0), "current": b == bureau} for b in bureaus],
            "filter": filterset,
            "page": page,
            "query": query_without_page(request),
            "here": request.get_full_path(),
            "shows_schools": policy.reads_source_for_every_youth(user, EventSource.SCHOOL),
            "scores_shown": scores_shown,
        },
    )


def _queue_rows(user, alerts, now) -> list[dict]:
    today = now.astimezone(TAIPEI).date()
    schools = selectors.schools_by_id(a.current_school_id for a in alerts)
    scores = selectors.scores_by_id(a.latest_score_id for a in alerts)
    rows = []
    for alert in alerts:
        score = scores.get(alert.latest_score_id)
        levels = policy.record_detail_by_source(user, alert.youth)
        rows.append(
            {
                "alert": alert,
                "youth": alert.youth,
                "age": alert.youth.age_on(today),
                # The current school is a school detail (rule 5): only for those who read school records.
                "reads_school": levels[EventSource.SCHOOL] == policy.Detail.FULL,
                "school": schools.get(alert.current_school_id)
                if levels[EventSource.SCHOOL] == policy.Detail.FULL
                else None,
                "rule": alert.rule,
                "due_words": selectors.deadline_words(alert.due_at, now),
                "score": score,
                "reasons": selectors.readable_reasons(
                    user, alert.youth, score, top=selectors.TOP_REASONS, levels=levels
                ),
                "can_acknowledge": alert.status in ACKNOWLEDGEABLE
                and policy.can_acknowledge_alert(user, alert),
            }
        )
    return rows


# ---------------------------------------------------------------------------------------------------------
# The decision page
# ---------------------------------------------------------------------------------------------------------


def _override_choice(score) -> str:
    """The decision that would go against this band (triage_services.record_triage_decision counts it as an
    override), so the page can say so before the worker submits."""
    if score is None:
        return ""
    if score.band in triage_services.TOP_BANDS:
        return TriageDecisionKind.NO_ACTION
    if score.band in triage_services.LOW_BANDS:
        return TriageDecisionKind.OPEN_CASE
    return ""


@login_required
def triage_decide(request, pk: int):
    """One alert with what the worker needs to decide it, and the decision form."""
    user = request.user
    require(policy.triage_bureaus(user).exists())
    alert = (
        policy.visible_alerts(user)
        .select_related("youth", "rule", "routed_to", "acknowledged_by", "resolved_by")
        .filter(pk=pk)
        .first()
    )
    if alert is None:
        elsewhere = selectors.alert_decided_elsewhere(user, pk) if request.method == "POST" else None
        if elsewhere is not None:
            return _decided_elsewhere(request, elsewhere)
        raise not_found(request, "alert", pk)
    active = alert.status in ACTIVE_ALERT_STATUSES
    status = 200
    form = None
    if request.method == "POST" or active:
        form = TriageDecisionForm(request.POST or None, user=user, alert=alert)
    if request.method == "POST" and form.is_valid():
        try:
            decision = triage_services.decide_alert(
                actor=Actor.from_request(request), alert=alert, **form.service_arguments()
            )
        except ValidationError as exc:
            add_service_error(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc) or _("You may not decide on this alert."))
            status = 403
        else:
            return _after_decision(request, decision, alert.routed_to)
    record(Actor.from_request(request), AuditAction.VIEW, alert, detail={"page": "triage-decide"})
    return render(
        request, "casework/triage/triage_decide.html", _decision_context(request, alert, form), status=status
    )


def _after_decision(request, decision, bureau: Bureau):
    youth = decision.youth.public_id
    if decision.decision == TriageDecisionKind.OPEN_CASE and decision.case_id:
        messages.success(
            request, _("Case %(case)s opened for youth %(youth)s.") % {"case": decision.case, "youth": youth}
        )
        return redirect(reverse("case-detail", args=[decision.case_id]))
    if decision.decision == TriageDecisionKind.REFER and decision.referral_id:
        text = _("Youth %(youth)s referred to %(bureau)s.") % {
            "youth": youth,
            "bureau": decision.referral.to_bureau,
        }
    else:
        text = _("Decision recorded for youth %(youth)s: %(decision)s.") % {
            "youth": youth,
            "decision": decision.get_decision_display(),
        }
    if decision.is_override:
        text += " " + _("It is recorded as an override of the model, with your note.")
    messages.success(request, text)
    return redirect(_queue_url(bureau))


def _decided_elsewhere(request, alert):
    """Someone else decided this alert while the worker was writing; the youth's record is out of their sight
    now, so only the fact is told, and their own text is given back so nothing they wrote is lost."""
    record(
        Actor.from_request(request),
        AuditAction.DENIED,
        detail={"path": request.path, "status": 409, "object_type": "alert", "object_id": str(alert.pk)},
    )
    return render(
        request,
        "casework/triage/triage_decided_elsewhere.html",
        {
            "alert": alert,
            "note": request.POST.get("note", ""),
            "consent_note": request.POST.get("consent_note", ""),
            "queue_url": _queue_url(alert.routed_to),
        },
        status=409,
    )


def _decision_context(request, alert, form) -> dict:
    user = request.user
    youth = alert.youth
    now = timezone.now()
    score = next(iter(selectors.score_history_for(user, youth, runs=1)), None)
    timeline = policy.timeline_for(user, youth)
    restricted = [
        {"label": EventSource(source).label, "n": n}
        for source, n in sorted(timeline.restricted_counts.items())
        if timeline.levels.get(source) == policy.Detail.CATEGORY
    ]
    source_event = next((e for e in timeline.events if e.pk == alert.source_event_id), None)
    override = _override_choice(score)
    return {
        "alert": alert,
        "youth": youth,
        "age": youth.age_on(now.astimezone(TAIPEI).date()),
        "rule": alert.rule,
        "rule_deadline": selectors.rule_deadline_words(alert.rule) if alert.rule_id else "",
        "due_words": selectors.deadline_words(alert.due_at, now),
        "overdue": alert.status in ACTIVE_ALERT_STATUSES and alert.due_at < now,
        "source_event": source_event,
        "source_event_withheld": alert.source_event_id is not None and source_event is None,
        "score": score,
        "sees_scores": policy.sees_model_scores(user),
        "reasons": selectors.readable_reasons(user, youth, score),
        "events": timeline.events[:SHORT_TIMELINE],
        "more_events": max(len(timeline.events) - SHORT_TIMELINE, 0),
        "restricted": restricted,
        "cases": policy.visible_cases(user)
        .filter(youth=youth, status__in=OPEN_CASE_STATUSES)
        .select_related("lead_bureau", "assignee"),
        "other_cases": policy.other_cases_of(user, youth).filter(status__in=OPEN_CASE_STATUSES),
        "referrals": policy.visible_referrals(user)
        .filter(youth=youth, status__in=[ReferralStatus.PENDING, ReferralStatus.ACCEPTED])
        .select_related("from_bureau", "to_bureau", "to_user"),
        "other_alerts": policy.visible_alerts(user)
        .filter(youth=youth, status__in=ACTIVE_ALERT_STATUSES)
        .exclude(pk=alert.pk)
        .select_related("rule", "routed_to"),
        "decision": policy.visible_triage_decisions(user)
        .filter(alert=alert)
        .select_related("decided_by")
        .first()
        if alert.status not in ACTIVE_ALERT_STATUSES
        else None,
        "form": form,
        "override_choice": override,
        "override_label": TriageDecisionKind(override).label if override else "",
        "can_acknowledge": alert.status in ACKNOWLEDGEABLE and policy.can_acknowledge_alert(user, alert),
        "queue_url": _queue_url(alert.routed_to),
        "here": request.path,
    }


@login_required
@require_POST
def triage_acknowledge(request, pk: int):
    """Say the bureau has seen the alert and is working on it (the deadline still stands)."""
    user = request.user
    require(policy.triage_bureaus(user).exists())
    alert = policy.visible_alerts(user).select_related("youth").filter(pk=pk).first()
    if alert is None:
        raise not_found(request, "alert", pk)
    try:
        triage_services.acknowledge_alert(actor=Actor.from_request(request), alert=alert)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", None) or [str(exc)]))
    else:
        messages.success(
            request, _("Alert for youth %(youth)s acknowledged.") % {"youth": alert.youth.public_id}
        )
    return redirect(safe_next(request, reverse("triage-decide", args=[alert.pk])))


# ---------------------------------------------------------------------------------------------------------
# Alert rules
# ---------------------------------------------------------------------------------------------------------


def _rule_summary(rule) -> dict:
    """A rule in words: what triggers it, where it goes, by when."""
    if rule.trigger == AlertTrigger.EVENT:
        kind = EventKind(rule.event_kind).label if rule.event_kind in EventKind.values else rule.event_kind
        trigger = _("Event: %(kind)s") % {"kind": kind}
        if rule.event_codes:
            trigger += " (" + _("codes: %(codes)s") % {"codes": ", ".join(rule.event_codes)} + ")"
    else:
        bands = [str(RiskBand(b).label) if b in RiskBand.values else b for b in rule.bands or []]
        trigger = _("Score in band: %(bands)s") % {"bands": ", ".join(bands)}
    return {
        "rule": rule,
        "trigger": trigger,
        "route": [str(BureauKind(k).label) if k in BureauKind.values else k for k in rule.route_to or []],
        "deadline": selectors.rule_deadline_words(rule),
    }


@login_required
def alert_rule_list(request):
    require(policy.can_read_alert_rules(request.user))
    rules = [_rule_summary(rule) for rule in selectors.current_alert_rules()]
    record_list(Actor.from_request(request), "alertrule", count=len(rules))
    return render(
        request,
        "casework/triage/alert_rule_list.html",
        {"rules": rules, "can_edit": policy.can_edit_alert_rules(request.user)},
    )


RULE_FIELD_LABELS = {
    "enabled": gettext_lazy("Enabled"),
    "name_zh": gettext_lazy("Name (Chinese)"),
    "name_en": gettext_lazy("Name (English)"),
    "duty_zh": gettext_lazy("What must be done (Chinese)"),
    "duty_en": gettext_lazy("What must be done (English)"),
    "trigger": gettext_lazy("Trigger"),
    "event_kind": gettext_lazy("Event kind"),
    "event_codes": gettext_lazy("Event codes"),
    "bands": gettext_lazy("Score bands"),
    "route_to": gettext_lazy("Route to"),
    "deadline_hours": gettext_lazy("Deadline"),
    "deadline_days": gettext_lazy("Deadline"),
    "lookback_days": gettext_lazy("Look back (days)"),
    "notify_referrer": gettext_lazy("Notify the referrer"),
    "concern": gettext_lazy("Concern of a case opened from it"),
    "statutory_duty": gettext_lazy("Legal duty"),
}


@login_required
def alert_rule_detail(request, key: str):
    """Every version of one rule, newest first, with what each changed and why."""
    require(policy.can_read_alert_rules(request.user))
    versions = list(selectors.alert_rule_versions(key))
    if not versions:
        raise not_found(request, "alertrule", key)
    rows = []
    for i, rule in enumerate(versions):
        previous = versions[i + 1] if i + 1 < len(versions) else None
        changed = []
        if previous is not None:
            for name in alerting.RULE_FIELDS:
                label = str(RULE_FIELD_LABELS[name])
                if getattr(rule, name) != getattr(previous, name) and label not in changed:
                    changed.append(label)
        rows.append({**_rule_summary(rule), "changed": changed, "first": previous is None})
    record_list(Actor.from_request(request), "alertrule", count=len(rows), query={"key": key})
    return render(
        request,
        "casework/triage/alert_rule_detail.html",
        {
            "key": key,
            "current": next((r for r in rows if r["rule"].is_current), rows[0]),
            "versions": rows,
            "can_edit": policy.can_edit_alert_rules(request.user),
        },
    )


@login_required
def alert_rule_edit(request, key: str):
    """Administrators write the next version of a rule; alerts already raised keep the version they came from."""
    require(policy.can_edit_alert_rules(request.user))
    current = selectors.current_alert_rule(key)
    if current is None:
        raise not_found(request, "alertrule", key)
    form = AlertRuleForm(request.POST or None, initial=AlertRuleForm.initial_from(current))
    if request.method == "POST" and form.is_valid():
        values = form.rule_values()
        changes = {name: value for name, value in values.items() if getattr(current, name) != value}
        try:
            rule = alerting.revise_alert_rule(
                actor=Actor.from_request(request),
                key=key,
                changes=changes,
                note=form.cleaned_data["change_note"],
            )
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(
                request,
                _("Rule %(key)s saved as version %(version)d.") % {"key": key, "version": rule.version},
            )
            return redirect("alert-rule-detail", key=key)
    return render(
        request, "casework/triage/alert_rule_form.html", {"form": form, "rule": current, "key": key}
    )


@login_required
def alert_rule_new(request):
    require(policy.can_edit_alert_rules(request.user))
    form = NewAlertRuleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        key = form.cleaned_data["key"]
        try:
            alerting.revise_alert_rule(
                actor=Actor.from_request(request),
                key=key,
                changes=form.rule_values(),
                note=form.cleaned_data["change_note"],
            )
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Rule %(key)s created.") % {"key": key})
            return redirect("alert-rule-detail", key=key)
    return render(request, "casework/triage/alert_rule_form.html", {"form": form, "rule": None, "key": ""})


@login_required
def alert_list(request):
    require(policy.is_caseworker(request.user))
    qs = policy.visible_alerts(request.user).select_related("youth", "routed_to", "rule").order_by("due_at")
    filterset = AlertFilter(request.GET, queryset=qs)
    # A choice that is not on the list (an old bookmark, a hand-made URL) lists nothing, with the form's error.
    page = paginate(request, filterset.qs if filterset.is_valid() else qs.none())
    record_list(
        Actor.from_request(request), "alert", count=page.paginator.count, query=dict(request.GET.items())
    )
    return render(
        request,
        "casework/triage/alert_list.html",
        {"filter": filterset, "page": page, "query": query_without_page(request), "now": timezone.now()},
    )
