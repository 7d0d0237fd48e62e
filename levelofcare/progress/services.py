"""Progress review scheduling: every write to a ProgressReview's life cycle.

A review's due date is data (`due_at`); reminders are swept from it by
`levelofcare.progress.reminders`, never queued as ETA tasks.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from levelofcare.criteria.selectors import criteria_active
from levelofcare.errors import ProgressReviewError
from levelofcare.models import (
    Notification,
    Placement,
    ProgressReview,
    ProgressReviewReassignment,
)
from levelofcare.progress.selectors import user_is_clinician

# The previous assignee's notice (no patient-identifying data: the reference only).
REASSIGNED_TEXT = (
    "A progress review was reassigned away from you (client ref {reference})"
)


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
    *, review: ProgressReview, assigned_to: Any, by: Any, now: datetime | None = None
) -> ProgressReview:
    """Give a scheduled review to another clinician, on the record.

    Holding a scheduled review puts its client in one's caseload (and opens the
    client's audit trail), so a reassignment is never silent:

    1. Lock the review; it must still be scheduled. Same assignee: nothing to do.
    2. Record the reassignment (from, to, by, when): the client's timeline shows it.
    3. Reminders: if the previous assignee was reminded "due soon", remember that
       (user, due date, when). The new assignee is reminded again only if not yet
       reminded for this due date: back and forth (A to B to A) never reminds A
       twice. An overdue escalation already reached every clinician.
    4. Notify the previous assignee in the app (unless they did it themselves):
       a link and the client reference only, like the reminders.
    """
    now = now or timezone.now()
    if not user_is_clinician(assigned_to):
        raise ProgressReviewError(
            "A progress review can only be assigned to a clinician."
        )
    with transaction.atomic():
        locked = (
            ProgressReview.objects.select_for_update()
            .select_related("placement__client")
            .get(pk=review.pk)
        )
        if locked.status != ProgressReview.Status.SCHEDULED:
            raise ProgressReviewError(
                f"Progress review {review.pk} is {locked.status}, not scheduled."
            )
        previous_id = locked.assigned_to_id
        if previous_id == assigned_to.pk:
            return locked
        ProgressReviewReassignment.objects.create(
            review=locked, from_user_id=previous_id, to_user=assigned_to, by=by, at=now
        )
        due = locked.due_at.isoformat()
        reminded = {
            (entry["user"], entry["due_at"]): entry["sent_at"]
            for entry in locked.due_soon_reminded
        }
        if locked.due_soon_sent_at is not None:
            reminded.setdefault((previous_id, due), locked.due_soon_sent_at.isoformat())
        sent_at = reminded.get((assigned_to.pk, due))
        locked.due_soon_sent_at = datetime.fromisoformat(sent_at) if sent_at else None
        locked.due_soon_reminded = [
            {"user": user_id, "due_at": due_at, "sent_at": at}
            for (user_id, due_at), at in reminded.items()
        ]
        locked.assigned_to = assigned_to
        locked._history_user = by  # type: ignore[attr-defined]  # simple_history
        locked.save(
            update_fields=["assigned_to", "due_soon_sent_at", "due_soon_reminded"]
        )
        if previous_id != by.pk:
            _notify_reassigned(review=locked, user_id=previous_id, now=now)
    return locked


def _notify_reassigned(*, review: ProgressReview, user_id: int, now: datetime) -> None:
    """The previous assignee's in-app notice: no names, no dates of birth."""
    reference = review.placement.client.reference
    due_path = reverse("levelofcare:progress_reviews_due")
    Notification.objects.create(
        user_id=user_id,
        kind=Notification.Kind.REASSIGNED,
        review=review,
        text=REASSIGNED_TEXT.format(reference=reference),
        url=f"{due_path}?review={review.pk}#review-{review.pk}",
        created_at=now,
    )
