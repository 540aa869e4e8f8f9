"""Subject-access pages: find the youth a lawful request is about, see what is held, download it.

Data stewards only (``casework.access.policy.can_handle_subject_access``). Every step is logged: the lookup
(how many records matched, not the ID typed), the summary (a view of the youth, with the request), and each
download (an export, through ``casework.exports.writers``).
"""

from __future__ import annotations

import secrets
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from casework.access import policy
from casework.access.audit import Actor, record, record_list
from casework.access.pages import not_found, require
from casework.exports.writers import ExportFormat, as_response
from casework.models import AuditAction

from .forms import LookupForm, RequestForm
from .subject_access import collect, export_subject_access, find_youth, youth_by_public_id

DOWNLOAD_FORMATS = (ExportFormat.XLSX, ExportFormat.JSON)


def _actor(request, reference: str) -> Actor:
    return Actor.from_request(
        request, purpose=_("Subject access request %(reference)s") % {"reference": reference}
    )


# The request a summary or download is made for (its reference, legal basis and note: free text that may name
# the youth's case) is kept in the steward's session, and the pages' own links carry only an opaque key to it.
# A URL is written to server and proxy logs and to the browser's history, which outlive the request.
SESSION_KEY = "subject_access_requests"
KEPT_REQUESTS = 20


def _remember(request, query: dict[str, str]) -> str:
    """Keep ``query`` in the session (the last :data:`KEPT_REQUESTS` requests) and return its key; the same
    request keeps the key it has."""
    kept = dict(request.session.get(SESSION_KEY, {}))
    key = next((k for k, v in kept.items() if v == query), None)
    if key is None:
        key = secrets.token_urlsafe(12)
        kept[key] = query
        request.session[SESSION_KEY] = dict(list(kept.items())[-KEPT_REQUESTS:])
    return key


def _summary_url(request, public_id: str, query: dict[str, str]) -> str:
    key = _remember(request, query)
    return f"{reverse('privacy:subject-access-youth', args=[public_id])}?{urlencode({'request': key})}"


@login_required
@require_http_methods(["GET", "POST"])
def subject_access(request):
    """The request form: youth ID or national ID, request reference and legal basis."""
    require(policy.can_handle_subject_access(request.user))
    form = LookupForm(request.POST or None)
    matches = []
    if request.method == "POST" and form.is_valid():
        query = form.query()
        found = find_youth(form.cleaned_data["identifier"])
        record_list(
            _actor(request, query["reference"]),
            "subject_access_lookup",
            count=len(found),
            query={**query, "youth": [y.public_id for y in found]},
        )
        if len(found) == 1:
            return redirect(_summary_url(request, found[0].public_id, query))
        if not found:
            form.add_error("identifier", _("No youth record has this ID. Check it against the request."))
        else:
            matches = [{"youth": y, "url": _summary_url(request, y.public_id, query)} for y in found]
    status = 400 if request.method == "POST" and form.errors else 200
    return render(request, "privacy/subject_access.html", {"form": form, "matches": matches}, status=status)


def _request_or_form(request):
    """The request (reference, basis) a summary or download is made for; without one, the form again.

    It is the one kept in the session under the key the pages' links carry, or else (a hand-made URL) the
    reference and basis given in the URL itself."""
    key = request.GET.get("request")
    kept = request.session.get(SESSION_KEY, {}).get(key) if key else None
    form = RequestForm(kept if kept is not None else request.GET)
    if form.is_valid():
        return form, None
    lookup = LookupForm(initial=request.GET.dict())
    response = render(
        request,
        "privacy/subject_access.html",
        {"form": lookup, "missing_request": True, "request_errors": form.errors},
        status=400,
    )
    return None, response


@login_required
@require_GET
def subject_access_youth(request, public_id: str):
    """What is held about one youth, counted per category, with the download links."""
    require(policy.can_handle_subject_access(request.user))
    form, refusal = _request_or_form(request)
    if refusal is not None:
        return refusal
    youth = youth_by_public_id(public_id)
    if youth is None:
        raise not_found(request, "youth", public_id[:16])
    query = form.query()
    if youth.public_id != public_id:
        # A merged record: the request is about the person, whose record is now the kept one.
        return redirect(_summary_url(request, youth.public_id, query))
    holdings = collect(youth)
    record(
        _actor(request, query["reference"]),
        AuditAction.VIEW,
        youth,
        detail={
            "subject_access": True,
            **query,
            "counts": {s["key"]: s["count"] for s in holdings.summary()},
        },
    )
    return render(
        request,
        "privacy/subject_access_youth.html",
        {
            "youth": youth,
            "holdings": holdings,
            "summary": holdings.summary(),
            "request_data": query,
            "basis_label": dict(form.fields["basis"].choices).get(query["basis"], query["basis"]),
            "downloads": [
                {
                    "format": fmt,
                    "label": fmt.upper(),
                    "url": f"{reverse('privacy:subject-access-download', args=[youth.public_id, fmt])}?"
                    f"{urlencode({'request': _remember(request, query)})}",
                }
                for fmt in DOWNLOAD_FORMATS
            ],
        },
    )


@login_required
@require_GET
def subject_access_download(request, public_id: str, fmt: str):
    """The workbook (XLSX, one sheet per category) or JSON of everything held, watermarked and logged."""
    require(policy.can_handle_subject_access(request.user))
    if fmt not in DOWNLOAD_FORMATS:
        raise Http404
    form, refusal = _request_or_form(request)
    if refusal is not None:
        return refusal
    youth = youth_by_public_id(public_id)
    if youth is None or youth.public_id != public_id:
        raise not_found(request, "youth", public_id[:16])
    query = form.query()
    export = export_subject_access(
        youth,
        fmt,
        _actor(request, query["reference"]),
        reference=query["reference"],
        basis=query["basis"],
        basis_note=query.get("basis_note", ""),
    )
    return as_response(export)
