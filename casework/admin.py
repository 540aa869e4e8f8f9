"""Admin: configuration (bureaus, schools) is editable by administrators; records about youth are read-only
here and scoped by the same access policy as every other page. Users and their memberships are administered
in ``accounts/admin.py``, through the rules of ``accounts.administration``."""

from django.contrib import admin

from casework.access import policy
from casework.access.audit import Actor, record, record_list
from casework.models import (
    Alert,
    AuditAction,
    AuditEntry,
    Bureau,
    Case,
    Event,
    Intervention,
    Referral,
    School,
    TriageDecision,
    Youth,
)


class AuditedAdmin(admin.ModelAdmin):
    """Configuration, editable by the administrator role (not by Django's per-model permissions); every edit
    is written to the access log like every other change."""

    def has_module_permission(self, request):
        return policy.can_administer(request.user)

    def has_view_permission(self, request, obj=None):
        return policy.can_administer(request.user)

    def has_add_permission(self, request):
        return policy.can_administer(request.user)

    def has_change_permission(self, request, obj=None):
        return policy.can_administer(request.user)

    def has_delete_permission(self, request, obj=None):
        return policy.can_administer(request.user)

    def log_addition(self, request, obj, message):
        record(Actor.from_request(request), AuditAction.CREATE, obj, detail={"via": "admin"})
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        record(
            Actor.from_request(request),
            AuditAction.UPDATE,
            obj,
            detail={"via": "admin", "change": str(message)},
        )
        return super().log_change(request, obj, message)

    def log_deletions(self, request, queryset):
        for obj in queryset:
            record(
                Actor.from_request(request), AuditAction.DELETE, obj, detail={"via": "admin", "was": str(obj)}
            )
        return super().log_deletions(request, queryset)


@admin.register(Bureau)
class BureauAdmin(AuditedAdmin):
    list_display = ["code", "kind", "name_zh", "name_en"]


@admin.register(School)
class SchoolAdmin(AuditedAdmin):
    list_display = ["code", "name_zh", "district", "bureau"]
    list_filter = ["district"]
    search_fields = ["code", "name_zh", "name_en"]


class PolicyScopedAdmin(admin.ModelAdmin):
    """Read-only, and showing only what ``policy`` lets this administrator see (usually nothing)."""

    scope = None  # a policy function user -> queryset

    def get_queryset(self, request):
        return type(self).scope(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return policy.can_administer(request.user)

    def has_module_permission(self, request):
        return policy.can_administer(request.user)

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        record_list(
            Actor.from_request(request),
            self.model._meta.model_name,
            count=changelist.result_count if changelist is not None else 0,
            query={"via": "admin"},
        )
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        obj = self.get_queryset(request).filter(pk=object_id).first()
        if obj is not None:
            record(Actor.from_request(request), AuditAction.VIEW, obj, detail={"via": "admin"})
        return response


@admin.register(Youth)
class YouthAdmin(PolicyScopedAdmin):
    scope = policy.visible_youth
    list_display = ["public_id", "name", "birth_date", "district"]
    exclude = ["national_id"]


@admin.register(Event)
class EventAdmin(PolicyScopedAdmin):
    scope = policy.visible_events
    list_display = ["youth", "kind", "event_date", "knowledge_date", "owning_bureau"]


@admin.register(Case)
class CaseAdmin(PolicyScopedAdmin):
    scope = policy.visible_cases
    list_display = ["__str__", "youth", "lead_bureau", "status", "assignee"]


@admin.register(Alert)
class AlertAdmin(PolicyScopedAdmin):
    scope = policy.visible_alerts
    list_display = ["youth", "reason", "routed_to", "status", "due_at"]
    # The triggering event may come from a source the viewer may not read (rule 5).
    exclude = ["source_event"]


@admin.register(Referral)
class ReferralAdmin(PolicyScopedAdmin):
    scope = policy.visible_referrals
    list_display = ["youth", "kind", "from_bureau", "to_bureau", "status"]


@admin.register(Intervention)
class InterventionAdmin(PolicyScopedAdmin):
    scope = policy.visible_interventions
    list_display = ["case", "kind", "occurred_on", "worker"]


@admin.register(TriageDecision)
class TriageDecisionAdmin(PolicyScopedAdmin):
    scope = policy.visible_triage_decisions
    list_display = ["youth", "decision", "is_override", "decided_by", "created_at"]


@admin.register(AuditEntry)
class AuditEntryAdmin(PolicyScopedAdmin):
    scope = policy.visible_audit_entries
    list_display = ["at", "username", "action", "shown_object", "youth_public_id"]
