"""Writes of the FHIR import: patient-reported PHQ-9 / GAD-7 answers into a
client's open draft, in one transaction."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction

from intake.models import Assessment, Client
from intake.services import assessment_patient_report_save
from levelofcare.fhir.mapping import questionnaire_response_read


@dataclass(frozen=True)
class Imported:
    assessment: Assessment
    instruments: list[str]  # catalogue keys, in the order imported
    ignored: list[str]  # labels of answered questions not imported


def questionnaire_response_import(
    *, client: Client, user: User, payload: object
) -> Imported:
    """Import a QuestionnaireResponse's PHQ-9 / GAD-7 answers as patient-reported.

    1. Read it (`mapping.questionnaire_response_read`): anything wrong raises
       `ResourceRefused` with every issue, and nothing is written.
    2. Each instrument's answers land in the client's open draft (made when
       there is none), marked patient-reported with the source and the time
       the client answered. All of them, or none.
    """
    read = questionnaire_response_read(payload)
    with transaction.atomic():
        draft: Assessment | None = None
        for key, items in read.instruments.items():
            draft, _ = assessment_patient_report_save(
                client=client,
                user=user,
                instrument=key,
                items=items,
                source=read.source,
                authored_at=read.authored,
            )
    assert draft is not None  # noqa: S101 - reading found at least one instrument
    return Imported(
        assessment=draft, instruments=list(read.instruments), ignored=read.ignored
    )
