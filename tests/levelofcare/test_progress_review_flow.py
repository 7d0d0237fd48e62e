"""A progress review is a reassessment: start it, submit, see step-down, decide."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from intake.catalogue import field_name
from intake.forms import SUBMISSION_TOKEN
from intake.models import Assessment, RecordView
from levelofcare.models import Placement, ProgressReview, Recommendation
from levelofcare.recommendations import services
from tests.factories import answers, form_data, submit_assessment

pytestmark = pytest.mark.django_db

INPATIENT = answers(harm_to_others="intent")
STABILISED = answers(harm_to_others="thoughts")  # IOP: thoughts, no intent


@pytest.fixture
def inpatient_review(clinician: Any, coordinator: Any) -> ProgressReview:
    rec = submit_assessment(user=coordinator, answer_dict=INPATIENT)
    RecordView.objects.create(user=clinician, client=rec.client, view_name="review")
    services.decision_record(recommendation=rec, user=clinician, level="inpatient")
    return ProgressReview.objects.get(status=ProgressReview.Status.SCHEDULED)


def test_start_review_prefills_the_last_answers_but_asks_safety_afresh(
    client: HttpClient, clinician: Any, inpatient_review: ProgressReview
) -> None:
    client.force_login(clinician)
    response = client.get(
        reverse("levelofcare:progress_review_start", args=[inpatient_review.pk])
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial[field_name("phq9", 1)] == "1"
    assert form.initial["safe_housing"] == "yes"
    # The C-SSRS screener and harm to others are always asked again.
    assert "harm_to_others" not in form.initial
    assert not any(name.startswith("cssrs_") for name in form.initial)
    # Every carried answer is marked, with the date of the assessment it came from.
    assert form.carried_forward == frozenset(form.initial) - {"notes", SUBMISSION_TOKEN}
    html = response.content.decode()
    previous = Assessment.objects.get(status=Assessment.Status.SUBMITTED)
    on = timezone.localdate(previous.submitted_at)
    marker = f"Carried forward from the assessment of {on.day} {on:%b %Y}; check it."
    assert html.count(marker) == len(form.carried_forward)
    assert 'id="id_harm_to_others_helptext"' not in html
    assert "Progress review for" in html


def test_a_review_submitted_without_the_safety_questions_asks_first(
    client: HttpClient, clinician: Any, inpatient_review: ProgressReview
) -> None:
    client.force_login(clinician)
    url = reverse("levelofcare:progress_review_start", args=[inpatient_review.pk])
    carried = client.get(url).context["form"].initial
    response = client.post(url, {**carried, "submit": "1"})
    assert response.status_code == 200
    names = [name for name, _ in response.context["unanswered"]]
    assert names[0] == field_name("cssrs.wish_dead")
    assert "harm_to_others" in names
    draft = Assessment.objects.get(status=Assessment.Status.DRAFT)
    assert draft.progress_review_link.progress_review == inpatient_review
    assert Recommendation.objects.count() == 1  # only the intake's

    response = client.post(url, {**carried, "submit": "1", "confirm_unanswered": "1"})
    new_rec = Recommendation.objects.latest("created_at")
    assert response["Location"] == reverse("levelofcare:review", args=[new_rec.pk])
    assert new_rec.assessment == draft
    assert "cssrs" in new_rec.missing


def test_step_down_from_inpatient_to_iop_through_a_completed_review(
    client: HttpClient, clinician: Any, inpatient_review: ProgressReview
) -> None:
    client.force_login(clinician)
    url = reverse("levelofcare:progress_review_start", args=[inpatient_review.pk])
    response = client.post(url, form_data(STABILISED, submit="1"))
    new_rec = Recommendation.objects.latest("created_at")
    assert response["Location"] == reverse("levelofcare:review", args=[new_rec.pk])
    assert new_rec.assessment.kind == Assessment.Kind.PROGRESS_REVIEW
    assert new_rec.assessment.progress_review_link.progress_review == inpatient_review
    page = client.get(response["Location"])
    comparison = page.context["comparison"]
    assert comparison["change"] == "step_down"
    assert [r.code for r in comparison["new_reasons"]] == ["RISK_HARM_OTHERS_THOUGHTS"]
    assert "RISK_HARM_OTHERS_INTENT" in [r.code for r in comparison["gone_reasons"]]
    assert 'data-testid="change">Step down<' in page.content.decode()

    client.post(
        reverse("levelofcare:review", args=[new_rec.pk]),
        {"action": "accept", "basis": ""},
    )
    inpatient_review.refresh_from_db()
    assert inpatient_review.status == ProgressReview.Status.COMPLETED
    old, new = Placement.objects.order_by("started_at", "pk")
    assert (old.level, old.ended_at is not None) == ("inpatient", True)
    assert (new.level, new.ended_at) == ("iop", None)
    next_review = new.reviews.get()
    assert next_review.due_at - new.started_at == timedelta(days=7)
    assert not old.reviews.filter(status=ProgressReview.Status.SCHEDULED).exists()


def test_no_change_keeps_the_placement_and_schedules_the_next_review(
    clinician: Any, inpatient_review: ProgressReview
) -> None:
    placement = inpatient_review.placement
    rec = services_submit_review(inpatient_review, clinician, INPATIENT)
    services.decision_record(recommendation=rec, user=clinician, level="inpatient")
    assert Placement.objects.get() == placement
    reviews = list(placement.reviews.order_by("pk").values_list("status", flat=True))
    assert reviews == ["completed", "scheduled"]


def services_submit_review(
    review: ProgressReview, user: Any, data: dict[str, Any]
) -> Any:
    from levelofcare.recommendations.services import assessment_submit

    rec = assessment_submit(
        assessment=None,
        client=review.placement.client,
        user=user,
        answers=data,
        partial_items={},
        notes="",
        progress_review=review,
    )
    RecordView.objects.create(user=user, client=rec.client, view_name="review")
    return rec


def test_step_up_is_named_on_the_review_page(
    client: HttpClient, clinician: Any, coordinator: Any
) -> None:
    rec = submit_assessment(user=coordinator, answer_dict=answers())
    services.decision_record(recommendation=rec, user=clinician, level="outpatient")
    review = ProgressReview.objects.get()
    new = services_submit_review(review, clinician, answers(harm_to_others="thoughts"))
    client.force_login(clinician)
    page = client.get(reverse("levelofcare:review", args=[new.pk]))
    assert page.context["comparison"]["change"] == "step_up"


def test_a_closed_review_cannot_be_started_again(
    client: HttpClient, clinician: Any, inpatient_review: ProgressReview
) -> None:
    inpatient_review.status = ProgressReview.Status.CANCELLED
    inpatient_review.save()
    client.force_login(clinician)
    response = client.get(
        reverse("levelofcare:progress_review_start", args=[inpatient_review.pk])
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("levelofcare:progress_reviews_due")


def test_coordinators_cannot_start_progress_reviews(
    client: HttpClient, coordinator: Any, inpatient_review: ProgressReview
) -> None:
    client.force_login(coordinator)
    url = reverse("levelofcare:progress_review_start", args=[inpatient_review.pk])
    assert client.get(url).status_code == 403


def test_review_draft_is_kept_and_resumed(
    client: HttpClient, clinician: Any, inpatient_review: ProgressReview
) -> None:
    client.force_login(clinician)
    url = reverse("levelofcare:progress_review_start", args=[inpatient_review.pk])
    response = client.post(url, form_data(STABILISED, save_draft="1", notes="calmer"))
    assert response["Location"] == url
    draft = Assessment.objects.get(status=Assessment.Status.DRAFT)
    assert draft.progress_review_link.progress_review == inpatient_review
    resumed = client.get(url)
    assert resumed.context["form"].initial["harm_to_others"] == "thoughts"
    assert resumed.context["form"].initial["notes"] == "calmer"
    assert timezone.now() >= draft.updated_at
