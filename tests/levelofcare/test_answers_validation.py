"""The answers JSON contract: strict validation, every error collected, no clamping."""

from __future__ import annotations

import pytest

from intake import catalogue
from levelofcare.rules import (
    MISSING,
    Answers,
    AnswersError,
    Cssrs,
    answers_from_dict,
    answers_to_dict,
)
from tests.baseline import answers as baseline_answers

# Every question answered (the baseline), with many answers away from it.
FULL: dict[str, object] = baseline_answers(
    cssrs={
        "wish_dead": True,
        "suicidal_thoughts": True,
        "method": True,
        "intent": False,
        "plan": False,
        "behavior_ever": True,
        "behavior_past_3_months": False,
    },
    harm_to_others="thoughts",
    phq9=[3, 2, 1, 0, 3, 2, 1, 0, 1],
    gad7=[0, 1, 2, 3, 0, 1, 2],
    support_at_home=False,
    can_attend_3_days_week=False,
    discharged_inpatient_days_ago=12,
    weeks_weekly_therapy_without_improvement=None,
)
YES_NO = [q.key for q in catalogue.QUESTIONS if q.kind == catalogue.YES_NO]


def errors_of(data: object) -> dict[str, list[str]]:
    with pytest.raises(AnswersError) as caught:
        answers_from_dict(data)
    return caught.value.errors


def with_(**changes: object) -> dict[str, object]:
    return {**FULL, **changes}


# ------------------------------------------------------------------ valid input


def test_full_answers_are_parsed() -> None:
    answers = answers_from_dict(FULL)
    assert answers.cssrs == Cssrs(
        wish_dead=True,
        suicidal_thoughts=True,
        method=True,
        intent=False,
        plan=False,
        behavior_ever=True,
        behavior_past_3_months=False,
    )
    assert answers.harm_to_others == "thoughts"
    assert answers.phq9 == (3, 2, 1, 0, 3, 2, 1, 0, 1)
    assert answers.gad7 == (0, 1, 2, 3, 0, 1, 2)
    assert answers.support_at_home is False
    assert answers.discharged_inpatient_days_ago == 12
    assert answers.weeks_weekly_therapy_without_improvement is None


def test_every_key_is_optional_and_absent_means_unanswered() -> None:
    assert answers_from_dict({}) == Answers()
    answers = answers_from_dict({"phq9": [0] * 9})
    assert answers.gad7 is MISSING
    assert answers.discharged_inpatient_days_ago is MISSING


def test_null_history_means_does_not_apply_not_unanswered() -> None:
    answers = answers_from_dict(
        {
            "discharged_inpatient_days_ago": None,
            "weeks_weekly_therapy_without_improvement": None,
        }
    )
    assert answers.discharged_inpatient_days_ago is None
    assert answers.weeks_weekly_therapy_without_improvement is None


def test_zero_days_and_weeks_are_valid() -> None:
    answers = answers_from_dict(
        {
            "discharged_inpatient_days_ago": 0,
            "weeks_weekly_therapy_without_improvement": 0,
        }
    )
    assert answers.discharged_inpatient_days_ago == 0
    assert answers.weeks_weekly_therapy_without_improvement == 0


def test_cssrs_questions_may_be_absent_or_null() -> None:
    answers = answers_from_dict(
        {"cssrs": {"wish_dead": None, "suicidal_thoughts": True, "intent": None}}
    )
    assert answers.cssrs == Cssrs(suicidal_thoughts=True)


def test_questions_that_do_not_apply_may_be_false_or_absent() -> None:
    answers = answers_from_dict(
        {
            "cssrs": {
                "suicidal_thoughts": False,
                "method": False,
                "behavior_ever": False,
                "behavior_past_3_months": False,
            }
        }
    )
    assert isinstance(answers.cssrs, Cssrs)
    assert answers.cssrs.method is False


# ---------------------------------------------------------------- invalid input


@pytest.mark.parametrize("data", [None, [], "answers", 3, [FULL]])
def test_answers_must_be_an_object(data: object) -> None:
    errors = errors_of(data)
    assert list(errors) == ["__all__"]
    assert "must be a JSON object" in errors["__all__"][0]


def test_unknown_fields_are_errors_not_dropped() -> None:
    errors = errors_of(with_(phq_9=[0] * 9, notes="x"))
    assert errors == {"phq_9": ["unknown field"], "notes": ["unknown field"]}


def test_unknown_cssrs_question_is_an_error() -> None:
    errors = errors_of({"cssrs": {"wish_dead": False, "ideation": True}})
    assert errors == {"cssrs.ideation": ["unknown field"]}


@pytest.mark.parametrize(
    ("phq9", "path", "message"),
    [
        ([0] * 8, "phq9", "must be a list of 9 integers from 0 to 3; got 8 items"),
        ([0] * 10, "phq9", "must be a list of 9 integers from 0 to 3; got 10 items"),
        ([], "phq9", "must be a list of 9 integers from 0 to 3; got 0 items"),
        ([0] * 8 + [4], "phq9[8]", "item 9 must be from 0 to 3; got 4"),
        ([0, -1] + [0] * 7, "phq9[1]", "item 2 must be from 0 to 3; got -1"),
        ([True] + [0] * 8, "phq9[0]", "item 1 must be an integer; got true"),
        ([0] * 8 + [1.0], "phq9[8]", "item 9 must be an integer; got 1.0"),
        ([0] * 8 + ["1"], "phq9[8]", 'item 9 must be an integer; got "1"'),
        (
            "000000000",
            "phq9",
            'must be a list of 9 integers from 0 to 3; got "000000000"',
        ),
        (None, "phq9", "must be a list of 9 integers from 0 to 3; got null"),
        (12, "phq9", "must be a list of 9 integers from 0 to 3; got 12"),
    ],
)
def test_phq9_must_be_nine_items_from_0_to_3(
    phq9: object, path: str, message: str
) -> None:
    assert errors_of(with_(phq9=phq9)) == {path: [message]}


def test_gad7_must_be_seven_items() -> None:
    assert errors_of(with_(gad7=[0] * 9)) == {
        "gad7": ["must be a list of 7 integers from 0 to 3; got 9 items"]
    }
    assert errors_of(with_(gad7=[0] * 6 + [7])) == {
        "gad7[6]": ["item 7 must be from 0 to 3; got 7"]
    }


def test_wrong_length_and_bad_items_are_all_reported() -> None:
    errors = errors_of(with_(phq9=[0, 5, 0, 0, 0, 0, 0, 9]))
    assert errors == {
        "phq9": ["must be a list of 9 integers from 0 to 3; got 8 items"],
        "phq9[1]": ["item 2 must be from 0 to 3; got 5"],
        "phq9[7]": ["item 8 must be from 0 to 3; got 9"],
    }


@pytest.mark.parametrize("value", ["maybe", "Intent", "", None, 1, True])
def test_harm_to_others_must_be_a_known_choice(value: object) -> None:
    errors = errors_of(with_(harm_to_others=value))
    assert list(errors) == ["harm_to_others"]
    assert errors["harm_to_others"][0].startswith(
        'must be one of "none", "thoughts", "intent"; got '
    )


@pytest.mark.parametrize(
    ("value", "shown"),
    [(1, "1"), (0, "0"), ("true", '"true"'), (None, "null"), ([True], "a list")],
)
def test_flags_must_be_true_or_false(value: object, shown: str) -> None:
    errors = errors_of(with_(safe_housing=value))
    assert errors == {"safe_housing": [f"must be true or false; got {shown}"]}


@pytest.mark.parametrize("key", YES_NO)
def test_an_integer_is_not_a_bool_for_any_flag(key: str) -> None:
    assert list(errors_of(with_(**{key: 1}))) == [key]


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (-1, "-1"),
        (1.5, "1.5"),
        (3.0, "3.0"),
        (True, "true"),
        ("3", '"3"'),
        ({}, "an object"),
    ],
)
@pytest.mark.parametrize(
    "key", ["discharged_inpatient_days_ago", "weeks_weekly_therapy_without_improvement"]
)
def test_history_must_be_a_whole_number_or_null(
    key: str, value: object, shown: str
) -> None:
    assert errors_of(with_(**{key: value})) == {
        key: [f"must be a whole number >= 0, or null; got {shown}"]
    }


@pytest.mark.parametrize("value", [None, True, [], "yes"])
def test_cssrs_must_be_an_object(value: object) -> None:
    errors = errors_of(with_(cssrs=value))
    assert list(errors) == ["cssrs"]
    assert errors["cssrs"][0].startswith("must be an object of C-SSRS answers; got")


@pytest.mark.parametrize("value", [1, 0, "no", [False]])
def test_cssrs_answers_must_be_booleans(value: object) -> None:
    errors = errors_of({"cssrs": {"suicidal_thoughts": value}})
    assert list(errors) == ["cssrs.suicidal_thoughts"]
    assert errors["cssrs.suicidal_thoughts"][0].startswith(
        "must be true, false or null; got "
    )


@pytest.mark.parametrize("question", ["method", "intent", "plan"])
@pytest.mark.parametrize("suicidal_thoughts", [False, None, "absent"])
def test_questions_3_to_5_true_without_yes_to_question_2_is_an_error(
    question: str, suicidal_thoughts: object
) -> None:
    cssrs: dict[str, object] = {question: True}
    if suicidal_thoughts != "absent":
        cssrs["suicidal_thoughts"] = suicidal_thoughts
    errors = errors_of({"cssrs": cssrs})
    assert errors == {
        f"cssrs.{question}": [
            "must not be true when suicidal_thoughts is not true "
            "(questions 3-5 apply only after yes to question 2)"
        ]
    }


@pytest.mark.parametrize("behavior_ever", [False, None, "absent"])
def test_recent_behaviour_true_without_behaviour_ever_is_an_error(
    behavior_ever: object,
) -> None:
    cssrs: dict[str, object] = {"behavior_past_3_months": True}
    if behavior_ever != "absent":
        cssrs["behavior_ever"] = behavior_ever
    assert errors_of({"cssrs": cssrs}) == {
        "cssrs.behavior_past_3_months": [
            "must not be true when behavior_ever is not true "
            "(question 6b applies only after yes to question 6)"
        ]
    }


def test_every_error_is_collected_not_only_the_first() -> None:
    data = {
        "cssrs": {"intent": True, "wish_dead": "yes", "extra": False},
        "harm_to_others": "some",
        "phq9": [0] * 8,
        "gad7": [0] * 6 + [4],
        "safe_housing": 1,
        "discharged_inpatient_days_ago": -3,
        "weeks_weekly_therapy_without_improvement": 2.5,
        "colour": "blue",
    }
    errors = errors_of(data)
    assert set(errors) == {
        "cssrs.intent",
        "cssrs.wish_dead",
        "cssrs.extra",
        "harm_to_others",
        "phq9",
        "gad7[6]",
        "safe_housing",
        "discharged_inpatient_days_ago",
        "weeks_weekly_therapy_without_improvement",
        "colour",
    }


def test_error_message_names_the_fields() -> None:
    with pytest.raises(AnswersError) as caught:
        answers_from_dict({"phq9": [0] * 8, "safe_housing": "yes"})
    text = str(caught.value)
    assert text.startswith("invalid answers: ")
    assert "phq9: must be a list of 9 integers from 0 to 3; got 8 items" in text
    assert 'safe_housing: must be true or false; got "yes"' in text
    assert "\n" not in text
    assert isinstance(caught.value, ValueError)


def test_values_are_never_clamped() -> None:
    errors = errors_of({"phq9": [3] * 8 + [5]})
    assert errors == {"phq9[8]": ["item 9 must be from 0 to 3; got 5"]}


# ------------------------------------------------------------------- to dict


def test_answers_to_dict_round_trips_full_answers() -> None:
    assert answers_to_dict(answers_from_dict(FULL)) == FULL


def test_answers_to_dict_leaves_out_unanswered_keys() -> None:
    data = {"phq9": [1] * 9, "discharged_inpatient_days_ago": None}
    assert answers_to_dict(answers_from_dict(data)) == data
    assert answers_to_dict(Answers()) == {}


def test_null_inside_the_screener_is_normalised_to_absent() -> None:
    data = {"cssrs": {"wish_dead": None, "suicidal_thoughts": False}}
    assert answers_to_dict(answers_from_dict(data)) == {
        "cssrs": {"suicidal_thoughts": False}
    }


def test_empty_screener_round_trips() -> None:
    assert answers_to_dict(answers_from_dict({"cssrs": {}})) == {"cssrs": {}}
