"""Reads of progress reviews: who may hold one, and which are due."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils import timezone

from levelofcare.criteria.selectors import criteria_active
from levelofcare.models import OutboxEmail, ProgressReview, ReminderPreference
from locatr.roles import CLINICIANS


def clinicians_active() -> QuerySet[Any]:
    """Active members of the Clinicians group, by name."""
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name=CLINICIANS)
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


def escalation_recipients() -> list[int]:
    """Who an overdue review escalates to (besides its assignee), by pk.

    The active members of the escalation group (`REMINDER_ESCALATION_GROUP`, filled
    by admins); every active clinician while that group is empty.
    """
    leads = list(
        get_user_model()
        .objects.filter(is_active=True, groups__name=settings.REMINDER_ESCALATION_GROUP)
        .distinct()
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return leads or list(
        clinicians_active().order_by("pk").values_list("pk", flat=True)
    )


def users_emailable() -> frozenset[int]:
    """Pks of the users who get reminder email: active, with an address, and who
    did not turn it off. Everyone else gets in-app notifications only."""
    return frozenset(
        get_user_model()
        .objects.filter(is_active=True)
        .exclude(email="")
        .exclude(reminder_preference__email=False)
        .values_list("pk", flat=True)
    )


def outbox_failed_count() -> int:
    """Reminder emails given up on after every retry (the admin home shows it)."""
    return OutboxEmail.objects.exclude(failed_at=None).count()


def reminder_email_status(*, user: Any) -> str | None:
    """Why the user gets no reminder email (None when they get it)."""
    if not user.email:
        return "no_address"
    if ReminderPreference.objects.filter(user=user, email=False).exists():
        return "turned_off"
    return None


def user_is_clinician(user: Any) -> bool:
    """An active member of the Clinicians group."""
    return bool(
        user is not None
        and user.is_active
        and user.groups.filter(name=CLINICIANS).exists()
    )


@dataclass(frozen=True)
class DueReviews:
    """Scheduled reviews due within the lead time or past due, soonest first."""

    reviews: QuerySet[ProgressReview]
    lead_hours: int
    now: datetime


def progress_reviews_due(
    *,
    user: Any,
    everyone: bool = False,
    review_pk: int | None = None,
    overdue_only: bool = False,
    now: datetime | None = None,
) -> DueReviews:
    """Scheduled reviews due within the active criteria's lead time, or past due.

    `review_pk` narrows to that one review, whoever holds it (a reminder's link);
    otherwise the user's own reviews, or everyone's with `everyone`;
    `overdue_only` keeps those past due.
    """
    now = now or timezone.now()
    lead_hours = criteria_active().reminder_lead_hours
    reviews = (
        ProgressReview.objects.filter(
            status=ProgressReview.Status.SCHEDULED,
            due_at__lte=now + timedelta(hours=lead_hours),
        )
        .select_related("placement__client", "assigned_to")
        .order_by("due_at", "pk")
    )
    if review_pk is not None:
        reviews = reviews.filter(pk=review_pk)
    elif not everyone:
        reviews = reviews.filter(assigned_to=user)
    if overdue_only:
        # The list's "Overdue" badge: past the due time (`due_at < now`).
        reviews = reviews.filter(due_at__lt=now)
    return DueReviews(reviews=reviews, lead_hours=lead_hours, now=now)


def progress_review_scheduled(*, pk: int) -> ProgressReview:
    """A scheduled review with its client; raises `ProgressReview.DoesNotExist`."""
    return ProgressReview.objects.select_related("placement__client").get(
        pk=pk, status=ProgressReview.Status.SCHEDULED
    )
