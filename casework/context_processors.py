"""Navigation built from the user's roles, so each role sees only the pages it may use."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from casework.access import policy
from casework.cases.selectors import unread_messages


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = [(reverse("home"), _("Home"))]
    unread = 0
    if policy.is_caseworker(user):
        # The same count as the inbox page: read by this person, or its action done (per person read state).
        unread = unread_messages(user).count()
        inbox = _("Inbox") if not unread else _("Inbox (%(n)s)") % {"n": unread}
        items += [
            (reverse("triage-queue"), _("Triage")),
            (reverse("my-tasks"), _("My tasks")),
            (reverse("inbox"), inbox),
            (reverse("youth-list"), _("Youth")),
            (reverse("case-list"), _("Cases")),
            (reverse("referral-list"), _("Referrals")),
            (reverse("alert-list"), _("Alerts")),
        ]
    if policy.can_use_meetings(user):
        items.append((reverse("meeting-list"), _("Liaison meetings")))
    if policy.can_read_meeting_shares(user):
        items.append((reverse("meeting-share-list"), _("Meeting shares")))
    if policy.can_read_access_reviews(user):
        items.append((reverse("access-review-list"), _("Access reviews")))
    if policy.can_read_supervisor_reports(user):
        items.append((reverse("reports"), _("Reports")))
    if policy.can_edit_alert_rules(user):
        items.append((reverse("alert-rule-list"), _("Alert rules")))
    if policy.can_steward_data(user):
        items.append((reverse("integrations:batch-list"), _("Imports")))
        items.append((reverse("integrations:quarantine-list"), _("Quarantine")))
        items.append((reverse("integrations:review-list"), _("Match review")))
        items.append((reverse("integrations:linkage-overview"), _("Linkage")))
        items.append((reverse("integrations:corrections-queue"), _("Contested records")))
    if policy.can_read_retention_report(user):
        items.append((reverse("integrations:retention-report"), _("Retention")))
    if policy.can_handle_subject_access(user):
        items.append((reverse("privacy:subject-access"), _("Subject access")))
    if policy.can_use_identity_register(user):
        items.append((reverse("identity-register"), _("Identity register")))
    if policy.can_read_aggregates(user):
        items.append((reverse("statistics"), _("Statistics")))
    if policy.can_read_model_reports(user):
        items.append((reverse("riskmodel:model-list"), _("Risk models")))
    if policy.can_read_audit_log(user):
        items.append((reverse("audit-log"), _("Audit log")))
    if policy.can_administer(user):
        items.append((reverse("admin:index"), _("Administration")))
    items.append((reverse("api-docs"), _("API")))
    path = request.path
    return {
        "nav_items": [
            {"url": url, "label": label, "active": url == path or (url != "/" and path.startswith(url))}
            for url, label in items
        ],
        "principal": policy.principal_for(user),
    }
