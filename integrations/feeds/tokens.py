"""Per-bureau API tokens for feed uploads: a bureau can only send its own feeds."""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions

from casework.models import Bureau, BureauKind
from integrations.feeds import contract
from integrations.models import FeedToken

# Court notices reach the platform through the committee, which receives them from the juvenile court.
FEED_SENDER = {
    "education": BureauKind.EDUCATION,
    "police": BureauKind.POLICE,
    "welfare": BureauKind.WELFARE,
    "court": BureauKind.COMMITTEE,
}


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def issue_token(*, bureau: Bureau, name: str) -> tuple[FeedToken, str]:
    """Create a token; the plain key is returned once and never stored."""
    key = secrets.token_urlsafe(32)
    token = FeedToken.objects.create(bureau=bureau, name=name, prefix=key[:8], key_hash=_hash(key))
    return token, key


def bureau_may_send(bureau: Bureau, feed: str) -> bool:
    return FEED_SENDER[contract.get_feed(feed).bureau] == bureau.kind


class FeedTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Token <key>``; the request carries the token, not a person."""

    keyword = "Token"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0] != self.keyword:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Malformed token header."))
        token = (
            FeedToken.objects.select_related("bureau")
            .filter(key_hash=_hash(header[1]), revoked_at__isnull=True)
            .first()
        )
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked token."))
        return AnonymousUser(), token

    def authenticate_header(self, request):
        return self.keyword


class HasFeedToken(permissions.BasePermission):
    message = "A bureau feed token is required, and a bureau may send only its own feeds."

    def has_permission(self, request, view):
        token = request.auth
        if not isinstance(token, FeedToken):
            return False
        try:
            return bureau_may_send(token.bureau, view.kwargs.get("feed", ""))
        except contract.ContractError:
            return True  # let the view answer 404 for an unknown feed


class FeedTokenScheme(OpenApiAuthenticationExtension):
    """Describes the feed token in the OpenAPI schema."""

    target_class = "integrations.feeds.tokens.FeedTokenAuthentication"
    name = "feedToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "A bureau's feed token: `Token <key>`.",
        }
