"""Request gates for account security: second factor, session timeouts, and a few security headers."""

from __future__ import annotations

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from casework.access.audit import Actor, record
from casework.models import AuditAction

from . import administration, notices, services

SIGNED_IN_AT = "accounts_signed_in_at"
LAST_ACTIVITY = "accounts_last_activity"
# Rewriting the session on every request costs a database write; a minute's precision is enough.
ACTIVITY_RESOLUTION = 60


def _is_api(request) -> bool:
    return request.path_info.startswith("/api/")


class SecondFactorMiddleware:
    """The gates between the password and the platform, in order:

    1. Users who need a second factor reach only the second-factor pages until they have given one.
    2. Users whose password an administrator chose alone (``PasswordChosenByAdministrator``: a new account, or
       a password set for them) reach only the Password page until they have chosen their own.

    Until both are passed ``request.accounts_gated`` is True and the page shows no role-dependent navigation
    (which would tell someone holding only the password what the account may do). Once fully signed in, they
    see any account-security notices waiting for them (``accounts.notices``) as messages on their next page:
    never before, since a notice may name other accounts.

    Installed after django_otp's OTPMiddleware (which adds ``user.is_verified()``).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def _open_paths(self) -> tuple[str, ...]:
        return (
            reverse("accounts:verify"),
            reverse("accounts:enrol"),
            reverse("login"),
            reverse("logout"),
            reverse("set_language"),
            settings.STATIC_URL if settings.STATIC_URL.startswith("/") else "/" + settings.STATIC_URL,
        )

    def _password_paths(self) -> tuple[str, ...]:
        return (
            reverse("accounts:password_change"),
            reverse("accounts:password_change_done"),
            reverse("logout"),
            reverse("set_language"),
            settings.STATIC_URL if settings.STATIC_URL.startswith("/") else "/" + settings.STATIC_URL,
        )

    def __call__(self, request):
        user = request.user
        request.accounts_gated = False
        if not user.is_authenticated:
            return self.get_response(request)
        pending = not user.is_verified() and services.second_factor_required(user)
        if pending:
            request.accounts_gated = True
            if not request.path_info.startswith(self._open_paths()):
                if _is_api(request):
                    return JsonResponse(
                        {"detail": _("Confirm your second factor before using the API.")}, status=403
                    )
                target = "accounts:verify" if services.has_confirmed_authenticator(user) else "accounts:enrol"
                return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
            return self.get_response(request)
        if administration.password_chosen_by_administrator(user):
            request.accounts_gated = True
            if not request.path_info.startswith(self._password_paths()):
                if _is_api(request):
                    return JsonResponse(
                        {
                            "detail": _(
                                "Choose your own password (on the Password page) before using the API."
                            )
                        },
                        status=403,
                    )
                messages.info(
                    request,
                    _(
                        "Your password was chosen by an administrator. Choose your own password before you "
                        "continue."
                    ),
                )
                target = reverse("accounts:password_change")
                return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
            return self.get_response(request)
        # Messages wait in the session until a page shows them; signing out would drop them unseen.
        if not _is_api(request) and not request.path_info.startswith(self._open_paths()):
            notices.deliver(request)
        return self.get_response(request)


class SessionTimeoutMiddleware:
    """Sign out after SESSION_IDLE_TIMEOUT seconds without a request, and SESSION_COOKIE_AGE after sign-in.

    Django's own expiry slides with every saved session, so the absolute limit is kept here.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            response = self._check(request)
            if response is not None:
                return response
        return self.get_response(request)

    def _check(self, request):
        session = request.session
        now = time.time()
        last = session.get(LAST_ACTIVITY)
        signed_in = session.get(SIGNED_IN_AT)
        idle_limit = settings.SESSION_IDLE_TIMEOUT
        reason = ""
        if last is not None and now - last > idle_limit:
            reason = "idle"
        elif signed_in is not None and now - signed_in > settings.SESSION_COOKIE_AGE:
            reason = "absolute"
        if not reason:
            if signed_in is None:
                session[SIGNED_IN_AT] = now
            if last is None or now - last >= ACTIVITY_RESOLUTION:
                session[LAST_ACTIVITY] = now
            return None
        record(
            Actor.from_request(request),
            AuditAction.SESSION_TIMEOUT,
            detail={"reason": reason, "idle_seconds": int(now - last) if last is not None else None},
        )
        logout(request)
        if reason == "idle":
            messages.info(
                request,
                _("You were signed out after %(minutes)d minutes without activity.")
                % {"minutes": idle_limit // 60},
            )
        else:
            messages.info(
                request,
                _("You were signed out because your session reached its %(hours)d-hour limit.")
                % {"hours": settings.SESSION_COOKIE_AGE // 3600},
            )
        if _is_api(request):
            return None  # carries on as anonymous: the API answers 403 itself
        return redirect(f"{reverse('login')}?{urlencode({'next': request.get_full_path()})}")


def mark_signed_in(sender, request, user, **kwargs) -> None:
    """user_logged_in receiver: start both clocks at sign-in."""
    if request is not None and hasattr(request, "session"):
        now = time.time()
        request.session[SIGNED_IN_AT] = now
        request.session[LAST_ACTIVITY] = now


class PermissionsPolicyMiddleware:
    """Browser features the platform never uses are switched off (Django sets the other headers)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


class DateStyleMiddleware:
    """Pages write dates in the calendar the signed-in person chose (``User.date_style``): Western, or the ROC
    calendar the bureaus' own records use. Set for the request and reset after it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from casework.clock import DATE_STYLE

        user = getattr(request, "user", None)
        style = (
            getattr(user, "date_style", "western")
            if user is not None and user.is_authenticated
            else "western"
        )
        token = DATE_STYLE.set(style)
        try:
            return self.get_response(request)
        finally:
            DATE_STYLE.reset(token)
