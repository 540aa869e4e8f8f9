"""Dates as the reader reads them, in Taipei time and in their calendar (Western or ROC, a preference):
``{{ case.opened_at|moment }}``, ``{{ referral.due|day }}``, ``{{ alert.due_at|deadline }}`` (a deadline at
midnight reads as the end of the day before). Exports and printed documents keep ISO dates."""

from django import template

from casework.clock import day_text, deadline_text, moment_text

register = template.Library()


@register.filter
def day(value) -> str:
    return day_text(value)


@register.filter
def moment(value) -> str:
    return moment_text(value)


@register.filter
def deadline(value) -> str:
    return deadline_text(value)
