"""``{% for change in correction|correction_changes %}``: what a correction changed, a line per field, in words
(``integrations.corrections.details``)."""

from django import template

from integrations.corrections.details import Change, changes, readable

register = template.Library()


@register.filter
def correction_changes(correction) -> list[Change]:
    return changes(correction.before or {}, correction.after or {})


@register.filter
def event_details(event) -> list[tuple[str, str]]:
    """``{% for label, value in event|event_details %}``: the facts beside an event's code, in words."""
    return readable(event.kind, event.details or {})
