"""Reads for the FHIR export: a client's rows in a constant number of queries,
and every row of a kind as a stream (bulk export)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import F, OuterRef, QuerySet, Subquery

from intake.models import Assessment, Client
from levelofcare.models import Decision, Placement


@dataclass(frozen=True)
class ClientRows:
    client: Client
    assessments: list[Assessment]
    decisions: list[Decision]


def client_by_reference(*, reference: str) -> Client | None:
    return Client.objects.filter(reference=reference).first()


def assessments_for_export() -> QuerySet[Assessment]:
    """Submitted assessments (voided ones too: exported as entered-in-error),
    with their recommendation, its criteria version and who submitted."""
    return (
        Assessment.objects.filter(status=Assessment.Status.SUBMITTED)
        .select_related("recommendation__criteria", "submitted_by")
        .defer("partial_items", "notes", "void_reason")
        .order_by("pk")
    )


def assessments_for_bulk_export() -> QuerySet[Assessment]:
    """As `assessments_for_export`, without joining the criteria version and the
    user into every row: the bulk export attaches those few rows itself."""
    return (
        Assessment.objects.filter(status=Assessment.Status.SUBMITTED)
        .select_related("recommendation")
        .defer("partial_items", "notes", "void_reason")
        .order_by("pk")
    )


def decisions_for_export() -> QuerySet[Decision]:
    """Signed decisions with what their ServiceRequest's status follows: the
    placement they opened, the correction that replaced them, and (for a
    progress review that kept the level, which opens no placement) the
    client's placement that was open when they were decided (`covering_*`)."""
    covering = Placement.objects.filter(
        client_id=OuterRef("recommendation__client_id"),
        started_at__lte=OuterRef("decided_at"),
    ).order_by("-started_at", "-pk")
    return (
        Decision.objects.select_related(
            "decided_by", "placement", "correction", "referred_program"
        )
        .annotate(
            client_id=F("recommendation__client_id"),
            covering_id=Subquery(covering.values("pk")[:1]),
            covering_ended=Subquery(covering.values("ended_at")[:1]),
        )
        .order_by("pk")
    )


def client_rows(*, client: Client) -> ClientRows:
    """Everything a client's Bundle shows: 3 queries whatever their number."""
    return ClientRows(
        client=client,
        assessments=list(assessments_for_export().filter(client=client)),
        decisions=list(
            decisions_for_export().filter(recommendation__client_id=client.pk)
        ),
    )
