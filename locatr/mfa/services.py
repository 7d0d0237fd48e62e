"""Writes for the second factor: enrol, verify, renew backup codes, reset."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import django_otp
from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.http import HttpRequest
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from levelofcare.models import AuthEvent
from locatr.errors import ServiceError
from locatr.mfa.signals import second_factor_event

TOTP_CODE = re.compile(r"[0-9]{6}")
# django-otp's StaticToken.random_token(): 8 characters of lower-case base32.
BACKUP_CODE = re.compile(r"[a-z2-7]{8}")


class SecondFactorError(ServiceError):
    """A second-factor action that cannot be done (e.g. resetting oneself)."""


@dataclass(frozen=True)
class Verification:
    """The outcome of a code: the device that accepted it, or why none did."""

    device: Device | None
    locked_until: datetime | None = None
    backup_code: bool = False


def _audit(
    *,
    request: HttpRequest | None,
    user: User,
    kind: AuthEvent.Kind,
    actor: User | None = None,
    reason: str = "",
) -> None:
    second_factor_event.send(
        sender=AuthEvent,
        request=request,
        user=user,
        kind=kind,
        actor=actor,
        reason=reason,
    )


def code_normalise(code: str) -> str:
    """What a person types, as stored: no spaces or dashes, lower case."""
    return re.sub(r"[\s-]", "", code).lower()


def totp_device_confirmed(*, user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def user_has_second_factor(*, user: User) -> bool:
    return bool(TOTPDevice.objects.filter(user=user, confirmed=True).exists())


def totp_device_for_enrolment(*, user: User) -> TOTPDevice:
    """The user's unconfirmed TOTP device (its secret stays the same across page
    loads until confirmed), created on first use."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(
            user=user, name="Authenticator app", confirmed=False
        )
    return device


def _backup_codes_replace(*, user: User) -> list[str]:
    device, _ = StaticDevice.objects.get_or_create(
        user=user, defaults={"name": "Backup codes", "confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(settings.MFA_BACKUP_CODES)]
    StaticToken.objects.bulk_create(
        StaticToken(device=device, token=code) for code in codes
    )
    return codes


def enrolment_confirm(
    *, request: HttpRequest, user: User, device: TOTPDevice, code: str
) -> list[str] | None:
    """Confirm `device` with a current code from the user's app.

    1. Verify the code against the still unconfirmed device (throttled).
    2. Mark it confirmed, drop any other TOTP device of the user.
    3. Replace the backup codes with ten new ones; audit; return them (shown once).
    None when the code is wrong.
    """
    token = code_normalise(code)
    with transaction.atomic():
        verified = TOTP_CODE.fullmatch(token) is not None and django_otp.verify_token(
            user, device.persistent_id, token
        )
        if not verified:
            _audit(request=request, user=user, kind=AuthEvent.Kind.MFA_FAILED)
            return None
        device.refresh_from_db()
        device.confirmed = True
        device.save()
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        codes = _backup_codes_replace(user=user)
        _audit(request=request, user=user, kind=AuthEvent.Kind.MFA_ENROLLED)
    return codes


def second_factor_verify(
    *, request: HttpRequest, user: User, code: str
) -> Verification:
    """Check a TOTP code or a backup code (which is then used up).

    A six-digit code goes to the TOTP device, an eight-character one to the
    backup codes. django-otp throttles each device: after n wrong codes in a row
    it refuses every code for 2**(n-1) seconds. Success and failure are audited.
    """
    token = code_normalise(code)
    if TOTP_CODE.fullmatch(token):
        devices: list[Device] = list(
            TOTPDevice.objects.filter(user=user, confirmed=True)
        )
        backup = False
    elif BACKUP_CODE.fullmatch(token):
        devices = list(StaticDevice.objects.filter(user=user, confirmed=True))
        backup = True
    else:
        devices, backup = [], False
    for device in devices:
        allowed, info = device.verify_is_allowed()
        if not allowed:
            _audit(
                request=request,
                user=user,
                kind=AuthEvent.Kind.MFA_FAILED,
                reason="throttled",
            )
            return Verification(None, locked_until=(info or {}).get("locked_until"))
        accepted = django_otp.verify_token(user, device.persistent_id, token)
        if accepted is not None:
            _audit(
                request=request,
                user=user,
                kind=AuthEvent.Kind.MFA_VERIFIED,
                reason="backup code" if backup else "authenticator app",
            )
            return Verification(accepted, backup_code=backup)
    _audit(request=request, user=user, kind=AuthEvent.Kind.MFA_FAILED)
    return Verification(None)


def backup_codes_renew(*, request: HttpRequest, user: User) -> list[str]:
    """Ten new backup codes; the old ones stop working. Audited."""
    with transaction.atomic():
        codes = _backup_codes_replace(user=user)
        _audit(request=request, user=user, kind=AuthEvent.Kind.MFA_CODES)
    return codes


def backup_codes_left(*, user: User) -> int:
    tokens = StaticToken.objects.filter(device__user=user, device__confirmed=True)
    return int(tokens.count())


def second_factor_reset(
    *, request: HttpRequest | None, actor: User, user: User, reason: str
) -> None:
    """A criteria admin resets another user's lost second factor.

    1. Refuse one's own account and an empty reason.
    2. Delete every device of the user (TOTP and backup codes): their sessions
       lose the verified state at once, and the next sign-in asks them to enrol.
    3. Audit who, whom, when and why, in the same transaction.
    """
    reason = reason.strip()
    if actor.pk == user.pk:
        raise SecondFactorError(
            "You cannot reset your own second factor: ask another criteria admin."
        )
    if not reason:
        raise SecondFactorError("Say why the second factor is being reset.")
    with transaction.atomic():
        for device in django_otp.devices_for_user(user, confirmed=None):
            device.delete()
        _audit(
            request=request,
            user=user,
            kind=AuthEvent.Kind.MFA_RESET,
            actor=actor,
            reason=reason,
        )
