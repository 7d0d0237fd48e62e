"""The catalogue's external codes: every LOINC code is one a person checked against
LOINC's published pages (the table below, typed by hand from those pages), and
every LOINC term code carries a valid check digit. No Django needed."""

from __future__ import annotations

import re

import pytest

from intake import catalogue
from intake.catalogue import INSTRUMENTS, LOINC, QUESTIONS, Code

# Hand-checked: code -> words of what LOINC calls it (the catalogue cites where).
CHECKED: dict[str, str] = {
    # PHQ-9: panel, items 1-9, total
    "44249-1": "PHQ-9 quick depression assessment panel",
    "44250-9": "Little interest or pleasure in doing things",
    "44255-8": "Feeling down, depressed, or hopeless",
    "44259-0": "Trouble falling or staying asleep, or sleeping too much",
    "44254-1": "Feeling tired or having little energy",
    "44251-7": "Poor appetite or overeating",
    "44258-2": "Feeling bad about yourself",
    "44252-5": "Trouble concentrating on things",
    "44253-3": "Moving or speaking so slowly",
    "44260-8": "Thoughts that you would be better off dead",
    "44261-6": "(PHQ-9) total score",
    # GAD-7: panel, items 1-7, total
    "69737-5": "Generalized anxiety disorder 7 item (GAD-7)",
    "69725-0": "Feeling nervous, anxious, or on edge",
    "68509-9": "Not being able to stop or control worrying",
    "69733-4": "Worrying too much about different things",
    "69734-2": "Trouble relaxing",
    "69735-9": "Being so restless that it is hard to sit still",
    "69689-8": "Becoming easily annoyed or irritable",
    "69736-7": "Feeling afraid, as if something awful might happen",
    "70274-6": "(GAD-7) total score",
    # Answers (LOINC answer list shared by the PHQ-9 and GAD-7 items)
    "LA6568-5": "Not at all",
    "LA6569-3": "Several days",
    "LA6570-1": "More than half the days",
    "LA6571-9": "Nearly every day",
}
# Per instrument, in item order: a swapped pair is caught too.
ITEM_ORDER = {
    "phq9": [
        *("44250-9", "44255-8", "44259-0", "44254-1", "44251-7"),
        *("44258-2", "44252-5", "44253-3", "44260-8"),
    ],
    "gad7": [
        *("69725-0", "68509-9", "69733-4", "69734-2", "69735-9"),
        *("69689-8", "69736-7"),
    ],
}


def every_code() -> list[Code]:
    codes: list[Code] = []
    for instrument in INSTRUMENTS.values():
        codes += [*instrument.panel_codes, *instrument.total_codes]
        codes += instrument.answer_codes
        for item in instrument.items:
            codes += item.codes
    for top in QUESTIONS:
        for q in (top, *top.parts):
            codes += q.codes
    return codes


def loinc_check_digit(number: str) -> int:
    """LOINC's mod-10 check digit: double the digits in odd positions counting
    from the right (taken as one number), append the even-position digits, sum
    all digits; the check digit brings that sum up to a multiple of 10."""
    from_right = number[::-1]
    odd = str(int(from_right[0::2]) * 2)  # 12345 -> "531" -> "1062"
    even = from_right[1::2]  # 12345 -> "42"
    total = sum(int(d) for d in odd + even)
    return (10 - total % 10) % 10


@pytest.mark.parametrize(
    ("number", "check"),
    # From LOINC's own description of the algorithm (12345 -> 5), and a few
    # published codes.
    [("12345", 5), ("44249", 1), ("2345", 7), ("44261", 6), ("70274", 6)],
)
def test_the_check_digit_algorithm(number, check) -> None:
    assert loinc_check_digit(number) == check


def test_every_loinc_code_is_in_the_hand_checked_table() -> None:
    loinc = [code for code in every_code() if code.system == LOINC]

    assert loinc, "the catalogue has LOINC codes"
    for code in loinc:
        assert code.code in CHECKED, f"{code.code} ({code.display}) is not checked"
        assert CHECKED[code.code].lower() in code.display.lower(), code
    assert {code.code for code in loinc} == set(CHECKED)  # and none is unused


@pytest.mark.parametrize("code", sorted(CHECKED))
def test_every_loinc_term_code_has_a_valid_check_digit(code) -> None:
    match = re.fullmatch(r"(LA)?([0-9]{1,7})-([0-9])", code)
    assert match, code
    if match.group(1):
        return  # answer codes (LA...) carry no mod-10 check digit
    assert loinc_check_digit(match.group(2)) == int(match.group(3))


def test_every_code_says_where_it_was_confirmed() -> None:
    for code in every_code():
        assert code.source.strip(), code


@pytest.mark.parametrize("key", sorted(ITEM_ORDER))
def test_the_item_codes_are_in_the_instruments_order(key) -> None:
    items = INSTRUMENTS[key].items

    assert [item.codes[0].code for item in items] == ITEM_ORDER[key]
    assert [item.codes[0].display for item in items] == [i.label for i in items]


def test_answer_codes_follow_the_scores() -> None:
    for instrument in INSTRUMENTS.values():
        assert [c.display for c in instrument.answer_codes] == [
            label for _, label in instrument.item_choices
        ]


def test_the_cssrs_screener_and_locatrs_own_questions_use_locatrs_system() -> None:
    for part in catalogue.CSSRS.parts:
        (code,) = catalogue.codes_of(part.path)
        assert (code.system, code.code) == ("urn:locatr:question", part.path)
    (code,) = catalogue.codes_of("safe_housing")
    assert code.system == "urn:locatr:question"
