"""A password alone opens nothing but the second-factor pages.

Installed after `AuthenticationMiddleware` and django-otp's `OTPMiddleware` (which
sets `request.user.is_verified()`), before `LoginRequiredMiddleware`. When
`settings.LOCATR_MFA_REQUIRED` is on (read per request), a signed-in user whose
session has no verified device reaches only:

- the verify page, or the enrolment page when they have no device yet;
- sign-out;
- what anonymous visitors see anyway: views marked `login_not_required` (the
  sign-in and password-reset pages, `/healthz`, the favicon). Static files are
  served by WhiteNoise before any view.

Every other page redirects to verify (or enrol) with `?next=`; the JSON API
(`/api/`, public only to answer anonymous callers a JSON 401) answers a JSON 403.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse

from locatr.mfa.services import user_has_second_factor

OPEN_VIEWS = frozenset({"logout", "mfa:verify", "mfa:enrol"})
API_PREFIX = "/api/"
API_MESSAGE = (
    "Verify your second factor (authenticator app or backup code) in the browser "
    "before using the API."
)


class SecondFactorRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        if not settings.LOCATR_MFA_REQUIRED:
            return None
        user = request.user
        if not user.is_authenticated or session_verified(request):
            return None
        if request.path_info.startswith(API_PREFIX):
            # Before the next checks: the API is `login_not_required` only to
            # answer its own JSON 401 to anonymous callers.
            return JsonResponse({"errors": {"__all__": [API_MESSAGE]}}, status=403)
        match = request.resolver_match
        if match is not None and match.view_name in OPEN_VIEWS:
            return None
        if getattr(view_func, "login_required", True) is False:
            return None
        has_device = user_has_second_factor(user=user)
        target = reverse("mfa:verify" if has_device else "mfa:enrol")
        return redirect_to_login(request.get_full_path(), target)


def session_verified(request: HttpRequest) -> bool:
    """Whether this session passed a second factor (django-otp's OTPMiddleware)."""
    is_verified = getattr(request.user, "is_verified", None)
    return bool(is_verified()) if callable(is_verified) else False
