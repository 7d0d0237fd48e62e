"""Criteria versions: a change is version N+1; no version ever changes afterwards."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from levelofcare import rules
from levelofcare.criteria.selectors import (
    criteria_active,
    criteria_for_version,
    criteria_versions,
)
from levelofcare.criteria.services import criteria_set_create, criteria_values_errors
from levelofcare.errors import CriteriaConflictError
from levelofcare.models import CriteriaSet
from levelofcare.recommendations.selectors import contract_evaluate
from tests.factories import (
    PHQ9_12,
    answers,
    settings_of,
    submitted_assessment,
)

pytestmark = pytest.mark.django_db


def _v1_settings() -> dict[str, int]:
    v1 = criteria_for_version(1)
    return {name: getattr(v1, name) for name in CriteriaSet.SETTING_FIELDS}


def test_version_1_is_active_with_the_design_defaults() -> None:
    active = criteria_active()
    assert active.version == 1
    assert active.to_criteria() == rules.DEFAULT_CRITERIA
    assert (
        active.review_interval_inpatient_days,
        active.review_interval_iop_days,
        active.review_interval_outpatient_days,
    ) == (3, 7, 90)


def test_a_change_creates_the_next_version_and_activates_it(criteria_admin) -> None:
    v1 = criteria_active()
    before = settings_of(v1)

    v2 = criteria_set_create(
        based_on=v1,
        values={"phq9_iop_min": 12},
        change_note="Catch moderate depression earlier.",
        user=criteria_admin,
    )

    assert v2.version == 2
    assert v2.phq9_iop_min == 12
    assert v2.created_by == criteria_admin
    assert criteria_active() == v2
    assert CriteriaSet.objects.filter(is_active=True).count() == 1
    assert settings_of(v1) == before
    assert CriteriaSet.objects.get(pk=v1.pk).is_active is False


def test_unchanged_settings_are_carried_over_to_the_new_version(criteria_admin) -> None:
    v2 = criteria_set_create(
        based_on=criteria_active(),
        values={"review_interval_iop_days": 14},
        change_note="Payer now reviews IOP every two weeks.",
        user=criteria_admin,
    )

    expected = _v1_settings() | {"review_interval_iop_days": 14}
    assert {n: getattr(v2, n) for n in CriteriaSet.SETTING_FIELDS} == expected


def test_history_records_who_changed_the_criteria_and_why(criteria_admin) -> None:
    v1 = criteria_active()
    v2 = criteria_set_create(
        based_on=v1,
        values={"gad7_iop_min": 12},
        change_note="Align with the anxiety programme's intake.",
        user=criteria_admin,
    )

    created = v2.history.get()
    assert created.history_type == "+"
    assert created.history_user == criteria_admin
    assert created.history_change_reason == "Align with the anxiety programme's intake."
    retired = v1.history.latest("history_date")
    assert retired.is_active is False
    assert retired.history_user == criteria_admin
    assert retired.history_change_reason == "Replaced by version 2."


def test_a_change_note_is_required(criteria_admin) -> None:
    with pytest.raises(ValidationError) as excinfo:
        criteria_set_create(
            based_on=criteria_active(),
            values={"phq9_iop_min": 12},
            change_note="   ",
            user=criteria_admin,
        )

    assert "change_note" in excinfo.value.message_dict
    assert CriteriaSet.objects.count() == 1


def test_invalid_values_are_refused_and_nothing_is_saved(criteria_admin) -> None:
    with pytest.raises(ValidationError) as excinfo:
        criteria_set_create(
            based_on=criteria_active(),
            values={"phq9_iop_min": 28, "review_interval_iop_days": 0},
            change_note="Typo.",
            user=criteria_admin,
        )

    errors = excinfo.value.message_dict
    assert "from 0 to 27" in errors["phq9_iop_min"][0]
    assert "greater than 0" in errors["review_interval_iop_days"][0]
    assert CriteriaSet.objects.count() == 1
    assert criteria_active().version == 1


def test_a_stale_version_cannot_be_the_base_of_a_change(criteria_admin) -> None:
    v1 = criteria_active()
    criteria_set_create(
        based_on=v1, values={"phq9_iop_min": 12}, change_note="First.", user=None
    )

    with pytest.raises(CriteriaConflictError, match="version 2 is"):
        criteria_set_create(
            based_on=v1,
            values={"phq9_iop_min": 13},
            change_note="Second, from an old page.",
            user=criteria_admin,
        )

    assert CriteriaSet.objects.count() == 2
    assert criteria_active().phq9_iop_min == 12


def test_the_database_allows_only_one_active_version() -> None:
    v1 = criteria_active()
    with pytest.raises(IntegrityError), transaction.atomic():
        CriteriaSet.objects.create(
            version=v1.version + 1, is_active=True, change_note="Second active."
        )


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"phq9_iop_min": 28}, "phq9_iop_min", "from 0 to 27"),
        ({"phq9_iop_min": -1}, "phq9_iop_min", "from 0 to 27"),
        ({"gad7_iop_min": 22}, "gad7_iop_min", "from 0 to 21"),
        ({"moderate_min": 22}, "moderate_min", "from 0 to 21"),
        ({"persistent_weeks_min": 0}, "persistent_weeks_min", "greater than 0"),
        (
            {"review_interval_inpatient_days": 0},
            "review_interval_inpatient_days",
            "greater than 0",
        ),
        ({"overdue_grace_hours": 0}, "overdue_grace_hours", "greater than 0"),
        ({"phq9_iop_min": True}, "phq9_iop_min", "whole number"),
        (
            {"phq9_iop_min": 9},
            "phq9_iop_min",
            "PHQ-9 IOP threshold must be at or above the moderate cut (10).",
        ),
        (
            {"moderate_min": 16},
            "gad7_iop_min",
            "GAD-7 IOP threshold must be at or above the moderate cut (16).",
        ),
        ({"bogus": 1}, "bogus", "not a criteria setting"),
    ],
)
def test_values_are_checked_field_by_field(changes, field, message) -> None:
    errors = criteria_values_errors(_v1_settings() | changes)

    assert field in errors
    assert any(message in text for text in errors[field])


@pytest.mark.parametrize(
    "changes",
    [
        {"phq9_iop_min": 10, "gad7_iop_min": 10},  # equal to the moderate cut
        {"phq9_iop_min": 27, "gad7_iop_min": 21, "moderate_min": 21},
        {"phq9_iop_min": 0, "gad7_iop_min": 0, "moderate_min": 0},
        {"stepdown_window_days": 0},
    ],
)
def test_values_at_the_limits_are_accepted(changes) -> None:
    assert criteria_values_errors(_v1_settings() | changes) == {}


def test_a_recommendation_made_under_v1_is_reproduced_with_v1_after_v2(
    criteria_admin, coordinator
) -> None:
    assessment = submitted_assessment(user=coordinator, answers=answers(phq9=PHQ9_12))
    stored = assessment.recommendation
    assert stored.criteria.version == 1
    assert stored.level == "outpatient"
    criteria_set_create(
        based_on=criteria_active(),
        values={"phq9_iop_min": 12},
        change_note="Lower PHQ-9 IOP threshold.",
        user=criteria_admin,
    )
    assert criteria_active().version == 2

    parsed = rules.answers_from_dict(assessment.answers)
    again = rules.recommendation_to_dict(
        rules.evaluate(parsed, criteria_for_version(1).to_criteria()), 1
    )

    assert again == stored.as_contract()
    now = contract_evaluate(payload=assessment.answers, criteria_set=criteria_active())
    assert now["level"] == "iop"
    assert now["criteria_version"] == 2


def test_criteria_for_an_unknown_version_does_not_exist() -> None:
    with pytest.raises(CriteriaSet.DoesNotExist):
        criteria_for_version(99)


def test_versions_are_listed_newest_first(criteria_admin) -> None:
    criteria_set_create(
        based_on=criteria_active(),
        values={"phq9_iop_min": 12},
        change_note="Two.",
        user=criteria_admin,
    )

    assert [c.version for c in criteria_versions()] == [2, 1]


@pytest.mark.django_db
def test_version_1_from_the_data_migration_has_its_history_row() -> None:
    v1 = CriteriaSet.objects.get(version=1)
    (row,) = v1.history.all()
    assert (row.version, row.history_type) == (1, "+")
    assert row.history_change_reason.startswith("Version 1")
