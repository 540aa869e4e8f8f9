"""The access log: who did or saw what, when, from where, and why.

Rows are only ever inserted; PostgreSQL refuses UPDATE and DELETE on the table (migration 0002).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import models
from django.dispatch import receiver

from .identifiers import redact_national_ids
from .models import AuditAction, AuditEntry, Youth


@dataclass(frozen=True)
class Actor:
    """The person acting and the circumstances they act in, carried from a request into services."""

    user: object
    ip_address: str | None = None
    user_agent: str = ""
    path: str = ""
    purpose: str = ""

    @classmethod
    def from_request(cls, request, purpose: str = "", user=None) -> Actor:
        return cls(
            user=user if user is not None else getattr(request, "user", None),
            ip_address=client_ip(request),
            # NUL characters (``?purpose=%00``) would reach the log's text columns, which PostgreSQL refuses.
            user_agent=_text(request.META.get("HTTP_USER_AGENT"))[:255],
            # A national ID typed into a URL (a GET search, a mistyped address) is masked before it is kept.
            path=redact_national_ids(_text(request.get_full_path()))[:512],
            purpose=_text(purpose or request.GET.get("purpose"))[:255],
        )

    @classmethod
    def system(cls, what: str) -> Actor:
        """For jobs with no person behind them (imports, nightly scoring)."""
        return cls(user=None, path=f"system:{what}")


def _text(value: str | None) -> str:
    return (value or "").replace("\x00", "")


def client_ip(request) -> str | None:
    # Behind a proxy the deployment sets REMOTE_ADDR correctly (see docs/operations.md); we do not trust
    # X-Forwarded-For from the client.
    return request.META.get("REMOTE_ADDR") or None


def _roles_of(user) -> str:
    if user is None or not getattr(user, "is_authenticated", False):
        return ""
    from .policy import principal_for

    return principal_for(user).roles_label


def record(
    actor: Actor,
    action: str,
    obj: models.Model | None = None,
    *,
    youth: Youth | None = None,
    detail: dict | None = None,
    username: str | None = None,
) -> AuditEntry:
    """Append one line to the access log."""
    user = actor.user if getattr(actor.user, "is_authenticated", False) else None
    if youth is None and isinstance(obj, Youth):
        youth = obj
    if youth is None and obj is not None and hasattr(obj, "youth_id"):
        youth = getattr(obj, "youth", None)
    if youth is None and obj is not None and getattr(obj, "case_id", None) is not None:
        # Interventions belong to a youth through their case.
        youth = obj.case.youth
    return AuditEntry.objects.create(
        user=user,
        username=username if username is not None else (user.get_username() if user else ""),
        roles=_roles_of(user),
        action=action,
        object_type=obj._meta.model_name if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        youth_public_id=youth.public_id if youth is not None else "",
        path=actor.path,
        ip_address=actor.ip_address,
        user_agent=actor.user_agent,
        purpose=actor.purpose,
        detail=detail or {},
    )


def _redacted(value):
    if isinstance(value, str):
        return redact_national_ids(value)
    if isinstance(value, list | tuple):
        return [_redacted(v) for v in value]
    return value


def record_list(actor: Actor, object_type: str, *, count: int, query: dict | None = None) -> AuditEntry:
    """Log a list or search: what was asked (national IDs masked) and how many rows came back (not the
    rows)."""
    user = actor.user if getattr(actor.user, "is_authenticated", False) else None
    return AuditEntry.objects.create(
        user=user,
        username=user.get_username() if user else "",
        roles=_roles_of(user),
        action=AuditAction.LIST,
        object_type=object_type,
        path=actor.path,
        ip_address=actor.ip_address,
        user_agent=actor.user_agent,
        purpose=actor.purpose,
        detail={"count": count, "query": {k: _redacted(v) for k, v in (query or {}).items()}},
    )


@receiver(user_logged_in)
def _on_login(sender, request, user, **kwargs):
    record(Actor.from_request(request, user=user), AuditAction.LOGIN)


@receiver(user_logged_out)
def _on_logout(sender, request, user, **kwargs):
    if user is not None:
        record(Actor.from_request(request, user=user), AuditAction.LOGOUT)


@receiver(user_login_failed)
def _on_login_failed(sender, credentials, request=None, **kwargs):
    # Only the username tried is kept; the password never reaches the log.
    actor = Actor.from_request(request) if request is not None else Actor(user=None)
    record(actor, AuditAction.LOGIN_FAILED, username=str(credentials.get("username", ""))[:150])
