"""FHIR R4 export: `GET /api/v1/clients/<id>/fhir` and `manage.py export_fhir`."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from intake.models import RecordView
from levelofcare.fhir.bundle import RESOURCE_TYPES, client_bundle
from levelofcare.fhir.resources import validated
from levelofcare.models import Decision
from levelofcare.recommendations.services import decision_record
from tests.factories import ClientFactory, ProgramFactory, answers, submit_assessment
from tests.levelofcare.fhir_helpers import at, full_record
from tests.levelofcare.test_programs import IOP_WORKING

pytestmark = pytest.mark.django_db


def url(pk: int) -> str:
    return reverse("api_client_fhir", args=[pk])


def resources_of(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    return [entry["resource"] for entry in bundle["entry"]]


# --- every resource validates ---------------------------------------------------------


def test_every_exported_resource_validates_with_fhir_resources(
    coordinator, clinician
) -> None:
    record = full_record(coordinator=coordinator, clinician=clinician)
    bundle = client_bundle(client=record["client"])

    validated(bundle)
    kinds = [r["resourceType"] for r in resources_of(bundle)]
    for resource in resources_of(bundle):
        validated(resource)
    assert set(kinds) == set(RESOURCE_TYPES)
    assert kinds.count("QuestionnaireResponse") == 3
    assert kinds.count("ServiceRequest") == kinds.count("Provenance") == 3


def test_service_request_status_follows_the_placement_and_corrections(
    coordinator, clinician
) -> None:
    record = full_record(coordinator=coordinator, clinician=clinician)
    first, second, correction = record["decisions"]
    requests = {
        r["id"]: r
        for r in resources_of(client_bundle(client=record["client"]))
        if r["resourceType"] == "ServiceRequest"
    }

    assert requests[str(first.pk)]["status"] == "completed"  # its placement ended
    assert requests[str(second.pk)]["status"] == "revoked"  # corrected
    assert requests[str(correction.pk)]["status"] == "active"  # placement open
    assert requests[str(correction.pk)]["replaces"] == [
        {"reference": f"ServiceRequest/{second.pk}"}
    ]


def test_a_review_that_keeps_the_level_follows_the_open_placement(
    coordinator, clinician
) -> None:
    from levelofcare.models import Placement, ProgressReviewAssessment

    patient = ClientFactory(created_by=coordinator)
    first = submit_assessment(user=coordinator, client=patient)
    decision_record(recommendation=first, user=clinician, level="outpatient")
    placement = Placement.objects.get(client=patient)
    review = placement.reviews.get()
    again = submit_assessment(user=coordinator, client=patient)
    ProgressReviewAssessment.objects.create(
        progress_review=review, assessment=again.assessment
    )
    kept = decision_record(recommendation=again, user=clinician, level="outpatient")
    assert not Placement.objects.filter(decision=kept).exists()

    requests = {
        r["id"]: r["status"]
        for r in resources_of(client_bundle(client=patient))
        if r["resourceType"] == "ServiceRequest"
    }

    assert requests[str(kept.pk)] == "active"


def test_a_voided_assessment_is_exported_as_entered_in_error(
    coordinator, clinician
) -> None:
    from levelofcare.recommendations.services import assessment_void

    recommendation = submit_assessment(user=coordinator)
    assessment_void(
        assessment=recommendation.assessment, user=coordinator, reason="Wrong client"
    )
    statuses = {
        r["resourceType"]: r["status"]
        for r in resources_of(client_bundle(client=recommendation.client))
        if r["resourceType"] != "Patient"
    }

    assert set(statuses.values()) == {"entered-in-error"}


# --- the demo client, field by field --------------------------------------------------


PHQ9_ANSWERS = {"0": ("LA6568-5", "Not at all"), "1": ("LA6569-3", "Several days")}


def _item(link_id: str, text: str, answer: dict[str, Any]) -> dict[str, Any]:
    return {"linkId": link_id, "text": text, "answer": [answer]}


def _frequency(link_id: str, text: str, score: int) -> dict[str, Any]:
    code, display = PHQ9_ANSWERS[str(score)]
    coding = {"system": "http://loinc.org", "code": code, "display": display}
    return _item(link_id, text, {"valueCoding": coding})


def test_the_demo_clients_bundle_field_by_field(
    coordinator, clinician, settings
) -> None:
    settings.FHIR_IDENTIFIER_SYSTEM = "urn:oid:2.16.840.1.113883.19.5"
    coordinator.first_name, coordinator.last_name = "Casey", "Coordinator"
    coordinator.save()
    clinician.first_name, clinician.last_name = "Robin", "Clinician"
    clinician.save()
    patient = ClientFactory(
        reference="DEMO-0001",
        given_name="Ada",
        family_name="Lovelace",
        date_of_birth=dt.date(1990, 5, 17),
        created_by=coordinator,
    )
    with at(0):
        recommendation = submit_assessment(
            user=coordinator, client=patient, answer_dict=answers()
        )
    with at(2):
        decision = decision_record(
            recommendation=recommendation,
            user=clinician,
            level="outpatient",
            program="Eastside Clinic",
        )
    with at(3):
        bundle = client_bundle(client=patient)
    a, p, r, d = (
        recommendation.assessment_id,
        patient.pk,
        recommendation.pk,
        decision.pk,
    )
    subject = {"reference": f"Patient/{p}"}
    casey = {
        "type": "Practitioner",
        "identifier": {"system": "urn:locatr:user", "value": coordinator.username},
        "display": "Casey Coordinator",
    }
    robin = {
        "type": "Practitioner",
        "identifier": {"system": "urn:locatr:user", "value": clinician.username},
        "display": "Robin Clinician",
    }
    no = {"valueBoolean": False}
    yes = {"valueBoolean": True}
    not_applicable = {
        "valueCoding": {
            "system": "urn:locatr:answer",
            "code": "not-applicable",
            "display": "Does not apply",
        }
    }
    survey = [
        {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                    "code": "survey",
                    "display": "Survey",
                }
            ]
        }
    ]
    expected = {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": "2026-03-02T12:00:00+00:00",
        "entry": [
            {
                "resource": {
                    "resourceType": "Patient",
                    "id": str(p),
                    "identifier": [
                        {
                            "system": "urn:oid:2.16.840.1.113883.19.5",
                            "value": "DEMO-0001",
                        }
                    ],
                    "name": [{"family": "Lovelace", "given": ["Ada"]}],
                    "birthDate": "1990-05-17",
                }
            },
            {
                "resource": {
                    "resourceType": "QuestionnaireResponse",
                    "id": str(a),
                    "identifier": {"system": "urn:locatr:assessment", "value": str(a)},
                    "questionnaire": "urn:locatr:questionnaire:assessment",
                    "status": "completed",
                    "subject": subject,
                    "authored": "2026-03-02T09:00:00+00:00",
                    "author": casey,
                    "item": [
                        {
                            "linkId": "cssrs",
                            "text": "C-SSRS screener",
                            "item": [
                                _item(
                                    "cssrs.wish_dead",
                                    "1. Have you wished you were dead or wished you "
                                    "could go to sleep and not wake up?",
                                    no,
                                ),
                                _item(
                                    "cssrs.suicidal_thoughts",
                                    "2. Have you actually had any thoughts of killing "
                                    "yourself?",
                                    no,
                                ),
                                _item(
                                    "cssrs.behavior_ever",
                                    "6. Have you ever done anything, started to do "
                                    "anything, or prepared to do anything to end your "
                                    "life?",
                                    no,
                                ),
                            ],
                        },
                        _item(
                            "harm_to_others",
                            "Risk of harming others",
                            {
                                "valueCoding": {
                                    "system": "urn:locatr:answer",
                                    "code": "none",
                                    "display": "None",
                                }
                            },
                        ),
                        {
                            "linkId": "44249-1",
                            "text": "PHQ-9 (depression)",
                            "item": [
                                _frequency(
                                    "44250-9",
                                    "Little interest or pleasure in doing things",
                                    1,
                                ),
                                _frequency(
                                    "44255-8", "Feeling down, depressed, or hopeless", 1
                                ),
                                _frequency(
                                    "44259-0",
                                    "Trouble falling or staying asleep, or sleeping "
                                    "too much",
                                    0,
                                ),
                                _frequency(
                                    "44254-1",
                                    "Feeling tired or having little energy",
                                    1,
                                ),
                                _frequency("44251-7", "Poor appetite or overeating", 0),
                                _frequency(
                                    "44258-2",
                                    "Feeling bad about yourself, or that you are a "
                                    "failure or have let yourself or your family down",
                                    0,
                                ),
                                _frequency(
                                    "44252-5",
                                    "Trouble concentrating on things, such as reading "
                                    "the newspaper or watching television",
                                    1,
                                ),
                                _frequency(
                                    "44253-3",
                                    "Moving or speaking so slowly that other people "
                                    "could have noticed, or the opposite: being so "
                                    "fidgety or restless that you have been moving "
                                    "around a lot more than usual",
                                    0,
                                ),
                                _frequency(
                                    "44260-8",
                                    "Thoughts that you would be better off dead, or of "
                                    "hurting yourself in some way",
                                    0,
                                ),
                            ],
                        },
                        {
                            "linkId": "69737-5",
                            "text": "GAD-7 (anxiety)",
                            "item": [
                                _frequency(
                                    "69725-0", "Feeling nervous, anxious, or on edge", 1
                                ),
                                _frequency(
                                    "68509-9",
                                    "Not being able to stop or control worrying",
                                    0,
                                ),
                                _frequency(
                                    "69733-4",
                                    "Worrying too much about different things",
                                    1,
                                ),
                                _frequency("69734-2", "Trouble relaxing", 0),
                                _frequency(
                                    "69735-9",
                                    "Being so restless that it is hard to sit still",
                                    0,
                                ),
                                _frequency(
                                    "69689-8", "Becoming easily annoyed or irritable", 1
                                ),
                                _frequency(
                                    "69736-7",
                                    "Feeling afraid, as if something awful might "
                                    "happen",
                                    0,
                                ),
                            ],
                        },
                        _item(
                            "impaired_judgement",
                            "Impaired judgement: acute psychosis, mania or severe "
                            "disorganisation?",
                            no,
                        ),
                        _item(
                            "can_care_for_self",
                            "Can the person care for themselves (eat, wash, take "
                            "medication)?",
                            yes,
                        ),
                        _item(
                            "safe_housing", "Does the person have safe housing?", yes
                        ),
                        _item(
                            "support_at_home",
                            "Is there support at home (family, partner, friends)?",
                            yes,
                        ),
                        _item(
                            "needs_medical_detox",
                            "Does the person need medical detox?",
                            no,
                        ),
                        _item(
                            "needs_24h_medical_monitoring",
                            "Does the person need 24-hour medical monitoring?",
                            no,
                        ),
                        _item(
                            "work_or_school_commitment",
                            "Work, school or caregiving commitments?",
                            no,
                        ),
                        _item(
                            "can_attend_3_days_week",
                            "Can the person attend treatment 3 or more days a week?",
                            yes,
                        ),
                        _item(
                            "discharged_inpatient_days_ago",
                            "Days since discharge",
                            not_applicable,
                        ),
                        _item(
                            "weeks_weekly_therapy_without_improvement",
                            "Weeks of weekly therapy without improvement",
                            not_applicable,
                        ),
                    ],
                }
            },
            {
                "resource": {
                    "resourceType": "Observation",
                    "id": f"{a}-phq9-total",
                    "status": "final",
                    "category": survey,
                    "code": {
                        "coding": [
                            {
                                "system": "http://loinc.org",
                                "code": "44261-6",
                                "display": "Patient Health Questionnaire 9 item "
                                "(PHQ-9) total score",
                            }
                        ],
                        "text": "PHQ-9 total score",
                    },
                    "subject": subject,
                    "effectiveDateTime": "2026-03-02T09:00:00+00:00",
                    "valueInteger": 4,
                    "interpretation": [
                        {
                            "coding": [
                                {
                                    "system": "urn:locatr:band",
                                    "code": "minimal",
                                    "display": "minimal",
                                }
                            ],
                            "text": "PHQ-9 minimal",
                        }
                    ],
                    "derivedFrom": [{"reference": f"QuestionnaireResponse/{a}"}],
                }
            },
            {
                "resource": {
                    "resourceType": "Observation",
                    "id": f"{a}-gad7-total",
                    "status": "final",
                    "category": survey,
                    "code": {
                        "coding": [
                            {
                                "system": "http://loinc.org",
                                "code": "70274-6",
                                "display": "Generalized anxiety disorder 7 item "
                                "(GAD-7) total score",
                            }
                        ],
                        "text": "GAD-7 total score",
                    },
                    "subject": subject,
                    "effectiveDateTime": "2026-03-02T09:00:00+00:00",
                    "valueInteger": 3,
                    "interpretation": [
                        {
                            "coding": [
                                {
                                    "system": "urn:locatr:band",
                                    "code": "minimal",
                                    "display": "minimal",
                                }
                            ],
                            "text": "GAD-7 minimal",
                        }
                    ],
                    "derivedFrom": [{"reference": f"QuestionnaireResponse/{a}"}],
                }
            },
            {
                "resource": {
                    "resourceType": "RiskAssessment",
                    "id": f"{a}-suicide-risk",
                    "status": "final",
                    "method": {
                        "coding": [
                            {
                                "system": "urn:locatr:question",
                                "code": "cssrs",
                                "display": "C-SSRS screener (risk of self-harm)",
                            }
                        ],
                        "text": "C-SSRS screener (risk of self-harm)",
                    },
                    "code": {"text": "Suicide risk"},
                    "subject": subject,
                    "occurrenceDateTime": "2026-03-02T09:00:00+00:00",
                    "basis": [{"reference": f"QuestionnaireResponse/{a}"}],
                    "prediction": [
                        {
                            "outcome": {"text": "Suicidal behaviour"},
                            "qualitativeRisk": {
                                "coding": [
                                    {
                                        "system": "http://terminology.hl7.org/"
                                        "CodeSystem/risk-probability",
                                        "code": "negligible",
                                        "display": "Negligible likelihood",
                                    }
                                ],
                                "text": "No suicide risk found on the C-SSRS screener",
                            },
                        }
                    ],
                }
            },
            {
                "resource": {
                    "resourceType": "GuidanceResponse",
                    "id": str(r),
                    "identifier": [
                        {"system": "urn:locatr:recommendation", "value": str(r)}
                    ],
                    "requestIdentifier": {
                        "system": "urn:locatr:assessment",
                        "value": str(a),
                    },
                    "moduleUri": "urn:locatr:criteria:1",
                    "status": "success",
                    "subject": subject,
                    "occurrenceDateTime": "2026-03-02T09:00:00+00:00",
                    "note": [
                        {"text": "Recommended level: Outpatient (criteria version 1)."},
                        {
                            "text": "Reason OUTPATIENT_NO_HIGHER_CRITERIA: No "
                            "inpatient or IOP criterion applies: outpatient care "
                            "(mild symptoms or maintenance)."
                        },
                    ],
                    "reasonCode": [
                        {
                            "coding": [
                                {
                                    "system": "urn:locatr:rule",
                                    "code": "OUTPATIENT_NO_HIGHER_CRITERIA",
                                }
                            ],
                            "text": "No inpatient or IOP criterion applies: outpatient "
                            "care (mild symptoms or maintenance).",
                        }
                    ],
                }
            },
            {
                "resource": {
                    "resourceType": "ServiceRequest",
                    "id": str(d),
                    "identifier": [{"system": "urn:locatr:decision", "value": str(d)}],
                    "status": "active",
                    "intent": "order",
                    "category": [{"text": "Mental health level of care"}],
                    "code": {
                        "coding": [
                            {
                                "system": "urn:locatr:level",
                                "code": "outpatient",
                                "display": "Outpatient",
                            }
                        ],
                        "text": "Outpatient",
                    },
                    "subject": subject,
                    "authoredOn": "2026-03-02T11:00:00+00:00",
                    "requester": robin,
                    "supportingInfo": [{"reference": f"GuidanceResponse/{r}"}],
                    "occurrencePeriod": {"start": "2026-03-02T11:00:00+00:00"},
                    "performer": [
                        {"type": "HealthcareService", "display": "Eastside Clinic"}
                    ],
                }
            },
            {
                "resource": {
                    "resourceType": "Provenance",
                    "id": str(d),
                    "target": [{"reference": f"ServiceRequest/{d}"}],
                    "recorded": "2026-03-02T11:00:00+00:00",
                    "agent": [
                        {
                            "type": {
                                "coding": [
                                    {
                                        "system": "http://terminology.hl7.org/"
                                        "CodeSystem/provenance-participant-type",
                                        "code": "author",
                                        "display": "Author",
                                    }
                                ]
                            },
                            "who": robin,
                        }
                    ],
                }
            },
        ],
    }

    got = bundle["entry"]
    want = expected["entry"]
    assert [e["resource"]["resourceType"] for e in got] == [
        e["resource"]["resourceType"] for e in want
    ]
    for mine, theirs in zip(got, want, strict=True):
        resource, hand = mine["resource"], theirs["resource"]
        assert sorted(resource) == sorted(hand), resource["resourceType"]
        for name in hand:
            assert resource[name] == hand[name], (resource["resourceType"], name)
    assert bundle == expected
    validated(bundle)


# --- access, audit, queries -----------------------------------------------------------


@pytest.mark.parametrize("persona", ["coordinator", "clinician"])
def test_clinicians_and_coordinators_get_the_bundle_as_fhir_json(
    client, request, persona
) -> None:
    user = request.getfixturevalue(persona)
    recommendation = submit_assessment(user=user)
    client.force_login(user)

    response = client.get(url(recommendation.client_id))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json"
    body = response.json()
    assert body["resourceType"] == "Bundle"
    assert body["type"] == "collection"
    assert body == {
        **client_bundle(client=recommendation.client),
        "timestamp": body["timestamp"],
    }


@pytest.mark.parametrize(
    ("persona", "status", "code"),
    [
        ("anonymous", 401, "login"),
        ("criteria_admin", 403, "forbidden"),
        ("no_role_user", 403, "forbidden"),
    ],
)
def test_others_are_refused_with_an_operation_outcome(
    client, request, coordinator, persona, status, code
) -> None:
    recommendation = submit_assessment(user=coordinator)
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))

    response = client.get(url(recommendation.client_id))

    assert response.status_code == status
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"][0]["code"] == code
    assert recommendation.client.family_name not in response.content.decode()
    assert not RecordView.objects.filter(view_name="fhir_export").exists()


def test_an_unknown_client_is_404_and_post_is_405(client, coordinator) -> None:
    client.force_login(coordinator)

    assert client.get(url(999999)).status_code == 404
    response = client.post(url(999999))
    assert response.status_code == 405
    assert response["Allow"] == "GET"


def test_each_export_is_logged_as_a_record_view(client, clinician) -> None:
    recommendation = submit_assessment(user=clinician)
    client.force_login(clinician)

    client.get(url(recommendation.client_id))
    client.get(url(recommendation.client_id))

    views = RecordView.objects.filter(
        user=clinician, client=recommendation.client, view_name="fhir_export"
    )
    assert views.count() == 2


@pytest.mark.parametrize("assessments", [1, 10])
def test_the_export_takes_the_same_queries_for_1_or_10_assessments(
    client, coordinator, clinician, django_assert_max_num_queries, assessments
) -> None:
    patient = ClientFactory(created_by=coordinator)
    for _ in range(assessments):
        recommendation = submit_assessment(user=coordinator, client=patient)
        decision_record(
            recommendation=recommendation, user=clinician, level="outpatient"
        )
    client.force_login(clinician)

    with django_assert_max_num_queries(12):
        response = client.get(url(patient.pk))

    assert len(response.json()["entry"]) == 1 + 7 * assessments


# --- the command ----------------------------------------------------------------------


def test_the_command_prints_the_same_bundle(coordinator, clinician) -> None:
    recommendation = submit_assessment(user=coordinator)
    out = io.StringIO()

    with at(5):
        call_command("export_fhir", recommendation.client.reference, stdout=out)
        expected = client_bundle(client=recommendation.client)

    assert json.loads(out.getvalue()) == expected
    assert not RecordView.objects.exists()


def test_the_command_logs_a_record_view_for_the_user_named(
    coordinator, clinician
) -> None:
    recommendation = submit_assessment(user=coordinator)

    call_command(
        "export_fhir",
        recommendation.client.reference,
        "--user",
        clinician.username,
        stdout=io.StringIO(),
    )

    assert RecordView.objects.filter(
        user=clinician, view_name="fhir_export_command"
    ).exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["NO-SUCH-REF"], "No client with that reference"),
        ([], "Give a client reference"),
        (["--all"], "--all needs --ndjson DIR"),
        (["--all", "--ndjson", "/no/such/dir"], "is not a directory"),
        (["X-1", "--all", "--ndjson", "."], "not both"),
    ],
)
def test_the_command_exits_2_with_a_clear_message(args, message) -> None:
    with pytest.raises(CommandError, match=message) as error:
        call_command("export_fhir", *args, stdout=io.StringIO())

    assert error.value.returncode == 2


def test_the_command_refuses_a_user_without_a_clinical_role(
    coordinator, criteria_admin
) -> None:
    recommendation = submit_assessment(user=coordinator)

    with pytest.raises(CommandError, match="not an active clinician") as error:
        call_command(
            "export_fhir",
            recommendation.client.reference,
            "--user",
            criteria_admin.username,
            stdout=io.StringIO(),
        )

    assert error.value.returncode == 2


# --- referrals into the program directory --------------------------------------------


def _service_requests(client: Any) -> list[dict[str, Any]]:
    return [
        r
        for r in resources_of(client_bundle(client=client))
        if r["resourceType"] == "ServiceRequest"
    ]


def test_a_referral_names_the_directory_program_as_performer(
    coordinator, clinician
) -> None:

    evening = ProgramFactory(name="Evening IOP", hours="evening", open_places=3)
    rec = submit_assessment(user=coordinator, answer_dict=IOP_WORKING)
    decision = decision_record(
        recommendation=rec, user=clinician, level="iop", referred_program=evening
    )

    (request,) = _service_requests(rec.client)
    validated(request)
    assert request["id"] == str(decision.pk)
    assert request["performer"] == [
        {
            "type": "HealthcareService",
            "identifier": {"system": "urn:locatr:program", "value": str(evening.pk)},
            "display": "Evening IOP",
        }
    ]
    assert "note" not in request


def test_a_service_gap_is_a_note_on_the_service_request(coordinator, clinician) -> None:

    full = ProgramFactory(name="Evening IOP", hours="evening", open_places=0)
    rec = submit_assessment(user=coordinator, answer_dict=IOP_WORKING)
    decision_record(
        recommendation=rec,
        user=clinician,
        level="iop",
        referred_program=full,
        service_gap=Decision.ServiceGap.FULL,
        placed_level="outpatient",
    )

    (request,) = _service_requests(rec.client)
    validated(request)
    assert request["code"]["coding"][0]["code"] == "iop"  # the level decided
    assert request["status"] == "active"  # the placement (at outpatient) is open
    (note,) = request["note"]
    assert note["text"].startswith("Service gap: ")
    assert note["text"].endswith("Placed at Outpatient meanwhile.")
