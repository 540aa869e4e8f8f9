"""``{{ reason|readable_reason }}``: a quarantine reason in the reader's language (``integrations.feeds.reasons``)."""

from django import template
from django.utils.translation import gettext_lazy as _

from integrations.feeds.reasons import readable

register = template.Library()


@register.filter
def readable_reason(reason: str) -> str:
    return readable(reason)


# The figures of a linkage run and of a linkage model, as the linkage overview names them.
FIGURES = {
    "records": _("records"),
    "deterministic_edges": _("links by exact identity"),
    "scored_pairs": _("pairs scored"),
    "auto_links": _("pairs linked automatically"),
    "clusters": _("people found"),
    "review_pairs": _("pairs for review"),
    "strong_pairs_refused": _("strong pairs refused"),
    "youth_created": _("youth records created"),
    "links_created": _("links created"),
    "links_updated": _("links updated"),
    "records_moved": _("records moved"),
    "merges": _("merges"),
    "golden_changed": _("youth identities updated"),
    "review_created": _("review pairs created"),
    "review_superseded": _("review pairs no longer needed"),
    "training_seconds": _("training time (s)"),
    "pairs_sharing_a_valid_id": _("training pairs sharing a valid national ID"),
    "pairs_sharing_name_and_birth_date": _("training pairs sharing name and birth date"),
    "model": _("linkage model"),
    "seconds": _("seconds"),
}


@register.filter
def figure_label(key: str) -> str:
    """A linkage figure's name in the reader's language (the key as it is when unknown)."""
    label = FIGURES.get(str(key))
    return str(label) if label is not None else str(key)
