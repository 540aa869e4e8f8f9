"""``{{ alert.due_at|deadline }}``: a deadline in Taipei time, one ending at midnight read as the end of its day."""

from django import template

from casework.clock import deadline_text

register = template.Library()


@register.filter
def deadline(value) -> str:
    return deadline_text(value)
