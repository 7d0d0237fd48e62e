"""The rows the FHIR resources are built from: plain named tuples, read by
`selectors` with `values_list()` (no model instances: the bulk export reads
hundreds of thousands of them). Pure: standard library only."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, NamedTuple


class Person(NamedTuple):
    """A clinician or coordinator (a User), as the resources name them."""

    username: str
    full_name: str  # User.get_full_name(): "" when they have no name


class PatientRow(NamedTuple):
    pk: int
    reference: str
    family_name: str
    given_name: str
    date_of_birth: date


class RecommendationRow(NamedTuple):
    pk: int
    level: str | None
    reasons: list[dict[str, Any]]
    notes: list[dict[str, Any]]
    missing: list[str]
    scores: dict[str, Any]
    criteria_version: int
    created_at: datetime


class AssessmentRow(NamedTuple):
    """A submitted assessment (voided ones too) and its recommendation."""

    pk: int
    client_id: int
    answers: dict[str, Any]
    authored: datetime  # submitted, else created
    voided: bool
    submitted_by: Person | None
    recommendation: RecommendationRow | None


class PlacementRow(NamedTuple):
    level: str
    started_at: datetime
    ended_at: datetime | None


class ProgramRow(NamedTuple):
    pk: int
    name: str


class DecisionRow(NamedTuple):
    """A signed decision, with what its ServiceRequest's status follows: the
    placement it opened, whether a correction replaced it, and the client's
    placement that was open when it was decided (`covering_*`)."""

    pk: int
    client_id: int
    recommendation_id: int
    level: str
    decided_at: datetime
    decided_by: Person | None
    corrects_id: int | None
    corrected: bool
    rationale: str
    program: str  # a program outside the directory, by name
    referred_program: ProgramRow | None
    service_gap: str  # its label ("" when none)
    placement: PlacementRow | None
    covering_id: int | None
    covering_ended: datetime | None
