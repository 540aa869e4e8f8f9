"""What every app's pages share about access: refuse a page, answer 404 for what is out of reach (and log the
attempt), and keep small counts from singling anyone out. One place, so every page refuses the same way."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.http import url_has_allowed_host_and_scheme

from casework.access.audit import Actor, record
from casework.identifiers import redact_national_ids
from casework.models import AuditAction


def require(allowed: bool) -> None:
    """A page the user's role may not use at all answers 403."""
    if not allowed:
        raise PermissionDenied


def not_found(request, object_type: str, object_id) -> Http404:
    """Hidden and missing records both answer 404; the attempt is logged so probing shows up in the audit.
    Returns the exception to raise."""
    record(
        Actor.from_request(request),
        AuditAction.DENIED,
        detail={
            "path": redact_national_ids(request.path),
            "status": 404,
            "object_type": object_type,
            # A national ID typed where an ID was expected is kept masked (identifiers).
            "object_id": redact_national_ids(str(object_id)),
        },
    )
    return Http404()


def safe_next(request, default: str) -> str:
    """Where to go after a POST: the form's ``next`` when it points to this site, else ``default``."""
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default
