"""Session lifetime and security headers (issue 11, "Sessions" and "Headers")."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, JsonResponse
from django.http.response import HttpResponseBase
from django.urls import reverse

# Session keys: epoch seconds of the sign-in and of the last request.
SIGNED_IN_AT = "locatr_signed_in_at"
LAST_REQUEST_AT = "locatr_last_request_at"

# The idle clock moves in steps of this many seconds: a session is written at most
# once per step, not on every request (a page with its assets and clicks in a row
# would otherwise write the session row several times a second).
ACTIVITY_RESOLUTION_SECONDS = 10

Handler = Callable[[HttpRequest], HttpResponseBase]


def idle_seconds() -> float:
    """`SESSION_IDLE_MINUTES` in seconds (tests may use a fraction of a minute)."""
    return float(settings.SESSION_IDLE_MINUTES) * 60


def idle_seconds_left(request: HttpRequest, now: float | None = None) -> float:
    """Seconds until the idle timeout (or the absolute lifetime) signs `request` out."""
    now = time.time() if now is None else now
    session = request.session
    last = float(session.get(LAST_REQUEST_AT, now))
    signed_in = float(session.get(SIGNED_IN_AT, now))
    return min(
        last + idle_seconds() - now,
        signed_in + settings.SESSION_ABSOLUTE_SECONDS - now,
    )


def _minutes(seconds: float) -> str:
    minutes = seconds / 60
    return f"{minutes:g} minute{'' if minutes == 1 else 's'}"


class SessionTimeoutMiddleware:
    """Signs a user out after `SESSION_IDLE_MINUTES` without a request, and
    `SESSION_ABSOLUTE_SECONDS` (8 hours) after signing in, whatever the activity.

    Every request of a signed-in user restarts the idle clock (to within
    `ACTIVITY_RESOLUTION_SECONDS`), except a GET of the
    session status endpoint (the page's timeout warning asks it how long is left;
    asking must not count as activity, or an open tab would keep the session alive
    for ever). A page request that comes too late is sent to the sign-in page with
    a message; a JSON request (the API, the status endpoint) gets a 401 JSON answer.
    Goes after the authentication and messages middleware.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return self.get_response(request)
        now = time.time()
        session = request.session
        signed_in = float(session.setdefault(SIGNED_IN_AT, now))
        last = float(session.get(LAST_REQUEST_AT, now))
        if now - signed_in >= settings.SESSION_ABSOLUTE_SECONDS:
            hours = settings.SESSION_ABSOLUTE_SECONDS / 3600
            return self._sign_out(
                request,
                f"You were signed out {hours:g} hours after signing in. "
                "Sign in again to continue.",
            )
        if now - last >= idle_seconds():
            return self._sign_out(
                request,
                f"You were signed out after {_minutes(idle_seconds())} "
                "without activity. Sign in again to continue.",
            )
        on_status = request.path == reverse("session_status")
        stay_signed_in = on_status and request.method == "POST"
        active = not on_status and now - last >= ACTIVITY_RESOLUTION_SECONDS
        if stay_signed_in or active:
            session[LAST_REQUEST_AT] = now
        return self.get_response(request)

    @staticmethod
    def _sign_out(request: HttpRequest, message: str) -> HttpResponseBase:
        logout(request)
        # After logout: the message outlives the flushed session (cookie storage).
        messages.info(request, message)
        if request.path.startswith("/api/") or request.path == reverse(
            "session_status"
        ):
            return JsonResponse({"errors": {"__all__": [message]}}, status=401)
        next_url = request.get_full_path() if request.method == "GET" else "/"
        return redirect_to_login(next_url)


class SecurityHeadersMiddleware:
    """`Cache-Control: no-store` on every answer to a signed-in user (client pages,
    print views, API answers: nothing with health information stays in a browser
    or proxy cache), and a Permissions-Policy that turns off device features."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            response["Cache-Control"] = "no-store, private"
            response["Pragma"] = "no-cache"
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


def session_started(sender: object, request: HttpRequest, **kwargs: object) -> None:
    """`user_logged_in` receiver: both clocks start at sign-in."""
    now = time.time()
    request.session[SIGNED_IN_AT] = now
    request.session[LAST_REQUEST_AT] = now
