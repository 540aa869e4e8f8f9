"""Pages for opening a record by stating a purpose, and for reviewing such accesses (access-policy rule 17).

Existence does not leak: ``youth_detail`` answers 404 for a record without a reason on record, exactly as
before. The way in is this separate page keyed by a typed exact ID (sent by POST, so a national ID never sits
in a URL or a server log); it shows the same purpose form for every well-formed ID that is not already
visible, and only after a purpose is stated does it answer with the record, or with the usual (logged) 404.
"""

from __future__ import annotations

import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from casework.access import policy
from casework.access import services as access_services
from casework.access.audit import Actor, record, record_list
from casework.access.forms import AccessGrantFilter, IdentifierForm, PurposeForm, ReviewForm
from casework.access.pages import not_found, require
from casework.access.selectors import audit_log_filter
from casework.models import (
    ACCESS_GRANT_HOURS,
    AccessReviewOutcome,
    AuditAction,
)
from casework.pagination import paginate, query_without_page

PURPOSE_STAGE = "purpose"


@login_required
def open_record(request):
    """Step 1: the exact ID. Step 2 (``stage=purpose``): the purpose, then the record or a 404."""
    user = request.user
    require(policy.can_break_glass(user))
    if request.method != "POST":
        return render(request, "casework/access/access_open.html", {"form": IdentifierForm()})
    id_form = IdentifierForm(request.POST)
    if not id_form.is_valid():
        return render(request, "casework/access/access_open.html", {"form": id_form}, status=400)
    lookup = id_form.lookup()
    identifier = id_form.cleaned_data["identifier"]
    candidates = policy.youth_by_exact_identifier(user, **lookup)
    # A record the user may already see needs no purpose: straight to it.
    already = list(candidates.filter(pk__in=policy.visible_youth(user).values("pk"))[:1])
    stating = request.POST.get("stage") == PURPOSE_STAGE
    purpose_form = PurposeForm(request.POST if stating else None, user=user)
    if not stating:
        record_list(
            Actor.from_request(request), "youth_by_id", count=len(already), query={"identifier": identifier}
        )
    if already:
        return redirect("youth-detail", public_id=already[0].public_id)
    if stating and purpose_form.is_valid():
        matches = list(candidates)
        if not matches:
            raise not_found(request, "youth", identifier)
        try:
            grants = access_services.grant_access(
                actor=Actor.from_request(request),
                youth=matches,
                bureau=purpose_form.chosen_bureau(),
                purpose_code=purpose_form.cleaned_data["purpose_code"],
                purpose_text=purpose_form.cleaned_data["purpose_text"],
            )
        except ValidationError as error:  # the form checks the same rules; kept for a direct caller's sake
            purpose_form.add_error(None, error)
        else:
            if len(grants) > 1:
                messages.info(
                    request,
                    _(
                        "This national ID is on %(n)s records; you may open each while your access lasts: %(ids)s."
                    )
                    % {"n": len(grants), "ids": ", ".join(g.youth.public_id for g in grants)},
                )
            return redirect("youth-detail", public_id=grants[0].youth.public_id)
    # The same page whether or not a youth has this ID: nothing here depends on the lookup.
    return render(
        request,
        "casework/access/access_purpose.html",
        {"form": purpose_form, "identifier": identifier, "stage": PURPOSE_STAGE, "hours": ACCESS_GRANT_HOURS},
        status=400 if stating else 200,
    )


@login_required
def access_review_list(request):
    """Accesses by stated purpose for review: a supervisor's bureaus, or all of them for an auditor."""
    user = request.user
    require(policy.can_read_access_reviews(user))
    qs = policy.visible_access_grants(user).select_related("user", "bureau", "youth", "reviewed_by")
    filterset = AccessGrantFilter(request.GET, queryset=qs)
    page = paginate(request, filterset.qs)
    grants = list(page.object_list)
    views = access_services.page_view_counts(g.pk for g in grants)
    page.object_list = [
        {"grant": g, "views": views.get(g.pk, 0), "can_review": policy.can_review_access_grant(user, g)}
        for g in grants
    ]
    record_list(
        Actor.from_request(request),
        "accessgrant",
        count=page.paginator.count,
        query=dict(request.GET.items()),
    )
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "casework/access/access_review_list.html",
        {
            "filter": filterset,
            "page": page,
            "query": params.urlencode(),
            "awaiting": policy.visible_access_grants(user)
            .filter(review_outcome__in=["", AccessReviewOutcome.FOLLOW_UP])
            .count(),
        },
    )


def review_form(request, *, can_review: bool, review, done: str):
    """The review form of a page that shows one access (a purpose-of-access grant, a meeting share), and the
    redirect to ``done`` once a POST recorded the verdict through ``review(actor=, outcome=, note=)``. A POST
    from someone who may not review is refused."""
    form = ReviewForm(request.POST or None)
    if request.method == "POST":
        if not can_review:
            raise PermissionDenied
        if form.is_valid():
            try:
                review(
                    actor=Actor.from_request(request),
                    outcome=form.cleaned_data["outcome"],
                    note=form.cleaned_data["note"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Review recorded."))
                return form, redirect(done)
    return form, None


@login_required
def access_review_detail(request, pk: int):
    """One access: who, when, why, what they viewed; and the review form for whoever may review it."""
    user = request.user
    require(policy.can_read_access_reviews(user))
    grant = (
        policy.visible_access_grants(user)
        .select_related("user", "bureau", "youth", "reviewed_by")
        .filter(pk=pk)
        .first()
    )
    if grant is None:
        raise not_found(request, "accessgrant", pk)
    can_review = policy.can_review_access_grant(user, grant) and grant.awaits_review
    form, done = review_form(
        request,
        can_review=can_review,
        review=functools.partial(access_services.review_access_grant, grant=grant),
        done="access-review-list",
    )
    if done is not None:
        return done
    if request.method != "POST":
        record(Actor.from_request(request), AuditAction.VIEW, grant)
    return render(
        request,
        "casework/access/access_review_detail.html",
        {
            "grant": grant,
            "views": access_services.page_views(grant),
            "form": form,
            "can_review": can_review,
            "own": grant.user_id == user.pk,
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def audit_log(request):
    require(policy.can_read_audit_log(request.user))
    filterset = audit_log_filter(request)
    page = paginate(request, filterset.qs)
    record_list(
        Actor.from_request(request), "auditentry", count=page.paginator.count, query=dict(request.GET.items())
    )
    return render(
        request,
        "casework/access/audit_log.html",
        {"filter": filterset, "page": page, "query": query_without_page(request)},
    )
