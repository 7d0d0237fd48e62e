"""Reassigning a progress review is on the record: the client's timeline says who
moved it, the previous assignee is told, and no one is reminded twice for the
same due date however often it moves back and forth."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from levelofcare.models import Notification, ProgressReview
from levelofcare.progress.reminders import reminders_sweep
from levelofcare.progress.services import progress_review_reassign
from tests.factories import ProgressReviewFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


def _due_soon(user: Any) -> int:
    return Notification.objects.filter(user=user, kind="due_soon").count()


def test_the_reassignment_is_on_the_clients_timeline(
    client: HttpClient, clinician: Any, other_clinician: Any, coordinator: Any
) -> None:
    clinician.last_name, other_clinician.last_name = "Kaur", "Obi"
    clinician.save()
    other_clinician.save()
    lead = UserFactory(username="lee", first_name="Lee", last_name="Park")
    review = ProgressReviewFactory(
        assigned_to=clinician,
        # A signed intake assessment: the timeline names who signed it.
        placement__decision__recommendation__assessment__submitted_by=coordinator,
        placement__decision__recommendation__assessment__submitted_at=NOW,
    )
    progress_review_reassign(review=review, assigned_to=other_clinician, by=lead)

    client.force_login(coordinator)
    person = review.placement.client
    html = client.get(reverse("levelofcare:client_detail", args=[person.pk]))
    text = " ".join(html.content.decode().split())
    assert (
        "<strong>Progress review reassigned</strong> from Robin Kaur to Sam Obi "
        "by Lee Park" in text
    )
    moved = review.reassignments.get()
    assert (moved.from_user, moved.to_user, moved.by) == (
        clinician,
        other_clinician,
        lead,
    )
    # And in the review's history, signed by who did it.
    assert review.history.first().history_user == lead


def test_the_previous_assignee_is_notified_without_identifying_data(
    clinician: Any, other_clinician: Any
) -> None:
    review = ProgressReviewFactory(assigned_to=clinician)
    person = review.placement.client
    progress_review_reassign(
        review=review, assigned_to=other_clinician, by=other_clinician
    )
    notice = Notification.objects.get(user=clinician)
    assert notice.kind == Notification.Kind.REASSIGNED
    assert notice.review == review
    assert person.reference in notice.text
    for identifying in (person.given_name, person.family_name, "1971"):
        assert identifying not in notice.text
    assert notice.url == f"/progress-reviews/due/?review={review.pk}#review-{review.pk}"
    assert not Notification.objects.filter(user=other_clinician).exists()


def test_giving_away_ones_own_review_notifies_no_one(
    clinician: Any, other_clinician: Any
) -> None:
    review = ProgressReviewFactory(assigned_to=clinician)
    progress_review_reassign(review=review, assigned_to=other_clinician, by=clinician)
    assert not Notification.objects.exists()
    assert review.reassignments.count() == 1


def test_reassigning_to_the_same_clinician_records_nothing(clinician: Any) -> None:
    review = ProgressReviewFactory(assigned_to=clinician)
    progress_review_reassign(review=review, assigned_to=clinician, by=clinician)
    assert not review.reassignments.exists()
    assert not Notification.objects.exists()


def test_back_and_forth_never_reminds_anyone_twice_for_one_due_date(
    clinician: Any, other_clinician: Any
) -> None:
    a, b = clinician, other_clinician
    review = ProgressReviewFactory(assigned_to=a, due_at=NOW + 5 * HOUR)

    reminders_sweep(now=NOW)
    assert (_due_soon(a), _due_soon(b)) == (1, 0)

    progress_review_reassign(review=review, assigned_to=b, by=b)  # A -> B
    reminders_sweep(now=NOW + HOUR)
    assert (_due_soon(a), _due_soon(b)) == (1, 1)  # B gets one

    progress_review_reassign(review=review, assigned_to=a, by=b)  # B -> A
    review.refresh_from_db()
    assert review.due_soon_sent_at == NOW  # A's own reminder, restored
    reminders_sweep(now=NOW + 2 * HOUR)
    assert (_due_soon(a), _due_soon(b)) == (1, 1)  # A: no second reminder

    progress_review_reassign(review=review, assigned_to=b, by=a)  # A -> B again
    reminders_sweep(now=NOW + 3 * HOUR)
    assert (_due_soon(a), _due_soon(b)) == (1, 1)  # B: no second either


def test_moving_back_before_the_new_assignee_was_reminded_keeps_a_reminded(
    clinician: Any, other_clinician: Any
) -> None:
    a, b = clinician, other_clinician
    review = ProgressReviewFactory(assigned_to=a, due_at=NOW + 5 * HOUR)
    reminders_sweep(now=NOW)
    progress_review_reassign(review=review, assigned_to=b, by=a)
    progress_review_reassign(review=review, assigned_to=a, by=b)  # no sweep between
    reminders_sweep(now=NOW + HOUR)
    assert (_due_soon(a), _due_soon(b)) == (1, 0)
    progress_review_reassign(review=review, assigned_to=b, by=a)
    reminders_sweep(now=NOW + 2 * HOUR)
    assert (_due_soon(a), _due_soon(b)) == (1, 1)  # B was never reminded: now


def test_a_new_due_date_is_reminded_again(clinician: Any, other_clinician: Any) -> None:
    """The memory is per due date: the next review's reminder is a new one."""
    a, b = clinician, other_clinician
    review = ProgressReviewFactory(assigned_to=a, due_at=NOW + 5 * HOUR)
    reminders_sweep(now=NOW)
    progress_review_reassign(review=review, assigned_to=b, by=a)
    ProgressReview.objects.filter(pk=review.pk).update(due_at=NOW + 10 * HOUR)
    review.refresh_from_db()
    progress_review_reassign(review=review, assigned_to=a, by=b)
    review.refresh_from_db()
    assert review.due_soon_sent_at is None
    reminders_sweep(now=NOW + HOUR)
    assert _due_soon(a) == 2


def test_the_due_list_reassign_form_records_who_did_it(
    client: HttpClient, clinician: Any, other_clinician: Any
) -> None:
    review = ProgressReviewFactory(assigned_to=clinician)
    client.force_login(other_clinician)
    response = client.post(
        reverse("levelofcare:progress_review_reassign", args=[review.pk]),
        {"assigned_to": other_clinician.pk},
    )
    assert response.status_code == 302
    assert review.reassignments.get().by == other_clinician
    assert Notification.objects.get().user == clinician
