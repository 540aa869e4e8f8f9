"""The youth record's pages: the youth list and page, the identity register, city statistics."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

import charts
from casework.access import policy
from casework.access.audit import Actor, record_list
from casework.access.forms import IdentifierForm
from casework.access.pages import not_found, require
from casework.access.services import record_youth_view
from casework.filters import NationalIdSearchForm, YouthFilter, with_national_id
from casework.models import (
    Alert,
    Case,
    Event,
    EventSource,
)
from casework.pagination import paginate, query_without_page
from casework.reports import suppression
from casework.triage.selectors import readable_reasons, score_history_for


def _youth_search(request, queryset, object_type: str, template: str, **context):
    """A list of youth: filtered by name, youth ID or district from the query string (GET), or, for a POST of
    :class:`NationalIdSearchForm`, the rows with exactly that national ID, so that a national ID never sits in
    a URL. Logged either way, the national ID masked."""
    searching = request.method == "POST"
    id_form = NationalIdSearchForm(request.POST if searching else None)
    status = 200
    if searching:
        filterset = YouthFilter(None, queryset=queryset)
        if id_form.is_valid():
            national_id = id_form.cleaned_data["national_id"]
            rows, query = with_national_id(queryset, national_id), {"national_id": national_id}
        else:
            # Nothing was searched: a malformed or partial ID is refused before any lookup.
            rows, query, status = queryset.none(), None, 400
        page = paginate(request, rows)
    else:
        filterset = YouthFilter(request.GET, queryset=queryset)
        page = paginate(request, filterset.qs)
        query = dict(request.GET.items())
    if query is not None:
        record_list(Actor.from_request(request), object_type, count=page.paginator.count, query=query)
    return render(
        request,
        template,
        {
            "filter": filterset,
            "id_form": id_form,
            "searched_by_national_id": searching,
            "page": page,
            "query": "" if searching else query_without_page(request),
            **context,
        },
        status=status,
    )


@login_required
def youth_list(request):
    require(policy.is_caseworker(request.user))
    return _youth_search(
        request,
        policy.visible_youth(request.user).order_by("public_id"),
        "youth",
        "casework/youth/youth_list.html",
        today=timezone.localdate(),
        # Rule 17: a record with no reason on record is opened by its exact ID and a stated purpose.
        open_form=IdentifierForm() if policy.can_break_glass(request.user) else None,
    )


SOURCE_ORDER = [EventSource.SCHOOL, EventSource.POLICE, EventSource.WELFARE]
SCORE_HISTORY = 24  # scoring runs shown on the youth page


def _score_chart(history) -> charts.Chart | None:
    """The score over scoring runs, oldest first (drawn by the chart kit; the table below gives the numbers)."""
    steps = [
        charts.Step(s.score, f"band-dot band-{s.band}", f"{s.as_of:%Y-%m-%d}: {s.score:.3f}") for s in history
    ]
    return charts.score_line(
        steps,
        id="score-history",
        title_text=_("The score over the last %(n)s scoring runs") % {"n": len(history)},
    )


@login_required
def youth_detail(request, public_id: str):
    """The integrated record of one youth, redacted to what this viewer may know."""
    user = request.user
    require(policy.is_caseworker(user))
    youth = policy.visible_youth(user).filter(public_id=public_id).first()
    if youth is None:
        raise not_found(request, "youth", public_id)
    # While a stated purpose lets the user in (rule 17), the log row carries it, for the reviewer.
    grant = record_youth_view(Actor.from_request(request), youth, youth)
    timeline = policy.timeline_for(user, youth)
    by_source: dict[str, list[Event]] = defaultdict(list)
    for event in timeline.events:
        by_source[event.source].append(event)
    sources = []
    for source in SOURCE_ORDER:
        level = timeline.levels[source]
        if level == policy.Detail.HIDDEN:
            continue
        sources.append(
            {
                "code": source,
                "label": EventSource(source).label,
                "full": level == policy.Detail.FULL,
                "events": by_source.get(source, []),
                "restricted_count": timeline.restricted_counts.get(source, 0),
            }
        )
    # None at all for a viewer who sees no scores (rule 19: a school counsellor), whatever the youth's.
    history = score_history_for(user, youth, runs=SCORE_HISTORY)
    score = history[0] if history else None
    reasons = readable_reasons(user, youth, score)
    # How hard each readable factor pushes (log-odds), drawn as a bar against the strongest one shown;
    # withheld factors show no size, and their sizes do not set the scale.
    widest = max((abs(r.shap or 0) for r in reasons.shown), default=0) or 1
    bars = [
        {
            "reason": r,
            "bar": charts.cell_bar(
                abs(r.shap) / widest, css="bar-up" if r.up else "bar-down", label=f"{r.shap:.3f}"
            )
            if r.shap is not None
            else None,
        }
        for r in reasons.shown
    ]
    return render(
        request,
        "casework/youth/youth_detail.html",
        {
            "youth": youth,
            "score": score,
            "score_reasons": bars,
            "sees_scores": policy.sees_model_scores(user),
            "score_history": list(reversed(history)),
            "score_chart": _score_chart(list(reversed(history))),
            "age": youth.age_on(timezone.localdate()),
            "sources": sources,
            "cases": policy.visible_cases(user).filter(youth=youth).select_related("lead_bureau", "assignee"),
            "other_cases": policy.other_cases_of(user, youth),
            "alerts": policy.visible_alerts(user).filter(youth=youth).select_related("routed_to", "rule"),
            "referrals": policy.visible_referrals(user)
            .filter(youth=youth)
            .select_related("from_bureau", "to_bureau"),
            "grant": grant,
        },
    )


@login_required
def identity_register(request):
    require(policy.can_use_identity_register(request.user))
    return _youth_search(
        request,
        policy.identity_register(request.user).order_by("public_id"),
        "identity",
        "casework/youth/identity_register.html",
    )


@login_required
def statistics(request):
    """City-wide aggregates for model stewards and supervisors; every count rounded to base 5 (docs/privacy.md)."""
    require(policy.can_read_aggregates(request.user))
    since = (timezone.localdate().replace(day=1) - dt.timedelta(days=365)).replace(day=1)
    monthly = (
        Event.objects.filter(event_date__gte=since)
        .annotate(month=TruncMonth("event_date"))
        .values("month", "source")
        .annotate(n=Count("id"))
        .order_by("month", "source")
    )
    # The key of each cell is the cell and its count: the same figures always publish the same way.
    release = suppression.Release()
    for row in monthly:
        name = ("events", row["month"], row["source"])
        release.count(name, row["n"], f"statistics:{name}:{row['n']}")
    case_names = []
    for value, label in Case._meta.get_field("status").choices:
        n = Case.objects.filter(status=value).count()
        release.count(("cases", value), n, f"statistics:cases:{value}:{n}")
        case_names.append((("cases", value), label))
    alert_names = []
    for value, label in Alert._meta.get_field("status").choices:
        n = Alert.objects.filter(status=value).count()
        release.count(("alerts", value), n, f"statistics:alerts:{value}:{n}")
        alert_names.append((("alerts", value), label))
    shown = release.publish()
    months = sorted({name[1] for name in shown if name[0] == "events"})
    rows = [
        {"month": month, "cells": [shown.get(("events", month, s), 0) for s in SOURCE_ORDER]}
        for month in months
    ]
    case_counts = [{"label": label, "n": shown[name]} for name, label in case_names]
    alert_counts = [{"label": label, "n": shown[name]} for name, label in alert_names]
    record_list(Actor.from_request(request), "statistics", count=len(rows))
    return render(
        request,
        "casework/youth/statistics.html",
        {
            "sources": [EventSource(s).label for s in SOURCE_ORDER],
            "rows": rows,
            "case_counts": case_counts,
            "alert_counts": alert_counts,
            "title": _("City statistics"),
        },
    )
