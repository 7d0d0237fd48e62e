"""Progress review scheduling: every write to a ProgressReview's life cycle.

A review's due date is data (`due_at`); reminders are swept from it by
`levelofcare.progress.reminders`, never queued as ETA tasks.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from levelofcare.criteria.selectors import criteria_active
from levelofcare.errors import ProgressReviewError
from levelofcare.models import Placement, ProgressReview
from levelofcare.progress.selectors import user_is_clinician


def progress_review_schedule(
    *, placement: Placement, assigned_to: Any, now: datetime | None = None
) -> ProgressReview:
    """Schedule the next review of an open placement, due after its level's interval.

    The interval comes from the active criteria version, so a changed interval
    applies to every review scheduled from then on.
    """
    now = now or timezone.now()
    if not placement.is_open:
        raise ProgressReviewError("Cannot schedule a review on a closed placement.")
    with transaction.atomic():
        criteria = criteria_active()
        return ProgressReview.objects.create(
            placement=placement,
            assigned_to=assigned_to,
            due_at=now + criteria.review_interval(placement.level),
            created_at=now,
        )


def progress_reviews_cancel_open(*, placement: Placement) -> int:
    """Cancel the placement's scheduled reviews (the placement is closing)."""
    with transaction.atomic():
        reviews = list(
            placement.reviews.select_for_update().filter(
                status=ProgressReview.Status.SCHEDULED
            )
        )
        for review in reviews:
            # save(), not update(): the change belongs in the review's history.
            review.status = ProgressReview.Status.CANCELLED
            review.save(update_fields=["status"])
    return len(reviews)


def progress_review_complete(
    *, review: ProgressReview, now: datetime | None = None
) -> ProgressReview | None:
    """Complete a scheduled review; schedule the next one while the placement is open.

    1. Lock the review, so two clicks cannot both complete it (and schedule twice).
    2. Mark it completed at `now`.
    3. If its placement is still open, schedule the next review for the same
       clinician, one interval from now; return it (else None).
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = ProgressReview.objects.select_for_update().get(pk=review.pk)
        if locked.status != ProgressReview.Status.SCHEDULED:
            raise ProgressReviewError(
                f"Progress review {review.pk} is {locked.status}, not scheduled."
            )
        locked.status = ProgressReview.Status.COMPLETED
        locked.completed_at = now
        locked.save(update_fields=["status", "completed_at"])
        review.status, review.completed_at = locked.status, locked.completed_at
        placement = Placement.objects.get(pk=locked.placement_id)
        if not placement.is_open:
            return None
        return progress_review_schedule(
            placement=placement, assigned_to=locked.assigned_to, now=now
        )


def progress_review_reassign(
    *, review: ProgressReview, assigned_to: Any
) -> ProgressReview:
    """Give a scheduled review to another clinician.

    The new assignee has not been reminded yet, so the "due soon" reminder is
    re-armed; an overdue escalation already reached every clinician.
    """
    if not user_is_clinician(assigned_to):
        raise ProgressReviewError(
            "A progress review can only be assigned to a clinician."
        )
    with transaction.atomic():
        locked = ProgressReview.objects.select_for_update().get(pk=review.pk)
        if locked.status != ProgressReview.Status.SCHEDULED:
            raise ProgressReviewError(
                f"Progress review {review.pk} is {locked.status}, not scheduled."
            )
        if locked.assigned_to_id != assigned_to.pk:
            locked.assigned_to = assigned_to
            locked.due_soon_sent_at = None
            locked.save(update_fields=["assigned_to", "due_soon_sent_at"])
    return locked
