"""Writes of intake: clients and assessments (drafts and submission)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from intake.models import Assessment, Client, RecordView
from levelofcare.models import Recommendation
from levelofcare.services import recommendation_create


def client_create(*, user: AbstractBaseUser, **fields: Any) -> Client:
    with transaction.atomic():
        return Client.objects.create(created_by=user, **fields)


def client_record_viewed(
    *, user: AbstractBaseUser, client: Client, view_name: str
) -> None:
    """Log that a user opened a client's record (who looked at this person)."""
    RecordView.objects.create(user=user, client=client, view_name=view_name)


def assessment_save_draft(
    *,
    assessment: Assessment | None,
    client: Client,
    user: AbstractBaseUser,
    answers: dict[str, Any],
    partial_items: dict[str, Any],
    notes: str,
    kind: str = Assessment.Kind.INTAKE,
    progress_review_id: int | None = None,
) -> Assessment:
    """Create or update a draft. Submitted assessments are never changed."""
    now = timezone.now()
    with transaction.atomic():
        if assessment is None:
            assessment = Assessment(
                client=client,
                created_by=user,
                kind=kind,
                progress_review_id=progress_review_id,
            )
        elif assessment.pk is not None:
            assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
            if assessment.status != Assessment.Status.DRAFT:
                raise ValueError("A submitted assessment cannot be changed.")
        assessment.answers = answers
        assessment.partial_items = partial_items
        assessment.notes = notes
        assessment.save()
        Client.objects.filter(pk=client.pk).update(last_activity_at=now)
    return assessment


def assessment_submit(
    *,
    assessment: Assessment | None,
    client: Client,
    user: AbstractBaseUser,
    answers: dict[str, Any],
    partial_items: dict[str, Any],
    notes: str,
    kind: str = Assessment.Kind.INTAKE,
    progress_review_id: int | None = None,
) -> Recommendation:
    """Save the answers and the recommendation together, or nothing at all."""
    with transaction.atomic():
        assessment = assessment_save_draft(
            assessment=assessment,
            client=client,
            user=user,
            answers=answers,
            partial_items=partial_items,
            notes=notes,
            kind=kind,
            progress_review_id=progress_review_id,
        )
        assessment.status = Assessment.Status.SUBMITTED
        assessment.submitted_at = timezone.now()
        assessment.submitted_by = user
        assessment.save(
            update_fields=["status", "submitted_at", "submitted_by", "updated_at"]
        )
        return recommendation_create(assessment=assessment)
