"""Issue 11, "Input": every hostile input that once gave a 500 or a traceback now
gets a clear 400, a form error, a message, or exit 2. One test per finding;
`tests/test_fuzz.py` then throws generated junk at every form and list view."""

from __future__ import annotations

import io
import json
import sys
from typing import Any

import pytest
from django.core.management import execute_from_command_line
from django.urls import reverse

from levelofcare.api.views import MAX_ANSWER_SETS
from levelofcare.recommendations.views.review import WAITED_IGNORED
from tests.factories import (
    ClientFactory,
    ProgressReviewFactory,
    answers,
    form_data,
    submit_assessment,
)

pytestmark = pytest.mark.django_db

API = "/api/v1/evaluate"
DEEP = "[" * 1000 + "]" * 1000
HUGE_INT = '{"discharged_inpatient_days_ago": ' + "9" * 4301 + "}"


def _plain_400(response: Any, says: str) -> None:
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert says in response.content.decode()


# --- non-ASCII digits, huge numbers, impossible dates, NUL bytes ---------------------


def test_a_superscript_two_in_a_phq9_item_is_a_form_error(client, coordinator) -> None:
    client.force_login(coordinator)
    patient = ClientFactory(created_by=coordinator)
    data = form_data(answers(), submit="1") | {"phq9_9": "²"}

    response = client.post(
        reverse("levelofcare:assessment_create", args=[patient.pk]), data
    )

    assert response.status_code == 400
    assert "phq9_9" in response.context["form"].errors


@pytest.mark.parametrize("raw", ["²", "١", "-1", "1\x00", "9" * 30])
def test_a_bad_from_on_a_new_assessment_is_a_400(client, coordinator, raw) -> None:
    client.force_login(coordinator)
    patient = ClientFactory(created_by=coordinator)
    url = reverse("levelofcare:assessment_create", args=[patient.pk])

    response = client.get(url, {"from": raw}, follow=True)

    _plain_400(response, "“from” must be the number of an earlier assessment")


def test_a_good_from_still_prefills_the_form(client, coordinator) -> None:
    client.force_login(coordinator)
    earlier = submit_assessment(user=coordinator).assessment
    url = reverse("levelofcare:assessment_create", args=[earlier.client_id])

    response = client.get(url, {"from": str(earlier.pk)}, follow=True)

    assert response.status_code == 200
    assert response.context["form"].initial["phq9_1"] == "1"


@pytest.mark.parametrize("raw", ["²", "99999999999", "-3", "1e3", "4\x00"])
def test_a_bad_waited_filter_is_ignored_with_a_message(client, clinician, raw) -> None:
    client.force_login(clinician)

    response = client.get(reverse("levelofcare:review_queue"), {"waited": raw})

    assert response.status_code == 200
    assert response.context["waited"] == ""
    assert WAITED_IGNORED in [str(m) for m in response.context["messages"]]


def test_a_good_waited_filter_still_filters(client, clinician) -> None:
    client.force_login(clinician)
    submit_assessment(user=clinician)

    response = client.get(reverse("levelofcare:review_queue"), {"waited": "48"})

    assert response.status_code == 200
    assert response.context["rows"] == []


@pytest.mark.parametrize("raw", ["²", "0", "9" * 25, "1\x00"])
def test_a_bad_review_on_the_due_list_is_a_400(client, clinician, raw) -> None:
    client.force_login(clinician)

    response = client.get(reverse("levelofcare:progress_reviews_due"), {"review": raw})

    _plain_400(response, "must be the number of a progress review")


def test_a_good_review_on_the_due_list_shows_that_review(client, clinician) -> None:
    client.force_login(clinician)
    review = ProgressReviewFactory()

    response = client.get(
        reverse("levelofcare:progress_reviews_due"), {"review": str(review.pk)}
    )

    assert response.status_code == 200
    assert response.context["single_review"] is True


@pytest.mark.parametrize(
    "query",
    [
        {"from": "2024-02-31"},
        {"to": "9999-12-31"},
        {"from": "²⁰²⁴-01-01"},
        {"to": "yesterday"},
        {"client": "MRN\x00"},
        {"user": "robin\x00"},
    ],
)
def test_bad_audit_filters_are_a_400(client, criteria_admin, query) -> None:
    client.force_login(criteria_admin)

    response = client.get(reverse("levelofcare:audit_log"), query)

    _plain_400(response, "Filter the audit trail")


def test_good_audit_dates_still_filter(client, criteria_admin) -> None:
    client.force_login(criteria_admin)

    response = client.get(
        reverse("levelofcare:audit_log"), {"from": "2024-02-29", "to": "9998-12-31"}
    )

    assert response.status_code == 200


def test_a_nul_byte_in_the_client_search_is_refused_with_a_message(
    client, coordinator
) -> None:
    client.force_login(coordinator)

    response = client.post(
        reverse("levelofcare:client_list"), {"q": "Wrex\x00ham"}, follow=True
    )

    assert response.status_code == 200
    assert "cannot contain a NUL character" in response.content.decode()
    assert response.context["search_terms"] == ""


@pytest.mark.parametrize("raw", ["²", "\x00", "9" * 30])
def test_a_bad_criteria_book_version_is_a_400(client, clinician, raw) -> None:
    client.force_login(clinician)

    response = client.get(reverse("levelofcare:criteria_book"), {"version": raw})

    assert response.status_code == 400


# --- the API: JSON 400 and 413, never an HTML 500 -----------------------------------


@pytest.fixture
def api(client, coordinator):
    client.force_login(coordinator)
    return client


@pytest.mark.parametrize(
    ("body", "says"),
    [(DEEP, "nested too deeply"), (HUGE_INT, "more than 4,300 digits")],
    ids=["deep-nesting", "huge-integer"],
)
def test_the_api_answers_json_400_for_json_python_cannot_read(api, body, says) -> None:
    response = api.post(API, body, content_type="application/json")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert says in response.json()["errors"]["__all__"][0]


def test_the_api_takes_1000_answer_sets(api) -> None:
    response = api.post(
        API, json.dumps([answers()] * MAX_ANSWER_SETS), content_type="application/json"
    )

    assert response.status_code == 200
    assert len(response.json()) == MAX_ANSWER_SETS


def test_the_api_refuses_more_than_1000_answer_sets_with_413(api) -> None:
    response = api.post(
        API, json.dumps([{}] * (MAX_ANSWER_SETS + 1)), content_type="application/json"
    )

    assert response.status_code == 413
    message = response.json()["errors"]["__all__"][0]
    assert "Too many answer sets: 1,001" in message
    assert "at most 1,000" in message


def test_the_api_refuses_a_body_over_the_limit_before_reading_it(api) -> None:
    body = "[" + ",".join(["0"] * 1_100_000) + "]"  # 2.2 MB, over 2 MiB

    response = api.post(API, body, content_type="application/json")

    assert response.status_code == 413
    assert "too large" in response.json()["errors"]["__all__"][0]


# --- manage.py evaluate: exit 2 with a message, never a traceback --------------------


@pytest.mark.parametrize(
    ("text", "says"),
    [(DEEP, "nested too deeply"), (HUGE_INT, "more than 4,300 digits")],
    ids=["deep-nesting", "huge-integer"],
)
def test_evaluate_from_stdin_exits_2_for_json_python_cannot_read(
    monkeypatch, capsys, text, says
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))

    with pytest.raises(SystemExit) as excinfo:
        execute_from_command_line(["manage.py", "evaluate", "-"])

    assert excinfo.value.code == 2
    captured = capsys.readouterr()
    assert "CommandError: invalid JSON in standard input: " in captured.err
    assert says in captured.err
    assert "Traceback" not in captured.err
    assert captured.out == ""


# --- found by tests/test_fuzz.py ----------------------------------------------------


@pytest.mark.parametrize("target", ["²", "next", "/ok\x00", "//evil.example/"])
def test_a_reassign_next_that_is_not_a_site_path_falls_back(
    client, clinician, target
) -> None:
    """`redirect("²")` tried "²" as a URL name: NoReverseMatch, a 500."""
    client.force_login(clinician)
    review = ProgressReviewFactory(assigned_to=clinician)

    response = client.post(
        reverse("levelofcare:progress_review_reassign", args=[review.pk]),
        {"assigned_to": clinician.pk, "next": target},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("levelofcare:progress_reviews_due")
