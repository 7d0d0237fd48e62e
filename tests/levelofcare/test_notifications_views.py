"""Reviews-due list, reassignment, notifications and the bell in the navigation."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from levelofcare.models import Notification, ProgressReview
from tests.factories import ProgressReviewFactory, reviews_due_at

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
DUE_URL = "/progress-reviews/due/"


@pytest.fixture(autouse=True)
def _frozen_clock() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def _rows(response: Any) -> list[str]:
    """The client references in the due list, in display order."""
    return re.findall(
        r'<tr id="review-\d+".*?>\s*<th scope="row"><a [^>]*>([^<]+)<',
        response.content.decode(),
        re.S,
    )


def _ref(review: ProgressReview) -> str:
    return review.placement.client.reference


def _notification(user: Any, review: ProgressReview, **kwargs: Any) -> Notification:
    return Notification.objects.create(
        user=user,
        kind=kwargs.pop("kind", "due_soon"),
        review=review,
        text=f"A progress review is due (client ref {_ref(review)})",
        url=f"{DUE_URL}?review={review.pk}#review-{review.pk}",
        **kwargs,
    )


# --- reviews due -----------------------------------------------------------------


def test_a_clinician_sees_their_own_due_reviews_soonest_first(
    client: Any, clinician: Any, other_clinician: Any
) -> None:
    later = ProgressReviewFactory(assigned_to=clinician, due_at=NOW + 20 * HOUR)
    overdue = ProgressReviewFactory(assigned_to=clinician, due_at=NOW - 30 * HOUR)
    soon = ProgressReviewFactory(assigned_to=clinician, due_at=NOW + 2 * HOUR)
    ProgressReviewFactory(assigned_to=other_clinician, due_at=NOW + HOUR)
    ProgressReviewFactory(assigned_to=clinician, due_at=NOW + 5 * 24 * HOUR)
    ProgressReviewFactory(assigned_to=clinician, due_at=NOW, status="completed")
    client.force_login(clinician)

    response = client.get(DUE_URL)

    assert response.status_code == 200
    assert response.context["who"] == "mine"
    assert _rows(response) == [_ref(overdue), _ref(soon), _ref(later)]
    html = response.content.decode()
    assert html.count(">Overdue</span>") == 1
    assert f'href="/clients/{overdue.placement.client_id}/"' in html
    assert f'href="/progress-reviews/{overdue.pk}/start/">Start review' in html
    assert "1 day, 6 hours ago" in html.replace("\xa0", " ")
    assert overdue.placement.client.family_name not in html


def test_everyone_shows_the_due_reviews_of_all_clinicians(
    client: Any, clinician: Any, other_clinician: Any
) -> None:
    mine = ProgressReviewFactory(assigned_to=clinician, due_at=NOW + 3 * HOUR)
    theirs = ProgressReviewFactory(assigned_to=other_clinician, due_at=NOW + HOUR)
    client.force_login(clinician)

    response = client.get(DUE_URL, {"who": "all"})

    assert _rows(response) == [_ref(theirs), _ref(mine)]
    assert (
        'aria-current="page" href="/progress-reviews/due/?who=all"'
        in response.content.decode()
    )


def test_a_reminder_link_shows_that_review_whoever_has_it(
    client: Any, clinician: Any, other_clinician: Any
) -> None:
    ProgressReviewFactory(assigned_to=clinician, due_at=NOW + HOUR)
    theirs = ProgressReviewFactory(assigned_to=other_clinician, due_at=NOW - 30 * HOUR)
    client.force_login(clinician)

    response = client.get(DUE_URL, {"review": theirs.pk})

    assert _rows(response) == [_ref(theirs)]


def test_the_due_list_is_paginated_by_25(client: Any, clinician: Any) -> None:
    reviews_due_at(NOW + HOUR, 27, assigned_to=clinician)
    client.force_login(clinician)

    first = client.get(DUE_URL)
    second = client.get(DUE_URL, {"page": 2})

    assert len(_rows(first)) == 25
    assert len(_rows(second)) == 2
    assert "Page 1 of 2" in first.content.decode()


@pytest.mark.parametrize("persona", ["coordinator", "criteria_admin", "no_role_user"])
@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", DUE_URL),
        ("get", "/notifications/"),
        ("post", "/notifications/read-all/"),
    ],
)
def test_only_clinicians_reach_reviews_and_notifications(
    client: Any, persona: str, method: str, url: str, request: pytest.FixtureRequest
) -> None:
    client.force_login(request.getfixturevalue(persona))

    assert getattr(client, method)(url).status_code == 403


def test_a_coordinator_cannot_reassign_a_review(
    client: Any, coordinator: Any, clinician: Any, other_clinician: Any
) -> None:
    review = ProgressReviewFactory(assigned_to=clinician, due_at=NOW + HOUR)
    client.force_login(coordinator)

    response = client.post(
        reverse("levelofcare:progress_review_reassign", args=[review.pk]),
        {"assigned_to": other_clinician.pk},
    )

    assert response.status_code == 403
    review.refresh_from_db()
    assert review.assigned_to == clinician


def test_anonymous_users_are_sent_to_sign_in(client: Any) -> None:
    response = client.get(DUE_URL)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_clinician_reassigns_a_review_from_the_list(
    client: Any, clinician: Any, other_clinician: Any
) -> None:
    review = ProgressReviewFactory(assigned_to=clinician, due_at=NOW + HOUR)
    client.force_login(clinician)
    page = client.get(DUE_URL).content.decode()
    assert f'action="/progress-reviews/{review.pk}/reassign/"' in page
    assert f'<option value="{other_clinician.pk}">Sam ' in page

    response = client.post(
        f"/progress-reviews/{review.pk}/reassign/",
        {"assigned_to": other_clinician.pk, "next": "/progress-reviews/due/?who=all"},
        follow=True,
    )

    assert response.redirect_chain == [("/progress-reviews/due/?who=all", 302)]
    review.refresh_from_db()
    assert review.assigned_to == other_clinician
    assert f"assigned to Sam {other_clinician.last_name}" in response.content.decode()


def test_a_review_cannot_be_reassigned_to_a_non_clinician(
    client: Any, clinician: Any, coordinator: Any
) -> None:
    review = ProgressReviewFactory(assigned_to=clinician, due_at=NOW + HOUR)
    client.force_login(clinician)

    response = client.post(
        f"/progress-reviews/{review.pk}/reassign/",
        {"assigned_to": coordinator.pk, "next": "https://evil.example/"},
    )

    assert response.status_code == 302
    assert response["Location"] == DUE_URL
    review.refresh_from_db()
    assert review.assigned_to == clinician


@pytest.mark.parametrize("rows", [5, 30])
def test_the_due_list_runs_a_constant_number_of_queries(
    client: Any,
    clinician: Any,
    other_clinician: Any,
    rows: int,
    django_assert_max_num_queries: Any,
) -> None:
    reviews_due_at(NOW + HOUR, rows, assigned_to=other_clinician)
    client.force_login(clinician)

    with django_assert_max_num_queries(12):
        response = client.get(DUE_URL, {"who": "all"})

    assert len(_rows(response)) == min(rows, 25)


def test_the_due_list_query_count_does_not_grow_with_rows(
    client: Any, clinician: Any, other_clinician: Any
) -> None:
    client.force_login(clinician)
    counts = []
    for _ in range(2):
        reviews_due_at(NOW + HOUR, 12, assigned_to=other_clinician)
        with CaptureQueriesContext(connection) as queries:
            client.get(DUE_URL, {"who": "all"})
        counts.append(len(queries))

    assert counts[0] == counts[1]


# --- notifications ---------------------------------------------------------------


def test_the_notifications_page_lists_mine_newest_first_with_unread_highlighted(
    client: Any, clinician: Any, other_clinician: Any
) -> None:
    review = ProgressReviewFactory(assigned_to=clinician, due_at=NOW + HOUR)
    old = _notification(clinician, review, created_at=NOW - 5 * HOUR, read_at=NOW)
    new = _notification(clinician, review, kind="overdue", created_at=NOW - HOUR)
    _notification(other_clinician, review)
    client.force_login(clinician)

    response = client.get("/notifications/")

    assert [n.pk for n in response.context["page"]] == [new.pk, old.pk]
    html = response.content.decode()
    assert (
        f'<tr class="table-info fw-semibold" data-testid="notification-{new.pk}">'
        in html
    )
    assert f'<tr data-testid="notification-{old.pk}">' in html
    assert html.count(">Unread</span>") == 1
    assert "Mark all as read" in html


def test_opening_a_notification_marks_it_read_and_follows_its_link(
    client: Any, clinician: Any
) -> None:
    review = ProgressReviewFactory(assigned_to=clinician, due_at=NOW + HOUR)
    notification = _notification(clinician, review)
    client.force_login(clinician)

    response = client.post(f"/notifications/{notification.pk}/read/", {"go": "1"})

    assert response.status_code == 302
    assert response["Location"] == notification.url
    notification.refresh_from_db()
    assert notification.read_at == NOW


def test_marking_one_read_stays_on_the_notifications_page(
    client: Any, clinician: Any
) -> None:
    review = ProgressReviewFactory(assigned_to=clinician, due_at=NOW + HOUR)
    notification = _notification(clinician, review)
    client.force_login(clinician)

    response = client.post(f"/notifications/{notification.pk}/read/")

    assert response["Location"] == "/notifications/"
    notification.refresh_from_db()
    assert notification.read_at == NOW


def test_a_notification_with_a_foreign_link_is_not_followed(
    client: Any, clinician: Any
) -> None:
    review = ProgressReviewFactory(assigned_to=clinician, due_at=NOW + HOUR)
    notification = _notification(clinician, review)
    Notification.objects.filter(pk=notification.pk).update(url="https://evil.example/")
    client.force_login(clinician)

    response = client.post(f"/notifications/{notification.pk}/read/", {"go": "1"})

    assert response["Location"] == "/notifications/"


def test_another_users_notification_cannot_be_opened(
    client: Any, clinician: Any, other_clinician: Any
) -> None:
    review = ProgressReviewFactory(assigned_to=other_clinician, due_at=NOW + HOUR)
    theirs = _notification(other_clinician, review)
    client.force_login(clinician)

    response = client.post(f"/notifications/{theirs.pk}/read/", {"go": "1"})

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_reading_notifications_needs_a_post(client: Any, clinician: Any) -> None:
    review = ProgressReviewFactory(assigned_to=clinician, due_at=NOW + HOUR)
    notification = _notification(clinician, review)
    client.force_login(clinician)

    assert client.get(f"/notifications/{notification.pk}/read/?go=1").status_code == 405
    notification.refresh_from_db()
    assert notification.read_at is None


def test_mark_all_read_touches_only_my_unread_notifications(
    client: Any, clinician: Any, other_clinician: Any
) -> None:
    review = ProgressReviewFactory(assigned_to=clinician, due_at=NOW + HOUR)
    earlier = NOW - 24 * HOUR
    already = _notification(clinician, review, read_at=earlier)
    mine = [_notification(clinician, review) for _ in range(3)]
    theirs = _notification(other_clinician, review)
    client.force_login(clinician)

    response = client.post("/notifications/read-all/", follow=True)

    assert "3 notifications marked read." in response.content.decode()
    assert {
        n.read_at for n in Notification.objects.filter(pk__in=[m.pk for m in mine])
    } == {NOW}
    already.refresh_from_db()
    theirs.refresh_from_db()
    assert already.read_at == earlier
    assert theirs.read_at is None


def test_the_bell_in_the_navigation_counts_unread_notifications(
    client: Any, clinician: Any
) -> None:
    review = ProgressReviewFactory(assigned_to=clinician, due_at=NOW + HOUR)
    _notification(clinician, review)
    _notification(clinician, review)
    _notification(clinician, review, read_at=NOW)
    client.force_login(clinician)

    html = client.get("/").content.decode()

    bell = re.search(r'<a [^>]*data-testid="nav-notifications".*?</a>', html, re.S)
    assert bell is not None
    assert 'href="/notifications/"' in bell.group(0)
    assert 'aria-label="Notifications, 2 unread"' in bell.group(0)
    assert re.search(r'data-testid="nav-unread-count"[^>]*>2</span>', bell.group(0))
    assert html.index('data-testid="nav-notifications"') < html.index(
        'data-testid="nav-user"'
    )


def test_the_bell_shows_zero_when_everything_is_read(
    client: Any, clinician: Any
) -> None:
    client.force_login(clinician)

    html = client.get("/").content.decode()

    assert 'aria-label="Notifications, 0 unread"' in html


def test_roles_without_reviews_get_no_bell(client: Any, coordinator: Any) -> None:
    client.force_login(coordinator)

    html = client.get("/").content.decode()

    assert 'data-testid="nav-notifications"' not in html


# --- old URLs (links already sent in emails) --------------------------------------


def test_the_old_due_list_url_redirects_permanently_with_its_query(
    client: Any, clinician: Any
) -> None:
    review = ProgressReviewFactory(assigned_to=clinician, due_at=NOW + HOUR)
    client.force_login(clinician)

    response = client.get(f"/reviews/due/?review={review.pk}")

    assert response.status_code == 301
    assert response["Location"] == f"{DUE_URL}?review={review.pk}"
    assert _rows(client.get(response["Location"])) == [_ref(review)]


def test_the_old_reassign_url_still_reassigns(
    client: Any, clinician: Any, other_clinician: Any
) -> None:
    review = ProgressReviewFactory(assigned_to=clinician, due_at=NOW + HOUR)
    client.force_login(clinician)

    response = client.post(
        f"/reviews/{review.pk}/reassign/",
        {"assigned_to": other_clinician.pk, "next": DUE_URL},
    )

    assert response.status_code == 302
    review.refresh_from_db()
    assert review.assigned_to == other_clinician
