"""Small HTTP helpers shared by the apps' views."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def signed_in_user(request: HttpRequest) -> User:
    """The user of a request that only signed-in users reach.

    `LoginRequiredMiddleware` and `permission_required` turn anonymous visitors
    away before the view runs; this says so to the type checker (and refuses,
    should a view ever be reachable without signing in).
    """
    user = request.user
    if not user.is_authenticated:
        raise PermissionDenied
    return user


def safe_next(request: HttpRequest, target: str, fallback: str) -> str:
    """`target` if it is a path on this site, else `fallback`.

    No open redirect (another host, `//host`), and only a path from the root: a
    bare word such as `²` would reach `redirect()`, which tries it as a URL name
    (NoReverseMatch, a 500). No control characters either (a header cannot hold
    them).
    """
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    from_root = target.startswith("/") and not target.startswith("//")
    printable = target.isprintable()
    return target if allowed and from_root and printable else fallback
