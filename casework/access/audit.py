"""The access log: who did or saw what, when, from where, and why.

Rows are only ever inserted; PostgreSQL refuses UPDATE and DELETE on the table (migration 0002).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import models
from django.dispatch import receiver

from casework.identifiers import redact_national_ids
from casework.models import AuditAction, AuditEntry, Youth


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
            # A national ID typed into a URL (a GET search, a mistyped address), a purpose or a header is
            # masked before it is kept, and before cutting to length (which could leave most of one behind).
            user_agent=redact_national_ids(_text(request.META.get("HTTP_USER_AGENT")))[:255],
            path=redact_national_ids(_text(request.get_full_path()))[:512],
            purpose=redact_national_ids(_text(purpose or request.GET.get("purpose")))[:255],
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
    from casework.access.policy import principal_for

    # Codes, not words: the log is read by machines and by auditors in any language, and never rewritten.
    return ",".join(sorted(principal_for(user).roles))


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
        username=_redacted(username if username is not None else (user.get_username() if user else ""))[:150],
        roles=_roles_of(user),
        action=action,
        object_type=obj._meta.model_name if obj is not None else "",
        object_id=_redacted(str(obj.pk)) if obj is not None else "",
        youth_public_id=youth.public_id if youth is not None else "",
        path=_redacted(actor.path)[:512],
        ip_address=actor.ip_address,
        user_agent=_redacted(actor.user_agent)[:255],
        purpose=_redacted(actor.purpose)[:255],
        detail=_redacted(detail or {}),
    )


def _redacted(value):
    """Every text the access log keeps passes through here, however deep in a detail it sits: national IDs
    masked (``identifiers.redact_national_ids``, which also finds full-width, spaced and hyphenated ones)."""
    if isinstance(value, str):
        return redact_national_ids(value)
    if isinstance(value, dict):
        return {_redacted(k) if isinstance(k, str) else k: _redacted(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_redacted(v) for v in value]
    return value


def record_list(actor: Actor, object_type: str, *, count: int, query: dict | None = None) -> AuditEntry:
    """Log a list or search: what was asked (national IDs masked) and how many rows came back (not the
    rows)."""
    user = actor.user if getattr(actor.user, "is_authenticated", False) else None
    return AuditEntry.objects.create(
        user=user,
        username=_redacted(user.get_username() if user else ""),
        roles=_roles_of(user),
        action=AuditAction.LIST,
        object_type=object_type,
        path=_redacted(actor.path)[:512],
        ip_address=actor.ip_address,
        user_agent=_redacted(actor.user_agent)[:255],
        purpose=_redacted(actor.purpose)[:255],
        detail={"count": count, "query": _redacted(dict(query or {}))},
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
