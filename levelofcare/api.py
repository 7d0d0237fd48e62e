"""JSON API: `POST /api/v1/evaluate`, the evaluation contract for signed-in users.

Session authentication with CSRF protection: a browser client sends the
`csrftoken` cookie's value in an `X-CSRFToken` header. The CSRF check runs in the
view, after the sign-in check, so every failure is a JSON answer (401 signed out,
403 CSRF) rather than an HTML page or a redirect to the login form.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from levelofcare import rules
from levelofcare.selectors import contract_evaluate, criteria_active


def _errors(status: int, message: str, **headers: str) -> JsonResponse:
    response = JsonResponse({"errors": {"__all__": [message]}}, status=status)
    for name, value in headers.items():
        response[name] = value
    return response


class _CsrfCheck(CsrfViewMiddleware):
    """Django's own CSRF check, returning the failure reason instead of a page."""

    def _reject(self, request: HttpRequest, reason: str) -> Any:
        return reason


def _csrf_failure(request: HttpRequest) -> str | None:
    check = _CsrfCheck(lambda request: HttpResponse())
    check.process_request(request)
    reason = check.process_view(request, None, (), {})  # type: ignore[arg-type]
    return reason if isinstance(reason, str) else None


@login_not_required
@csrf_exempt  # not exempt: checked below, once we know who is asking
@never_cache
def evaluate_view(request: HttpRequest) -> JsonResponse:
    """Evaluate answers JSON (an object or a list) with the active criteria."""
    if not request.user.is_authenticated:
        return _errors(401, "Sign in to use the API (session authentication).")
    if request.method != "POST":
        return _errors(405, "Use POST with an answers JSON body.", Allow="POST")
    try:
        body = request.body  # before the CSRF check, which may parse a form body
    except RequestDataTooBig:
        return _errors(413, "Request body too large; send fewer answers at once.")
    reason = _csrf_failure(request)
    if reason is not None:
        return _errors(
            403,
            f"CSRF check failed: {reason} Send the csrftoken cookie's value in "
            "an X-CSRFToken header.",
        )
    try:
        payload = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return _errors(400, f"Invalid JSON: {exc}")
    try:
        result = contract_evaluate(payload=payload, criteria_set=criteria_active())
    except rules.AnswersError as exc:
        return JsonResponse({"errors": exc.errors}, status=400)
    return JsonResponse(result, safe=False)
