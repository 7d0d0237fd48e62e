"""`locatr.params`: strict parsing of parameters from the outside world."""

from __future__ import annotations

from datetime import date

import pytest

from locatr.params import (
    PK_MAX,
    BadJSON,
    date_param,
    int_param,
    json_parse,
    pk_param,
    text_param,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0", 0),
        ("42", 42),
        (" 7 ", 7),
        ("100", 100),
        ("101", None),
        ("", None),
        (None, None),
        ("-1", None),
        ("+1", None),
        ("1.0", None),
        ("²", None),
        ("١٢", None),  # Arabic-Indic digits: isdigit() is true, int() accepts them
        ("１２", None),  # full-width digits
        ("1\x00", None),
        ("9" * 5000, None),
    ],
)
def test_int_param_takes_ascii_digits_within_bounds(raw, expected) -> None:
    assert int_param(raw, low=0, high=100) == expected


def test_pk_param_stays_within_a_bigint() -> None:
    assert pk_param(str(PK_MAX)) == PK_MAX
    assert pk_param(str(PK_MAX + 1)) is None
    assert pk_param("0") is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-02-29", date(2024, 2, 29)),
        ("2024-02-31", None),
        ("2023-02-29", None),
        ("9999-12-31", None),  # the day after would overflow
        ("1899-12-31", None),
        ("2024-2-3", None),
        ("٢٠٢٤-٠٢-٠٣", None),
        ("2024-02-03\x00", None),
        ("", None),
        (None, None),
    ],
)
def test_date_param_takes_real_iso_dates_within_bounds(raw, expected) -> None:
    assert date_param(raw) == expected


def test_text_param_refuses_nul_bytes_and_overlong_text() -> None:
    assert text_param("  MRN-1 ") == "MRN-1"
    assert text_param(None) == ""
    assert text_param("a\x00b") is None
    assert text_param("x" * 11, max_length=10) is None


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"a": ' + "9" * 5000 + "}", "more than 4,300 digits"),
        ("{", "Expecting property name"),
        (b"\xff\xfe\xfa", "not valid UTF-8"),
    ],
)
def test_json_parse_turns_every_failure_into_bad_json(text, says) -> None:
    with pytest.raises(BadJSON, match=says):
        json_parse(text)
