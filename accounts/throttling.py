"""API rate limits per person and per feed token, counted in the shared cache (Redis when configured), so every
web process sees the same counts. A refused request gets 429 with ``Retry-After`` and DRF's sentence saying in
how many seconds to try again (in the request's language).

Scopes and their rates are settings (``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``, from the environment):

* ``user``: a signed-in person, by user id (whatever address they come from);
* ``feed``: a bureau's feed token, by token (the bureau's system, not a person);
* ``anon``: anything else, by client address (sign-in pages have their own lockout: django-axes).
"""

from __future__ import annotations

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle


class PrincipalRateThrottle(SimpleRateThrottle):
    """One throttle for the whole API; the scope follows who is asking."""

    scope = "user"

    def __init__(self):  # the rate is chosen per request, in allow_request
        pass

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view):
        from integrations.models import FeedToken

        if isinstance(getattr(request, "auth", None), FeedToken):
            self.scope, self.ident = "feed", f"token-{request.auth.pk}"
        elif getattr(request.user, "is_authenticated", False):
            self.scope, self.ident = "user", f"user-{request.user.pk}"
        else:
            self.scope, self.ident = "anon", f"addr-{self.get_ident(request)}"
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.ident}
