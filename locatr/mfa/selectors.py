"""Reads for the second factor."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import Exists, OuterRef, QuerySet
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from levelofcare.models import AuthEvent


def second_factor_resets(*, limit: int = 100) -> QuerySet[AuthEvent]:
    """The latest second-factor resets: who, whom, when and why."""
    return AuthEvent.objects.filter(kind=AuthEvent.Kind.MFA_RESET).select_related(
        "user", "actor"
    )[:limit]


def users_with_second_factor(*, exclude: User) -> QuerySet[User]:
    """Active users who have any second-factor device, other than `exclude`."""
    return (
        User.objects.filter(is_active=True)
        .filter(
            Exists(TOTPDevice.objects.filter(user=OuterRef("pk")))
            | Exists(StaticDevice.objects.filter(user=OuterRef("pk")))
        )
        .exclude(pk=exclude.pk)
        .order_by("username")
    )
