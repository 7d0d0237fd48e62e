"""`POST /api/v1/clients/<id>/questionnaire-responses`: patient-reported PHQ-9 and
GAD-7 answers into the client's open draft."""

from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from intake.models import Assessment, PatientReport
from levelofcare.fhir.bundle import client_bundle
from tests.factories import ClientFactory, answers, submit_assessment

pytestmark = pytest.mark.django_db

PHQ9_LINKS = [
    "44250-9",
    "44255-8",
    "44259-0",
    "44254-1",
    "44251-7",
    "44258-2",
    "44252-5",
    "44253-3",
    "44260-8",
]
GAD7_LINKS = [
    "69725-0",
    "68509-9",
    "69733-4",
    "69734-2",
    "69735-9",
    "69689-8",
    "69736-7",
]
ANSWER_CODES = ("LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9")
PORTAL = "https://portal.example.org"


def url(pk: int) -> str:
    return reverse("api_client_questionnaire_responses", args=[pk])


def phq9(scores: list[int] | None = None) -> dict[str, Any]:
    """A PHQ-9 as a patient portal sends it: LOINC form, LHC-Forms linkIds, LOINC
    answer codes."""
    scores = [2, 1, 0, 3, 1, 0, 2, 1, 0] if scores is None else scores
    return {
        "resourceType": "QuestionnaireResponse",
        "meta": {"source": PORTAL},
        "questionnaire": "http://loinc.org/q/44249-1",
        "status": "completed",
        "authored": "2026-03-01T08:30:00+01:00",
        "item": [
            {
                "linkId": f"/{link}",
                "answer": [
                    {
                        "valueCoding": {
                            "system": "http://loinc.org",
                            "code": ANSWER_CODES[score],
                        }
                    }
                ],
            }
            for link, score in zip(PHQ9_LINKS, scores, strict=False)
        ],
    }


def gad7(scores: list[int] | None = None) -> dict[str, Any]:
    """A GAD-7 with integer answers, inside a group for its panel."""
    scores = [1, 1, 2, 0, 0, 3, 1] if scores is None else scores
    return {
        "resourceType": "QuestionnaireResponse",
        "status": "completed",
        "authored": "2026-03-01T07:30:00Z",
        "source": {"display": "Clinic kiosk"},
        "item": [
            {
                "linkId": "69737-5",
                "item": [
                    {"linkId": link, "answer": [{"valueInteger": score}]}
                    for link, score in zip(GAD7_LINKS, scores, strict=False)
                ],
            }
        ],
    }


def post(client: HttpClient, pk: int, body: object, **extra: Any) -> Any:
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(url(pk), data, content_type="application/fhir+json", **extra)


@pytest.fixture
def patient(coordinator):
    return ClientFactory(created_by=coordinator)


@pytest.fixture
def signed_in(client, coordinator):
    client.force_login(coordinator)
    return client


# --- good ----------------------------------------------------------------------------


def test_a_phq9_lands_in_a_new_draft_marked_patient_reported(
    signed_in, patient, coordinator
) -> None:
    response = post(signed_in, patient.pk, phq9())

    assert response.status_code == 201
    assert response["Content-Type"] == "application/fhir+json"
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"][0]["severity"] == "information"
    draft = Assessment.objects.get(client=patient)
    assert draft.status == Assessment.Status.DRAFT
    assert response["Location"] == f"/assessments/{draft.pk}/edit/"
    assert draft.answers == {"phq9": [2, 1, 0, 3, 1, 0, 2, 1, 0]}
    report = PatientReport.objects.get(assessment=draft)
    assert report.instrument == "phq9"
    assert report.source == PORTAL
    assert report.authored_at == dt.datetime(2026, 3, 1, 7, 30, tzinfo=dt.UTC)
    assert report.received_by == coordinator


def test_a_gad7_joins_the_open_draft_and_keeps_its_other_answers(
    signed_in, patient, coordinator
) -> None:
    draft = Assessment.objects.create(
        client=patient,
        created_by=coordinator,
        answers={"safe_housing": True},
        partial_items={"gad7": [1, 1]},
    )

    response = post(signed_in, patient.pk, gad7())

    assert response.status_code == 201
    draft.refresh_from_db()
    assert draft.answers == {"safe_housing": True, "gad7": [1, 1, 2, 0, 0, 3, 1]}
    assert draft.partial_items == {}
    assert Assessment.objects.filter(client=patient).count() == 1
    report = PatientReport.objects.get(assessment=draft)
    assert (report.instrument, report.source) == ("gad7", "Clinic kiosk")


def test_importing_the_same_instrument_again_replaces_its_answers(
    signed_in, patient
) -> None:
    post(signed_in, patient.pk, phq9())
    post(signed_in, patient.pk, phq9([0] * 9))

    draft = Assessment.objects.get(client=patient)
    assert draft.answers["phq9"] == [0] * 9
    assert PatientReport.objects.filter(assessment=draft).count() == 1


def test_the_form_shows_the_coordinator_which_answers_are_patient_reported(
    signed_in, patient
) -> None:
    post(signed_in, patient.pk, phq9())
    draft = Assessment.objects.get(client=patient)

    page = signed_in.get(reverse("levelofcare:assessment_edit", args=[draft.pk]))

    text = page.content.decode()
    assert "Patient-reported answers" in text
    assert "PHQ-9" in text
    assert PORTAL in text
    assert "1 Mar 2026, 07:30" in text


def test_round_trip_an_exported_response_imports_with_the_same_answers(
    signed_in, coordinator
) -> None:
    original = answers(phq9=[3, 2, 1, 0, 3, 2, 1, 0, 1], gad7=[0, 1, 2, 3, 0, 1, 2])
    recommendation = submit_assessment(user=coordinator, answer_dict=original)
    exported = next(
        entry["resource"]
        for entry in client_bundle(client=recommendation.client)["entry"]
        if entry["resource"]["resourceType"] == "QuestionnaireResponse"
    )
    other = ClientFactory(created_by=coordinator)

    response = post(signed_in, other.pk, exported)

    assert response.status_code == 201
    draft = Assessment.objects.get(client=other)
    assert draft.answers == {"phq9": original["phq9"], "gad7": original["gad7"]}
    assert set(PatientReport.objects.values_list("instrument", flat=True)) == {
        "phq9",
        "gad7",
    }
    warnings = [i for i in response.json()["issue"] if i["severity"] == "warning"]
    assert any("C-SSRS" in w["diagnostics"] for w in warnings)


# --- bad -----------------------------------------------------------------------------


def _with(resource: dict[str, Any], **changes: Any) -> dict[str, Any]:
    changed = copy.deepcopy(resource)
    changed.update(changes)
    return changed


def _without(resource: dict[str, Any], key: str) -> dict[str, Any]:
    return {name: value for name, value in resource.items() if name != key}


def _gad7_item_in_phq9() -> dict[str, Any]:
    resource = phq9()
    resource["item"][0]["linkId"] = GAD7_LINKS[0]
    return resource


def _answer(resource: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
    changed = copy.deepcopy(resource)
    changed["item"][2]["answer"] = [answer]
    return changed


BAD: list[tuple[str, object, str, str]] = [
    ("not JSON", "{not json", "structure", "Invalid JSON"),
    ("deep JSON", "[" * 100_000, "structure", "nested too deeply"),
    ("a list", [phq9()], "structure", "JSON object"),
    ("wrong resourceType", {"resourceType": "Patient"}, "not-supported", "Patient"),
    ("invalid structure", _with(phq9(), item="x"), "structure", "not a valid list"),
    ("unknown element", _with(phq9(), colour="red"), "structure", "extra fields"),
    (
        "unknown code",
        _with(phq9(), item=[{"linkId": "12345-6", "answer": [{"valueInteger": 1}]}]),
        "code-invalid",
        "'12345-6' is not a question locatr knows",
    ),
    ("mismatched code", _gad7_item_in_phq9(), "code-invalid", "sits in a PHQ-9 panel"),
    (
        "out-of-range integer",
        _answer(phq9(), {"valueInteger": 4}),
        "value",
        "4 is not a score from 0 to 3",
    ),
    (
        "a boolean for a score",
        _answer(phq9(), {"valueBoolean": True}),
        "value",
        "answer with valueCoding",
    ),
    (
        "unknown answer code",
        _answer(
            phq9(), {"valueCoding": {"system": "http://loinc.org", "code": "LA1-8"}}
        ),
        "code-invalid",
        "LA1-8 is not one of its answers",
    ),
    ("partial answers", phq9([1, 2, 3, 0, 1]), "required", "items 6, 7, 8, 9"),
    (
        "in progress",
        _with(phq9(), status="in-progress"),
        "business-rule",
        "only a completed",
    ),
    ("no authored time", _without(phq9(), "authored"), "required", "authored"),
    ("a date only", _with(phq9(), authored="2026-03-01"), "value", "time zone"),
    (
        "nothing to import",
        _with(
            phq9(),
            item=[{"linkId": "safe_housing", "answer": [{"valueBoolean": True}]}],
        ),
        "required",
        "No PHQ-9 or GAD-7 answers",
    ),
]


@pytest.mark.parametrize(
    ("body", "code", "text"), [b[1:] for b in BAD], ids=[b[0] for b in BAD]
)
def test_a_bad_resource_gets_400_with_an_operation_outcome_and_changes_nothing(
    signed_in, patient, body, code, text
) -> None:
    response = post(signed_in, patient.pk, body)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/fhir+json"
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert any(
        issue["code"] == code and text in issue["diagnostics"]
        for issue in outcome["issue"]
    ), outcome
    assert not Assessment.objects.filter(client=patient).exists()
    assert not PatientReport.objects.exists()


def test_an_out_of_range_score_is_refused(signed_in, patient) -> None:
    resource = gad7()
    resource["item"][0]["item"][3]["answer"] = [{"valueInteger": 4}]

    response = post(signed_in, patient.pk, resource)

    assert response.status_code == 400
    (issue,) = response.json()["issue"]
    assert issue["code"] == "value"
    assert "4 is not a score from 0 to 3" in issue["diagnostics"]
    assert issue["expression"] == ["QuestionnaireResponse.item[0].item[3].answer"]


def test_every_problem_is_listed_at_once(signed_in, patient) -> None:
    resource = _answer(phq9([1, 2, 0]), {"valueInteger": 9})
    resource["status"] = "in-progress"

    issues = post(signed_in, patient.pk, resource).json()["issue"]

    assert {issue["code"] for issue in issues} == {"business-rule", "value", "required"}


def test_a_client_that_does_not_exist_is_404(signed_in) -> None:
    response = post(signed_in, 999_999, phq9())

    assert response.status_code == 404
    assert response.json()["issue"][0]["code"] == "not-found"


def test_csrf_is_enforced_for_session_clients(coordinator, patient) -> None:
    client = HttpClient(enforce_csrf_checks=True)
    client.force_login(coordinator)

    refused = post(client, patient.pk, phq9())
    token = "a" * 32  # a valid CSRF secret: cookie and header must match
    client.cookies["csrftoken"] = token
    accepted = post(client, patient.pk, phq9(), HTTP_X_CSRFTOKEN=token)

    assert refused.status_code == 403
    assert refused.json()["resourceType"] == "OperationOutcome"
    assert "CSRF" in refused.json()["issue"][0]["diagnostics"]
    assert accepted.status_code == 201


@pytest.mark.parametrize(
    ("persona", "status"),
    [("anonymous", 401), ("criteria_admin", 403), ("no_role_user", 403)],
)
def test_only_clinicians_and_coordinators_may_import(
    client, request, patient, persona, status
) -> None:
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))

    response = post(client, patient.pk, phq9())

    assert response.status_code == status
    assert response.json()["resourceType"] == "OperationOutcome"
    assert not Assessment.objects.exists()


def test_a_clinician_may_import_and_get_is_405(client, clinician, patient) -> None:
    client.force_login(clinician)

    assert post(client, patient.pk, phq9()).status_code == 201
    response = client.get(url(patient.pk))
    assert response.status_code == 405
    assert response["Allow"] == "POST"


def test_a_body_over_the_upload_limit_gets_413(signed_in, patient, settings) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = post(signed_in, patient.pk, _with(phq9(), padding="x" * 2000))

    assert response.status_code == 413
    assert response.json()["issue"][0]["code"] == "too-costly"
