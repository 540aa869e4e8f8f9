"""``{% load export_links %}``: whether the signed-in user may export a page's rows (casework.access.policy)."""

from django import template

from casework.access import policy

register = template.Library()

CHECKS = {
    "cases": policy.can_export_case_list,
    "referrals": policy.can_export_referral_list,
    "audit": policy.can_export_audit_log,
    "reports": policy.can_export_supervisor_reports,
}


@register.filter
def may_export(user, what: str) -> bool:
    """``{% if request.user|may_export:"cases" %}``: show the export links only to who may use them."""
    return CHECKS[what](user)
