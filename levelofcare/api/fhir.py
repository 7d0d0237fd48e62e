"""FHIR R4 API: a client's record as a Bundle, and patient-reported PHQ-9 /
GAD-7 answers coming in as a QuestionnaireResponse.

`GET /api/v1/clients/<id>/fhir` -> a Bundle (type `collection`),
`application/fhir+json`; logged as a record view.
`POST /api/v1/clients/<id>/questionnaire-responses` -> the answers land in the
client's open draft, marked patient-reported; 201 with an OperationOutcome.

Signed-in clinicians and coordinators only (criteria admins and anyone else:
403). Session authentication with CSRF, as `POST /api/v1/evaluate`: sign-in is
checked first, then Django's CSRF check, so every failure is an
OperationOutcome (401, 403, 404, 405, 400, 413), never an HTML page.
"""

from __future__ import annotations

from typing import Any, Final

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from intake.catalogue import INSTRUMENTS
from intake.models import Client
from intake.services import client_record_viewed
from levelofcare.fhir.bundle import client_bundle
from levelofcare.fhir.mapping import Issue, ResourceRefused, operation_outcome
from levelofcare.fhir.services import questionnaire_response_import
from locatr.http import request_body, signed_in_user
from locatr.params import BadJSON, json_parse

FHIR_JSON: Final = "application/fhir+json"
FHIR_EXPORT_VIEW_NAME: Final = "fhir_export"
EXPORT_PERMISSION: Final = "intake.view_client"
IMPORT_PERMISSION: Final = "intake.change_assessment"


def fhir_response(resource: dict[str, Any], status: int = 200) -> JsonResponse:
    return JsonResponse(resource, status=status, content_type=FHIR_JSON)


def outcome(status: int, code: str, message: str, **headers: str) -> JsonResponse:
    """An OperationOutcome with one error issue."""
    response = fhir_response(operation_outcome([Issue(code, message)]), status)
    for name, value in headers.items():
        response[name] = value
    return response


def _refused(
    request: HttpRequest, *, permission: str, method: str
) -> JsonResponse | None:
    if not request.user.is_authenticated:
        return outcome(401, "login", "Sign in to use the API (session authentication).")
    if not request.user.has_perm(permission):
        return outcome(
            403,
            "forbidden",
            "Only clinicians and intake coordinators can exchange client records.",
        )
    if request.method != method:
        return outcome(405, "not-supported", f"Use {method}.", Allow=method)
    return None


def _client(pk: int) -> Client | None:
    return Client.objects.filter(pk=pk).first()


@login_not_required
@csrf_exempt  # a GET: nothing to protect
@never_cache
def client_fhir_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The client's record as a FHIR R4 Bundle."""
    refused = _refused(request, permission=EXPORT_PERMISSION, method="GET")
    if refused is not None:
        return refused
    client = _client(pk)
    if client is None:
        return outcome(404, "not-found", "No client with this id.")
    bundle = client_bundle(client=client)
    client_record_viewed(
        user=signed_in_user(request), client=client, view_name=FHIR_EXPORT_VIEW_NAME
    )
    return fhir_response(bundle)


@login_not_required
@csrf_exempt  # not exempt: `_import` checks, once we know who is asking
@never_cache
def client_questionnaire_responses_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Import a PHQ-9 / GAD-7 QuestionnaireResponse into the client's draft."""
    refused = _refused(request, permission=IMPORT_PERMISSION, method="POST")
    if refused is not None:
        return refused
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    too_large = outcome(
        413, "too-costly", f"Request body too large (the limit is {limit:,} bytes)."
    )
    body = request_body(request)
    if body is None:
        return too_large
    response: HttpResponse = _import(request, body, pk)
    return response


@csrf_protect
def _import(request: HttpRequest, body: bytes, pk: int) -> JsonResponse:
    client = _client(pk)
    if client is None:
        return outcome(404, "not-found", "No client with this id.")
    try:
        payload = json_parse(body)
    except BadJSON as exc:
        return outcome(400, "structure", f"Invalid JSON: {exc}.")
    try:
        imported = questionnaire_response_import(
            client=client, user=signed_in_user(request), payload=payload
        )
    except ResourceRefused as exc:
        return fhir_response(operation_outcome(exc.issues), 400)
    draft = imported.assessment
    names = " and ".join(INSTRUMENTS[key].name for key in imported.instruments)
    issues: list[dict[str, Any]] = [
        {
            "severity": "information",
            "code": "informational",
            "diagnostics": f"{names} answers saved in draft assessment {draft.pk} "
            "as patient-reported: a coordinator reviews them before submitting.",
        }
    ]
    issues += [
        {
            "severity": "warning",
            "code": "not-supported",
            "diagnostics": f"Not imported (only PHQ-9 and GAD-7 are): {label}.",
        }
        for label in imported.ignored
    ]
    response = fhir_response({"resourceType": "OperationOutcome", "issue": issues}, 201)
    response["Location"] = draft.get_absolute_url()
    return response
