"""Account security services: who needs a second factor, enrolment, verification, resets and unlocks.

Every change goes through one function here, which also writes the audit line.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

import segno
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp import devices_for_user
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from casework.access.audit import Actor, record
from casework.access.policy import principal_for
from casework.models import AuditAction, Role, User

# Roles that can see across bureaus or change the platform itself: a stolen password alone must not open them.
SECOND_FACTOR_ROLES = frozenset(
    {
        Role.SUPERVISOR,
        Role.DATA_STEWARD,
        Role.MODEL_STEWARD,
        Role.AUDITOR,
        Role.ADMINISTRATOR,
        Role.SECRETARIAT,
    }
)
AUTHENTICATOR_NAME = "Authenticator app"
BACKUP_NAME = "Backup codes"
BACKUP_CODE_COUNT = 10


def second_factor_required(user) -> bool:
    """True for a signed-in user holding any role that must confirm a second factor."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(principal_for(user).roles & SECOND_FACTOR_ROLES)


def has_confirmed_authenticator(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def pending_authenticator(user: User) -> TOTPDevice:
    """The unconfirmed authenticator being enrolled (the same secret until it is confirmed or reset)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)
    return device


def base32_secret(device: TOTPDevice) -> str:
    """The secret as authenticator apps take it by hand: base32, in groups of four."""
    secret = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_code_svg(device: TOTPDevice) -> str:
    """The otpauth URL as an inline SVG; segno writes presentation attributes only (no style=)."""
    return segno.make(device.config_url, error="m").svg_inline(
        scale=5,
        border=4,
        svgclass="qr-code",
        lineclass=None,
        dark="#000",
        title=_("QR code for your authenticator app"),
    )


def normalise_code(code: str) -> str:
    """Codes are typed with spaces or dashes now and then; backup codes are lower-case base32."""
    return "".join(ch for ch in (code or "") if ch.isalnum()).lower()


@dataclass(frozen=True)
class Verification:
    device: Device | None
    # When every device refuses because of throttling: how long to wait, in seconds.
    throttled_for: int = 0

    @property
    def ok(self) -> bool:
        return self.device is not None


def _throttle_wait(devices: list[Device]) -> int:

    waits = []
    for device in devices:
        allowed, data = device.verify_is_allowed()
        if allowed:
            return 0
        locked_until = (data or {}).get("locked_until")
        if locked_until is not None:
            waits.append(max(1, int((locked_until - timezone.now()).total_seconds()) + 1))
    return min(waits) if waits else 0


def confirm_enrolment(*, device: TOTPDevice, code: str, actor: Actor) -> list[str] | None:
    """Confirm a new authenticator with a first code; returns fresh backup codes, or None if refused."""
    code = normalise_code(code)
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        if not device.verify_token(code):
            record(actor, AuditAction.OTP_FAILED, device, detail={"stage": "enrolment"})
            return None
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = issue_backup_codes(user=device.user)
        record(actor, AuditAction.OTP_ENROLLED, device, detail={"backup_codes": len(codes)})
    return codes


def issue_backup_codes(*, user: User, codes: list[str] | None = None) -> list[str]:
    """Replace the user's one-time backup codes; the plain codes are returned to be shown once."""
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name=BACKUP_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = codes or [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def verify_second_factor(*, user: User, code: str, actor: Actor) -> Verification:
    """Check an authenticator code or a backup code (used up on success); throttled by django-otp."""
    code = normalise_code(code)
    # The devices are locked for the check, so two parallel tries cannot both beat the throttle.
    with transaction.atomic():
        devices = list(devices_for_user(user, confirmed=True, for_verify=True))
        if not devices:
            return Verification(device=None)
        wait = _throttle_wait(devices)
        if wait:
            record(actor, AuditAction.OTP_FAILED, detail={"stage": "verify", "throttled": True})
            return Verification(device=None, throttled_for=wait)
        for device in devices:
            if device.verify_token(code):
                kind = "backup_code" if isinstance(device, StaticDevice) else "authenticator"
                record(actor, AuditAction.OTP_VERIFIED, device, detail={"method": kind})
                return Verification(device=device)
        record(actor, AuditAction.OTP_FAILED, detail={"stage": "verify"})
    return Verification(device=None)


def unlock_sign_in(*, user: User, actor: Actor) -> int:
    """Clear the failed sign-in attempts that lock a user out (every address)."""
    from axes.utils import reset

    removed = reset(username=user.get_username())
    record(actor, AuditAction.UNLOCK, user, detail={"attempts_cleared": removed})
    return removed


def provision_authenticator(*, user: User, key_hex: str, backup_codes: list[str]) -> TOTPDevice:
    """Give a user a confirmed authenticator with a known key and known backup codes (demo users only)."""
    TOTPDevice.objects.filter(user=user).exclude(key=key_hex).delete()
    device, _created = TOTPDevice.objects.update_or_create(
        user=user, key=key_hex, defaults={"name": AUTHENTICATOR_NAME, "confirmed": True}
    )
    issue_backup_codes(user=user, codes=backup_codes)
    return device
