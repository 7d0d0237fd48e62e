"""Scheduling progress reviews: intervals from criteria, completion, cancelling."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from levelofcare.errors import ProgressReviewError
from levelofcare.models import CriteriaSet, ProgressReview
from levelofcare.progress.services import (
    progress_review_complete,
    progress_review_reassign,
    progress_review_schedule,
    progress_reviews_cancel_open,
)
from tests.factories import (
    PlacementFactory,
    ProgressReviewFactory,
    active_criteria,
)

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("level", "days"), [("inpatient", 3), ("iop", 7), ("outpatient", 90)]
)
def test_first_review_is_due_after_the_levels_interval(
    clinician: Any, level: str, days: int
) -> None:
    placement = PlacementFactory(level=level)

    review = progress_review_schedule(
        placement=placement, assigned_to=clinician, now=NOW
    )

    review.refresh_from_db()
    assert review.due_at == NOW + dt.timedelta(days=days)
    assert review.status == ProgressReview.Status.SCHEDULED
    assert review.assigned_to == clinician
    assert review.placement == placement


def test_a_changed_interval_in_the_active_criteria_is_used(clinician: Any) -> None:
    old = active_criteria()
    CriteriaSet.objects.filter(pk=old.pk).update(is_active=False)
    CriteriaSet.objects.create(
        version=old.version + 1,
        is_active=True,
        review_interval_iop_days=10,
        change_note="Payer asks for IOP reviews every 10 days.",
    )
    placement = PlacementFactory(level="iop")

    review = progress_review_schedule(
        placement=placement, assigned_to=clinician, now=NOW
    )

    assert review.due_at == NOW + dt.timedelta(days=10)


def test_scheduling_uses_the_clock_when_no_time_is_given(clinician: Any) -> None:
    placement = PlacementFactory(level="inpatient")

    with time_machine.travel(NOW, tick=False):
        review = progress_review_schedule(placement=placement, assigned_to=clinician)

    assert review.due_at == NOW + dt.timedelta(days=3)


def test_a_closed_placement_cannot_get_a_review(clinician: Any) -> None:
    placement = PlacementFactory(level="iop", ended_at=NOW)

    with pytest.raises(ProgressReviewError, match="closed placement"):
        progress_review_schedule(placement=placement, assigned_to=clinician, now=NOW)


def test_completing_a_review_schedules_the_next_for_the_same_clinician(
    clinician: Any,
) -> None:
    placement = PlacementFactory(level="inpatient")
    first = progress_review_schedule(
        placement=placement, assigned_to=clinician, now=NOW
    )
    done_at = NOW + dt.timedelta(days=3, hours=2)

    following = progress_review_complete(review=first, now=done_at)

    first.refresh_from_db()
    assert first.status == ProgressReview.Status.COMPLETED
    assert first.completed_at == done_at
    assert following is not None
    assert following.due_at == done_at + dt.timedelta(days=3)
    assert following.assigned_to == clinician
    assert following.placement == placement
    assert list(placement.reviews.filter(status="scheduled")) == [following]


def test_completing_the_last_review_of_a_closed_placement_schedules_nothing(
    clinician: Any,
) -> None:
    review = ProgressReviewFactory(
        placement__level="iop", placement__ended_at=NOW, assigned_to=clinician
    )

    assert progress_review_complete(review=review, now=NOW) is None

    review.refresh_from_db()
    assert review.status == ProgressReview.Status.COMPLETED
    assert review.placement.reviews.count() == 1


def test_a_review_cannot_be_completed_twice(clinician: Any) -> None:
    review = ProgressReviewFactory(assigned_to=clinician)
    progress_review_complete(review=review, now=NOW)

    with pytest.raises(ProgressReviewError, match="completed"):
        progress_review_complete(review=review, now=NOW)

    assert review.placement.reviews.filter(status="scheduled").count() == 1


def test_closing_a_placement_cancels_its_open_reviews(clinician: Any) -> None:
    placement = PlacementFactory(level="iop")
    done = ProgressReviewFactory(
        placement=placement, assigned_to=clinician, status="completed"
    )
    open_review = ProgressReviewFactory(placement=placement, assigned_to=clinician)
    elsewhere = ProgressReviewFactory(assigned_to=clinician)

    cancelled = progress_reviews_cancel_open(placement=placement)

    assert cancelled == 1
    statuses = dict(ProgressReview.objects.values_list("pk", "status"))
    assert statuses == {
        done.pk: "completed",
        open_review.pk: "cancelled",
        elsewhere.pk: "scheduled",
    }
    assert open_review.history.first().status == "cancelled"


def test_a_review_can_be_reassigned_to_another_clinician(
    clinician: Any, other_clinician: Any
) -> None:
    review = ProgressReviewFactory(
        assigned_to=clinician, due_soon_sent_at=timezone.now()
    )

    progress_review_reassign(review=review, assigned_to=other_clinician, by=clinician)

    review.refresh_from_db()
    assert review.assigned_to == other_clinician
    # The new assignee has not been reminded yet: the due-soon reminder re-arms.
    assert review.due_soon_sent_at is None


@pytest.mark.parametrize("persona", ["coordinator", "criteria_admin", "no_role_user"])
def test_a_review_cannot_be_assigned_to_a_non_clinician(
    clinician: Any, persona: str, request: pytest.FixtureRequest
) -> None:
    review = ProgressReviewFactory(assigned_to=clinician)
    user = request.getfixturevalue(persona)

    with pytest.raises(ProgressReviewError, match="clinician"):
        progress_review_reassign(review=review, assigned_to=user, by=clinician)

    review.refresh_from_db()
    assert review.assigned_to == clinician


def test_an_inactive_clinician_cannot_be_assigned(
    clinician: Any, other_clinician: Any
) -> None:
    review = ProgressReviewFactory(assigned_to=clinician)
    other_clinician.is_active = False
    other_clinician.save()

    with pytest.raises(ProgressReviewError, match="clinician"):
        progress_review_reassign(
            review=review, assigned_to=other_clinician, by=clinician
        )
