"""Second-factor pages (enrol, backup codes, verify) and the password change page."""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django_otp import login as otp_login

from casework.access.audit import Actor, record
from casework.models import AuditAction, DateStyle

from . import administration, services
from .forms import CodeForm

BACKUP_CODES_SESSION_KEY = "accounts_new_backup_codes"


def _with_next(viewname: str, next_url: str) -> str:
    return f"{reverse(viewname)}?{urlencode({'next': next_url})}"


def _second_factor_given(request, device) -> None:
    """Mark the session as verified with ``device`` and give it a new key.

    The key the session had after the password alone may have been seen (a shared computer, a proxy log);
    once the second factor is given the session is worth more, so it must not be reachable by that key.
    ``cycle_key`` keeps the session's data and deletes the old key from the store.
    """
    otp_login(request, device)
    request.session.cycle_key()


def _next_url(request) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("home")


@never_cache
@login_required
def enrol(request):
    """Set up an authenticator app: QR code and typed secret, confirmed by a first code."""
    user = request.user
    if not services.second_factor_required(user):
        return redirect(_next_url(request))
    # Someone holding only the password must not be able to add a device of their own.
    if services.has_confirmed_authenticator(user):
        return redirect(_with_next("accounts:verify", _next_url(request)))
    device = services.pending_authenticator(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = services.confirm_enrolment(
            device=device, code=form.cleaned_data["code"], actor=Actor.from_request(request)
        )
        if codes is not None:
            _second_factor_given(request, device)
            request.session[BACKUP_CODES_SESSION_KEY] = codes
            return redirect(_with_next("accounts:backup_codes", _next_url(request)))
        form.add_error(
            "code", _("That code did not match. Check the time on your phone and try the newest code.")
        )
    return render(
        request,
        "accounts/enrol.html",
        {
            "form": form,
            "qr_svg": services.qr_code_svg(device),
            "secret": services.base32_secret(device),
            "next": _next_url(request),
        },
    )


@never_cache
@login_required
def backup_codes(request):
    """The new one-time backup codes, shown exactly once."""
    codes = request.session.pop(BACKUP_CODES_SESSION_KEY, None)
    if not codes:
        return redirect(_next_url(request))
    return render(request, "accounts/backup_codes.html", {"codes": codes, "next": _next_url(request)})


@never_cache
@login_required
def verify(request):
    """Ask for the authenticator code (or a backup code) after the password."""
    user = request.user
    if not services.second_factor_required(user) or user.is_verified():
        return redirect(_next_url(request))
    if not services.has_confirmed_authenticator(user):
        return redirect(_with_next("accounts:enrol", _next_url(request)))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = services.verify_second_factor(
            user=user, code=form.cleaned_data["code"], actor=Actor.from_request(request)
        )
        if result.ok:
            _second_factor_given(request, result.device)
            return redirect(_next_url(request))
        if result.throttled_for:
            form.add_error(
                "code",
                _("Too many wrong codes. Wait %(seconds)d seconds, then try again.")
                % {"seconds": result.throttled_for},
            )
        else:
            form.add_error(
                "code", _("That code is not valid. Try the newest code from your app, or a backup code.")
            )
    return render(request, "accounts/verify.html", {"form": form, "next": _next_url(request)})


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("accounts:password_change_done")

    def get_success_url(self):
        # Sent here by the "choose your own password" gate: carry on to the page the user asked for.
        if self.request.GET.get("next") or self.request.POST.get("next"):
            return _next_url(self.request)
        return super().get_success_url()

    def form_valid(self, form):
        response = super().form_valid(form)
        # The holder chose their own password: the gate opens. This grants no role (roles need a second
        # administrator, rule 5 of accounts.administration), so whoever knew the old one gains nothing by it.
        administration.own_password_changed(user=self.request.user)
        record(Actor.from_request(self.request), AuditAction.PASSWORD_CHANGE, self.request.user)
        messages.success(self.request, _("Your password was changed."))
        return response


def lockout(request, original_response=None, credentials=None):
    """django-axes AXES_LOCKOUT_CALLABLE: the page shown to a locked-out sign-in (HTTP 429)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(
        request,
        "accounts/lockout.html",
        {"minutes": minutes, "failure_limit": settings.AXES_FAILURE_LIMIT},
        status=429,
    )


class PreferencesForm(forms.Form):
    date_style = forms.ChoiceField(
        label=gettext_lazy("Show dates in"), choices=DateStyle.choices, widget=forms.RadioSelect
    )


@login_required
def preferences(request):
    """The signed-in person's own preferences: the calendar dates are shown in (pages only; exports keep ISO)."""
    user = request.user
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            if form.cleaned_data["date_style"] != user.date_style:
                user.date_style = form.cleaned_data["date_style"]
                user.save(update_fields=["date_style"])
                record(
                    Actor.from_request(request),
                    AuditAction.UPDATE,
                    user,
                    detail={"date_style": user.date_style},
                )
            messages.success(request, _("Your preferences were saved."))
            return redirect("accounts:preferences")
    else:
        form = PreferencesForm(initial={"date_style": user.date_style})
    return render(request, "accounts/preferences.html", {"form": form})
