"""An event's details as a data steward corrects them and as people read a correction: fields, not JSON.

The feeds put a few facts beside an event's code (``integrations.linkage.timeline``): the police unit, a campus
incident's severity, a welfare report's reasons, level, substantiation and closing day, the end of a counselling
tier or of an assistance status. :data:`FIELDS` says what each is called and what kind of value it holds, so the
correction form offers one field each and a correction reads as "Police unit: 第一分局 → 第二分局", not as two
dictionaries. A key outside the catalogue (an older or a new feed) is still offered and shown, as text, under its
own name: nothing of a record is hidden.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from casework.clock import day_text
from casework.event_codes import code_label
from casework.models import EventKind


@dataclass(frozen=True)
class Field:
    label: str
    kind: str  # text, date, yesno, codes


FIELDS: dict[str, Field] = {
    "unit": Field(_("Police unit"), "text"),
    "severity": Field(_("Severity"), "text"),
    "ended_on": Field(_("Ended on"), "date"),
    "reasons": Field(_("Reasons"), "codes"),
    "level": Field(_("Level"), "text"),
    "substantiated": Field(_("Substantiated"), "yesno"),
    "closed_on": Field(_("Closed on"), "date"),
    "valid_to": Field(_("Valid until"), "date"),
}

# What an event of each kind carries (FEEDS.md through the timeline), offered even where the bureau left it out.
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    EventKind.CAMPUS_INCIDENT: ("severity",),
    EventKind.COUNSELLING_TIER: ("ended_on",),
    EventKind.POLICE_OFFENCE: ("unit",),
    EventKind.POLICE_EXPOSURE: ("unit",),
    EventKind.POLICE_DEVIANT: ("unit",),
    EventKind.POLICE_MISSING: ("unit",),
    EventKind.CHILD_PROTECTION: ("reasons", "level", "substantiated", "closed_on"),
    EventKind.FRAGILE_FAMILY: ("reasons", "level", "substantiated", "closed_on"),
    EventKind.ASSISTANCE_STATUS: ("valid_to",),
}

PREFIX = "detail__"
_CODES_SPLIT = re.compile(r"[;,、，；\s]+")


def keys_for(kind: str, details: dict) -> list[str]:
    """The detail keys a correction of an event of ``kind`` with ``details`` offers, in a fixed order."""
    known = list(KIND_FIELDS.get(kind, ()))
    return known + sorted(k for k in details if k not in known)


def field_for(key: str) -> Field:
    return FIELDS.get(key) or Field(key, "text")


def form_field(key: str) -> forms.Field:
    field = field_for(key)
    if field.kind == "date":
        return forms.DateField(
            label=field.label,
            required=False,
            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        )
    if field.kind == "yesno":
        return forms.NullBooleanField(
            label=field.label,
            required=False,
            widget=forms.Select(
                choices=[("unknown", _("Not known")), ("true", _("Yes")), ("false", _("No"))]
            ),
        )
    if field.kind == "codes":
        return forms.CharField(
            label=field.label,
            required=False,
            max_length=300,
            help_text=_("The bureau's codes, separated by semicolons (e.g. neglect;unattended)."),
        )
    return forms.CharField(label=field.label, required=False, max_length=200)


def initial(key: str, value):
    """The form's starting value for a stored detail."""
    kind = field_for(key).kind
    if value is None:
        return None if kind != "text" else ""
    if kind == "date":
        try:
            return dt.date.fromisoformat(str(value)[:10])
        except ValueError:
            return None
    if kind == "codes":
        return ";".join(value) if isinstance(value, list) else str(value)
    if kind == "yesno":
        return value if isinstance(value, bool) else None
    return value if isinstance(value, str) else str(value)


def stored(key: str, value, before):
    """The detail to keep for the form's ``value``; a field left as it was keeps the stored value untouched."""
    if value == initial(key, before):
        return before
    kind = field_for(key).kind
    if kind == "date":
        return value.isoformat() if value else None
    if kind == "codes":
        return [c for c in _CODES_SPLIT.split(value or "") if c]
    if kind == "yesno":
        return value
    return (value or "").strip() or None


# ---------------------------------------------------------------------------------------------------------
# Reading a correction
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    label: str
    before: str
    after: str


def _shown(key: str, value):
    """A value as a person reads it: dates in the reader's calendar, codes by their labels, yes or no, a dash
    for nothing."""
    if value is None or value == "" or value == []:
        return "—"
    if key in ("event_date",) or field_for(key).kind == "date":
        try:
            return day_text(dt.date.fromisoformat(str(value)[:10]))
        except ValueError:
            return str(value)
    if key == "kind":
        return str(EventKind(value).label) if value in EventKind.values else str(value)
    if key == "code":
        return code_label(value)
    kind = field_for(key).kind
    if kind == "codes":
        codes = value if isinstance(value, list) else [value]
        return pgettext("list separator", ", ").join(code_label(str(c)) for c in codes)
    if kind == "yesno":
        return str(_("Yes") if value is True else _("No") if value is False else "—")
    return str(value)


_TOP = {"event_date": _("Event date"), "kind": _("Kind"), "code": _("Code")}


def changes(before: dict, after: dict) -> list[Change]:
    """What a correction changed, one line per field (details flattened), in words."""
    out = []
    for key, label in _TOP.items():
        if before.get(key) != after.get(key):
            out.append(Change(str(label), _shown(key, before.get(key)), _shown(key, after.get(key))))
    old, new = before.get("details") or {}, after.get("details") or {}
    for key in keys_for(after.get("kind") or before.get("kind") or "", {**old, **new}):
        if old.get(key) != new.get(key):
            out.append(
                Change(str(field_for(key).label), _shown(key, old.get(key)), _shown(key, new.get(key)))
            )
    return out


def readable(kind: str, stored: dict) -> list[tuple[str, str]]:
    """An event's details as (label, value) lines in words, in the order the correction form offers them."""
    return [(str(field_for(key).label), _shown(key, stored.get(key))) for key in keys_for(kind, stored or {})]
