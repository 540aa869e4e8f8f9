"""The admin site opens only to users holding the administrator role (and Django staff status)."""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig


class PlatformAdminSite(admin.AdminSite):
    site_header = "少年輔導個案管理平台 · Administration"
    site_title = "Administration"

    def has_permission(self, request):
        from casework import policy

        return super().has_permission(request) and policy.can_administer(request.user)


class PlatformAdminConfig(AdminConfig):
    default_site = "config.admin.PlatformAdminSite"
