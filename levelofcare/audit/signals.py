"""Sign-in, sign-out, failed sign-in and second-factor events go to the audit trail
(AuthEvent), with the user's username and full name as they are at that moment."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import (
    user_logged_in,
    user_logged_out,
    user_login_failed,
)
from django.dispatch import receiver
from django.http import HttpRequest

from levelofcare.models import AuthEvent
from locatr.http import client_ip
from locatr.mfa.signals import second_factor_event


def _ip(request: HttpRequest | None) -> str | None:
    """The client's address as axes sees it (`TRUSTED_PROXY_COUNT`)."""
    return client_ip(request) if request is not None else None


@receiver(user_logged_in, dispatch_uid="audit-login")
def _logged_in(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    AuthEvent.objects.create(
        kind=AuthEvent.Kind.LOGIN,
        user=user,
        username=user.get_username(),
        full_name=user.get_full_name(),
        ip_address=_ip(request),
    )


@receiver(user_logged_out, dispatch_uid="audit-logout")
def _logged_out(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    if user is None:
        return
    AuthEvent.objects.create(
        kind=AuthEvent.Kind.LOGOUT,
        user=user,
        username=user.get_username(),
        full_name=user.get_full_name(),
        ip_address=_ip(request),
    )


@receiver(user_login_failed, dispatch_uid="audit-login-failed")
def _login_failed(
    sender: Any,
    credentials: dict[str, Any],
    request: HttpRequest | None = None,
    **kwargs: Any,
) -> None:
    AuthEvent.objects.create(
        kind=AuthEvent.Kind.LOGIN_FAILED,
        username=str(credentials.get("username", ""))[:150],
        full_name="",
        ip_address=_ip(request),
    )


@receiver(second_factor_event, dispatch_uid="audit-second-factor")
def _second_factor(
    sender: Any,
    request: HttpRequest | None,
    user: Any,
    kind: str,
    actor: Any = None,
    reason: str = "",
    **kwargs: Any,
) -> None:
    """Enrolled, verified, failed code, new backup codes, reset (with who and why)."""
    AuthEvent.objects.create(
        kind=kind,
        user=user,
        username=user.get_username(),
        full_name=user.get_full_name(),
        ip_address=_ip(request),
        actor=actor,
        actor_username=actor.get_username() if actor is not None else "",
        reason=reason,
    )
