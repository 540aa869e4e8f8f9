"""Administrators reset a user's second factor or lift a sign-in lockout here (each action is audited)."""

from __future__ import annotations

from axes.models import AccessAttempt
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_totp.models import TOTPDevice

from casework import policy
from casework.audit import Actor

from . import services
from .models import AccountSecurity


@admin.register(AccountSecurity)
class AccountSecurityAdmin(admin.ModelAdmin):
    list_display = ["username", "full_name", "is_active", "has_authenticator", "locked_out"]
    search_fields = ["username", "first_name", "last_name"]
    actions = ["reset_second_factor", "unlock_sign_in"]
    fields = ["username", "first_name", "last_name", "is_active", "last_login"]
    readonly_fields = fields

    # The administrator role decides (as for the rest of the configuration admin), not Django permissions.
    def has_module_permission(self, request):
        return policy.can_administer(request.user)

    def has_view_permission(self, request, obj=None):
        return policy.can_administer(request.user)

    # Nothing is edited through the form: only the two audited actions change anything.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("name"))
    def full_name(self, obj) -> str:
        return obj.get_full_name()

    @admin.display(boolean=True, description=_("Authenticator confirmed"))
    def has_authenticator(self, obj) -> bool:
        return TOTPDevice.objects.filter(user=obj, confirmed=True).exists()

    @admin.display(boolean=True, description=_("Failed sign-ins recorded"))
    def locked_out(self, obj) -> bool:
        return AccessAttempt.objects.filter(username=obj.username).exists()

    @admin.action(description=_("Reset second factor (the user enrols again at next sign-in)"))
    def reset_second_factor(self, request, queryset):
        actor = Actor.from_request(request)
        for user in queryset:
            services.reset_second_factor(user=user, actor=actor)
        self.message_user(
            request,
            ngettext(
                "Second factor reset for %(count)d user.",
                "Second factor reset for %(count)d users.",
                len(queryset),
            )
            % {"count": len(queryset)},
            messages.SUCCESS,
        )

    @admin.action(description=_("Unlock sign-in (clear failed attempts)"))
    def unlock_sign_in(self, request, queryset):
        actor = Actor.from_request(request)
        for user in queryset:
            services.unlock_sign_in(user=user, actor=actor)
        self.message_user(
            request,
            ngettext(
                "Sign-in unlocked for %(count)d user.", "Sign-in unlocked for %(count)d users.", len(queryset)
            )
            % {"count": len(queryset)},
            messages.SUCCESS,
        )
