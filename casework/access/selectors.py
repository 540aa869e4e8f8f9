"""Reads for the access pages: the audit log's filter."""

from __future__ import annotations

from casework.access import policy
from casework.filters import AuditEntryFilter


def audit_log_filter(request) -> AuditEntryFilter:
    """``policy.visible_audit_entries`` narrowed by ``AuditEntryFilter``."""
    return AuditEntryFilter(request.GET, queryset=policy.visible_audit_entries(request.user))
