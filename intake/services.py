"""Writes of intake: clients and assessments. Only intake models, nothing else:
submitting an assessment (which also makes its recommendation) is a levelofcare
service that calls these in its own transaction."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from intake.errors import AssessmentNotDraftError
from intake.models import Assessment, Client, RecordView


def client_create(*, user: User, **fields: Any) -> Client:
    with transaction.atomic():
        return Client.objects.create(created_by=user, **fields)


def client_update(*, client: Client, user: User, **fields: Any) -> Client:
    """Change a client's details. The history row (simple_history) names `user`,
    also outside a request (the middleware only covers requests)."""
    with transaction.atomic():
        locked = Client.objects.select_for_update().get(pk=client.pk)
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.last_activity_at = timezone.now()
        locked._history_user = user  # type: ignore[attr-defined]  # simple_history
        locked.save()
    return locked


def client_record_viewed(*, user: User, client: Client, view_name: str) -> None:
    """Log that a user opened a client's record (who looked at this person)."""
    RecordView.objects.create(user=user, client=client, view_name=view_name)


def assessment_save_draft(
    *,
    assessment: Assessment | None,
    client: Client,
    user: User,
    answers: dict[str, Any],
    partial_items: dict[str, Any],
    notes: str,
    kind: str = Assessment.Kind.INTAKE,
) -> Assessment:
    """Create or update a draft. Submitted assessments are never changed
    (`AssessmentNotDraftError`)."""
    now = timezone.now()
    with transaction.atomic():
        if assessment is None:
            assessment = Assessment(client=client, created_by=user, kind=kind)
        elif assessment.pk is not None:
            assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
            if assessment.status != Assessment.Status.DRAFT:
                raise AssessmentNotDraftError
        assessment.answers = answers
        assessment.partial_items = partial_items
        assessment.notes = notes
        assessment.save()
        Client.objects.filter(pk=client.pk).update(last_activity_at=now)
    return assessment


def assessment_mark_submitted(*, assessment: Assessment, user: User) -> Assessment:
    """Mark a draft submitted, signed by `user`. From then on it never changes."""
    with transaction.atomic():
        locked = Assessment.objects.select_for_update().get(pk=assessment.pk)
        if locked.status != Assessment.Status.DRAFT:
            raise AssessmentNotDraftError
        assessment.status = Assessment.Status.SUBMITTED
        assessment.submitted_at = timezone.now()
        assessment.submitted_by = user
        assessment.save(
            update_fields=["status", "submitted_at", "submitted_by", "updated_at"]
        )
    return assessment
