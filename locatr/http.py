"""Small HTTP helpers shared by the apps' views."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, RequestDataTooBig
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


def client_ip(request: HttpRequest) -> str | None:
    """The address of the browser that made the request.

    With `TRUSTED_PROXY_COUNT` = 0 (the default) that is `REMOTE_ADDR` and any
    `X-Forwarded-For` header is ignored: a client can write whatever it likes there.
    Behind N trusted proxies, each appends the address it received the request
    from, so the client is the N-th address from the right; anything to its left
    came from the client and is not trusted. A header with fewer entries than
    proxies, or an entry that is not an IP address, falls back to `REMOTE_ADDR`.

    django-axes (`AXES_CLIENT_IP_CALLABLE`) and the sign-in audit rows both use
    this, so throttling and the audit trail always agree on who asked.
    """
    remote = request.META.get("REMOTE_ADDR") or None
    count: int = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    forwarded = [
        part.strip()
        for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    if len(forwarded) < count:
        return remote
    candidate = forwarded[-count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def request_body(request: HttpRequest) -> bytes | None:
    """The request body, or None when it is over `DATA_UPLOAD_MAX_MEMORY_SIZE`
    (said by Content-Length, or found while reading). Read before any CSRF
    check, which may parse a form body."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0  # Django's own body reading refuses it
    if declared > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
        return None
    try:
        return request.body
    except RequestDataTooBig:
        return None
