"""JSON API: `POST /api/v1/evaluate`, the evaluation contract for signed-in users.

Session authentication with CSRF protection: a browser client sends the
`csrftoken` cookie's value in an `X-CSRFToken` header. The view checks sign-in
first and then runs Django's own CSRF check (`csrf_protect`), so every failure
is a JSON answer (401 signed out, 403 CSRF) rather than an HTML page or a
redirect to the login form: `CSRF_FAILURE_VIEW` points at `csrf_failure` below,
which answers JSON for the API and Django's usual page everywhere else.
"""

from __future__ import annotations

from typing import Final

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import csrf
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from levelofcare import rules
from levelofcare.criteria.selectors import criteria_active
from levelofcare.recommendations.selectors import contract_evaluate
from locatr.http import request_body
from locatr.params import BadJSON, json_parse

API_PREFIX = "/api/"
# The FHIR endpoints answer FHIR: an OperationOutcome (levelofcare.api.fhir).
FHIR_PREFIX = "/api/v1/clients/"
# Answer sets per request: enough for any clinic's batch, small enough that one
# request cannot hold a worker for seconds (800,000 took 12 s and 1.25 GB).
MAX_ANSWER_SETS: Final = 1000


def _errors(status: int, message: str, **headers: str) -> JsonResponse:
    response = JsonResponse({"errors": {"__all__": [message]}}, status=status)
    for name, value in headers.items():
        response[name] = value
    return response


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """`settings.CSRF_FAILURE_VIEW`: a JSON 403 for the API, Django's page else."""
    if request.path.startswith(FHIR_PREFIX):
        return JsonResponse(
            {
                "resourceType": "OperationOutcome",
                "issue": [
                    {
                        "severity": "error",
                        "code": "security",
                        "diagnostics": f"CSRF check failed: {reason} Send the "
                        "csrftoken cookie's value in an X-CSRFToken header.",
                    }
                ],
            },
            status=403,
            content_type="application/fhir+json",
        )
    if request.path.startswith(API_PREFIX):
        return _errors(
            403,
            f"CSRF check failed: {reason} Send the csrftoken cookie's value in "
            "an X-CSRFToken header.",
        )
    return csrf.csrf_failure(request, reason=reason)


@login_not_required
@csrf_exempt  # not exempt: `_evaluate` checks, once we know who is asking
@never_cache
def evaluate_view(request: HttpRequest) -> HttpResponse:
    """Evaluate answers JSON (an object or a list) with the active criteria."""
    if not request.user.is_authenticated:
        return _errors(401, "Sign in to use the API (session authentication).")
    if request.method != "POST":
        return _errors(405, "Use POST with an answers JSON body.", Allow="POST")
    body = request_body(request)
    if body is None:
        return _too_large()
    response: HttpResponse = _evaluate(request, body)
    return response


def _too_large() -> JsonResponse:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return _errors(
        413,
        f"Request body too large (the limit is {limit:,} bytes); send at most "
        f"{MAX_ANSWER_SETS:,} answer sets at once.",
    )


@csrf_protect
def _evaluate(request: HttpRequest, body: bytes) -> JsonResponse:
    try:
        payload = json_parse(body)
    except BadJSON as exc:
        return _errors(400, f"Invalid JSON: {exc}.")
    if isinstance(payload, list) and len(payload) > MAX_ANSWER_SETS:
        return _errors(
            413,
            f"Too many answer sets: {len(payload):,} in one request; send at most "
            f"{MAX_ANSWER_SETS:,} at once.",
        )
    try:
        result = contract_evaluate(payload=payload, criteria_set=criteria_active())
    except rules.AnswersError as exc:
        return JsonResponse({"errors": exc.errors}, status=400)
    return JsonResponse(result, safe=False)
