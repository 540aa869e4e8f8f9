"""``{{ reason|readable_reason }}``: a quarantine reason in the reader's language (``integrations.feeds.reasons``)."""

from django import template

from integrations.feeds.reasons import readable

register = template.Library()


@register.filter
def readable_reason(reason: str) -> str:
    return readable(reason)
