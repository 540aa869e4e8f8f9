"""Suite-wide fixtures: test clients sign in the way the rest of the suite expects.

Roles that need a second factor (accounts.services.SECOND_FACTOR_ROLES) are refused everything but the
second-factor pages until they give one. Most tests are about something else, so ``client.force_login`` and
``client.login`` also mark such a user as verified with a confirmed test authenticator. Tests of the second
factor itself opt out with ``@pytest.mark.real_second_factor``.

``client.login`` also passes a request to ``authenticate()``: django-axes refuses to check credentials
without one.
"""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory

REAL_SECOND_FACTOR = "real_second_factor"


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        f"{REAL_SECOND_FACTOR}: signing in through the test client does not pass the second factor for you",
    )


def verify_second_factor_for_test(client: Client, user) -> None:
    """Give ``user`` a confirmed authenticator and mark the client's session as verified with it."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.services import SECOND_FACTOR_ROLES

    # A direct query rather than casework.access.policy.principal_for, which caches on the user object the test holds.
    if not user.memberships.filter(active=True, role__in=SECOND_FACTOR_ROLES).exists():
        return
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="test authenticator", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


@pytest.fixture(autouse=True)
def _test_client_sign_in(request, monkeypatch):
    original_login = Client.login
    original_underscore_login = Client._login
    real_second_factor = request.node.get_closest_marker(REAL_SECOND_FACTOR) is not None

    def login(self, **credentials):
        credentials.setdefault("request", RequestFactory().post("/accounts/login/"))
        return original_login(self, **credentials)

    def _login(self, user, backend=None):
        original_underscore_login(self, user, backend)
        if not real_second_factor:
            verify_second_factor_for_test(self, user)

    monkeypatch.setattr(Client, "login", login)
    monkeypatch.setattr(Client, "_login", _login)
