"""Writes of intake: clients and assessments. Only intake models, nothing else:
submitting an assessment (which also makes its recommendation) is a levelofcare
service that calls these in its own transaction."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from uuid import UUID

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from intake.errors import (
    AssessmentAlreadySubmittedError,
    AssessmentVoidError,
)
from intake.models import Assessment, Client, PatientReport, RecordView


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
    client_records_viewed(user=user, clients=[client], view_name=view_name)


def client_records_viewed(
    *, user: User, clients: Iterable[Client], view_name: str
) -> None:
    """Log that a page showed these clients to a user: one row per client, in one
    INSERT whatever their number. The rows keep the user's username and full
    name as they are now (a later rename does not rewrite who looked)."""
    now = timezone.now()
    username, full_name = user.get_username(), user.get_full_name()
    RecordView.objects.bulk_create(
        RecordView(
            user=user,
            client=client,
            view_name=view_name,
            viewed_at=now,
            username=username,
            full_name=full_name,
        )
        for client in clients
    )


def assessment_save_draft(
    *,
    assessment: Assessment | None,
    client: Client,
    user: User,
    answers: dict[str, Any],
    partial_items: dict[str, Any],
    notes: str,
    kind: str = Assessment.Kind.INTAKE,
    submission_token: UUID | None = None,
) -> Assessment:
    """Create or update a draft. Submitted assessments are never changed
    (`AssessmentAlreadySubmittedError`).

    A new assessment's form carries a one-time `submission_token`: the first POST
    of that form claims it, and any later POST of the same form (Back and submit
    again, a double click, two at once) works on the assessment it made.
    """
    now = timezone.now()
    with transaction.atomic():
        if assessment is None and submission_token is not None:
            assessment = _assessment_of_form(
                token=submission_token, client=client, user=user, kind=kind
            )
        if assessment is None:
            assessment = Assessment(client=client, created_by=user, kind=kind)
        elif assessment.pk is not None:
            assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
            if assessment.status != Assessment.Status.DRAFT:
                raise AssessmentAlreadySubmittedError(assessment.pk)
        assessment.answers = answers
        assessment.partial_items = partial_items
        assessment.notes = notes
        assessment.save()
        Client.objects.filter(pk=client.pk).update(last_activity_at=now)
    return assessment


def _assessment_of_form(
    *, token: UUID, client: Client, user: User, kind: str
) -> Assessment | None:
    """The assessment that the form with `token` made, or a new draft claiming it.

    Two POSTs of one form at once: the second one's insert waits on the unique
    index until the first commits, fails, and then finds the first one's
    assessment. A token of another client's form is ignored (None).
    """
    try:
        with transaction.atomic():
            return Assessment.objects.create(
                client=client, created_by=user, kind=kind, submission_token=token
            )
    except IntegrityError:
        pass
    return (
        Assessment.objects.select_for_update()
        .filter(submission_token=token, client=client)
        .first()
    )


def assessment_mark_submitted(*, assessment: Assessment, user: User) -> Assessment:
    """Mark a draft submitted, signed by `user`. From then on it never changes."""
    with transaction.atomic():
        locked = Assessment.objects.select_for_update().get(pk=assessment.pk)
        if locked.status != Assessment.Status.DRAFT:
            raise AssessmentAlreadySubmittedError(locked.pk)
        assessment.status = Assessment.Status.SUBMITTED
        assessment.submitted_at = timezone.now()
        assessment.submitted_by = user
        assessment.save(
            update_fields=["status", "submitted_at", "submitted_by", "updated_at"]
        )
    return assessment


def assessment_mark_voided(
    *, assessment: Assessment, user: User, reason: str, now: datetime | None = None
) -> Assessment:
    """Void a submitted assessment entered in error; never deleted. Its history
    row records the change with the reason and the user."""
    reason = reason.strip()
    if not reason:
        raise AssessmentVoidError("Say why this assessment was entered in error.")
    with transaction.atomic():
        locked = Assessment.objects.select_for_update().get(pk=assessment.pk)
        if locked.status != Assessment.Status.SUBMITTED:
            raise AssessmentVoidError("Only a submitted assessment can be voided.")
        if locked.voided_at is not None:
            raise AssessmentVoidError("This assessment was already voided.")
        locked.voided_at = now or timezone.now()
        locked.voided_by = user
        locked.void_reason = reason
        # simple-history: who made the change and why, on the history row.
        locked._history_user = user  # type: ignore[attr-defined]
        locked._change_reason = f"Voided: {reason}"  # type: ignore[attr-defined]
        locked.save(
            update_fields=["voided_at", "voided_by", "void_reason", "updated_at"]
        )
    return locked


def assessment_patient_report_save(
    *,
    client: Client,
    user: User,
    instrument: str,
    items: list[int],
    source: str,
    authored_at: datetime,
) -> tuple[Assessment, PatientReport]:
    """Put an instrument's patient-reported answers into the client's open draft.

    1. Lock the client: two imports at once land in the same draft, one after
       the other.
    2. The open draft is the client's newest draft (an intake or a progress
       review); with none, a new intake draft is made.
    3. The instrument's answers replace whatever the draft held for it (a
       partly answered instrument included).
    4. The draft records them as patient-reported: source, when the client
       answered, when and by whom they were received (one row per instrument).
    """
    now = timezone.now()
    with transaction.atomic():
        Client.objects.select_for_update().filter(pk=client.pk).first()
        draft = (
            Assessment.objects.select_for_update()
            .filter(client=client, status=Assessment.Status.DRAFT)
            .order_by("-created_at", "-id")
            .first()
        )
        if draft is None:
            draft = Assessment(client=client, created_by=user)
        draft.answers = {**(draft.answers or {}), instrument: list(items)}
        partial = dict(draft.partial_items or {})
        partial.pop(instrument, None)
        draft.partial_items = partial
        draft.save()
        report, _ = PatientReport.objects.update_or_create(
            assessment=draft,
            instrument=instrument,
            defaults={
                "source": source,
                "authored_at": authored_at,
                "received_at": now,
                "received_by": user,
            },
        )
        Client.objects.filter(pk=client.pk).update(last_activity_at=now)
    return draft, report
