"""Reasons as staff read them: sentences first, values named in words, code small."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from levelofcare import rules
from levelofcare.presentation import reason_rows, value_label, value_text
from tests.factories import answers, submit_assessment


def _rows(answer_dict: dict[str, Any]) -> dict[str, list[tuple[str, str]]]:
    result = rules.recommendation_to_dict(
        rules.evaluate(rules.answers_from_dict(answer_dict), rules.Criteria()), 1
    )
    return {row.code: row.values for row in reason_rows(result["reasons"])}


@pytest.mark.parametrize(
    ("key", "label"),
    [
        ("phq9_total", "PHQ-9 total"),
        ("gad7_total", "GAD-7 total"),
        ("cssrs_risk", "C-SSRS risk"),
        ("intent", "C-SSRS question 4: intent"),  # a C-SSRS part: the catalogue
        ("harm_to_others", "Risk of harming others"),  # a question: the catalogue
        ("moderate_min", "Moderate cut"),  # a threshold: rules.THRESHOLDS
        ("some_new_value", "Some new value"),  # unknown: a humanised key
    ],
)
def test_reason_values_are_named_in_words(key: str, label: str) -> None:
    assert value_label(key) == label


def test_reason_values_read_as_words() -> None:
    assert value_text("plan", True) == "yes"
    assert value_text("plan", False) == "no"
    assert value_text("harm_to_others", "intent") == "Intent to harm others"
    assert value_text("iop_reasons", ["GAD7_IOP", "PHQ9_IOP"]) == "GAD7_IOP, PHQ9_IOP"


def test_every_value_of_every_default_rule_has_a_name_that_is_not_its_key() -> None:
    rows = {
        **_rows(answers(phq9=[2, 2, 2, 2, 2, 2, 2, 2, 0], harm_to_others="intent")),
        **_rows(
            answers(gad7=[3] * 7, safe_housing=False, discharged_inpatient_days_ago=3)
        ),
        **_rows(
            answers(
                weeks_weekly_therapy_without_improvement=8,
                phq9=[2, 2, 2, 2, 1, 1, 0, 0, 0],
            )
        ),
    }
    assert rows["PHQ9_IOP"] == [("PHQ-9 total", "16"), ("IOP threshold", "15")]
    names = [name for values in rows.values() for name, _ in values]
    assert len(names) > 8
    assert not [name for name in names if "_" in name]
    persistent = [name for name, _ in rows["PERSISTENT_SYMPTOMS"]]
    assert len(persistent) == len(set(persistent))  # two values, two names


@pytest.mark.django_db
def test_result_page_shows_the_sentence_first_then_values_then_the_code(
    client: HttpClient, coordinator: Any
) -> None:
    recommendation = submit_assessment(
        user=coordinator, answer_dict=answers(phq9=[2, 2, 2, 2, 2, 2, 2, 2, 0])
    )
    client.force_login(coordinator)
    html = client.get(
        reverse("levelofcare:assessment_result", args=[recommendation.assessment_id])
    ).content.decode()
    start = html.index('data-testid="reason">')
    item = html[start : html.index('data-testid="reason-code"', start) + 300]
    sentence = item.index("is at or above the IOP threshold of 15.")
    values = item.index("PHQ-9 total: <strong>16</strong>")
    code = item.index("<code>PHQ9_IOP</code>")
    assert sentence < values < code
    assert 'class="small text-muted mb-0" data-testid="reason-code"' in item
    assert "phq9_total" not in html
