"""Receivers for sign-in events raised by django-axes."""

from __future__ import annotations

from casework.access.audit import Actor, record
from casework.models import AuditAction

from . import notices


def record_lockout(sender, request, username, ip_address, **kwargs) -> None:
    """Every refused attempt of a locked-out sign-in lands in the access log; the first of each lockout also
    tells the account holder (at their next sign-in) and the auditors."""
    actor = Actor.from_request(request, user=None) if request is not None else Actor(user=None)
    username = str(username or "")[:150]
    record(actor, AuditAction.LOCKOUT, username=username, detail={"ip_address": ip_address})
    notices.lockout(username=username)
