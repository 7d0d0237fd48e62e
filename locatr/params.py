"""Parameters from the outside world (query strings, form fields, JSON bodies),
parsed strictly: a bad value is `None` (or `BadJSON`), never an exception that
ends in a 500.

- Numbers: ASCII `[0-9]` only. `str.isdigit()` is true for `²` and other
  non-ASCII digits that `int()` refuses, and a huge number overflows a date
  subtraction or a database integer, so every number has bounds.
- Dates: ISO `YYYY-MM-DD`, a real calendar date within bounds (2024-02-31 and
  9999-12-31 are refused: the second cannot take "the day after").
- Text: no NUL byte (PostgreSQL refuses it in a string literal) and a length
  limit.
- JSON: `json.loads` raises RecursionError on deep nesting and ValueError on
  integers over 4,300 digits; `json_parse` turns both into `BadJSON`.
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Final

from django.http import HttpResponseBadRequest

# PostgreSQL's bigint: the largest primary key a URL parameter can name.
PK_MAX: Final = 2**63 - 1
DATE_MIN: Final = date(1900, 1, 1)
DATE_MAX: Final = date(9998, 12, 31)
TEXT_MAX: Final = 200

_INT: Final = re.compile(r"[0-9]{1,19}")
_ISO_DATE: Final = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")


def int_param(value: str | None, *, low: int, high: int) -> int | None:
    """The whole number `value` spells in ASCII digits, within [low, high]; else None.

    Surrounding spaces are allowed; signs, non-ASCII digits, NUL bytes and
    anything out of bounds are not.
    """
    if value is None or not _INT.fullmatch(value := value.strip()):
        return None
    number = int(value)
    return number if low <= number <= high else None


def pk_param(value: str | None) -> int | None:
    """A primary key from a parameter (1 to PostgreSQL's bigint), else None."""
    return int_param(value, low=1, high=PK_MAX)


def date_param(
    value: str | None, *, low: date = DATE_MIN, high: date = DATE_MAX
) -> date | None:
    """The date `value` spells as `YYYY-MM-DD`, within [low, high]; else None."""
    match = _ISO_DATE.fullmatch(value.strip()) if value is not None else None
    if match is None:
        return None
    year, month, day = (int(group) for group in match.groups())
    try:
        parsed = date(year, month, day)
    except ValueError:  # 2024-02-31
        return None
    return parsed if low <= parsed <= high else None


def text_param(value: str | None, *, max_length: int = TEXT_MAX) -> str | None:
    """`value` stripped, if it has no NUL byte and at most `max_length`
    characters; else None. An absent parameter is the empty string."""
    value = (value or "").strip()
    if "\x00" in value or len(value) > max_length:
        return None
    return value


def bad_request(message: str) -> HttpResponseBadRequest:
    """A 400 with a plain-text message that says what was wrong."""
    return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")


class BadJSON(ValueError):
    """A body or file that is not acceptable JSON; the message says why."""


def json_parse(text: str | bytes) -> object:
    """`json.loads`, with every way it can fail as `BadJSON` (a clear message)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadJSON(f"{exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except UnicodeDecodeError:
        raise BadJSON("the text is not valid UTF-8") from None
    except RecursionError:
        raise BadJSON("arrays or objects are nested too deeply") from None
    except ValueError:  # int_max_str_digits: a number of more than 4,300 digits
        raise BadJSON("a number has more than 4,300 digits") from None
