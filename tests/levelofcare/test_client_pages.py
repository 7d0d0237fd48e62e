"""The client page (the front of the chart) and the client list's search."""

from __future__ import annotations

import logging
import re
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from intake.models import Client
from levelofcare.models import Placement, ProgressReview
from levelofcare.recommendations.selectors import client_at_a_glance
from tests.factories import (
    ClientFactory,
    PlacementFactory,
    ProgressReviewFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_coordinator(client: HttpClient, coordinator: Any) -> HttpClient:
    client.force_login(coordinator)
    return client


@pytest.fixture
def as_clinician(client: HttpClient, clinician: Any) -> HttpClient:
    client.force_login(clinician)
    return client


def _placement(**kwargs: Any) -> Placement:
    """A placement whose intake assessment is signed (the timeline names who)."""
    signer = UserFactory()
    return PlacementFactory(
        decision__recommendation__assessment__submitted_by=signer,
        decision__recommendation__assessment__submitted_at=timezone.now(),
        **kwargs,
    )


def _review(**kwargs: Any) -> ProgressReview:
    placement_kwargs = {
        k.removeprefix("placement__"): kwargs.pop(k)
        for k in list(kwargs)
        if k.startswith("placement__")
    }
    placement = kwargs.pop("placement", None) or _placement(**placement_kwargs)
    return ProgressReviewFactory(placement=placement, **kwargs)


def _glance(html: str, name: str) -> str:
    """The text of one at-a-glance line, whitespace collapsed."""
    match = re.search(rf'data-testid="glance-{name}">(.*?)</dd>', html, re.S)
    assert match, name
    return " ".join(match.group(1).split())


def _detail(http: HttpClient, person: Client) -> str:
    response = http.get(reverse("levelofcare:client_detail", args=[person.pk]))
    assert response.status_code == 200
    return response.content.decode()


# --- at a glance ---------------------------------------------------------------------


def test_at_a_glance_says_no_placement_yet(as_coordinator: HttpClient) -> None:
    person = ClientFactory()
    glance = client_at_a_glance(client=person)
    assert (glance.placement, glance.next_review) == (None, None)
    html = _detail(as_coordinator, person)
    assert 'data-testid="glance-none">No placement yet.' in html
    assert "Start progress review" not in html


def test_at_a_glance_shows_level_program_clinician_and_next_review(
    as_clinician: HttpClient, clinician: Any
) -> None:
    started = timezone.now() - timedelta(days=3)
    placement = _placement(
        level="iop", started_at=started, decision__program="Evening IOP, North site"
    )
    _review(
        placement=placement,
        assigned_to=clinician,
        due_at=timezone.now() + timedelta(days=9),
    )
    soonest = _review(
        placement=placement,
        assigned_to=clinician,
        due_at=timezone.now() + timedelta(days=4),
    )
    _review(  # completed: not the next one
        placement=placement,
        due_at=timezone.now() + timedelta(days=1),
        status=ProgressReview.Status.COMPLETED,
    )
    glance = client_at_a_glance(client=placement.client)
    assert glance.placement == placement
    assert glance.next_review == soonest
    assert not glance.review_overdue
    html = _detail(as_clinician, placement.client)
    level = _glance(html, "level")
    assert ">IOP</span>" in level
    assert f"since {started:%-d %b %Y} · Evening IOP, North site" in level
    assert _glance(html, "clinician").startswith("Robin ")
    assert _glance(html, "review").startswith(f"due {soonest.due_at:%-d %b %Y}")
    assert "overdue" not in html


def test_at_a_glance_says_overdue_in_words(as_coordinator: HttpClient) -> None:
    review = _review(due_at=timezone.now() - timedelta(days=2, hours=1))
    assert client_at_a_glance(client=review.placement.client).review_overdue
    html = _detail(as_coordinator, review.placement.client)
    assert "overdue by 2 days" in _glance(html, "review")


def test_a_closed_placement_is_no_placement(as_coordinator: HttpClient) -> None:
    placement = _placement(ended_at=timezone.now())
    _review(placement=placement, status=ProgressReview.Status.CANCELLED)
    assert client_at_a_glance(client=placement.client).placement is None
    assert "No placement yet." in _detail(as_coordinator, placement.client)


def test_client_page_queries_stay_constant(
    as_clinician: HttpClient, django_assert_max_num_queries: Any
) -> None:
    review = _review()
    person = review.placement.client
    url = reverse("levelofcare:client_detail", args=[person.pk])
    with django_assert_max_num_queries(30) as few:
        as_clinician.get(url)
    for _ in range(5):
        _review(placement=review.placement)
    with django_assert_max_num_queries(len(few.captured_queries)):
        as_clinician.get(url)
    with django_assert_max_num_queries(2):
        client_at_a_glance(client=person)


# --- start a progress review at any time ----------------------------------------------


def test_clinician_starts_a_review_weeks_before_it_is_due(
    as_clinician: HttpClient, clinician: Any
) -> None:
    due_at = timezone.now() + timedelta(days=60)
    review = _review(due_at=due_at, assigned_to=clinician)
    start = reverse("levelofcare:progress_review_start", args=[review.pk])
    assert f'href="{start}">Start progress review' in _detail(
        as_clinician, review.placement.client
    )
    response = as_clinician.get(start)
    assert response.status_code == 200
    assert "Progress review for" in response.content.decode()
    review.refresh_from_db()
    assert review.due_at == due_at  # the reminder's date does not move


def test_coordinators_see_no_start_button(as_coordinator: HttpClient) -> None:
    review = _review()
    assert "Start progress review" not in _detail(
        as_coordinator, review.placement.client
    )


def test_a_review_of_an_ended_placement_cannot_be_started(
    as_clinician: HttpClient,
) -> None:
    review = _review(placement__ended_at=timezone.now())
    response = as_clinician.get(
        reverse("levelofcare:progress_review_start", args=[review.pk])
    )
    assert response.status_code == 302
    assert response["Location"] == review.placement.client.get_absolute_url()


# --- search (post/redirect/get) -------------------------------------------------------


def _search(http: HttpClient, terms: str) -> Any:
    """POST a search, check the redirect, and GET the results page."""
    response = http.post(reverse("levelofcare:client_list"), {"q": terms})
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(reverse("levelofcare:client_list") + "?search=")
    return http.get(location)


@pytest.fixture
def people() -> None:
    ClientFactory(
        reference="REF-1",
        given_name="Ada",
        family_name="Lovelace",
        date_of_birth=date(1980, 2, 3),
    )
    ClientFactory(
        reference="REF-2",
        given_name="Grace",
        family_name="Hopper",
        date_of_birth=date(1980, 3, 2),
    )
    ClientFactory(reference="XYZ-9", given_name="Alan", family_name="Turing")


@pytest.mark.usefixtures("people")
@pytest.mark.parametrize(
    ("terms", "found"),
    [
        ("ref", {"REF-1", "REF-2"}),  # reference, any part
        ("xyz-9", {"XYZ-9"}),
        ("grace hop", {"REF-2"}),  # every word: given and family name
        ("TURING", {"XYZ-9"}),
        ("1980-02-03", {"REF-1"}),  # date of birth, ISO
        ("3/2/1980", {"REF-1"}),  # date of birth, day/month/year
        ("03/02/1980", {"REF-1"}),
        ("2/3/1980", {"REF-2"}),
        ("ada 3/2/1980", {"REF-1"}),
        ("grace 3/2/1980", set()),
        ("31/2/1980", set()),  # not a date: no crash, no match
    ],
)
def test_search_by_name_reference_or_date_of_birth(
    as_coordinator: HttpClient, terms: str, found: set[str]
) -> None:
    page = _search(as_coordinator, terms).context["page"]
    assert {c.reference for c in page} == found


def test_search_keeps_names_and_dates_out_of_every_url(
    as_coordinator: HttpClient, caplog: pytest.LogCaptureFixture
) -> None:
    for n in range(30):
        ClientFactory(
            reference=f"LOV-{n:02d}",
            family_name="Lovelace",
            date_of_birth=date(1980, 2, 3),
        )
    ClientFactory(reference="OTHER-1", family_name="Hopper")
    caplog.set_level(logging.INFO)
    response = as_coordinator.post(
        reverse("levelofcare:client_list"), {"q": "lovelace 3/2/1980"}
    )
    location = response["Location"]
    for term in ("lovelace", "1980", "3%2F2", "3/2"):
        assert term not in location.lower()
    # Logged without the terms.
    assert "client search by user" in caplog.text
    assert "lovelace" not in caplog.text.lower()
    assert "1980" not in caplog.text

    results = as_coordinator.get(location)
    html = results.content.decode()
    assert results.context["page"].paginator.count == 30
    assert 'name="q" value="lovelace 3/2/1980"' in html
    assert "?q=" not in html
    search_id = location.split("search=")[1]
    next_page = f"?search={search_id}&amp;page=2"
    assert f'href="{next_page}"' in html
    page2 = as_coordinator.get(location + "&page=2")
    assert len(page2.context["page"].object_list) == 5
    assert page2.context["search_terms"] == "lovelace 3/2/1980"


def test_search_results_are_a_get_that_reloads_without_resubmitting(
    as_coordinator: HttpClient,
) -> None:
    ClientFactory(reference="REF-1", family_name="Lovelace")
    ClientFactory(reference="REF-2", family_name="Hopper")
    location = as_coordinator.post(reverse("levelofcare:client_list"), {"q": "hopper"})[
        "Location"
    ]
    for _ in range(2):  # Back / Reload: the same GET, the same results
        page = as_coordinator.get(location).context["page"]
        assert [c.reference for c in page] == ["REF-2"]


def test_a_search_id_from_another_session_finds_nothing(
    client: HttpClient, coordinator: Any
) -> None:
    ClientFactory(family_name="Lovelace")
    client.force_login(coordinator)
    location = client.post(reverse("levelofcare:client_list"), {"q": "lovelace"})[
        "Location"
    ]
    client.logout()
    client.force_login(coordinator)  # a new session: the terms stayed in the old one
    response = client.get(location)
    assert response.status_code == 302
    assert response["Location"] == reverse("levelofcare:client_list")


def test_an_empty_search_shows_every_client(as_coordinator: HttpClient) -> None:
    ClientFactory.create_batch(2)
    response = as_coordinator.post(reverse("levelofcare:client_list"), {"q": "  "})
    assert response["Location"] == reverse("levelofcare:client_list")


def test_a_name_in_the_query_string_is_ignored(as_coordinator: HttpClient) -> None:
    ClientFactory(family_name="Lovelace")
    ClientFactory(family_name="Hopper")
    response = as_coordinator.get(reverse("levelofcare:client_list"), {"q": "hopper"})
    assert response.context["page"].paginator.count == 2
    assert response.context["search_terms"] == ""
