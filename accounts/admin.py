"""Account administration in the Django admin: users and their memberships, sign-in safeguards, and the
requests that wait for a second administrator.

Every change here goes through ``accounts.administration``, which holds the rules (no one changes their own
roles; a privileged account's password or second factor changes only with a second administrator; the auditors
are told). The forms only check the same rules early, to show a message beside the field.
"""

from __future__ import annotations

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from casework.access import policy
from casework.access.audit import Actor
from casework.admin import AuditedAdmin
from casework.models import Membership, User

from . import administration, services
from .models import AccountChangeKind, AccountChangeRequest, AccountChangeStatus, AccountSecurity

# Second-factor devices change only through the audited reset (and the holder's own enrolment): django-otp's
# own admin would let an administrator add a known authenticator or backup code to someone else's account.
# Django groups and permissions play no part here (what a user may do comes from their memberships).
for _model in (TOTPDevice, StaticDevice, Group):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


def _refusal(exc: PermissionDenied) -> str:
    return str(exc) or gettext("Refused.")


class ServiceLoggedAdmin(AuditedAdmin):
    """The service writes the access-log line for each change, so the admin adds only Django's own history."""

    def log_addition(self, request, obj, message):
        return admin.ModelAdmin.log_addition(self, request, obj, message)

    def log_change(self, request, obj, message):
        return admin.ModelAdmin.log_change(self, request, obj, message)

    def log_deletions(self, request, queryset):
        return admin.ModelAdmin.log_deletions(self, request, queryset)


# ---------------------------------------------------------------------------------------------------------
# Memberships
# ---------------------------------------------------------------------------------------------------------


REASON_HELP = _(
    "Required when this gives a role (a new or re-activated membership, or another role, bureau or school): "
    "why, and who asked for it. A second administrator reads it before approving."
)


def _reason_field() -> forms.CharField:
    return forms.CharField(label=_("Reason"), required=False, max_length=500, help_text=REASON_HELP)


def _needs_reason(before: Membership | None, after: Membership | None, reason: str) -> bool:
    return administration.grants_access(before, after) and not (reason or "").strip()


class MembershipForm(forms.ModelForm):
    """A membership row, with the reason a grant needs (rule 5 of ``accounts.administration``)."""

    reason = _reason_field()

    class Meta:
        model = Membership
        fields = ["user", "bureau", "role", "school", "active"]


class MembershipFormSet(BaseInlineFormSet):
    """The memberships on a user's page, checked against ``administration.check_membership_change``."""

    changed_by: User | None = None

    def clean(self):
        super().clean()
        if any(self.errors) or self.changed_by is None:
            return
        parent = self.instance
        # An account being created has no stored password flag yet: a password typed in now is the
        # administrator's choice.
        password_chosen = None if parent.pk else parent.has_usable_password()
        for form in self.forms:
            deleting = self.can_delete and self._should_delete_form(form)
            if not deleting and not form.has_changed():
                continue
            stored = Membership.objects.filter(pk=form.instance.pk).first() if form.instance.pk else None
            after = None if deleting else form.instance
            if after is not None and after.user_id is None and parent.pk is None:
                after.user = parent  # the account being created: not saved yet
            try:
                administration.check_membership_change(
                    by=self.changed_by,
                    before=stored,
                    after=after,
                    password_chosen=password_chosen,
                )
            except PermissionDenied as exc:
                raise ValidationError(_refusal(exc)) from exc
            if _needs_reason(stored, after, form.cleaned_data.get("reason", "")):
                form.add_error("reason", gettext("Give the reason the second administrator will read."))


class MembershipInline(admin.TabularInline):
    model = Membership
    form = MembershipForm
    formset = MembershipFormSet
    fields = ["bureau", "role", "school", "active", "reason"]
    extra = 0
    autocomplete_fields = ["school"]

    def has_view_permission(self, request, obj=None):
        return policy.can_administer(request.user)

    def _may_edit(self, request, obj) -> bool:
        # On one's own user page the memberships are shown, never edited.
        return policy.can_administer(request.user) and (obj is None or obj.pk != request.user.pk)

    def has_add_permission(self, request, obj=None):
        return self._may_edit(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._may_edit(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._may_edit(request, obj)

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.changed_by = request.user  # a new class per call: safe to set
        return formset


def _tell_proposed(request, count: int) -> None:
    if count:
        messages.warning(
            request,
            ngettext(
                "%(count)d role given or widened waits for a second administrator under Account change "
                "requests; nothing has changed yet.",
                "%(count)d roles given or widened wait for a second administrator under Account change "
                "requests; nothing has changed yet.",
                count,
            )
            % {"count": count},
        )


@admin.register(Membership)
class MembershipAdmin(ServiceLoggedAdmin):
    """Memberships: removing or deactivating one applies at once; giving or widening one is proposed to a
    second administrator (``administration.save_membership``)."""

    form = MembershipForm
    list_display = ["user", "bureau", "role", "school", "active"]
    list_filter = ["role", "bureau", "active"]
    autocomplete_fields = ["user", "school"]
    actions = ["delete_selected", "deactivate"]

    def _may_edit(self, request, obj) -> bool:
        return policy.can_administer(request.user) and (obj is None or obj.user_id != request.user.pk)

    def has_change_permission(self, request, obj=None):
        return self._may_edit(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._may_edit(request, obj)

    def get_form(self, request, obj=None, change=False, **kwargs):
        base = super().get_form(request, obj, change=change, **kwargs)
        stored_pk = obj.pk if obj is not None else None

        class CheckedMembershipForm(base):
            def clean(self):
                cleaned = super().clean()
                if self.errors:
                    return cleaned
                after = Membership(
                    pk=stored_pk,
                    user=cleaned.get("user"),
                    bureau=cleaned.get("bureau"),
                    role=cleaned.get("role"),
                    school=cleaned.get("school"),
                    active=cleaned.get("active", False),
                )
                stored = Membership.objects.filter(pk=stored_pk).first() if stored_pk else None
                try:
                    administration.check_membership_change(by=request.user, before=stored, after=after)
                except PermissionDenied as exc:
                    raise ValidationError(_refusal(exc)) from exc
                if _needs_reason(stored, after, cleaned.get("reason", "")):
                    self.add_error("reason", gettext("Give the reason the second administrator will read."))
                return cleaned

        return CheckedMembershipForm

    def save_model(self, request, obj, form, change):
        outcome = administration.save_membership(
            actor=Actor.from_request(request), membership=obj, reason=form.cleaned_data.get("reason", "")
        )
        obj._proposed = not outcome.applied

    def log_addition(self, request, obj, message):
        if not getattr(obj, "_proposed", False):
            return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        if not getattr(obj, "_proposed", False):
            return super().log_change(request, obj, message)

    def _after_proposal(self, request):
        _tell_proposed(request, 1)
        return HttpResponseRedirect(reverse("admin:accounts_accountchangerequest_changelist"))

    def response_add(self, request, obj, post_url_continue=None):
        if getattr(obj, "_proposed", False):
            return self._after_proposal(request)
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        if getattr(obj, "_proposed", False):
            return self._after_proposal(request)
        return super().response_change(request, obj)

    @admin.action(description=_("Deactivate the selected memberships (applies at once)"))
    def deactivate(self, request, queryset):
        """Narrowing needs no second administrator; one's own membership in the selection refuses it all."""
        memberships = list(queryset.filter(active=True).select_related("user", "bureau", "school"))
        try:
            for membership in memberships:
                administration.check_membership_change(by=request.user, before=membership, after=None)
        except PermissionDenied as exc:
            self.message_user(request, _refusal(exc), messages.ERROR)
            return
        for membership in memberships:
            membership.active = False
            administration.save_membership(actor=Actor.from_request(request), membership=membership)
        self.message_user(
            request,
            ngettext(
                "%(count)d membership deactivated.", "%(count)d memberships deactivated.", len(memberships)
            )
            % {"count": len(memberships)},
            messages.SUCCESS,
        )

    def delete_model(self, request, obj):
        administration.delete_membership(actor=Actor.from_request(request), membership=obj)

    def delete_queryset(self, request, queryset):
        memberships = list(queryset.select_related("user", "bureau", "school"))
        # All or nothing: one's own membership in the selection refuses the whole deletion.
        for membership in memberships:
            administration.check_membership_change(by=request.user, before=membership, after=None)
        for membership in memberships:
            administration.delete_membership(actor=Actor.from_request(request), membership=membership)


# ---------------------------------------------------------------------------------------------------------
# Users
# ---------------------------------------------------------------------------------------------------------


class PasswordSetByAdministratorForm(AdminPasswordChangeForm):
    """Django's admin password form, with the reason the second administrator (and the auditors) will read."""

    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Why, and how the person's identity was checked (for example: called back on their bureau's "
            "phone). Required for an account that can read youth records, whose new password waits for a "
            "second administrator."
        ),
    )

    def clean(self):
        cleaned = super().clean()
        if administration.holds_access(self.user) and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", _("Give the reason the second administrator will read."))
        return cleaned


@admin.register(User)
class UserAdmin(ServiceLoggedAdmin, DjangoUserAdmin):
    inlines = [MembershipInline]
    list_display = ["username", "first_name", "last_name", "is_active", "last_login"]
    list_filter = ["is_active", "is_staff", "is_superuser"]
    # What a user may do comes from their memberships; Django groups and permissions are not offered.
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "email")}),
        (_("Account status"), {"fields": ("is_active", "is_staff", "is_superuser")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    filter_horizontal = ()
    change_password_form = PasswordSetByAdministratorForm
    # Django's own template renders only the password fields: this one also shows the reason and every error.
    change_user_password_template = "admin/accounts/user_password.html"

    def has_change_permission(self, request, obj=None):
        # One's own account is shown read-only: its roles and status are changed by another administrator,
        # its password on the Password page.
        return policy.can_administer(request.user) and (obj is None or obj.pk != request.user.pk)

    def get_readonly_fields(self, request, obj=None):
        # A username names the person in the access log: it is set when the account is made, never after.
        fields = tuple(super().get_readonly_fields(request, obj))
        return fields if obj is None else (*fields, "username")

    def get_form(self, request, obj=None, change=False, **kwargs):
        base = super().get_form(request, obj, change=change, **kwargs)
        if obj is None:
            return base

        class CheckedUserForm(base):
            def clean(self):
                cleaned = super().clean()
                stored = User.objects.get(pk=self.instance.pk)
                after = User.objects.get(pk=self.instance.pk)
                for field in ("username", *administration.ACCOUNT_FLAGS):
                    if field in cleaned:
                        setattr(after, field, cleaned[field])
                try:
                    administration.check_account_change(by=request.user, before=stored, after=after)
                except PermissionDenied as exc:
                    raise ValidationError(_refusal(exc)) from exc
                return cleaned

        return CheckedUserForm

    def save_model(self, request, obj, form, change):
        actor = Actor.from_request(request)
        if change:
            administration.save_account(actor=actor, user=obj)
        else:
            administration.create_account(actor=actor, user=obj)

    def save_formset(self, request, form, formset, change):
        if formset.model is not Membership:
            return super().save_formset(request, form, formset, change)
        actor = Actor.from_request(request)
        changed = formset.save(commit=False)
        for membership in formset.deleted_objects:
            administration.delete_membership(actor=actor, membership=membership)
        reasons = {id(f.instance): f.cleaned_data.get("reason", "") for f in formset.forms if f.has_changed()}
        proposed = 0
        for membership in changed:
            outcome = administration.save_membership(
                actor=actor, membership=membership, reason=reasons.get(id(membership), "")
            )
            proposed += not outcome.applied
        formset.save_m2m()
        _tell_proposed(request, proposed)

    def user_change_password(self, request, id, form_url=""):
        """Django's password page, but the change goes through ``administration.change_password``: applied at
        once for an account that reads no youth record, proposed to a second administrator for one that does
        (privileged or case-working), and refused
        for one's own account (which has its own page, asking for the current password)."""
        user = self.get_object(request, unquote(id))
        if user is None:
            raise Http404
        if user.pk == request.user.pk:
            messages.error(
                request,
                gettext(
                    "Change your own password on the Password page, which asks for your current password."
                ),
            )
            return redirect("accounts:password_change")
        if request.method != "POST":
            return super().user_change_password(request, id, form_url)
        form = self.change_password_form(user, request.POST)
        valid_submission = form.is_valid() and (
            form.cleaned_data["set_usable_password"] or "unset-password" in request.POST
        )
        if not valid_submission:
            return super().user_change_password(request, id, form_url)  # shows the form's errors
        password = form.cleaned_data["password1"] if form.cleaned_data["set_usable_password"] else None
        try:
            outcome = administration.change_password(
                actor=Actor.from_request(request),
                user=user,
                password=password,
                reason=form.cleaned_data.get("reason", ""),
            )
        except PermissionDenied as exc:
            messages.error(request, _refusal(exc))
            return HttpResponseRedirect(request.get_full_path())
        if outcome.applied:
            messages.success(request, gettext("Password changed; the auditors have been told."))
        else:
            messages.warning(
                request,
                gettext(
                    "%(user)s can read youth records: the new password waits for a second administrator to "
                    "approve it under Account change requests. Nothing has changed yet."
                )
                % {"user": user.get_username()},
            )
        return HttpResponseRedirect(reverse("admin:casework_user_change", args=[user.pk]))


# ---------------------------------------------------------------------------------------------------------
# Sign-in safeguards
# ---------------------------------------------------------------------------------------------------------


class ReasonActionForm(ActionForm):
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=500,
        help_text=_("For a second-factor reset: why, and how the person's identity was checked."),
    )


class ReadOnlyForAdministrators:
    """Administrators read; nothing is added, edited or deleted through the form (audited actions aside).
    The administrator role decides, not Django permissions."""

    actions = None

    def has_module_permission(self, request):
        return policy.can_administer(request.user)

    def has_view_permission(self, request, obj=None):
        return policy.can_administer(request.user)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AccountSecurity)
class AccountSecurityAdmin(ReadOnlyForAdministrators, admin.ModelAdmin):
    list_display = ["username", "full_name", "is_active", "has_authenticator", "locked_out"]
    search_fields = ["username", "first_name", "last_name"]
    actions = ["reset_second_factor", "unlock_sign_in"]
    action_form = ReasonActionForm
    fields = ["username", "first_name", "last_name", "is_active", "last_login"]
    readonly_fields = fields

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
        reason = (request.POST.get("reason") or "").strip()
        applied = proposed = 0
        for user in queryset:
            try:
                outcome = administration.reset_second_factor(actor=actor, user=user, reason=reason)
            except PermissionDenied as exc:
                self.message_user(request, f"{user.get_username()}: {_refusal(exc)}", messages.ERROR)
                continue
            if outcome.applied:
                applied += 1
            else:
                proposed += 1
        if applied:
            self.message_user(
                request,
                ngettext(
                    "Second factor reset for %(count)d user.",
                    "Second factor reset for %(count)d users.",
                    applied,
                )
                % {"count": applied},
                messages.SUCCESS,
            )
        if proposed:
            self.message_user(
                request,
                ngettext(
                    "%(count)d privileged account: its second-factor reset waits for a second administrator "
                    "under Account change requests.",
                    "%(count)d privileged accounts: their second-factor resets wait for a second "
                    "administrator under Account change requests.",
                    proposed,
                )
                % {"count": proposed},
                messages.WARNING,
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


@admin.register(AccountChangeRequest)
class AccountChangeRequestAdmin(ReadOnlyForAdministrators, admin.ModelAdmin):
    """Changes to privileged accounts proposed by one administrator, approved or rejected by another."""

    list_display = [
        "proposed_at",
        "kind",
        "target",
        "requested_role",
        "password_chosen",
        "proposed_by",
        "reason",
        "status",
        "decided_by",
        "decided_at",
    ]
    list_filter = ["status", "kind"]
    search_fields = ["target__username", "proposed_by__username"]
    actions = ["approve", "reject"]
    fields = [
        "kind",
        "target",
        "requested_role",
        "password_chosen",
        "reason",
        "proposed_by",
        "proposed_at",
        "status",
        "decided_by",
        "decided_at",
    ]
    readonly_fields = fields

    @admin.display(description=_("role asked for"))
    def requested_role(self, obj) -> str:
        if obj.kind != AccountChangeKind.MEMBERSHIP:
            return "—"
        from .notices import membership_label

        text = membership_label(
            {
                "role": obj.role,
                "bureau": obj.bureau.code if obj.bureau_id else "",
                "school": obj.school.code if obj.school_id else "",
            }
        )
        if obj.membership_before:
            text = gettext("%(before)s → %(after)s") % {
                "before": membership_label(obj.membership_before),
                "after": text,
            }
        return text

    @admin.display(boolean=True, description=_("Password still the one an administrator chose"))
    def password_chosen(self, obj) -> bool:
        # What the approver weighs: an account whose password an administrator chose is one that administrator
        # could sign in as.
        return administration.password_chosen_by_administrator(obj.target)

    def changelist_view(self, request, extra_context=None):
        administration.lapse_overdue_requests()
        return super().changelist_view(request, extra_context)

    def _decide(self, request, queryset, service, done_message: str) -> None:
        actor = Actor.from_request(request)
        done = 0
        for change in queryset.filter(status=AccountChangeStatus.PENDING):
            try:
                service(actor=actor, change=change)
            except PermissionDenied as exc:
                self.message_user(request, f"{change}: {_refusal(exc)}", messages.ERROR)
                continue
            done += 1
        if done:
            self.message_user(request, done_message % {"count": done}, messages.SUCCESS)

    @admin.action(description=_("Approve (applies the change; not your own proposal)"))
    def approve(self, request, queryset):
        self._decide(
            request, queryset, administration.approve_change, gettext("Approved and applied: %(count)d.")
        )

    @admin.action(description=_("Reject (nothing is applied)"))
    def reject(self, request, queryset):
        self._decide(request, queryset, administration.reject_change, gettext("Rejected: %(count)d."))


# ---------------------------------------------------------------------------------------------------------
# django-axes' records: read-only, for administrators (an unlock goes through the audited action above)
# ---------------------------------------------------------------------------------------------------------


for _model, _base in (
    (AccessAttempt, AccessAttemptAdmin),
    (AccessLog, AccessLogAdmin),
    (AccessFailureLog, AccessFailureLogAdmin),
):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
    admin.site.register(_model, type(f"ReadOnly{_base.__name__}", (ReadOnlyForAdministrators, _base), {}))
