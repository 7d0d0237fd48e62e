"""Queue integrity (clinical safety): one recommendation per form, newer submissions
supersede older undecided ones (never hiding a safety flag), and voiding an
assessment entered in error."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from intake.models import Assessment
from levelofcare.errors import DecisionError
from levelofcare.models import Recommendation
from levelofcare.recommendations import selectors, services
from tests.concurrency import at_once
from tests.factories import (
    ClientFactory,
    answers,
    form_data,
    submit_assessment,
)

pytestmark = pytest.mark.django_db

IOP = answers(phq9=[3, 3, 2, 2, 2, 2, 1, 1, 0])
HIGH_RISK = answers(
    cssrs={
        "wish_dead": True,
        "suicidal_thoughts": True,
        "method": True,
        "intent": True,
        "plan": False,
        "behavior_ever": False,
    }
)
ALREADY = "This assessment was already submitted"


@pytest.fixture
def as_coordinator(client: HttpClient, coordinator: Any) -> HttpClient:
    client.force_login(coordinator)
    return client


@pytest.fixture
def as_clinician(client: HttpClient, clinician: Any) -> HttpClient:
    client.force_login(clinician)
    return client


def _new_form(http: HttpClient, person: Any) -> tuple[str, str]:
    """A freshly rendered new-assessment form: its URL and its one-time token."""
    response = http.get(
        reverse("levelofcare:assessment_create", args=[person.pk]), follow=True
    )
    token = response.context["form"]["submission_token"].value()
    url = response.redirect_chain[-1][0]
    assert str(token) in url
    return url, str(token)


def _queue(http: HttpClient) -> Any:
    return http.get(reverse("levelofcare:review_queue"))


def _queued(http: HttpClient) -> list[Recommendation]:
    return [row.rec for row in _queue(http).context["rows"]]


# --- 1. a resubmitted form makes one recommendation ----------------------------------


def test_each_rendered_form_carries_its_own_token(as_coordinator: HttpClient) -> None:
    person = ClientFactory()
    url, token = _new_form(as_coordinator, person)
    page = as_coordinator.get(url).content.decode()
    assert f'type="hidden" name="submission_token" value="{token}"' in page
    assert _new_form(as_coordinator, person)[1] != token


def test_the_same_form_submitted_twice_makes_one_recommendation(
    as_coordinator: HttpClient,
) -> None:
    person = ClientFactory()
    url, token = _new_form(as_coordinator, person)
    data = form_data(IOP, submit="1", submission_token=token)
    first = as_coordinator.post(url, data)
    second = as_coordinator.post(url, data)  # Back, then Submit again
    assessment = Assessment.objects.get()
    assert Recommendation.objects.count() == 1
    assert first["Location"] == second["Location"] == assessment.get_absolute_url()
    page = as_coordinator.get(second["Location"]).content.decode()
    assert ALREADY in page


def test_going_back_to_a_submitted_form_leads_to_its_result(
    as_coordinator: HttpClient,
) -> None:
    person = ClientFactory()
    url, _token = _new_form(as_coordinator, person)
    as_coordinator.post(url, form_data(IOP, submit="1"))
    back = as_coordinator.get(url)  # the browser loads the form's page again
    assert back["Location"] == Assessment.objects.get().get_absolute_url()
    assert ALREADY in as_coordinator.get(back["Location"]).content.decode()


def test_a_draft_saved_from_a_new_form_is_the_one_that_form_submits(
    as_coordinator: HttpClient,
) -> None:
    person = ClientFactory()
    url, token = _new_form(as_coordinator, person)
    as_coordinator.post(url, form_data(IOP, save_draft="1", submission_token=token))
    as_coordinator.post(url, form_data(IOP, save_draft="1", submission_token=token))
    draft = Assessment.objects.get()
    assert as_coordinator.get(url)["Location"] == draft.get_absolute_url()
    as_coordinator.post(url, form_data(IOP, submit="1", submission_token=token))
    assessment = Assessment.objects.get()
    assert assessment.status == Assessment.Status.SUBMITTED
    assert Recommendation.objects.filter(assessment=assessment).count() == 1


def test_a_hidden_token_alone_dedupes_two_posts_of_a_new_form(
    as_coordinator: HttpClient,
) -> None:
    """The form's hidden field carries the token too (forms posted elsewhere, e.g.
    a progress review's first reassessment)."""
    person = ClientFactory()
    url = reverse("levelofcare:assessment_create", args=[person.pk])
    data = form_data(
        IOP, submit="1", submission_token="0d6f3f5e-5b8e-4a0b-9a57-6e1f2a3b4c5d"
    )
    as_coordinator.post(url, data)
    as_coordinator.post(url, data)
    assert Recommendation.objects.count() == 1


def test_a_draft_submitted_twice_lands_on_its_result(
    as_coordinator: HttpClient, coordinator: Any
) -> None:
    draft = services.assessment_draft_save(
        assessment=None,
        client=ClientFactory(),
        user=coordinator,
        answers=IOP,
        partial_items={},
        notes="",
    )
    url = reverse("levelofcare:assessment_edit", args=[draft.pk])
    as_coordinator.post(url, form_data(IOP, submit="1"))
    again = as_coordinator.post(url, form_data(IOP, submit="1"))
    assert again["Location"] == reverse(
        "levelofcare:assessment_result", args=[draft.pk]
    )
    assert ALREADY in as_coordinator.get(again["Location"]).content.decode()
    assert Recommendation.objects.count() == 1


def _post_at_once(user: Any, url: str, data: dict[str, str]) -> list[str]:
    """POST `data` to `url` from two browsers at the same moment; return where each
    landed with its page (messages included)."""

    def post() -> str:
        http = HttpClient()
        http.force_login(user)
        response = http.post(url, data)
        assert response.status_code == 302, response.status_code
        return http.get(response["Location"]).content.decode()

    return at_once(post, post)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_posts_of_the_same_draft_at_once_make_one_recommendation(
    coordinator: Any,
) -> None:
    draft = services.assessment_draft_save(
        assessment=None,
        client=ClientFactory(),
        user=coordinator,
        answers=IOP,
        partial_items={},
        notes="",
    )
    url = reverse("levelofcare:assessment_edit", args=[draft.pk])
    pages = _post_at_once(coordinator, url, form_data(IOP, submit="1"))
    assert Recommendation.objects.count() == 1
    assert sum(ALREADY in page for page in pages) == 1
    assert sum("Assessment submitted." in page for page in pages) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_posts_of_the_same_new_form_at_once_make_one_assessment(
    coordinator: Any,
) -> None:
    person = ClientFactory()
    url = reverse(
        "levelofcare:assessment_create_form",
        args=[person.pk, "6f1c2b1e-8a59-4c53-9d1b-1f0e6a0d2c11"],
    )
    pages = _post_at_once(coordinator, url, form_data(IOP, submit="1"))
    assert Assessment.objects.count() == 1
    assert Recommendation.objects.count() == 1
    assert sum(ALREADY in page for page in pages) == 1


# --- 3. a newer submission supersedes older undecided ones ----------------------------


def test_a_newer_submission_supersedes_older_undecided_recommendations(
    as_clinician: HttpClient, coordinator: Any
) -> None:
    person = ClientFactory()
    older = submit_assessment(user=coordinator, client=person, answer_dict=IOP)
    other_client = submit_assessment(user=coordinator, answer_dict=IOP)
    newer = submit_assessment(user=coordinator, client=person, answer_dict=answers())
    older.refresh_from_db()
    assert older.superseded_by == newer
    assert older.superseded_at is not None
    assert older.history.first().superseded_by_id == newer.pk  # recorded
    assert set(_queued(as_clinician)) == {newer, other_client}
    # The client's timeline says so, linked to the newer one.
    page = as_clinician.get(person.get_absolute_url()).content.decode()
    assert "Superseded by" in page
    assert reverse("levelofcare:assessment_result", args=[newer.assessment_id]) in page


def test_a_superseded_recommendation_cannot_be_decided(
    as_clinician: HttpClient, clinician: Any, coordinator: Any
) -> None:
    person = ClientFactory()
    older = submit_assessment(user=coordinator, client=person, answer_dict=IOP)
    newer = submit_assessment(user=coordinator, client=person, answer_dict=answers())
    older.refresh_from_db()

    page = as_clinician.get(older.get_absolute_url()).content.decode()
    assert 'id="decision-form"' not in page
    assert "Decide on the newer recommendation" in page
    assert newer.get_absolute_url() in page
    posted = as_clinician.post(
        older.get_absolute_url(), {"basis": "", "action": "accept"}
    )
    assert posted.status_code == 400
    with pytest.raises(DecisionError, match="superseded"):
        services.decision_record(recommendation=older, user=clinician, level="iop")
    assert not older.decisions.exists()


def test_a_decided_recommendation_is_never_superseded(
    clinician: Any, coordinator: Any
) -> None:
    person = ClientFactory()
    older = submit_assessment(user=coordinator, client=person, answer_dict=IOP)
    services.decision_record(recommendation=older, user=clinician, level="iop")
    submit_assessment(user=coordinator, client=person, answer_dict=answers())
    older.refresh_from_db()
    assert older.superseded_by is None


def test_an_earlier_safety_flag_stays_visible_until_a_clinician_opens_the_review(
    as_clinician: HttpClient, coordinator: Any
) -> None:
    person = ClientFactory()
    flagged = submit_assessment(user=coordinator, client=person, answer_dict=HIGH_RISK)
    newer = submit_assessment(user=coordinator, client=person, answer_dict=IOP)
    elsewhere = submit_assessment(user=coordinator, answer_dict=IOP)
    rows = {row.rec: row for row in _queue(as_clinician).context["rows"]}
    assert set(rows) == {newer, elsewhere}
    assert rows[newer].rec.earlier_safety_unseen
    assert not rows[elsewhere].rec.earlier_safety_unseen
    page = _queue(as_clinician).content.decode()
    assert page.count("Earlier assessment flagged safety") == 1

    review = as_clinician.get(newer.get_absolute_url()).content.decode()
    assert "Earlier assessment flagged safety" in review
    assert "High suicide risk on the C-SSRS screener (suicidal intent" in review
    assert (
        reverse("levelofcare:assessment_result", args=[flagged.assessment_id]) in review
    )
    # The clinician opened the client's review: the queue marker has done its job.
    assert (
        "Earlier assessment flagged safety" not in _queue(as_clinician).content.decode()
    )


def test_an_earlier_safety_flag_older_than_seven_days_is_not_marked(
    as_clinician: HttpClient, coordinator: Any
) -> None:
    person = ClientFactory()
    with time_machine.travel(timezone.now() - timedelta(days=8)):
        submit_assessment(user=coordinator, client=person, answer_dict=HIGH_RISK)
    newer = submit_assessment(user=coordinator, client=person, answer_dict=IOP)
    (row,) = _queue(as_clinician).context["rows"]
    assert row.rec == newer
    assert not row.rec.earlier_safety_unseen


@pytest.mark.parametrize("rows", [1, 10])
def test_the_queue_uses_a_constant_number_of_queries(
    as_clinician: HttpClient,
    coordinator: Any,
    django_assert_max_num_queries: Any,
    rows: int,
) -> None:
    for _ in range(rows):
        person = ClientFactory()
        submit_assessment(user=coordinator, client=person, answer_dict=HIGH_RISK)
        submit_assessment(
            user=coordinator, client=person, answer_dict=answers(cssrs=...)
        )
    with django_assert_max_num_queries(8):
        response = _queue(as_clinician)
    assert len(response.context["rows"]) == rows
    assert all(row.rec.earlier_safety_unseen for row in response.context["rows"])


# --- 4. voiding an assessment entered in error ----------------------------------------


def _void(http: HttpClient, rec: Recommendation, reason: str) -> Any:
    return http.post(
        reverse("levelofcare:assessment_void", args=[rec.assessment_id]),
        {"reason": reason},
    )


def test_a_coordinator_voids_an_assessment_with_a_reason(
    as_coordinator: HttpClient, coordinator: Any, clinician: Any
) -> None:
    rec = submit_assessment(user=coordinator, answer_dict=IOP)
    response = _void(as_coordinator, rec, "Entered for the wrong client.")
    assert response.status_code == 302
    assessment = Assessment.objects.get(pk=rec.assessment_id)
    assert assessment.is_voided
    assert assessment.voided_by == coordinator
    latest = assessment.history.first()
    assert latest.history_user == coordinator
    assert latest.void_reason == "Entered for the wrong client."
    assert latest.history_change_reason == "Voided: Entered for the wrong client."
    assert Recommendation.objects.filter(pk=rec.pk).exists()  # never deleted

    timeline = as_coordinator.get(rec.client.get_absolute_url()).content.decode()
    assert "<del>" in timeline
    assert "Voided:</strong> Entered for the wrong client." in timeline

    as_coordinator.force_login(clinician)
    assert _queued(as_coordinator) == []
    with pytest.raises(DecisionError, match="voided"):
        services.decision_record(recommendation=rec, user=clinician, level="iop")


def test_voiding_needs_a_reason(as_coordinator: HttpClient, coordinator: Any) -> None:
    rec = submit_assessment(user=coordinator, answer_dict=IOP)
    response = _void(as_coordinator, rec, "   ")
    assert response.status_code == 400
    page = response.content.decode()
    assert "Say why this assessment was entered in error." in page
    assert 'id="id_reason"' in page and "is-invalid" in page
    assert not Assessment.objects.get(pk=rec.assessment_id).is_voided


def test_a_clinician_may_void_before_a_decision_but_not_after(
    as_clinician: HttpClient, clinician: Any, coordinator: Any
) -> None:
    before = submit_assessment(user=coordinator, answer_dict=IOP)
    _void(as_clinician, before, "Duplicate of a paper form.")
    assert Assessment.objects.get(pk=before.assessment_id).is_voided

    decided = submit_assessment(user=coordinator, answer_dict=IOP)
    services.decision_record(recommendation=decided, user=clinician, level="iop")
    response = _void(as_clinician, decided, "Too late.")
    assert not Assessment.objects.get(pk=decided.assessment_id).is_voided
    page = as_clinician.get(response["Location"]).content.decode()
    assert "can no longer be voided" in page
    assert 'data-testid="void-form"' not in page


def test_only_people_who_change_assessments_may_void(
    client: HttpClient, criteria_admin: Any, coordinator: Any
) -> None:
    rec = submit_assessment(user=coordinator, answer_dict=IOP)
    client.force_login(criteria_admin)
    assert _void(client, rec, "No.").status_code == 403
    assert not Assessment.objects.get(pk=rec.assessment_id).is_voided


def test_voiding_the_newer_assessment_puts_the_older_one_back_in_the_queue(
    as_coordinator: HttpClient, coordinator: Any
) -> None:
    person = ClientFactory()
    older = submit_assessment(user=coordinator, client=person, answer_dict=IOP)
    newer = submit_assessment(user=coordinator, client=person, answer_dict=answers())
    _void(as_coordinator, newer, "Entered for the wrong client.")
    older.refresh_from_db()
    assert older.superseded_by is None
    assert list(selectors.recommendations_waiting()) == [older]


# --- 5. the queue in words ------------------------------------------------------------


def test_the_queue_names_missing_answers_and_reads_the_top_reason_as_a_sentence(
    as_clinician: HttpClient, coordinator: Any
) -> None:
    unknown = answers()
    del unknown["cssrs"]
    submit_assessment(user=coordinator, answer_dict=unknown)
    submit_assessment(user=coordinator, answer_dict=answers(harm_to_others="intent"))
    page = _queue(as_clinician).content.decode()
    assert "Missing answers: C-SSRS screener" in page
    assert "cssrs" not in page.split('data-testid="queue"')[1].lower().replace(
        "c-ssrs", ""
    )
    rec = Recommendation.objects.get(level="inpatient")
    sentence = rec.reasons[0]["text"]
    assert sentence.endswith(".") and sentence in page  # whole, never truncated
    assert 'class="d-block small text-muted rule-code">Rule' in page
