"""The criteria book at /criteria/: generated from the rule declarations, at any
criteria version, and linked from every reason on a recommendation."""

from __future__ import annotations

import html
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from intake import catalogue
from levelofcare import rules
from levelofcare.criteria import selectors
from levelofcare.criteria.book import book_sections
from levelofcare.criteria.services import criteria_set_create
from tests.factories import answers, submit_assessment

pytestmark = pytest.mark.django_db

BOOK = reverse("levelofcare:criteria_book")
EVERY_CODE = [
    r.code
    for r in (
        *rules.DEFAULT_RULES,
        rules.OUTPATIENT_NO_HIGHER_CRITERIA,
        *rules.DEFAULT_NOTES,
    )
]


@pytest.fixture
def as_clinician(client: HttpClient, clinician: Any) -> HttpClient:
    client.force_login(clinician)
    return client


def page(client: HttpClient, url: str = BOOK) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def new_version(*, phq9_iop_min: int, user: Any = None) -> Any:
    return criteria_set_create(
        based_on=selectors.criteria_active(),
        values={"phq9_iop_min": phq9_iop_min},
        change_note="Raise the PHQ-9 cut for IOP.",
        user=user,
    )


@pytest.mark.parametrize("persona", ["coordinator", "clinician", "criteria_admin"])
def test_every_role_reads_the_book_and_finds_it_in_the_navigation(
    client: HttpClient, request: pytest.FixtureRequest, persona: str
) -> None:
    client.force_login(request.getfixturevalue(persona))
    text = page(client)
    assert "<h1" in text and "Criteria book" in text
    assert f'aria-current="page" href="{BOOK}">Criteria</a>' in text


def test_anonymous_users_are_sent_to_sign_in(client: HttpClient) -> None:
    response = client.get(BOOK)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_user_without_a_role_may_not_read_it(
    client: HttpClient, no_role_user: Any
) -> None:
    client.force_login(no_role_user)
    assert client.get(BOOK).status_code == 403


def test_every_declared_rule_and_note_has_its_anchor(as_clinician: HttpClient) -> None:
    text = page(as_clinician)
    for code in EVERY_CODE:
        assert f'id="rule-{code}"' in text, code
        assert f"<code>{code}</code>" in text, code


def test_rules_are_grouped_by_level_then_outpatient_then_notes(
    as_clinician: HttpClient,
) -> None:
    text = page(as_clinician)
    order = [
        text.index('id="rule-RISK_CSSRS_HIGH"'),
        text.index('id="rule-IOP_WITHOUT_SAFE_HOUSING"'),
        text.index('id="rule-PHQ9_IOP"'),
        text.index('id="rule-OUTPATIENT_NO_HIGHER_CRITERIA"'),
        text.index('id="rule-NOTE_SAFETY_PLAN"'),
        text.index('id="versions"'),
    ]
    assert order == sorted(order)
    sections = book_sections(rules.DEFAULT_CRITERIA)
    assert [s.slug for s in sections] == ["inpatient", "iop", "outpatient", "notes"]
    for section in sections[:2]:
        assert {r.level_slug for r in section.rules} == {section.slug}


def test_a_rule_shows_its_explanation_thresholds_questions_level_and_source(
    as_clinician: HttpClient,
) -> None:
    text = page(as_clinician)
    rule = text[text.index('id="rule-PERSISTENT_SYMPTOMS"') :]
    rule = rule[: rule.index("</article>")]
    criteria = rules.DEFAULT_CRITERIA
    assert rules.persistent_symptoms.explain(criteria) in rule
    assert "at or above 10 after at least 6 weeks" in rule
    assert "Moderate cut for persistence = <strong>10</strong>" in rule
    label = "Weeks of weekly therapy without improvement"
    assert f"{label} = <strong>6</strong>" in rule
    for key in rules.persistent_symptoms.reads:
        assert catalogue.question(key).short_label in rule
    assert "Points to</dt>" in rule and "IOP (intensive outpatient)" in rule
    assert rules.persistent_symptoms.source in rule


def test_the_book_shows_the_active_version_and_older_ones_on_request(
    as_clinician: HttpClient, criteria_admin: Any
) -> None:
    new_version(phq9_iop_min=18, user=criteria_admin)
    active = page(as_clinician)
    assert "PHQ-9 total at or above 18" in active
    assert "PHQ-9 total for IOP = <strong>18</strong>" in active
    assert "criteria version 2</strong> (active)" in active
    old = page(as_clinician, f"{BOOK}?version=1")
    assert "PHQ-9 total at or above 15" in old
    assert "PHQ-9 total for IOP = <strong>15</strong>" in old
    assert "criteria version 1</strong> (not active" in old


def test_version_history_lists_every_version_with_author_note_and_link(
    as_clinician: HttpClient, criteria_admin: Any
) -> None:
    new_version(phq9_iop_min=18, user=criteria_admin)
    text = page(as_clinician)
    history = text[text.index('id="versions"') :]
    assert history.index("v2") < history.index("v1")
    assert "active</span>" in history
    assert history.count("active</span>") == 1
    assert "by alex" in history and "by system" in history
    assert "Raise the PHQ-9 cut for IOP." in history
    assert f'href="{BOOK}?version=1"' in history


@pytest.mark.parametrize("bad", ["abc", "-1", "1.5", "²", ""])
def test_a_version_that_is_not_a_number_is_a_bad_request(
    as_clinician: HttpClient, bad: str
) -> None:
    response = as_clinician.get(BOOK, {"version": bad})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert b"whole number" in response.content


def test_an_unknown_version_is_not_found(as_clinician: HttpClient) -> None:
    assert as_clinician.get(BOOK, {"version": "99"}).status_code == 404


def test_a_reason_on_a_recommendation_links_to_its_rule_at_its_version(
    as_clinician: HttpClient, coordinator: Any, criteria_admin: Any
) -> None:
    recommendation = submit_assessment(  # PHQ-9 total 16
        user=coordinator, answer_dict=answers(phq9=[2, 2, 2, 2, 2, 2, 2, 2, 0])
    )
    assert recommendation.level == "iop"
    assert recommendation.reasons[0]["code"] == "PHQ9_IOP"
    new_version(phq9_iop_min=18, user=criteria_admin)  # the reason stays at v1
    link = f'href="{BOOK}?version=1#rule-PHQ9_IOP"'
    result_url = reverse(
        "levelofcare:assessment_result", args=[recommendation.assessment_id]
    )
    result = page(as_clinician, result_url)
    assert link in result
    review = page(
        as_clinician,
        reverse("levelofcare:review", args=[recommendation.pk]),
    )
    assert link in review
    queue = page(as_clinician, reverse("levelofcare:review_queue"))
    assert link in queue


def test_the_book_uses_a_constant_number_of_queries(
    as_clinician: HttpClient,
    criteria_admin: Any,
    django_assert_max_num_queries: Any,
) -> None:
    with django_assert_max_num_queries(10) as few:
        page(as_clinician)
    for cut in range(16, 26):
        new_version(phq9_iop_min=cut, user=criteria_admin)
    with django_assert_max_num_queries(len(few.captured_queries)):
        text = page(as_clinician, f"{BOOK}?version=3")
    assert text.count('<th scope="row">v') == 11
