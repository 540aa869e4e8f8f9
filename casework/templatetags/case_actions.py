"""Template tags of the case and referral pages: what the viewing user may do with a case or a referral.

The case page is rendered by ``views.case_detail``; these tags add the working parts for the request's user
(computed in ``casework.cases.views``) when that view has not already put them in the context.
"""

from __future__ import annotations

from django import template

from casework.cases import views as case_views

register = template.Library()


@register.simple_tag(takes_context=True)
def case_page_context(context):
    """The case page's moves, forms, step indicator and history for the request's user."""
    if "case_page" in context:
        return context["case_page"]
    return case_views.case_page_context(context["request"], context["case"])["case_page"]


@register.simple_tag(takes_context=True)
def referral_actions(context, referral):
    """Which of accept/decline, complete and revoke this referral's row offers the request's user."""
    return case_views.referral_actions(context["request"].user, referral)


@register.simple_tag(takes_context=True)
def referral_tabs(context):
    """The "received" and "sent" filter links of the referrals page."""
    return case_views.referral_tabs(context["request"])
