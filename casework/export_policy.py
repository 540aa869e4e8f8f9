"""Who may export what (to be folded into ``casework.policy``; it only calls policy's functions).

An export is a copy that leaves the platform's access control, so it is narrower than what a page shows:

- **Case workers** (juvenile officers, guidance and social workers, supervisors) may export their case list
  and their referral list: exactly the rows the page shows them, with the page's filters and columns. They
  carry those cases and need the list for visits, team meetings and handovers.
- **School counsellors** may not export: they see their own students only, and a file on a school computer
  is outside the bureaus' records management; their few cases are worked on screen.
- **Supervisors** may export the supervisor reports of the bureaus they supervise (caseload and deadlines,
  alert deadlines, overrides of the model): aggregates, with the same small-cell suppression as the page.
  The list of the latest overrides (one row per youth) is not exported: it is for review on screen.
- **Auditors** may export the audit log, filtered as on the page, for an inspection or an inquiry.
- **Data stewards** export one youth's record for a lawful subject-access request (``privacy``), and nothing
  else. Subject access is a legal function kept apart from casework: no supervisor or case worker holds it,
  so nobody who carries a case can take a youth's whole record, across bureaus, out of the platform.
- **Nobody** exports the youth list (names with youth IDs). A list of named children flagged by a risk
  platform is exactly the kind of "list" that Chicago's Strategic Subject List and Amsterdam's Top600 became;
  once it is a file it can be forwarded, merged and kept beyond any retention limit or sealing order, and
  the need-to-know rules can no longer follow it. Work lists carry youth IDs only; names stay on screen.
- **Model stewards and administrators** have no exports: model reports are aggregates read on screen, and
  administration needs no personal data.
"""

from __future__ import annotations

from . import policy
from .models import Role


def can_export_case_list(user) -> bool:
    p = policy.principal_for(user)
    return bool(p.casework_bureau_ids) and p.is_caseworker


def can_export_referral_list(user) -> bool:
    return can_export_case_list(user)


def can_export_supervisor_reports(user) -> bool:
    return policy.can_read_supervisor_reports(user)


def can_export_audit_log(user) -> bool:
    return policy.can_read_audit_log(user)


def can_export_youth_list(user) -> bool:
    """Never, for anyone (see the module docstring)."""
    return False


def can_handle_subject_access(user) -> bool:
    """Lawful subject-access requests: data stewards only."""
    return policy.principal_for(user).has_role(Role.DATA_STEWARD)
