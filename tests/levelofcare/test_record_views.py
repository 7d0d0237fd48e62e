"""Every page that shows a client's identity or answers writes a record-view row:
the client list and its search (one row per client shown, in one INSERT; a
search's terms never reach the audit trail), the new-assessment form (also with
earlier answers), draft editing and starting a progress review."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from intake.models import Assessment, RecordView
from levelofcare.presentation import RECORD_VIEW_PAGES, page_name
from levelofcare.recommendations.views.clients import PAGE_SIZE
from tests.factories import (
    AssessmentFactory,
    ClientFactory,
    ProgressReviewFactory,
    answers,
    submit_assessment,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_clinician(client: HttpClient, clinician: Any) -> HttpClient:
    client.force_login(clinician)
    return client


def _views(view_name: str) -> list[tuple[str, str, str | None]]:
    return sorted(
        RecordView.objects.filter(view_name=view_name).values_list(
            "client__reference", "user__username", "username"
        )
    )


def test_the_client_list_logs_one_row_per_client_shown(
    as_clinician: HttpClient,
) -> None:
    shown = {ClientFactory().reference for _ in range(3)}
    response = as_clinician.get(reverse("levelofcare:client_list"))
    assert response.status_code == 200
    assert _views("client_list") == sorted((ref, "robin", "robin") for ref in shown)


def test_the_client_list_logs_only_the_page_shown(as_clinician: HttpClient) -> None:
    for _ in range(PAGE_SIZE + 3):
        ClientFactory()
    as_clinician.get(reverse("levelofcare:client_list"), {"page": "2"})
    assert RecordView.objects.filter(view_name="client_list").count() == 3


def test_the_client_list_costs_the_same_queries_for_one_client_or_a_page(
    as_clinician: HttpClient,
) -> None:
    url = reverse("levelofcare:client_list")
    ClientFactory()
    with CaptureQueriesContext(connection) as one:
        as_clinician.get(url)
    for _ in range(PAGE_SIZE):
        ClientFactory()
    with CaptureQueriesContext(connection) as full_page:
        as_clinician.get(url)
    assert len(full_page) == len(one)
    inserts = [q for q in full_page if 'INSERT INTO "intake_recordview"' in q["sql"]]
    assert len(inserts) == 1
    assert RecordView.objects.filter(view_name="client_list").count() == 1 + PAGE_SIZE


def test_search_results_are_logged_without_their_terms(
    as_clinician: HttpClient,
) -> None:
    match = ClientFactory(reference="REF-1", family_name="Lovelace")
    ClientFactory(reference="REF-2", family_name="Hopper")
    posted = as_clinician.post(reverse("levelofcare:client_list"), {"q": "lovelace"})
    as_clinician.get(posted["Location"])
    assert _views("client_search") == [(match.reference, "robin", "robin")]
    for row in RecordView.objects.values_list("view_name", flat=True):
        assert "lovelace" not in row.lower()


def test_the_new_assessment_form_is_logged(as_clinician: HttpClient) -> None:
    person = ClientFactory()
    response = as_clinician.get(
        reverse("levelofcare:assessment_create", args=[person.pk]), follow=True
    )
    assert response.status_code == 200
    assert _views("assessment_new") == [(person.reference, "robin", "robin")]


def test_the_new_assessment_form_with_earlier_answers_is_logged_as_such(
    as_clinician: HttpClient, coordinator: Any
) -> None:
    earlier = submit_assessment(user=coordinator, answer_dict=answers())
    person = earlier.client
    url = reverse("levelofcare:assessment_create", args=[person.pk])
    response = as_clinician.get(url, {"from": earlier.assessment_id}, follow=True)
    assert response.status_code == 200
    assert _views("assessment_new_from") == [(person.reference, "robin", "robin")]
    assert not _views("assessment_new")


def test_editing_a_draft_is_logged(as_clinician: HttpClient, coordinator: Any) -> None:
    draft = AssessmentFactory(created_by=coordinator, status=Assessment.Status.DRAFT)
    response = as_clinician.get(reverse("levelofcare:assessment_edit", args=[draft.pk]))
    assert response.status_code == 200
    assert _views("assessment_edit") == [(draft.client.reference, "robin", "robin")]


def test_an_invalid_post_that_shows_the_form_again_is_logged_too(
    as_clinician: HttpClient, coordinator: Any
) -> None:
    draft = AssessmentFactory(created_by=coordinator, status=Assessment.Status.DRAFT)
    url = reverse("levelofcare:assessment_edit", args=[draft.pk])
    response = as_clinician.post(url, {"phq9_1": "9", "save": "1"})
    assert response.status_code == 400
    assert len(_views("assessment_edit")) == 1


def test_starting_a_progress_review_is_logged(
    as_clinician: HttpClient, clinician: Any
) -> None:
    review = ProgressReviewFactory(assigned_to=clinician)
    response = as_clinician.get(
        reverse("levelofcare:progress_review_start", args=[review.pk])
    )
    assert response.status_code == 200
    assert _views("progress_review_start") == [
        (review.placement.client.reference, "robin", "robin")
    ]


@pytest.mark.parametrize(
    "view_name",
    [
        "client_list",
        "client_search",
        "assessment_new",
        "assessment_new_from",
        "assessment_edit",
        "progress_review_start",
    ],
)
def test_the_audit_log_names_every_new_page_in_words(view_name: str) -> None:
    assert view_name in RECORD_VIEW_PAGES
    assert page_name(view_name) == RECORD_VIEW_PAGES[view_name]
    assert "_" not in page_name(view_name)
