"""Every version of the casework record: cases, referrals, alerts, interventions and youth records.

A legal casework record keeps every version: an assessment or plan that is rewritten stays readable as it
was. ``django-simple-history`` keeps one row per save (the full row, who, when, and for system jobs why);
django-pghistory would do it with PostgreSQL triggers, but the demo runs on SQLite.

- **Who**: services run their writes inside :func:`acting` (the ``@by_actor`` decorator does it for a
  service's ``actor`` argument), so each version names the person, or, for a job with no person behind it,
  carries the job (``system:escalation``) as its reason.
- **Erasure**: a record that is erased (sealing, retention) "counts as never made", so its versions go with
  it: every tracked model is declared with ``cascade_delete_history`` (a ``QuerySet.delete()`` deletes
  each row through the ORM and so their history). :func:`erase_history_of` erases the versions of rows that
  stay but lose what they were built from (a youth's golden record after sealing).
- **Bulk writes**: linkage creates and updates youth records in bulk (COPY, ``bulk_update``), which bypasses
  ``save``; :func:`record_versions` writes their versions, with the job as the reason.
- **Reading**: :func:`case_versions` lists a case's versions (and those of its interventions and
  referrals), newest first, with what changed; the case page shows them to those who may read the case.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

if TYPE_CHECKING:
    from casework.access.audit import Actor
    from casework.models import Case

_acting: ContextVar[Actor | None] = ContextVar("casework_history_actor", default=None)


@contextmanager
def acting(actor: Actor | None) -> Iterator[None]:
    """Versions saved inside this block name ``actor`` (a person, or a system job as the reason). ``None``
    keeps whoever an enclosing block names."""
    if actor is None:
        yield
        return
    token = _acting.set(actor)
    try:
        yield
    finally:
        _acting.reset(token)


def by_actor(func):
    """Run a service inside :func:`acting` for its ``actor`` keyword argument."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with acting(kwargs.get("actor")):
            return func(*args, **kwargs)

    return wrapper


def _person(actor: Actor | None):
    user = getattr(actor, "user", None)
    return user if getattr(user, "is_authenticated", False) else None


class CaseworkHistory(HistoricalRecords):
    """Simple-history that takes who acted from :func:`acting` rather than from a request middleware: a
    service knows its actor, a Celery job has no request."""

    def __init__(self, **kwargs):
        kwargs.setdefault("cascade_delete_history", True)
        super().__init__(**kwargs)

    def get_history_user(self, instance):
        actor = _acting.get()
        if actor is not None:
            return _person(actor)
        return super().get_history_user(instance)

    def get_change_reason_for_object(self, instance, history_type, using):
        reason = super().get_change_reason_for_object(instance, history_type, using)
        if reason:
            return reason
        actor = _acting.get()
        if actor is not None and _person(actor) is None:
            # A job with no person behind it says which job it was.
            return (actor.path or "system")[:100]
        return reason


def record_versions(
    model: type[models.Model], objs: Iterable[models.Model], *, created: bool, job: str
) -> int:
    """One version per row written in bulk (``bulk_update`` or COPY bypass ``save``, and so simple-history):
    a system job's writes are versions like any other, with the job as the reason (or the person of an
    enclosing :func:`acting`). Returns how many versions were written."""
    objs = list(objs)
    if not objs:
        return 0
    actor = _acting.get()
    person = _person(actor)
    reason = "" if person is not None else ((actor.path if actor is not None else "") or job)[:100]
    rows = model.history.bulk_history_create(
        objs, batch_size=2000, update=not created, default_user=person, default_change_reason=reason
    )
    return len(rows or ())


def erase_history_of(model: type[models.Model], pks: Iterable[int]) -> int:
    """Delete every stored version of these rows of ``model`` (which must keep history). Returns how many."""
    pks = sorted({pk for pk in pks if pk is not None})
    erased = 0
    for start in range(0, len(pks), 5000):
        erased += model.history.filter(id__in=pks[start : start + 5000]).delete()[0]
    return erased


# ---------------------------------------------------------------------------------------------------------
# Reading a case's history
# ---------------------------------------------------------------------------------------------------------

# Text that people write at length: shown before and after, not as "changed".
LONG_TEXT = frozenset(
    {
        "summary", "assessment", "plan", "closure_note", "notes", "outcome", "next_step", "reason",
        "consent_note", "response_note", "closed_note",
    }
)  # fmt: skip
# Bookkeeping that changes with every save and tells a reader nothing.
NOT_SHOWN = frozenset({"id", "version", "updated_at"})


@dataclass
class FieldChange:
    name: str
    label: str
    before: str
    after: str
    long: bool


@dataclass
class Version:
    """One saved version of a case, or of an intervention or referral on it, and what it changed."""

    at: Any
    who: str
    reason: str
    kind: str  # "+" created, "~" changed, "-" deleted
    subject: str
    changes: list[FieldChange] = field(default_factory=list)

    @property
    def kind_label(self) -> str:
        labels = {
            "+": pgettext_lazy("history", "Created"),
            "~": pgettext_lazy("history", "Changed"),
            "-": pgettext_lazy("history", "Deleted"),
        }
        return str(labels.get(self.kind, self.kind))


def _display(row, f: models.Field) -> str:
    value = getattr(row, f.attname)
    if value is None or value == "":
        return ""
    if f.choices:
        return str(dict(f.flatchoices).get(value, value))
    if isinstance(f, models.ForeignKey):
        related = getattr(row, f.name, None)
        if related is None:
            return str(value)
        if hasattr(related, "get_full_name"):
            return related.get_full_name() or related.get_username()
        return str(related)
    if isinstance(f, models.DateTimeField):
        from django.utils import timezone

        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    return str(value)


def _changes(row, previous) -> list[FieldChange]:
    changes = []
    for f in row.instance_type._meta.concrete_fields:
        if f.name in NOT_SHOWN:
            continue
        after = getattr(row, f.attname)
        before = getattr(previous, f.attname) if previous is not None else None
        if previous is None and (after is None or after == ""):
            continue
        if previous is not None and before == after:
            continue
        changes.append(
            FieldChange(
                name=f.name,
                label=str(f.verbose_name),
                before=_display(previous, f) if previous is not None else "",
                after=_display(row, f),
                long=f.name in LONG_TEXT,
            )
        )
    return changes


def _who(row) -> str:
    user = row.history_user
    if user is not None:
        return user.get_full_name() or user.get_username()
    return ""


def _versions(rows, subject) -> list[Version]:
    """Versions of one kind of object, each compared with the one before it of the same object."""
    out = []
    previous: dict[int, Any] = {}
    for row in rows.order_by("history_date", "history_id"):
        before = previous.get(row.id)
        out.append(
            Version(
                at=row.history_date,
                who=_who(row),
                reason=row.history_change_reason or "",
                kind=row.history_type,
                subject=subject(row),
                changes=_changes(row, before) if row.history_type != "-" else [],
            )
        )
        previous[row.id] = row
    return out


def case_versions(case: Case) -> list[Version]:
    """Every version of the case and of the interventions and referrals on it, newest first. Callers check
    that the reader may read the case (``policy.can_view_case``) and log the reading."""
    from casework.models import Intervention, Referral

    versions = _versions(case.history.select_related("history_user"), lambda _row: str(_("Case")))
    versions += _versions(
        Intervention.history.filter(case_id=case.pk).select_related("history_user"),
        lambda row: f"{_('Intervention')} {row.occurred_on:%Y-%m-%d} · {row.get_kind_display()}",
    )
    versions += _versions(
        Referral.history.filter(case_id=case.pk).select_related("history_user", "to_bureau"),
        lambda row: f"{row.get_kind_display()} → {row.to_bureau}",
    )
    versions.sort(key=lambda v: v.at, reverse=True)
    return versions
