"""FHIR R4 resources built from locatr's rows, as plain JSON-ready dicts.

Plain dicts, not `fhir.resources` models: the bulk export writes hundreds of
thousands of them and pydantic (v1) validation costs 3-10 ms each. The tests
validate every kind with `fhir.resources` (`validated()`), and so does the bulk
export with `--validate`.

Ids are the rows' primary keys (`Patient/12`, `QuestionnaireResponse/40`);
references are relative (`Patient/12`), as in FHIR Bulk Data files.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from functools import lru_cache
from typing import Any, Final

import orjson
from django.conf import settings
from fhir.resources import construct_fhir_element

from intake import catalogue
from intake.catalogue import (
    INSTRUMENTS,
    LOCATR_QUESTION_SYSTEM,
    LOINC,
    QUESTIONS,
    Code,
    Question,
    band_of,
    codes_of,
)
from levelofcare.fhir.mapping import LOCATR_ANSWER_SYSTEM, NOT_APPLICABLE
from levelofcare.fhir.rows import (
    AssessmentRow,
    DecisionRow,
    PatientRow,
    Person,
    ProgramRow,
    RecommendationRow,
)
from levelofcare.models import LevelChoices
from levelofcare.rules import INSUFFICIENT_LABEL

Resource = dict[str, Any]

ASSESSMENT_SYSTEM: Final = "urn:locatr:assessment"
RECOMMENDATION_SYSTEM: Final = "urn:locatr:recommendation"
DECISION_SYSTEM: Final = "urn:locatr:decision"
PROGRAM_SYSTEM: Final = "urn:locatr:program"
USER_SYSTEM: Final = "urn:locatr:user"
RULE_SYSTEM: Final = "urn:locatr:rule"
LEVEL_SYSTEM: Final = "urn:locatr:level"
BAND_SYSTEM: Final = "urn:locatr:band"
QUESTIONNAIRE: Final = "urn:locatr:questionnaire:assessment"
OBSERVATION_CATEGORY: Final = (
    "http://terminology.hl7.org/CodeSystem/observation-category"
)
LEVEL_LABELS: Final[dict[str, str]] = dict(LevelChoices.choices)
RISK_PROBABILITY: Final = "http://terminology.hl7.org/CodeSystem/risk-probability"
PARTICIPANT_TYPE: Final = (
    "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
)
# C-SSRS screener risk -> FHIR risk-probability (qualitative risk), and its text.
RISK_CODES: Final = {
    "high": ("high", "High likelihood", "High suicide risk"),
    "moderate": ("moderate", "Moderate likelihood", "Moderate suicide risk"),
    "low": ("low", "Low likelihood", "Low suicide risk"),
    "none": ("negligible", "Negligible likelihood", "No suicide risk found"),
}


# --- small pieces ---------------------------------------------------------------


def _when(value: datetime) -> str:
    return value.isoformat()


def _coding(code: Code) -> dict[str, str]:
    return {"system": code.system, "code": code.code, "display": code.display}


def _patient_ref(client_id: int) -> dict[str, str]:
    return {"reference": f"Patient/{client_id}"}


@lru_cache(maxsize=1024)
def _practitioner(person: Person | None) -> dict[str, Any]:
    """A clinician or coordinator: locatr keeps no Practitioner resources, so the
    reference carries their username as an identifier and their name. Made once
    per person and shared (never changed)."""
    if person is None:
        return {"display": "locatr"}
    return {
        "type": "Practitioner",
        "identifier": {"system": USER_SYSTEM, "value": person.username},
        "display": person.full_name or person.username,
    }


# --- Patient --------------------------------------------------------------------


def patient(client: PatientRow) -> Resource:
    return {
        "resourceType": "Patient",
        "id": str(client.pk),
        "identifier": [
            {"system": settings.FHIR_IDENTIFIER_SYSTEM, "value": client.reference}
        ],
        "name": [{"family": client.family_name, "given": [client.given_name]}],
        "birthDate": client.date_of_birth.isoformat(),
    }


# --- an assessment: QuestionnaireResponse, Observations, RiskAssessment -----------


def assessment_resources(assessment: AssessmentRow) -> Iterator[Resource]:
    """A submitted assessment's resources: its QuestionnaireResponse, one
    Observation per instrument total, the suicide RiskAssessment (when the
    C-SSRS screener was answered) and the GuidanceResponse of its
    recommendation. A voided assessment's resources say `entered-in-error`."""
    yield questionnaire_response(assessment)
    for key in INSTRUMENTS:
        if isinstance(assessment.answers.get(key), list):
            yield total_observation(assessment, key)
    recommendation = assessment.recommendation
    if recommendation is None:
        return
    if recommendation.scores.get("cssrs_risk"):
        yield risk_assessment(assessment, recommendation)
    yield guidance_response(assessment, recommendation)


def _voided(assessment: AssessmentRow) -> bool:
    return assessment.voided


def _qr_ref(assessment: AssessmentRow) -> dict[str, str]:
    return {"reference": f"QuestionnaireResponse/{assessment.pk}"}


def _authored(assessment: AssessmentRow) -> str:
    return _when(assessment.authored)


def questionnaire_response(assessment: AssessmentRow) -> Resource:
    """One item per answered question, its linkId coded from the catalogue;
    instruments and the C-SSRS screener are groups of their items/parts."""
    return {
        "resourceType": "QuestionnaireResponse",
        "id": str(assessment.pk),
        "identifier": {"system": ASSESSMENT_SYSTEM, "value": str(assessment.pk)},
        "questionnaire": QUESTIONNAIRE,
        "status": "entered-in-error" if _voided(assessment) else "completed",
        "subject": _patient_ref(assessment.client_id),
        "authored": _authored(assessment),
        "author": _practitioner(assessment.submitted_by),
        "item": [
            item
            for q in QUESTIONS
            if q.key in assessment.answers
            for item in [_item(q, assessment.answers[q.key])]
            if item is not None
        ],
    }


def _item(q: Question, value: Any) -> Resource | None:
    """The item answering `q`. Answers come from tables built once from the
    catalogue (`_ANSWERED`): the bulk export builds millions of items."""
    if q.kind == catalogue.SCREENER:
        if not isinstance(value, dict):
            return None
        parts = [
            _ANSWERED[part.path][bool(value[part.key])]
            for part in q.parts
            if part.key in value
        ]
        if not parts:
            return None
        return {"linkId": q.path, "text": q.label, "item": parts}
    if q.kind == catalogue.ITEMS:
        link_id, text, items = _INSTRUMENT_ITEMS[q.path]
        return {
            "linkId": link_id,
            "text": text,
            "item": [items[n][score] for n, score in enumerate(value)],
        }
    if value is None or q.kind in (catalogue.YES_NO, catalogue.CHOICE):
        # yes/no: True/False; a choice: its value; a count: None ("does not apply")
        answered = _ANSWERED[q.path].get(
            bool(value) if q.kind == catalogue.YES_NO else value
        )
        if answered is not None:
            return answered
        return _answer_item(q, {"valueCoding": _choice_coding(q, value)})
    return _answer_item(q, {"valueInteger": int(value)})


def _choice_coding(q: Question, value: Any) -> dict[str, str]:
    display = dict(q.choices).get(value, str(value))
    return {"system": LOCATR_ANSWER_SYSTEM, "code": str(value), "display": display}


def _answer_item(q: Question, answer: dict[str, Any]) -> Resource:
    return {
        "linkId": _link_id(codes_of(q.path), q.path),
        "text": q.label,
        "answer": [answer],
    }


def _link_id(codes: tuple[Code, ...], path: str) -> str:
    """R4 QuestionnaireResponse items have no `code`: the linkId carries it, as
    in LOINC's forms. A LOINC code where the catalogue has one, else locatr's
    path (the code in `urn:locatr:question`)."""
    loinc = next((c.code for c in codes if c.system == LOINC), None)
    return loinc or path


def _answered_tables() -> dict[str, dict[Any, Resource]]:
    """Every fixed answer's item: yes/no (True/False), a choice (its value), a
    count's "does not apply" (None)."""
    tables: dict[str, dict[Any, Resource]] = {}
    for top in QUESTIONS:
        for q in (top, *top.parts):
            if q.kind == catalogue.YES_NO:
                tables[q.path] = {
                    flag: _answer_item(q, {"valueBoolean": flag})
                    for flag in (True, False)
                }
            elif q.kind == catalogue.CHOICE:
                tables[q.path] = {
                    value: _answer_item(q, {"valueCoding": _choice_coding(q, value)})
                    for value, _ in q.choices
                }
            elif q.kind == catalogue.COUNT_OR_NONE:
                not_applicable = {"valueCoding": _coding(NOT_APPLICABLE)}
                tables[q.path] = {None: _answer_item(q, not_applicable)}
    return tables


def _instrument_tables() -> dict[str, tuple[str, str, list[list[Resource]]]]:
    """Per instrument: its group's linkId and text, and each item's answered
    item per score (items[n][score])."""
    tables = {}
    for key, instrument in INSTRUMENTS.items():
        items = [
            [
                {
                    "linkId": _link_id(codes_of(key, n), f"{key}.{n}"),
                    "text": instrument.items[n - 1].label,
                    "answer": [{"valueCoding": _coding(answer)}],
                }
                for answer in instrument.answer_codes
            ]
            for n in range(1, len(instrument.items) + 1)
        ]
        link_id = _link_id(instrument.panel_codes, key)
        tables[key] = (link_id, instrument.title, items)
    return tables


# Shared, never changed: the same dict stands for the same answer everywhere.
_ANSWERED: Final = _answered_tables()
_INSTRUMENT_ITEMS: Final = _instrument_tables()


def encode(resource: Resource) -> bytes:
    """`resource` as compact JSON in UTF-8 (one NDJSON line, without its
    newline): the same text as `json.dumps(resource, ensure_ascii=False,
    separators=(",", ":"))`, made by orjson in a fraction of the time."""
    return orjson.dumps(resource)


def encode_line(resource: Resource) -> bytes:
    """`encode(resource)` and a newline: one NDJSON line."""
    return orjson.dumps(resource, option=orjson.OPT_APPEND_NEWLINE)


def total_observation(assessment: AssessmentRow, key: str) -> Resource:
    instrument = INSTRUMENTS[key]
    total = sum(assessment.answers[key])
    band = band_of(instrument, total)
    return {
        "resourceType": "Observation",
        "id": f"{assessment.pk}-{key}-total",
        "status": "entered-in-error" if _voided(assessment) else "final",
        "category": [
            {
                "coding": [
                    {
                        "system": OBSERVATION_CATEGORY,
                        "code": "survey",
                        "display": "Survey",
                    }
                ]
            }
        ],
        "code": {
            "coding": [_coding(c) for c in instrument.total_codes],
            "text": f"{instrument.name} total score",
        },
        "subject": _patient_ref(assessment.client_id),
        "effectiveDateTime": _authored(assessment),
        "valueInteger": total,
        "interpretation": [
            {
                "coding": [
                    {"system": BAND_SYSTEM, "code": band.key, "display": band.label}
                ],
                "text": f"{instrument.name} {band.label}",
            }
        ],
        "derivedFrom": [_qr_ref(assessment)],
    }


def risk_assessment(
    assessment: AssessmentRow, recommendation: RecommendationRow
) -> Resource:
    risk = str(recommendation.scores["cssrs_risk"])
    code, display, text = RISK_CODES[risk]
    screener = catalogue.CSSRS
    return {
        "resourceType": "RiskAssessment",
        "id": f"{assessment.pk}-suicide-risk",
        "status": "entered-in-error" if _voided(assessment) else "final",
        "method": {
            "coding": [_coding(c) for c in codes_of(screener.path)],
            "text": screener.short_label,
        },
        "code": {"text": "Suicide risk"},
        "subject": _patient_ref(assessment.client_id),
        "occurrenceDateTime": _authored(assessment),
        "basis": [_qr_ref(assessment)],
        "prediction": [
            {
                "outcome": {"text": "Suicidal behaviour"},
                "qualitativeRisk": {
                    "coding": [
                        {"system": RISK_PROBABILITY, "code": code, "display": display}
                    ],
                    "text": f"{text} on the C-SSRS screener",
                },
            }
        ],
    }


def guidance_response(
    assessment: AssessmentRow, recommendation: RecommendationRow
) -> Resource:
    """The recommendation: `success` with its level, or `data-required` listing
    the missing answers; the reasons as rule codes and texts; the criteria
    version as the module."""
    version = recommendation.criteria_version
    level = LEVEL_LABELS.get(recommendation.level or "", INSUFFICIENT_LABEL)
    if _voided(assessment):
        status = "entered-in-error"
    elif recommendation.level is None:
        status = "data-required"
    else:
        status = "success"
    notes = [f"Recommended level: {level} (criteria version {version})."]
    notes += [f"Reason {r['code']}: {r['text']}" for r in recommendation.reasons]
    notes += [f"Note {n['code']}: {n['text']}" for n in recommendation.notes]
    if recommendation.missing:
        labels = [catalogue.missing_label(path) for path in recommendation.missing]
        notes.append(f"Missing answers: {'; '.join(labels)}.")
    resource: Resource = {
        "resourceType": "GuidanceResponse",
        "id": str(recommendation.pk),
        "identifier": [
            {"system": RECOMMENDATION_SYSTEM, "value": str(recommendation.pk)}
        ],
        "requestIdentifier": {"system": ASSESSMENT_SYSTEM, "value": str(assessment.pk)},
        "moduleUri": f"urn:locatr:criteria:{version}",
        "status": status,
        "subject": _patient_ref(assessment.client_id),
        "occurrenceDateTime": _when(recommendation.created_at),
        "note": [{"text": text} for text in notes],
    }
    if recommendation.reasons:
        resource["reasonCode"] = [
            {
                "coding": [{"system": RULE_SYSTEM, "code": str(r["code"])}],
                "text": str(r["text"]),
            }
            for r in recommendation.reasons
        ]
    if status == "data-required":
        resource["dataRequirement"] = [
            _data_requirement(path) for path in recommendation.missing
        ]
    return resource


def _data_requirement(path: str) -> Resource:
    """A missing answer: an observation of the question's code (an instrument's
    panel code; locatr's own code where there is no LOINC code)."""
    try:
        q = catalogue.question(path)
    except KeyError:
        codes: tuple[Code, ...] = (Code(LOCATR_QUESTION_SYSTEM, path, path, "locatr"),)
    else:
        codes = (
            q.instrument.panel_codes
            if q.instrument is not None and q.instrument.panel_codes
            else codes_of(path)
        )
    return {
        "type": "Observation",
        "codeFilter": [{"path": "code", "code": [_coding(c) for c in codes]}],
    }


# --- a decision: ServiceRequest and Provenance -------------------------------------


def service_request_status(decision: DecisionRow) -> str:
    """How the decided level stands now.

    - `revoked`: the decision was corrected (its correction `replaces` it);
    - `active` / `completed`: the placement it opened is open / ended;
    - a progress review that kept the level kept the open placement: the state
      of the placement open when it was decided (`covering_id` /
      `covering_ended`);
    - `unknown`: no placement to follow.
    """
    if decision.corrected:
        return "revoked"
    placement = decision.placement
    if placement is not None:
        return "active" if placement.ended_at is None else "completed"
    if decision.covering_id is not None:
        return "active" if decision.covering_ended is None else "completed"
    return "unknown"


def service_request(decision: DecisionRow) -> Resource:
    label = LEVEL_LABELS[decision.level]
    resource: Resource = {
        "resourceType": "ServiceRequest",
        "id": str(decision.pk),
        "identifier": [{"system": DECISION_SYSTEM, "value": str(decision.pk)}],
        "status": service_request_status(decision),
        "intent": "order",
        "category": [{"text": "Mental health level of care"}],
        "code": {
            "coding": [
                {"system": LEVEL_SYSTEM, "code": decision.level, "display": label}
            ],
            "text": label,
        },
        "subject": _patient_ref(decision.client_id),
        "authoredOn": _when(decision.decided_at),
        "requester": _practitioner(decision.decided_by),
        "supportingInfo": [
            {"reference": f"GuidanceResponse/{decision.recommendation_id}"}
        ],
    }
    if decision.corrects_id is not None:
        resource["replaces"] = [{"reference": f"ServiceRequest/{decision.corrects_id}"}]
    placement = decision.placement
    if placement is not None:
        period = {"start": _when(placement.started_at)}
        if placement.ended_at is not None:
            period["end"] = _when(placement.ended_at)
        resource["occurrencePeriod"] = period
    notes = [text for text in (decision.rationale, _service_gap_note(decision)) if text]
    if notes:
        resource["note"] = [{"text": text} for text in notes]
    performer = _program_performer(decision)
    if performer is not None:
        resource["performer"] = [performer]
    return resource


def _program_performer(decision: DecisionRow) -> Resource | None:
    """The program referred to: one from the directory (with its identifier), or
    one outside it (by name only)."""
    program: ProgramRow | None = decision.referred_program
    if program is not None:
        return {
            "type": "HealthcareService",
            "identifier": {"system": PROGRAM_SYSTEM, "value": str(program.pk)},
            "display": program.name,
        }
    if decision.program:
        return {"type": "HealthcareService", "display": decision.program}
    return None


def _service_gap_note(decision: DecisionRow) -> str | None:
    """A recorded service gap, in words (the placement may be at another level)."""
    if not decision.service_gap:
        return None
    placement = decision.placement
    placed = (
        f" Placed at {LEVEL_LABELS[placement.level]} meanwhile."
        if placement is not None and placement.level != decision.level
        else ""
    )
    return f"Service gap: {decision.service_gap}.{placed}"


def provenance(decision: DecisionRow) -> Resource:
    """Who signed the decision, and when."""
    return {
        "resourceType": "Provenance",
        "id": str(decision.pk),
        "target": [{"reference": f"ServiceRequest/{decision.pk}"}],
        "recorded": _when(decision.decided_at),
        "agent": [
            {
                "type": {
                    "coding": [
                        {
                            "system": PARTICIPANT_TYPE,
                            "code": "author",
                            "display": "Author",
                        }
                    ]
                },
                "who": _practitioner(decision.decided_by),
            }
        ],
    }


def validated(resource: Resource) -> Resource:
    """`resource` after validation with fhir.resources (FHIR R4); raises
    pydantic's ValidationError when it is not valid."""
    construct_fhir_element(resource["resourceType"], resource)
    return resource
