"""Reads of intake data (intake models only)."""

from __future__ import annotations

from uuid import UUID

from django.db.models import Q, QuerySet

from intake.models import Assessment, Client


def clients_matching(*, query: str = "") -> QuerySet[Client]:
    """Clients matching every word of `query` in name or reference, newest
    activity first."""
    clients = Client.objects.all()
    for word in query.split():
        clients = clients.filter(
            Q(reference__icontains=word)
            | Q(given_name__icontains=word)
            | Q(family_name__icontains=word)
        )
    return clients.order_by("-last_activity_at", "-id")


def assessment_latest_submitted(*, client: Client) -> Assessment | None:
    """The client's most recently submitted assessment, if any."""
    return (
        Assessment.objects.filter(client=client, status=Assessment.Status.SUBMITTED)
        .order_by("-submitted_at", "-id")
        .first()
    )


def assessment_of_form(*, client_id: int, token: UUID) -> Assessment | None:
    """The assessment that the new-assessment form with this one-time token made
    for the client, if it was posted."""
    return Assessment.objects.filter(
        client_id=client_id, submission_token=token
    ).first()
