"""Reads of intake data (intake models only)."""

from __future__ import annotations

import re
from datetime import date
from typing import Final
from uuid import UUID

from django.db.models import Q, QuerySet

from intake.models import Assessment, Client, PatientReport

# Dates of birth in a search: ISO (1980-02-03) or day/month/year (3/2/1980).
# `[0-9]`, not `\d`: `\d` also matches non-ASCII digits that int() refuses.
_ISO_DATE: Final = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")
_DMY_DATE: Final = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")


def search_date(word: str) -> date | None:
    """The date a search word spells (`1980-02-03` or `3/2/1980`), else None."""
    if match := _ISO_DATE.fullmatch(word):
        year, month, day = (int(g) for g in match.groups())
    elif match := _DMY_DATE.fullmatch(word):
        day, month, year = (int(g) for g in match.groups())
    else:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def clients_matching(*, query: str = "") -> QuerySet[Client]:
    """Clients matching every word of `query`, newest activity first. A word
    matches a name or reference (part of it), or, when it is a date (see
    `search_date`), the date of birth."""
    clients = Client.objects.all()
    for word in query.split():
        match = (
            Q(reference__icontains=word)
            | Q(given_name__icontains=word)
            | Q(family_name__icontains=word)
        )
        if (dob := search_date(word)) is not None:
            match |= Q(date_of_birth=dob)
        clients = clients.filter(match)
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


def assessment_patient_reports(*, assessment: Assessment | None) -> list[PatientReport]:
    """The instruments of a draft that the client reported themselves."""
    if assessment is None or assessment.pk is None:
        return []
    return list(
        PatientReport.objects.filter(assessment=assessment).select_related(
            "received_by"
        )
    )
