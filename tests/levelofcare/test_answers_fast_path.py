"""`answers_from_dict`'s fast path agrees exactly with the full validator.

The fast path (`rules._fast_answers`) only takes plainly valid answers and
otherwise says "undecided" (None), leaving the full validator
(`rules._validate_answers`) to accept or explain. Whatever the input, the two
routes must give the same outcome: equal `Answers` with the same value types, or
an `AnswersError` with exactly the same `errors` and message.
"""

from __future__ import annotations

import enum
from collections import OrderedDict
from dataclasses import fields, is_dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from levelofcare import rules
from levelofcare.rules import (
    ANSWER_KEYS,
    CSSRS_QUESTIONS,
    HARM_TO_OTHERS_CHOICES,
    MISSING,
    AnswersError,
    answers_from_dict,
)

SETTINGS = settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
BOOL_KEYS = ANSWER_KEYS[4:12]
HISTORY_KEYS = ANSWER_KEYS[12:]
PARENT = {
    "method": "suicidal_thoughts",
    "intent": "suicidal_thoughts",
    "plan": "suicidal_thoughts",
    "behavior_past_3_months": "behavior_ever",
}


class Item(enum.IntEnum):
    ONE = 1


class Text(str):
    __slots__ = ()


class Whole(int):
    __slots__ = ()


class Mapping(dict[str, Any]):
    pass


# Values of every JSON type and then some: near misses of each field's shape.
ODD_VALUES: list[object] = [
    None,
    True,
    False,
    0,
    1,
    3,
    4,
    -1,
    10**20,
    1.0,
    0.0,
    float("nan"),
    "none",
    "thoughts",
    "intent",
    "",
    "None",
    "true",
    Text("none"),
    Whole(2),
    Item.ONE,
    MISSING,
    [],
    (),
    {},
    [0] * 9,
    [0] * 7,
    (0,) * 9,
    [True] * 9,
    [1.0] * 7,
    [Item.ONE] * 9,
    [Whole(1)] * 7,
    [0, 1, 2, 3, 4, 0, 0, 0, 0],
    [0, 1, 2, 3, -1, 0, 0],
    [None] * 9,
    ["1"] * 7,
    {"wish_dead": True},
    {"wish_dead": 1},
    {"intent": True},
    Mapping(),
    OrderedDict(),
    object(),
]


def strict(value: object) -> object:
    """`value` with the type of every part spelled out (True == 1, 1.0 == 1)."""
    if is_dataclass(value) and not isinstance(value, type):
        return (
            type(value),
            tuple(strict(getattr(value, f.name)) for f in fields(value)),
        )
    if isinstance(value, tuple):
        return (tuple, tuple(strict(v) for v in value))
    return (type(value), value)


def outcome(parse: Any, data: object) -> object:
    try:
        answers = parse(data)
    except AnswersError as error:
        return ("error", error.errors, str(error))
    return ("answers", strict(answers))


def assert_agree(data: object) -> None:
    full = outcome(rules._validate_answers, data)
    assert outcome(answers_from_dict, data) == full
    fast = rules._fast_answers(data)
    if fast is not None:
        assert full == ("answers", strict(fast))


# ------------------------------------------------------------------ strategies


@st.composite
def screeners(draw: st.DrawFn) -> dict[str, bool | None]:
    """A valid screener: any subset of questions, skip logic respected."""
    answers: dict[str, bool | None] = {}
    for question in CSSRS_QUESTIONS:
        if not draw(st.booleans()):
            continue
        parent = PARENT.get(question)
        allowed = [None, False]
        if parent is None or answers.get(parent) is True:
            allowed.append(True)
        answers[question] = draw(st.sampled_from(allowed))
    return answers


def item_lists(count: int) -> st.SearchStrategy[list[int]]:
    return st.lists(st.integers(0, 3), min_size=count, max_size=count)


VALUE_OF: dict[str, st.SearchStrategy[object]] = {
    "cssrs": screeners(),
    "harm_to_others": st.sampled_from(HARM_TO_OTHERS_CHOICES),
    "phq9": item_lists(9),
    "gad7": item_lists(7),
    **dict.fromkeys(BOOL_KEYS, st.booleans()),
    **dict.fromkeys(HISTORY_KEYS, st.none() | st.integers(0, 400)),
}


@st.composite
def valid_answers(draw: st.DrawFn) -> dict[str, object]:
    """Valid contract answers, as JSON decodes them; any subset of the keys."""
    keys = draw(st.lists(st.sampled_from(ANSWER_KEYS), unique=True))
    return {key: draw(VALUE_OF[key]) for key in keys}


odd_values = st.sampled_from(ODD_VALUES)


@st.composite
def near_valid_answers(draw: st.DrawFn) -> object:
    """Valid answers with a few things changed: a value, an item, a key, a type."""
    data: dict[Any, Any] = draw(valid_answers())
    for _ in range(draw(st.integers(1, 3))):
        change = draw(st.integers(0, 6))
        if change == 0 and data:  # a top-level value
            data[draw(st.sampled_from(list(data)))] = draw(odd_values)
        elif change == 1:  # a screener answer, or an unknown screener key
            cssrs = data.setdefault("cssrs", {})
            if isinstance(cssrs, dict):
                question = draw(st.sampled_from([*CSSRS_QUESTIONS, "other", 1]))
                cssrs[question] = draw(
                    st.sampled_from([True, False, None, 1, 0, "yes"])
                )
        elif change == 2:  # one item of a score
            key = draw(st.sampled_from(["phq9", "gad7"]))
            items = data.get(key)
            if isinstance(items, list) and items:
                i = draw(st.integers(0, len(items) - 1))
                items[i] = draw(odd_values)
        elif change == 3:  # an unknown key, or a key that is not a string
            data[draw(st.sampled_from(["other", "PHQ9", "", 1, None, ("phq9",)]))] = 1
        elif change == 4:  # a key as a str subclass (same hash and equality)
            if data:
                key = draw(st.sampled_from(list(data)))
                data[Text(key)] = data.pop(key)
        elif change == 5:  # an item list one too long or too short
            key = draw(st.sampled_from(["phq9", "gad7"]))
            items = data.get(key)
            if isinstance(items, list):
                data[key] = [*items, 0] if draw(st.booleans()) else items[1:]
        elif change == 6:  # a different container
            return draw(
                st.sampled_from(
                    [Mapping(data), OrderedDict(data), list(data.items()), None]
                )
            )
    return data


# ------------------------------------------------------------------ properties


@SETTINGS
@given(valid_answers())
def test_valid_json_answers_take_the_fast_path(data: dict[str, object]) -> None:
    assert rules._fast_answers(data) is not None
    assert_agree(data)


@SETTINGS
@given(near_valid_answers())
def test_near_valid_answers_agree_with_the_full_validator(data: object) -> None:
    assert_agree(data)


@SETTINGS
@given(st.dictionaries(st.sampled_from([*ANSWER_KEYS, "other"]), odd_values))
def test_odd_values_agree_with_the_full_validator(data: dict[str, object]) -> None:
    assert_agree(data)


# ------------------------------------------------------------------ examples


@pytest.mark.parametrize("key", ANSWER_KEYS)
@pytest.mark.parametrize("value", ODD_VALUES, ids=repr)
def test_every_odd_value_in_every_field_agrees(key: str, value: object) -> None:
    assert_agree({key: value})


@pytest.mark.parametrize(
    "data",
    [
        {"phq9": [Item.ONE] * 9},  # the full validator's own verdict stands
        {"gad7": (0,) * 7},
        {"harm_to_others": Text("none")},
        {"discharged_inpatient_days_ago": Whole(3)},
        {"cssrs": Mapping(wish_dead=True)},
        {"cssrs": {"method": True}},
        {"cssrs": {"suicidal_thoughts": None, "plan": True}},
        {"cssrs": {"behavior_ever": False, "behavior_past_3_months": True}},
        {"cssrs": {"wish_dead": MISSING}},
        {"safe_housing": MISSING},
        {Text("safe_housing"): True},
        Mapping(safe_housing=True),
        {},
    ],
    ids=repr,
)
def test_unusual_shapes_agree(data: object) -> None:
    assert_agree(data)


@pytest.mark.parametrize(("key", "count"), [("phq9", 9), ("gad7", 7)])
@pytest.mark.parametrize(
    "item", [True, False, 1.0, Whole(1), Item.ONE, -1, 4, None, "1"], ids=repr
)
def test_a_wrong_item_in_any_position_agrees(
    key: str, count: int, item: object
) -> None:
    for position in range(count):
        items: list[object] = [1] * count
        items[position] = item
        assert rules._fast_answers({key: items}) is None
        assert_agree({key: items})


def test_fast_path_builds_new_objects_with_the_given_values() -> None:
    data = {
        "cssrs": {"wish_dead": True, "suicidal_thoughts": False},
        "harm_to_others": "none",
        "phq9": [0, 1, 2, 3, 0, 1, 2, 3, 0],
        "discharged_inpatient_days_ago": None,
    }
    first, second = answers_from_dict(data), answers_from_dict(data)
    assert first == second
    assert first is not second
    assert first.cssrs is not second.cssrs
    assert first.harm_to_others is data["harm_to_others"]
    assert first.phq9 == (0, 1, 2, 3, 0, 1, 2, 3, 0)
    assert first.gad7 is MISSING
    assert first.discharged_inpatient_days_ago is None
    assert first.weeks_weekly_therapy_without_improvement is MISSING
