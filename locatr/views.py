from __future__ import annotations

import hashlib
import json
import logging
import re
import select
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Any
from urllib.parse import urlsplit

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
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, requires_csrf_token
from django.views.decorators.http import require_GET, require_POST, require_safe
from kombu.connection import Connection

from levelofcare.dashboards import selectors as dashboards
from locatr.middleware import idle_seconds_left
from locatr.roles import CLINICIANS, COORDINATORS, CRITERIA_ADMINS, user_roles

logger = logging.getLogger(__name__)


# --- /healthz -------------------------------------------------------------------

# Each check gives up after CHECK_TIMEOUT seconds; both run at once, and the page
# answers after HEALTHZ_DEADLINE seconds at the latest, even when a server accepts
# connections and never answers (a hung check is then reported as "down: timeout").
CHECK_TIMEOUT = 2.0
HEALTHZ_DEADLINE = 2.5


def _database_state(params: dict[str, Any] | None = None) -> str:
    """PostgreSQL (`params` from `_postgres_params`, made in the request's thread),
    or the request's own connection for SQLite (a local file cannot hang)."""
    try:
        if params is not None:
            _postgres_ping(params, time.monotonic() + CHECK_TIMEOUT)
        else:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
    except Exception as exc:  # any driver error means "down"
        return f"down: {type(exc).__name__}"
    return "ok"


def _postgres_params() -> dict[str, Any]:
    """The app's connection parameters, with a connect and a statement timeout."""
    params: dict[str, Any] = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params["connect_timeout"] = max(1, int(CHECK_TIMEOUT))
    options = params.get("options", "")
    params["options"] = f"{options} -c statement_timeout={int(CHECK_TIMEOUT * 1000)}"
    return params


def _postgres_ping(params: dict[str, Any], deadline: float) -> None:
    """`SELECT 1` on a dedicated, short-lived connection with a hard deadline.

    The connection is asynchronous, so this function waits on its socket itself and
    gives up at `deadline` whatever the server does (the connect and statement
    timeouts in `params` are a second line). The app's own persistent connection
    is left alone.
    """
    import psycopg2
    import psycopg2.extensions as ext

    conn = psycopg2.connect(**params, async_=True)
    try:
        _pg_wait(conn, deadline, ext)
        cursor = conn.cursor()
        cursor.execute("SELECT 1")
        _pg_wait(conn, deadline, ext)
        cursor.fetchone()
    finally:
        conn.close()


def _pg_wait(conn: Any, deadline: float, ext: Any) -> None:
    while True:
        state = conn.poll()
        if state == ext.POLL_OK:
            return
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("no answer from the database")
        if state == ext.POLL_READ:
            select.select([conn.fileno()], [], [], remaining)
        elif state == ext.POLL_WRITE:
            select.select([], [conn.fileno()], [], remaining)


def _broker_state() -> str:
    options = dict(getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}))
    if settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
        # Round trips too: a Redis that accepts connections and never answers.
        options.setdefault("socket_timeout", CHECK_TIMEOUT)
        options.setdefault("socket_connect_timeout", CHECK_TIMEOUT)
    try:
        # kombu ships py.typed, but Connection.__init__ has no annotations.
        with Connection(  # type: ignore[no-untyped-call]
            settings.CELERY_BROKER_URL,
            connect_timeout=CHECK_TIMEOUT,
            transport_options=options,
        ) as conn:
            # No retries: one attempt, bounded by the timeouts above.
            conn.ensure_connection(max_retries=0, timeout=CHECK_TIMEOUT)
            # Redis connects lazily: make a round trip through a channel.
            conn.default_channel  # noqa: B018
    except Exception as exc:  # any transport error means "down"
        return f"down: {type(exc).__name__}"
    return "ok"


def _health_checks() -> dict[str, str]:
    """Both checks at once, in threads, each bounded; a check still running at the
    deadline is reported as down and left to finish (its own timeouts end it)."""
    checks: dict[str, Callable[[], str]] = {"broker": _broker_state}
    states: dict[str, str] = {}
    if connection.vendor == "postgresql":
        params = _postgres_params()
        checks["database"] = lambda: _database_state(params)
    else:  # SQLite connections belong to their thread: check here, it is local
        states["database"] = _database_state()
    pool = ThreadPoolExecutor(max_workers=len(checks), thread_name_prefix="healthz")
    futures = {name: pool.submit(check) for name, check in checks.items()}
    done, _ = wait(futures.values(), timeout=HEALTHZ_DEADLINE)
    pool.shutdown(wait=False)
    for name, future in futures.items():
        states[name] = future.result() if future in done else "down: timeout"
    return {name: states[name] for name in ("database", "broker")}


@login_not_required
@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Database and broker state: 200 when both answer, 503 naming what is down."""
    checks = _health_checks()
    down = [name for name, state in checks.items() if state != "ok"]
    body = {"status": "ok" if not down else "down", "checks": checks, "down": down}
    return JsonResponse(body, status=503 if down else 200)


@login_not_required
@require_GET
def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """Browsers ask for /favicon.ico whatever the page links: send them the SVG."""
    return HttpResponseRedirect(static("favicon.svg"))


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """The dashboard: a few counts per role, each a link to its filtered list."""
    roles = user_roles(request.user)
    now = timezone.now()
    context: dict[str, Any] = {}
    if COORDINATORS in roles:
        context["coordinator_counts"] = dashboards.dashboard_coordinator(now=now)
    if CLINICIANS in roles:
        context["clinician_counts"] = dashboards.dashboard_clinician(
            user=request.user, now=now
        )
    if CRITERIA_ADMINS in roles:
        context["admin_counts"] = dashboards.dashboard_criteria_admin(now=now)
    return render(request, "home.html", context)


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


# --- session status (the idle-timeout warning) --------------------------------------


@login_not_required
@never_cache
def session_status(request: HttpRequest) -> JsonResponse:
    """GET: seconds until the idle timeout; asking does not count as activity.
    POST ("Stay signed in"): `SessionTimeoutMiddleware` has just restarted the idle
    clock. 401 JSON when signed out (here, in another tab, or by the timeout)."""
    if request.method not in ("GET", "POST"):
        response = JsonResponse({"errors": {"__all__": ["Use GET or POST."]}})
        response.status_code = 405
        response["Allow"] = "GET, POST"
        return response
    if not request.user.is_authenticated:
        message = "You are signed out."
        return JsonResponse({"errors": {"__all__": [message]}}, status=401)
    left = max(0, int(idle_seconds_left(request)))
    return JsonResponse({"idle_seconds_left": left})


# --- Content-Security-Policy reports -----------------------------------------------

csp_log = logging.getLogger("locatr.csp")
CSP_REPORT_MAX_BYTES = 8 * 1024


def _short(value: object) -> str:
    """A report field fit for a log line: a URL without its query or fragment
    (they may carry search terms), printable characters only, at most 120."""
    text = str(value or "-")
    if "://" in text:
        parts = urlsplit(text)
        text = f"{parts.scheme}://{parts.netloc}{parts.path}"
    return "".join(ch if ch.isprintable() else "?" for ch in text)[:120]


@login_not_required
@csrf_exempt  # browsers send reports without a token; nothing here changes state
@require_POST
def csp_report(request: HttpRequest) -> HttpResponse:
    """Where browsers report Content-Security-Policy violations (`report-uri`):
    logs one short line per report (directive and blocked URI, nothing else) and
    answers 204. Bodies over 8 KB get 413."""
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not re.fullmatch(r"[0-9]{1,9}", length) or int(length) > CSP_REPORT_MAX_BYTES:
        return HttpResponse(status=413)
    body = request.read(CSP_REPORT_MAX_BYTES + 1)
    if len(body) > CSP_REPORT_MAX_BYTES:
        return HttpResponse(status=413)
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return HttpResponse(status=400)
    # report-uri sends {"csp-report": {...}}; the Reporting API a list of reports.
    reports = data if isinstance(data, list) else [data]
    for item in reports[:10]:
        if not isinstance(item, dict):
            continue
        report = item.get("csp-report") or item.get("body") or {}
        if not isinstance(report, dict):
            continue
        directive = (
            report.get("effective-directive")
            or report.get("effectiveDirective")
            or report.get("violated-directive")
        )
        blocked = report.get("blocked-uri") or report.get("blockedURL")
        csp_log.warning(
            "CSP violation: directive=%s blocked=%s", _short(directive), _short(blocked)
        )
    return HttpResponse(status=204)
