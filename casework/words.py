"""Small pieces of the reader's language that code puts between words: a label and its value read
"學校：本市一中" in Traditional Chinese (the full-width colon) and "School: Demo 1" in English."""

from __future__ import annotations

from django.utils.translation import pgettext


def colon() -> str:
    return pgettext("label separator", ": ")


def labelled(label: object, value: object) -> str:
    """``label: value`` in the reader's language."""
    return f"{label}{colon()}{value}"
