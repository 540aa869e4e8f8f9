"""``{{ event.code|event_code }}``: the plain-language label of a feed's event code."""

from django import template

from casework.event_codes import code_label

register = template.Library()


@register.filter
def event_code(code: str) -> str:
    return code_label(code or "")
