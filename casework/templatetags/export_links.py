"""``{% load export_links %}``: whether the signed-in user may export a page's rows (casework.export_policy)."""

from django import template

from casework import export_policy

register = template.Library()

CHECKS = {
    "cases": export_policy.can_export_case_list,
    "referrals": export_policy.can_export_referral_list,
    "audit": export_policy.can_export_audit_log,
    "reports": export_policy.can_export_supervisor_reports,
}


@register.filter
def may_export(user, what: str) -> bool:
    """``{% if request.user|may_export:"cases" %}``: show the export links only to who may use them."""
    return CHECKS[what](user)
