"""Reads for the FHIR export, as plain rows (`rows`): a client's rows in a
constant number of queries, and every row of a kind as a stream (bulk export).

Rows are read with `values_list()`, not as model instances: the bulk export
reads hundreds of thousands of them, and a model instance costs more to make
than the resources built from it. A streamed read uses `.iterator(chunk_size)`
(a server-side cursor on PostgreSQL), so memory stays flat whatever the count.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Final

import orjson
from django.db.models import OuterRef, QuerySet, Subquery, TextField
from django.db.models.functions import Cast

from intake.models import Assessment, Client
from levelofcare.fhir.rows import (
    AssessmentRow,
    DecisionRow,
    PatientRow,
    Person,
    PlacementRow,
    ProgramRow,
    RecommendationRow,
)
from levelofcare.models import Decision, Placement


@dataclass(frozen=True)
class ClientRows:
    client: PatientRow
    assessments: list[AssessmentRow]
    decisions: list[DecisionRow]


def client_by_reference(*, reference: str) -> Client | None:
    return Client.objects.filter(reference=reference).first()


_PATIENT_COLUMNS: Final = (
    "pk",
    "reference",
    "family_name",
    "given_name",
    "date_of_birth",
)
_ASSESSMENT_COLUMNS: Final = (
    "pk",
    "client_id",
    "answers_json",
    "submitted_at",
    "created_at",
    "voided_at",
    "submitted_by_id",
    "submitted_by__username",
    "submitted_by__first_name",
    "submitted_by__last_name",
    "recommendation__pk",
    "recommendation__level",
    "reasons_json",
    "notes_json",
    "missing_json",
    "scores_json",
    "recommendation__criteria__version",
    "recommendation__created_at",
)
_DECISION_COLUMNS: Final = (
    "pk",
    "recommendation__client_id",
    "recommendation_id",
    "level",
    "decided_at",
    "decided_by_id",
    "decided_by__username",
    "decided_by__first_name",
    "decided_by__last_name",
    "corrects_id",
    "correction__pk",
    "rationale",
    "program",
    "referred_program_id",
    "referred_program__name",
    "service_gap",
    "placement__pk",
    "placement__level",
    "placement__started_at",
    "placement__ended_at",
    "covering_id",
    "covering_ended",
)
_SERVICE_GAPS: Final[dict[str, str]] = {
    str(code): str(label) for code, label in Decision.ServiceGap.choices
}


def patients_for_export() -> QuerySet[Client]:
    return Client.objects.order_by("pk")


def assessments_for_export() -> QuerySet[Assessment]:
    """Submitted assessments (voided ones too: exported as entered-in-error),
    their JSON columns (and their recommendation's) as text (`*_json`):
    orjson reads it several times faster than the JSONField's `json.loads`."""
    return (
        Assessment.objects.filter(status=Assessment.Status.SUBMITTED)
        .annotate(
            answers_json=_text("answers"),
            reasons_json=_text("recommendation__reasons"),
            notes_json=_text("recommendation__notes"),
            missing_json=_text("recommendation__missing"),
            scores_json=_text("recommendation__scores"),
        )
        .order_by("pk")
    )


def _text(column: str) -> Cast:
    return Cast(column, output_field=TextField())


def decisions_for_export() -> QuerySet[Decision]:
    """Signed decisions, annotated with the client's placement that was open
    when they were decided (`covering_*`: a progress review that kept the level
    opens no placement, and follows that one)."""
    covering = Placement.objects.filter(
        client_id=OuterRef("recommendation__client_id"),
        started_at__lte=OuterRef("decided_at"),
    ).order_by("-started_at", "-pk")
    return Decision.objects.annotate(
        covering_id=Subquery(covering.values("pk")[:1]),
        covering_ended=Subquery(covering.values("ended_at")[:1]),
    ).order_by("pk")


def patient_rows(clients: QuerySet[Client], *, chunk_size: int) -> Iterator[PatientRow]:
    values = clients.values_list(*_PATIENT_COLUMNS)
    return map(PatientRow._make, values.iterator(chunk_size=chunk_size))


def assessment_rows(
    assessments: QuerySet[Assessment], *, chunk_size: int
) -> Iterator[AssessmentRow]:
    values = assessments.values_list(*_ASSESSMENT_COLUMNS)
    return _assessment_rows(values.iterator(chunk_size=chunk_size))


def decision_rows(
    decisions: QuerySet[Decision], *, chunk_size: int
) -> Iterator[DecisionRow]:
    values = decisions.values_list(*_DECISION_COLUMNS)
    return _decision_rows(values.iterator(chunk_size=chunk_size))


def _assessment_rows(values: Iterable[tuple[Any, ...]]) -> Iterator[AssessmentRow]:
    people: dict[int | None, Person | None] = {None: None}
    loads = orjson.loads
    for (
        pk,
        client_id,
        answers,
        submitted_at,
        created_at,
        voided_at,
        user_id,
        username,
        first_name,
        last_name,
        rec_pk,
        level,
        reasons,
        notes,
        missing,
        scores,
        version,
        rec_created_at,
    ) in values:
        person = people.get(user_id)
        if person is None and user_id is not None:
            person = people[user_id] = _person(username, first_name, last_name)
        yield AssessmentRow(
            pk,
            client_id,
            loads(answers),
            submitted_at or created_at,
            voided_at is not None,
            person,
            None
            if rec_pk is None
            else RecommendationRow(
                rec_pk,
                level,
                loads(reasons),
                loads(notes),
                loads(missing),
                loads(scores),
                version,
                rec_created_at,
            ),
        )


def _decision_rows(values: Iterable[tuple[Any, ...]]) -> Iterator[DecisionRow]:
    people: dict[int | None, Person | None] = {None: None}
    for (
        pk,
        client_id,
        recommendation_id,
        level,
        decided_at,
        user_id,
        username,
        first_name,
        last_name,
        corrects_id,
        correction_id,
        rationale,
        program,
        program_id,
        program_name,
        service_gap,
        placement_id,
        placement_level,
        started_at,
        ended_at,
        covering_id,
        covering_ended,
    ) in values:
        person = people.get(user_id)
        if person is None and user_id is not None:
            person = people[user_id] = _person(username, first_name, last_name)
        yield DecisionRow(
            pk=pk,
            client_id=client_id,
            recommendation_id=recommendation_id,
            level=level,
            decided_at=decided_at,
            decided_by=person,
            corrects_id=corrects_id,
            corrected=correction_id is not None,
            rationale=rationale,
            program=program,
            referred_program=(
                None if program_id is None else ProgramRow(program_id, program_name)
            ),
            service_gap=_SERVICE_GAPS.get(service_gap, service_gap),
            placement=(
                None
                if placement_id is None
                else PlacementRow(placement_level, started_at, ended_at)
            ),
            covering_id=covering_id,
            covering_ended=covering_ended,
        )


def _person(username: str, first_name: str, last_name: str) -> Person:
    """As `User.get_full_name()` names them."""
    return Person(username, f"{first_name} {last_name}".strip())


def client_rows(*, client: Client) -> ClientRows:
    """Everything a client's Bundle shows: 2 queries whatever their number."""
    assessments = assessments_for_export().filter(client=client)
    decisions = decisions_for_export().filter(recommendation__client_id=client.pk)
    return ClientRows(
        client=PatientRow(
            client.pk,
            client.reference,
            client.family_name,
            client.given_name,
            client.date_of_birth,
        ),
        assessments=list(
            _assessment_rows(assessments.values_list(*_ASSESSMENT_COLUMNS))
        ),
        decisions=list(_decision_rows(decisions.values_list(*_DECISION_COLUMNS))),
    )
