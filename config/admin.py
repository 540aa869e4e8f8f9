"""The admin site opens only to users holding the administrator role (and Django staff status)."""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig


class PlatformAdminSite(admin.AdminSite):
    site_header = "少年輔導個案管理平台 · Administration"
    site_title = "Administration"

    def has_permission(self, request):
        from casework.access import policy

        return super().has_permission(request) and policy.can_administer(request.user)

    def index(self, request, extra_context=None):
        """The index also says how many account changes wait for a second administrator's approval."""
        from accounts.models import AccountChangeRequest, AccountChangeStatus

        waiting = AccountChangeRequest.objects.filter(status=AccountChangeStatus.PENDING).count()
        return super().index(request, {"account_changes_waiting": waiting, **(extra_context or {})})


class PlatformAdminConfig(AdminConfig):
    default_site = "config.admin.PlatformAdminSite"
