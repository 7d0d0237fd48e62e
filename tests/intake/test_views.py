"""Intake views: client registry, assessment drafts and submission, the result page."""

from __future__ import annotations

import re
from typing import Any
from unittest import mock

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from intake.catalogue import field_name
from intake.forms import AssessmentForm
from intake.models import Assessment, Client, RecordView
from levelofcare.models import Recommendation
from tests.factories import ClientFactory, answers, form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_coordinator(client: HttpClient, coordinator: Any) -> HttpClient:
    client.force_login(coordinator)
    return client


def test_register_a_client(as_coordinator: HttpClient, coordinator: Any) -> None:
    response = as_coordinator.post(
        reverse("intake:client_create"),
        {
            "reference": "abc-123",
            "given_name": "Jane",
            "family_name": "Doe",
            "date_of_birth": "1990-04-01",
            "contact": "",
        },
    )
    client = Client.objects.get()
    assert response.status_code == 302
    assert response["Location"] == client.get_absolute_url()
    assert (client.reference, client.created_by) == ("ABC-123", coordinator)


def test_register_a_client_with_errors_keeps_what_was_typed(
    as_coordinator: HttpClient,
) -> None:
    ClientFactory(reference="ABC-123")
    response = as_coordinator.post(
        reverse("intake:client_create"),
        {
            "reference": "ABC-123",
            "given_name": "Jane",
            "family_name": "",
            "date_of_birth": "1990-04-01",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "A client with this reference already exists." in html
    assert 'value="Jane"' in html
    assert Client.objects.count() == 1


def test_client_list_paginates_newest_activity_first_in_constant_queries(
    as_coordinator: HttpClient, django_assert_max_num_queries: Any
) -> None:
    ClientFactory.create_batch(3)
    with django_assert_max_num_queries(8) as few:
        as_coordinator.get(reverse("levelofcare:client_list"))
    ClientFactory.create_batch(60)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = as_coordinator.get(reverse("levelofcare:client_list"), {"page": 2})
    page = response.context["page"]
    assert len(page.object_list) == 25
    assert page.paginator.count == 63
    stamps = [c.last_activity_at for c in page.object_list]
    assert stamps == sorted(stamps, reverse=True)


def test_save_draft_then_submit_creates_one_assessment_and_one_recommendation(
    as_coordinator: HttpClient,
) -> None:
    person = ClientFactory()
    data = form_data(answers(phq9=...), save_draft="1", notes="first call")
    data.update({field_name("phq9", 1): "3", field_name("phq9", 2): "3"})
    response = as_coordinator.post(
        reverse("levelofcare:assessment_create", args=[person.pk]), data
    )
    draft = Assessment.objects.get()
    assert response["Location"] == reverse(
        "levelofcare:assessment_edit", args=[draft.pk]
    )
    assert draft.is_draft and draft.notes == "first call"
    assert draft.partial_items["phq9"][:3] == [3, 3, None]
    assert not Recommendation.objects.exists()

    # Re-opening the draft shows what was typed: the answered items are checked.
    reopened = as_coordinator.get(response["Location"])
    form = reopened.context["form"]
    first, second, third = (field_name("phq9", i) for i in (1, 2, 3))
    assert (form.initial[first], form.initial[second]) == ("3", "3")
    assert third not in form.initial
    html = reopened.content.decode()
    assert re.search(rf'name="{first}" value="3"[^>]*checked', html)

    submit = form_data(answers(phq9=[3, 3, 2, 2, 2, 2, 1, 1, 0]), submit="1")
    response = as_coordinator.post(
        reverse("levelofcare:assessment_edit", args=[draft.pk]), submit
    )
    assert Assessment.objects.count() == 1
    rec = Recommendation.objects.get()
    assert response["Location"] == reverse(
        "levelofcare:assessment_result", args=[draft.pk]
    )
    assert rec.level == "iop"
    assert rec.scores["phq9"] == {
        "total": 16,
        "band": "moderately_severe",
        "item9_positive": False,
    }
    assert rec.criteria.version == 1
    assert [r["code"] for r in rec.reasons] == ["PHQ9_IOP"]


def test_totals_are_computed_on_the_server_not_taken_from_the_browser(
    as_coordinator: HttpClient,
) -> None:
    person = ClientFactory()
    data = form_data(answers(), submit="1", phq9_total="27", level="inpatient")
    as_coordinator.post(
        reverse("levelofcare:assessment_create", args=[person.pk]), data
    )
    rec = Recommendation.objects.get()
    assert rec.scores["phq9"]["total"] == 4
    assert rec.level == "outpatient"


def test_submitted_assessment_cannot_be_edited(as_coordinator: HttpClient) -> None:
    person = ClientFactory()
    as_coordinator.post(
        reverse("levelofcare:assessment_create", args=[person.pk]),
        form_data(answers(), submit="1"),
    )
    assessment = Assessment.objects.get()
    response = as_coordinator.post(
        reverse("levelofcare:assessment_edit", args=[assessment.pk]),
        form_data(answers(harm_to_others="intent"), submit="1"),
    )
    assert response.status_code == 302
    assessment.refresh_from_db()
    assert assessment.answers["harm_to_others"] == "none"
    assert Recommendation.objects.count() == 1


def test_invalid_submission_saves_nothing_and_keeps_the_answers(
    as_coordinator: HttpClient,
) -> None:
    person = ClientFactory()
    gated = {field_name("cssrs.intent"): "yes"}
    data = form_data(answers(), submit="1", notes="keep me", **gated)
    response = as_coordinator.post(
        reverse("levelofcare:assessment_create", args=[person.pk]), data
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "question 2" in html
    assert "keep me" in html
    assert not Assessment.objects.exists()


def test_a_failure_in_evaluation_leaves_nothing_half_saved(
    as_coordinator: HttpClient,
) -> None:
    person = ClientFactory()
    with (
        mock.patch(
            "levelofcare.recommendations.selectors.rules.evaluate",
            side_effect=RuntimeError("boom"),
        ),
        pytest.raises(RuntimeError),
    ):
        as_coordinator.post(
            reverse("levelofcare:assessment_create", args=[person.pk]),
            form_data(answers(), submit="1"),
        )
    assert not Assessment.objects.exists()
    assert not Recommendation.objects.exists()


def test_result_page_shows_level_reasons_missing_and_version(
    as_coordinator: HttpClient,
) -> None:
    person = ClientFactory()
    data = form_data(
        answers(cssrs=..., phq9=[0, 0, 0, 0, 0, 0, 0, 0, 1]),
        submit="1",
        confirm_unanswered="1",
    )
    as_coordinator.post(
        reverse("levelofcare:assessment_create", args=[person.pk]), data
    )
    assessment = Assessment.objects.get()
    response = as_coordinator.get(
        reverse("levelofcare:assessment_result", args=[assessment.pk])
    )
    html = response.content.decode()
    assert "Insufficient information" in html
    assert "C-SSRS screener (risk of self-harm)" in html
    assert f"?from={assessment.pk}#div_id_{field_name('cssrs')}" in html
    assert "Criteria version <strong>v1</strong>" in html
    assert 'data-testid="safety-banner"' in html
    assert "a clinician decides" in html.lower() or "clinician reviews every" in html
    printable = as_coordinator.get(
        reverse("levelofcare:assessment_print", args=[assessment.pk])
    )
    assert "Insufficient information" in printable.content.decode()


# --- unanswered questions: submit asks first; a draft never asks -----------------


def test_submit_with_unanswered_questions_asks_first_and_saves_a_draft(
    as_coordinator: HttpClient,
) -> None:
    person = ClientFactory()
    data = form_data(answers(harm_to_others=..., gad7=...), submit="1", notes="kept")
    response = as_coordinator.post(
        reverse("levelofcare:assessment_create", args=[person.pk]), data
    )
    assert response.status_code == 200
    assert not Recommendation.objects.exists()
    draft = Assessment.objects.get()
    assert draft.is_draft
    assert draft.notes == "kept"
    assert draft.answers["phq9"] == answers()["phq9"]  # nothing typed is lost
    names = [name for name, _ in response.context["unanswered"]]
    assert names == ["harm_to_others", *(field_name("gad7", i) for i in range(1, 8))]
    html = response.content.decode()
    assert "8 questions are unanswered" in html
    assert 'href="#div_id_harm_to_others">Risk of harming others</a>' in html
    assert f'href="#div_id_{field_name("gad7", 7)}">GAD-7 item 7: ' in html
    assert re.search(r'name="confirm_unanswered" value="1"\s*>', html)
    assert re.search(r'<button[^>]*name="submit"[^>]*>Submit anyway</button>', html)
    # The answers are still in the form, and posting again updates this draft.
    assert re.search(r'name="safe_housing" value="yes"[^>]*checked', html)
    edit = reverse("levelofcare:assessment_edit", args=[draft.pk])
    assert f'action="{edit}"' in html

    response = as_coordinator.post(edit, {**data, "confirm_unanswered": "1"})
    assert response["Location"] == reverse(
        "levelofcare:assessment_result", args=[draft.pk]
    )
    assert Assessment.objects.get().pk == draft.pk
    rec = Recommendation.objects.get()
    assert rec.missing == ["harm_to_others", "gad7"]


def test_an_empty_submit_never_reaches_the_queue_unnoticed(
    as_coordinator: HttpClient,
) -> None:
    person = ClientFactory()
    url = reverse("levelofcare:assessment_create", args=[person.pk])
    response = as_coordinator.post(url, {"submit": "1"})
    assert response.status_code == 200
    assert not Recommendation.objects.exists()
    unanswered = response.context["unanswered"]
    # Every question that is asked before any answer (gated ones are not yet).
    empty = AssessmentForm({})
    assert empty.is_valid()
    assert unanswered == empty.unanswered()
    names = [name for name, _ in unanswered]
    assert field_name("cssrs.wish_dead") in names
    assert field_name("phq9", 9) in names
    assert field_name("cssrs.intent") not in names
    assert f"{len(unanswered)} questions are unanswered" in response.content.decode()


def test_a_complete_submit_does_not_ask(as_coordinator: HttpClient) -> None:
    person = ClientFactory()
    response = as_coordinator.post(
        reverse("levelofcare:assessment_create", args=[person.pk]),
        form_data(answers(), submit="1"),
    )
    assert response.status_code == 302
    assert Recommendation.objects.count() == 1


def test_saving_a_draft_never_asks(as_coordinator: HttpClient) -> None:
    person = ClientFactory()
    response = as_coordinator.post(
        reverse("levelofcare:assessment_create", args=[person.pk]),
        {"save_draft": "1"},
    )
    draft = Assessment.objects.get()
    assert response["Location"] == reverse(
        "levelofcare:assessment_edit", args=[draft.pk]
    )
    page = as_coordinator.get(response["Location"])
    assert page.context["unanswered"] == []
    assert re.search(r'id="confirm-unanswered"[^>]*hidden', page.content.decode())
    assert re.search(
        r'name="confirm_unanswered" value="1" disabled', page.content.decode()
    )


# --- the page: safety banner, gate hints, live region ------------------------------


def test_item_9_banner_follows_item_9_and_sits_in_the_progress_summary(
    as_coordinator: HttpClient,
) -> None:
    person = ClientFactory()
    url = reverse("levelofcare:assessment_create", args=[person.pk])
    html = as_coordinator.get(url, follow=True).content.decode()
    assert re.search(r'id="flag-banner-phq9"[^>]*hidden', html)

    data = form_data(answers(phq9=[0, 0, 0, 0, 0, 0, 0, 0, 1]), save_draft="1")
    draft_url = as_coordinator.post(url, data)["Location"]
    html = as_coordinator.get(draft_url).content.decode()
    banner = re.search(r'<div [^>]*id="flag-banner-phq9"[^>]*>', html)
    assert banner and "hidden" not in banner.group(0)
    # Right after item 9, before the next instrument.
    item9 = html.index(f'id="div_id_{field_name("phq9", 9)}"')
    assert item9 < banner.start() < html.index('data-instrument="gad7"')
    assert "PHQ-9 item 9 shows thoughts of death or self-harm" in html[banner.end() :]
    # And in the progress summary, linking to item 9.
    summary = html[html.index('id="section-progress"') :]
    assert re.search(
        rf'<p [^>]*data-flag="phq9"(?![^>]*hidden)[^>]*>.*?href="#div_id_'
        rf'{field_name("phq9", 9)}"',
        summary,
    )


def test_gated_questions_say_which_answer_opens_them(
    as_coordinator: HttpClient,
) -> None:
    person = ClientFactory()
    url = reverse("levelofcare:assessment_create", args=[person.pk])
    html = as_coordinator.get(url, follow=True).content.decode()
    assert (
        'data-gate="cssrs_suicidal_thoughts" data-gate-hint="Answer “Yes” here to '
        'open C-SSRS question 4: intent."' in html
    )
    assert 'data-gate-hint="Answer “Yes” here to open “Days since discharge”."' in html


def test_progress_list_is_not_a_live_region_but_has_one_beside_it(
    as_coordinator: HttpClient,
) -> None:
    person = ClientFactory()
    url = reverse("levelofcare:assessment_create", args=[person.pk])
    html = as_coordinator.get(url, follow=True).content.decode()
    assert re.search(r'<ul [^>]*id="section-progress"[^>]*>', html)
    assert (
        "aria-live" not in re.search(r'<ul [^>]*id="section-progress"[^>]*>', html)[0]
    )
    assert re.search(r'id="progress-announcer" aria-live="polite"', html)


def test_viewing_a_client_record_is_logged(
    as_coordinator: HttpClient, coordinator: Any
) -> None:
    person = ClientFactory()
    as_coordinator.get(reverse("levelofcare:client_detail", args=[person.pk]))
    view = RecordView.objects.get()
    assert (view.user, view.client, view.view_name) == (
        coordinator,
        person,
        "client_detail",
    )


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("coordinator", 200),
        ("clinician", 200),
        ("criteria_admin", 403),
        ("no_role_user", 403),
    ],
)
def test_role_access_to_client_data(
    client: HttpClient, request: pytest.FixtureRequest, persona: str, expected: int
) -> None:
    person = ClientFactory()
    client.force_login(request.getfixturevalue(persona))
    for url in (
        reverse("levelofcare:client_list"),
        reverse("levelofcare:client_detail", args=[person.pk]),
        reverse("levelofcare:assessment_create", args=[person.pk]),
    ):
        assert client.get(url, follow=True).status_code == expected, url


def test_anonymous_users_never_see_client_data(client: HttpClient) -> None:
    person = ClientFactory()
    response = client.get(reverse("levelofcare:client_detail", args=[person.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
