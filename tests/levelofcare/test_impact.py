"""Impact preview: which past assessments would change level under draft criteria.

The same checks run twice: unmarked (any database, SQLite locally) and marked
`postgres` (the real server-side-cursor path against PostgreSQL in CI).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from intake.models import Assessment
from levelofcare import rules
from levelofcare.criteria import impact
from levelofcare.criteria.impact import impact_preview
from levelofcare.models import CriteriaSet, Recommendation
from tests.factories import (
    PHQ9_5,
    PHQ9_12,
    PHQ9_20,
    answers,
    submitted_assessment,
)

pytestmark = pytest.mark.django_db

LOWER_PHQ9 = rules.Criteria(phq9_iop_min=12)


def three_assessments(user: Any) -> dict[str, Assessment]:
    """PHQ-9 totals 12, 5 and 20: outpatient, outpatient, IOP under version 1."""
    return {
        name: submitted_assessment(user=user, answers=answers(phq9=phq9))
        for name, phq9 in (("12", PHQ9_12), ("5", PHQ9_5), ("20", PHQ9_20))
    }


def check_lowering_phq9_moves_exactly_one(user: Any) -> None:
    made = three_assessments(user)

    preview = impact_preview(draft=LOWER_PHQ9)

    assert preview.examined == 3
    assert preview.changed == 1
    assert preview.counts == {("outpatient", "iop"): 1}
    [sample] = preview.sample
    assert sample.assessment_id == made["12"].pk
    assert sample.client_reference == made["12"].client.reference
    assert (sample.from_level, sample.to_level) == ("outpatient", "iop")
    assert (sample.from_label, sample.to_label) == (
        "Outpatient",
        "IOP (intensive outpatient)",
    )
    assert preview.invalid == 0


def check_unchanged_criteria_change_nothing(user: Any) -> None:
    three_assessments(user)

    preview = impact_preview(draft=rules.DEFAULT_CRITERIA)

    assert preview.examined == 3
    assert preview.counts == {}
    assert preview.sample == ()


def test_lowering_the_phq9_threshold_moves_exactly_one_to_iop(coordinator) -> None:
    check_lowering_phq9_moves_exactly_one(coordinator)


@pytest.mark.postgres
def test_lowering_the_phq9_threshold_moves_exactly_one_to_iop_on_postgresql(
    coordinator,
) -> None:
    check_lowering_phq9_moves_exactly_one(coordinator)


def test_the_current_criteria_change_nothing(coordinator) -> None:
    check_unchanged_criteria_change_nothing(coordinator)


@pytest.mark.postgres
def test_the_current_criteria_change_nothing_on_postgresql(coordinator) -> None:
    check_unchanged_criteria_change_nothing(coordinator)


def test_drafts_and_unanswered_assessments_are_handled(coordinator) -> None:
    three_assessments(coordinator)
    draft = submitted_assessment(user=coordinator, answers=answers())
    Assessment.objects.filter(pk=draft.pk).update(status=Assessment.Status.DRAFT)
    # Stored as "insufficient information": PHQ-9 unanswered stays that way.
    submitted_assessment(user=coordinator, answers=answers(phq9=...))

    preview = impact_preview(draft=rules.Criteria(phq9_iop_min=5, moderate_min=5))

    assert preview.examined == 4  # the draft is not counted
    assert preview.counts == {("outpatient", "iop"): 2}


def test_levels_can_move_down_and_from_insufficient_information(coordinator) -> None:
    three_assessments(coordinator)
    # Stored without a level (e.g. made before PHQ-9 was answered on paper).
    stale = submitted_assessment(
        user=coordinator,
        answers=answers(),
        override_level=True,
        stored_level=None,
    )

    preview = impact_preview(draft=rules.Criteria(phq9_iop_min=21, moderate_min=10))

    assert preview.counts == {("iop", "outpatient"): 1, (None, "outpatient"): 1}
    assert [t.from_label for t in preview.transitions] == [
        "Insufficient information",
        "IOP (intensive outpatient)",
    ]
    assert stale.pk in {s.assessment_id for s in preview.sample}


def test_the_sample_is_capped(coordinator) -> None:
    for _ in range(4):
        submitted_assessment(user=coordinator, answers=answers(phq9=PHQ9_12))

    preview = impact_preview(draft=LOWER_PHQ9, sample_size=2)

    assert preview.changed == 4
    assert len(preview.sample) == 2


def test_answers_that_no_longer_validate_are_counted_not_guessed(coordinator) -> None:
    three_assessments(coordinator)
    broken = submitted_assessment(user=coordinator, answers=answers())
    Assessment.objects.filter(pk=broken.pk).update(answers={"phq9": [9]})

    preview = impact_preview(draft=LOWER_PHQ9)

    assert preview.examined == 4
    assert preview.invalid == 1
    assert preview.counts == {("outpatient", "iop"): 1}


def test_the_preview_writes_nothing(coordinator) -> None:
    three_assessments(coordinator)
    before = list(Recommendation.objects.values_list("pk", "level", "criteria_id"))

    impact_preview(draft=LOWER_PHQ9)

    assert list(Recommendation.objects.values_list("pk", "level", "criteria_id")) == (
        before
    )
    assert CriteriaSet.objects.count() == 1


def test_the_number_of_queries_does_not_grow_with_the_rows(coordinator) -> None:
    three_assessments(coordinator)
    with CaptureQueriesContext(connection) as few:
        impact_preview(draft=LOWER_PHQ9)
    for _ in range(10):
        submitted_assessment(user=coordinator, answers=answers(phq9=PHQ9_12))

    with CaptureQueriesContext(connection) as many:
        preview = impact_preview(draft=LOWER_PHQ9)

    assert preview.examined == 13
    assert len(many) == len(few) <= 4  # rows, sample references (+ savepoint)


def test_small_chunks_give_the_same_result(coordinator) -> None:
    three_assessments(coordinator)
    submitted_assessment(user=coordinator, answers=answers(phq9=...))
    whole = impact_preview(draft=LOWER_PHQ9)

    chunked = impact_preview(draft=LOWER_PHQ9, chunk_size=1)

    assert chunked.examined == whole.examined == 4
    assert chunked.counts == whole.counts == {("outpatient", "iop"): 1}
    assert chunked.sample == whole.sample


def test_identical_answers_are_evaluated_once() -> None:
    text = json.dumps(answers(phq9=PHQ9_12))
    memo: dict[str, str | None] = {}

    outcomes = impact.evaluate_texts([text, text, '{"phq9": [9]}'], LOWER_PHQ9, memo)

    assert outcomes == ["iop", "iop", impact.INVALID]
    assert len(memo) == 2
