"""Second-factor helpers for tests: devices, and TOTP codes computed here."""

from __future__ import annotations

import time
from base64 import b32decode
from typing import Any

from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

BACKUP_CODES = [f"code{c}abc" for c in "abcdefghij"]


def totp_code(key: bytes, *, ahead: int = 0, drift: int = 0) -> str:
    """The TOTP code for `key` now, or `ahead` seconds from now (a code already
    used cannot be used again: a second sign-in in the same 30 s takes the next)."""
    totp = TOTP(key, drift=drift)
    totp.time = time.time() + ahead
    return f"{totp.token():06d}"


def device_code(device: TOTPDevice, *, ahead: int = 0) -> str:
    device.refresh_from_db()
    return totp_code(device.bin_key, ahead=ahead, drift=device.drift)


def secret_key(text: str) -> bytes:
    """The key from the enrolment page's manual-entry text ("ABCD EFGH ...")."""
    return b32decode("".join(text.split()))


def enrolled(user: Any) -> TOTPDevice:
    """A confirmed TOTP device and ten known backup codes for `user`."""
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    static = StaticDevice.objects.create(user=user, name="backup", confirmed=True)
    StaticToken.objects.bulk_create(
        StaticToken(device=static, token=code) for code in BACKUP_CODES
    )
    return device
