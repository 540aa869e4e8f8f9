"""Fixtures for account-security tests."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.fixtures import PASSWORD, world  # noqa: F401


def totp_code(device: TOTPDevice, steps_ahead: int = 0) -> str:
    """The code the user's phone shows now (or ``steps_ahead`` steps later)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = totp.time + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def sign_in(client, username: str, password: str = PASSWORD, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


@pytest.fixture
def confirmed_device(world):  # noqa: F811
    """The supervisor with an authenticator already confirmed."""
    return TOTPDevice.objects.create(user=world.u.supervisor, name="phone", confirmed=True)
