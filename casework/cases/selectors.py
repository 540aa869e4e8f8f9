"""The case, referral and audit-log lists as their pages filter them: one definition for the page and its
export, so a file can never hold a row the page would not show."""

from __future__ import annotations

from casework.access import policy
from casework.filters import CaseFilter, ReferralFilter


def case_list_filter(request) -> CaseFilter:
    """``policy.visible_cases`` narrowed by ``CaseFilter``."""
    qs = policy.visible_cases(request.user).select_related("youth", "lead_bureau", "assignee")
    return CaseFilter(request.GET, queryset=qs, request=request)


def referral_list_filter(request) -> ReferralFilter:
    """``policy.visible_referrals`` narrowed by ``ReferralFilter``."""
    qs = policy.visible_referrals(request.user).select_related(
        "youth", "from_bureau", "to_bureau", "from_user", "to_user", "case"
    )
    return ReferralFilter(request.GET, queryset=qs)
