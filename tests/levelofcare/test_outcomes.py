"""levelofcare.outcomes: response, remission and change, table-driven (no database)."""

import pytest

from levelofcare import outcomes
from levelofcare.outcomes import Scored


@pytest.mark.parametrize(
    ("baseline", "current", "expected"),
    [
        (17, 8, True),  # -53%
        (16, 8, True),  # exactly -50%
        (17, 9, False),  # -47%
        (10, 5, True),
        (10, 6, False),
        (0, 0, False),  # no baseline symptoms: no response to speak of
        (1, 0, True),
        (8, 12, False),
    ],
)
def test_response_is_a_drop_of_at_least_half_the_baseline(baseline, current, expected):
    assert outcomes.is_response(baseline, current) is expected


@pytest.mark.parametrize(
    ("key", "total", "expected"),
    [
        ("phq9", 4, True),
        ("phq9", 5, False),
        ("gad7", 4, True),
        ("gad7", 5, False),
        ("phq9", 0, True),
    ],
)
def test_remission_is_a_total_below_five(key, total, expected):
    assert outcomes.is_remission(key, total) is expected


@pytest.mark.parametrize(
    ("key", "baseline", "current", "text"),
    [
        ("phq9", 17, 8, "PHQ-9 17 → 8 (−53%, response)"),
        ("gad7", 12, 11, "GAD-7 12 → 11 (no change)"),
        ("phq9", 20, 4, "PHQ-9 20 → 4 (−80%, response, remission)"),
        ("phq9", 17, 11, "PHQ-9 17 → 11 (−35%, better)"),
        ("phq9", 10, 15, "PHQ-9 10 → 15 (+50%, worse)"),
        ("phq9", 10, 14, "PHQ-9 10 → 14 (no change)"),  # 4 < 5 points
        ("gad7", 10, 14, "GAD-7 10 → 14 (+40%, worse)"),  # 4 points is a change
        ("gad7", 6, 4, "GAD-7 6 → 4 (−33%, remission)"),
        ("gad7", 0, 3, "GAD-7 0 → 3 (remission)"),
    ],
)
def test_change_describes_the_difference_in_words(key, baseline, current, text):
    assert outcomes.change(key, baseline, current).describe() == text


@pytest.mark.parametrize(
    ("history", "expected"),
    [
        ([], None),
        ([Scored(True, 17)], 17),
        ([Scored(True, 17), Scored(False, 9), Scored(False, 5)], 17),
        # A new intake starts a new episode with its own baseline.
        ([Scored(True, 17), Scored(False, 9), Scored(True, 12), Scored(False, 6)], 12),
        # The episode's first answered total is the baseline.
        ([Scored(True, None), Scored(False, 14), Scored(False, 6)], 14),
        # Progress reviews only (intake before the record began): the first one.
        ([Scored(False, 11), Scored(False, 7)], 11),
    ],
)
def test_the_baseline_is_the_first_total_of_the_current_episode(history, expected):
    assert outcomes.episode_baseline(history) == expected
