"""Demo users with a second-factor role get a confirmed authenticator with a fixed, obviously-demo key."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

from accounts import services
from casework.demo import USERS
from casework.models import User

# Same for every demo user; each works once until the demo is seeded again.
DEMO_BACKUP_CODES = ["demo0001", "demo0002", "demo0003", "demo0004", "demo0005"]


@dataclass(frozen=True)
class DemoSecondFactor:
    username: str
    secret: str  # base32, what an authenticator app takes
    otpauth_url: str


def demo_secret(username: str) -> str:
    """``DEMO`` + the username in base32 letters, padded with A to 32 characters (160 bits)."""
    letters = re.sub(r"[^A-Z2-7]", "", username.upper())
    return ("DEMO" + letters + "A" * 32)[:32]


def ensure_demo_second_factors() -> list[DemoSecondFactor]:
    """Idempotent: (re)sets the fixed authenticator key and the demo backup codes of every demo user who
    needs a second factor."""
    result = []
    for spec in USERS:
        user = User.objects.filter(username=spec.username).first()
        if user is None or not services.second_factor_required(user):
            continue
        secret = demo_secret(spec.username)
        device = services.provision_authenticator(
            user=user, key_hex=base64.b32decode(secret).hex(), backup_codes=list(DEMO_BACKUP_CODES)
        )
        result.append(DemoSecondFactor(username=spec.username, secret=secret, otpauth_url=device.config_url))
    return result
