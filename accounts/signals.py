"""Receivers for sign-in events raised by django-axes."""

from __future__ import annotations

from casework.audit import Actor, record
from casework.models import AuditAction


def record_lockout(sender, request, username, ip_address, **kwargs) -> None:
    """Every refused attempt of a locked-out username+address lands in the access log."""
    actor = Actor.from_request(request, user=None) if request is not None else Actor(user=None)
    record(actor, AuditAction.LOCKOUT, username=str(username or "")[:150], detail={"ip_address": ip_address})
