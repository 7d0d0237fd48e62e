from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import Any

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.db import connection
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    HttpResponseServerError,
    JsonResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.template import loader
from django.templatetags.static import static
from django.urls import Resolver404, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import requires_csrf_token
from django.views.decorators.http import require_GET
from kombu.connection import Connection

logger = logging.getLogger(__name__)


def _database_state() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "down"
        return f"down: {type(exc).__name__}"
    return "ok"


def _broker_state() -> str:
    options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {})
    try:
        # kombu ships py.typed, but Connection.__init__ has no annotations.
        with Connection(  # type: ignore[no-untyped-call]
            settings.CELERY_BROKER_URL,
            connect_timeout=2,
            transport_options=options,
        ) as conn:
            conn.ensure_connection(max_retries=1, timeout=3)
            # Redis connects lazily: make a round trip through a channel.
            conn.default_channel  # noqa: B018
    except Exception as exc:  # any transport error means "down"
        return f"down: {type(exc).__name__}"
    return "ok"


@login_not_required
@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Database and broker state: 200 when both answer, 503 naming what is down."""
    checks = {"database": _database_state(), "broker": _broker_state()}
    down = [name for name, state in checks.items() if state != "ok"]
    body = {"status": "ok" if not down else "down", "checks": checks, "down": down}
    return JsonResponse(body, status=503 if down else 200)


@login_not_required
@require_GET
def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """Browsers ask for /favicon.ico whatever the page links: send them the SVG."""
    return HttpResponseRedirect(static("favicon.svg"))


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")


# --- error pages (handler403/404/500 in urls.py) ---------------------------------

NOT_ALLOWED = (
    "Your role does not include this page. Ask an administrator if you need it."
)
NOT_FOUND = "There is no page at this address, or the record it names does not exist."


def _own_message(exception: Exception | None, default: str) -> str:
    """The app's own message on an exception (PermissionDenied("Choose one of your
    clients by reference.")), else `default`. Django's own messages name internals
    (the URL patterns tried, a model's name), so they are never shown."""
    if exception is None or isinstance(exception, Resolver404):
        return default
    args = getattr(exception, "args", ())
    message = args[0] if args and isinstance(args[0], str) else ""
    if not message or "matches the given query" in message:
        return default
    return message


def permission_denied(
    request: HttpRequest, exception: Exception | None = None
) -> HttpResponse:
    message = _own_message(exception, NOT_ALLOWED)
    return render(request, "403.html", {"message": message}, status=403)


def page_not_found(
    request: HttpRequest, exception: Exception | None = None
) -> HttpResponse:
    message = _own_message(exception, NOT_FOUND)
    return render(request, "404.html", {"message": message}, status=404)


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    """No request context, no database, no record: the template stands alone."""
    return HttpResponseServerError(loader.get_template("500.html").render())


# --- password reset ----------------------------------------------------------------


@login_not_required
def password_reset(request: HttpRequest, step: str, **kwargs: Any) -> HttpResponseBase:
    """Django's password reset by email when email is set up; otherwise a page
    that says an administrator resets passwords (404: there is no such page)."""
    if not settings.PASSWORD_RESET_BY_EMAIL:
        return render(
            request, "registration/password_reset_unavailable.html", status=404
        )
    if step == "form" and request.method == "POST" and _reset_throttled(request):
        # The same answer as a sent link, so the throttle tells nobody whether an
        # address has an account (or was asked for before).
        return HttpResponseRedirect(reverse("password_reset_done"))
    response: HttpResponseBase = _RESET_VIEWS[step](request, **kwargs)
    return response


def _over_limit(key: str, limit: int) -> bool:
    """Count one request under `key` for the window; True once past `limit`."""
    window = settings.PASSWORD_RESET_LIMIT_WINDOW_SECONDS
    cache.add(key, 0, timeout=window)  # starts the window; no-op when counting
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        count = 1
    return bool(count > limit)


def _reset_throttled(request: HttpRequest) -> bool:
    """At most PASSWORD_RESET_LIMIT_PER_ADDRESS requests per email address and
    PASSWORD_RESET_LIMIT_PER_IP per client IP in an hour (Django's cache; see
    settings). Both counters always count, so a flood from one IP spread over many
    addresses and one address asked from many IPs are both held back."""
    email = str(request.POST.get("email", "")).strip().lower()
    address = hashlib.sha256(email.encode()).hexdigest()
    ip = get_client_ip_address(request) or "unknown"
    by_address = _over_limit(
        f"password-reset:address:{address}",
        settings.PASSWORD_RESET_LIMIT_PER_ADDRESS,
    )
    by_ip = _over_limit(f"password-reset:ip:{ip}", settings.PASSWORD_RESET_LIMIT_PER_IP)
    if by_address or by_ip:
        logger.warning(
            "password reset throttled (%s)",
            "address and IP"
            if by_address and by_ip
            else ("address" if by_address else "IP"),
        )
    return by_address or by_ip


_RESET_VIEWS: dict[str, Callable[..., HttpResponseBase]] = {
    "form": auth_views.PasswordResetView.as_view(),
    "done": auth_views.PasswordResetDoneView.as_view(),
    "confirm": auth_views.PasswordResetConfirmView.as_view(),
    "complete": auth_views.PasswordResetCompleteView.as_view(),
}
