"""Shared set-up of the FHIR tests: a client with a record that has every kind of
resource, built through the real services at fixed times."""

from __future__ import annotations

import datetime as dt
from typing import Any

import time_machine

from intake.models import Client
from levelofcare.recommendations.services import decision_record
from tests.factories import ClientFactory, answers, submit_assessment

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
# C-SSRS moderate risk (thoughts of a method): IOP.
MODERATE_RISK = {
    "wish_dead": True,
    "suicidal_thoughts": True,
    "method": True,
    "intent": False,
    "plan": False,
    "behavior_ever": False,
}


def at(hours: float) -> Any:
    return time_machine.travel(T0 + dt.timedelta(hours=hours), tick=False)


def full_record(*, coordinator: Any, clinician: Any) -> dict[str, Any]:
    """1. An outpatient assessment, accepted (placement 1, ended by the next).
    2. A moderate-risk IOP assessment, accepted (placement 2), then corrected to
       outpatient (placement 3, open).
    3. An assessment without a GAD-7: insufficient information, undecided."""
    patient = ClientFactory(created_by=coordinator)
    with at(0):
        first = submit_assessment(user=coordinator, client=patient)
    with at(1):
        accept_first = decision_record(
            recommendation=first, user=clinician, level="outpatient"
        )
    with at(24):
        second = submit_assessment(
            user=coordinator, client=patient, answer_dict=answers(cssrs=MODERATE_RISK)
        )
    with at(25):
        accept_second = decision_record(
            recommendation=second, user=clinician, level="iop"
        )
    with at(26):
        correction = decision_record(
            recommendation=second,
            user=clinician,
            level="outpatient",
            reason_code="clinical_judgement",
            rationale="Entered the wrong level.",
            corrects=accept_second,
        )
    with at(48):
        third = submit_assessment(
            user=coordinator, client=patient, answer_dict=answers(gad7=...)
        )
    return {
        "client": Client.objects.get(pk=patient.pk),
        "recommendations": [first, second, third],
        "decisions": [accept_first, accept_second, correction],
    }
