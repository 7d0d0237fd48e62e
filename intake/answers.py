"""The answers contract, derived from the question catalogue.

Standard library only. `answers_from_dict()` validates decoded answers JSON and
builds `Answers`, a frozen dataclass with one field per catalogue question;
`answers_to_dict()` turns it back into JSON. The form (`intake.forms`) runs the
same validator, so the browser form and the JSON contract accept the same answers.

Contract (DESIGN.md, "The evaluation contract"): an absent key is unanswered
(`MISSING`); `null` on a count question means "does not apply" and is an answer.
Unknown keys, wrong types and out-of-range values are errors, never dropped or
clamped; every error is collected and reported by field path.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping, Sequence
from enum import Enum
from typing import TYPE_CHECKING, Any, Final, NoReturn

from intake import catalogue
from intake.catalogue import (
    CHOICE,
    COUNT_OR_NONE,
    CSSRS,
    ITEMS,
    QUESTIONS,
    SCREENER,
    YES_NO,
    Question,
)

__all__ = [
    "MISSING",
    "Answers",
    "AnswersError",
    "Cssrs",
    "Missing",
    "answers_from_dict",
    "answers_to_dict",
]


class Missing(Enum):
    """The type of `MISSING`: a question that was not answered.

    Distinct from `None`, which on a count question is an answer ("does not
    apply"). Using it as a boolean raises, so `if answers.safe_housing:` cannot
    silently treat "unanswered" as "no".
    """

    MISSING = "MISSING"

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> NoReturn:
        raise TypeError("MISSING has no truth value; compare with `is MISSING`")


MISSING: Final = Missing.MISSING


if TYPE_CHECKING:
    # The classes below are generated from the catalogue, so their fields are
    # not written out; statically, every answer is `Any`.
    class Cssrs:
        """C-SSRS screener answers. `None` means unanswered or not applicable."""

        def __init__(self, *parts: bool | None, **named: bool | None) -> None: ...
        def __getattr__(self, part: str) -> bool | None: ...

    class Answers:
        """One assessment's answers, keyed as in the contract. `MISSING` =
        unanswered."""

        def __init__(self, **answers: Any) -> None: ...
        def __getattr__(self, key: str) -> Any: ...

else:
    Cssrs = dataclasses.make_dataclass(
        "Cssrs",
        [(part.key, bool | None, None) for part in CSSRS.parts],
        frozen=True,
        slots=True,
    )
    Cssrs.__module__ = __name__
    Cssrs.__doc__ = (
        "C-SSRS screener answers. `None` means unanswered or not applicable."
    )
    Answers = dataclasses.make_dataclass(
        "Answers",
        [(q.key, object, MISSING) for q in QUESTIONS],
        frozen=True,
        slots=True,
    )
    Answers.__module__ = __name__
    Answers.__doc__ = (
        "One assessment's answers, keyed as in the contract (one field per catalogue "
        "question). `MISSING` = unanswered. Build it with `answers_from_dict()`."
    )


class AnswersError(ValueError):
    """Invalid answers. `errors` maps a field path to human-readable messages.

    Paths: "phq9", "phq9[3]" (0-based item), "cssrs.intent", "harm_to_others", and
    "__all__" for the shape of the whole object.
    """

    def __init__(self, errors: Mapping[str, Sequence[str]]) -> None:
        self.errors: dict[str, list[str]] = {k: list(v) for k, v in errors.items()}
        super().__init__(self._summary())

    def _summary(self) -> str:
        parts = [
            f"{path}: {message}" if path != "__all__" else message
            for path, messages in self.errors.items()
            for message in messages
        ]
        return "invalid answers: " + "; ".join(parts)

    def __str__(self) -> str:
        return self._summary()


def _show(value: object) -> str:
    """A value as the person who sent JSON would recognise it."""
    if value is None or isinstance(value, bool | int | str):
        return json.dumps(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


class _Errors(dict[str, list[str]]):
    def add(self, path: str, message: str) -> None:
        self.setdefault(path, []).append(message)


# A parser checks one answer: it returns the value for `Answers`, or adds errors
# (and returns MISSING). Each answer kind has one.
_Parser = Callable[[object, str, _Errors], object]


def _yes_no(q: Question) -> _Parser:
    def parse(value: object, path: str, out: _Errors) -> object:
        if value is True or value is False:
            return value
        out.add(path, f"must be true or false; got {_show(value)}")
        return MISSING

    return parse


def _choice(q: Question) -> _Parser:
    allowed = frozenset(value for value, _ in q.choices)
    listed = ", ".join(json.dumps(value) for value, _ in q.choices)

    def parse(value: object, path: str, out: _Errors) -> object:
        if isinstance(value, str) and value in allowed:
            return value
        out.add(path, f"must be one of {listed}; got {_show(value)}")
        return MISSING

    return parse


def _items(q: Question) -> _Parser:
    assert q.instrument is not None  # noqa: S101 - an ITEMS question has one
    count, top = len(q.instrument.items), q.instrument.max_item
    allowed = frozenset(range(top + 1))
    expected = f"must be a list of {count} integers from 0 to {top}"

    def parse(value: object, path: str, out: _Errors) -> object:
        # Exact types: True == 1 and 1.0 == 1 would pass the value check alone.
        if (
            isinstance(value, list | tuple)
            and len(value) == count
            and all(type(i) is int for i in value)
            and allowed.issuperset(value)
        ):
            return tuple(value)
        if not isinstance(value, list | tuple):
            out.add(path, f"{expected}; got {_show(value)}")
            return MISSING
        if len(value) != count:
            n = len(value)
            out.add(path, f"{expected}; got {n} item{'' if n == 1 else 's'}")
        for i, item in enumerate(value):
            if isinstance(item, bool) or not isinstance(item, int):
                message = f"item {i + 1} must be an integer; got {_show(item)}"
                out.add(f"{path}[{i}]", message)
            elif not 0 <= item <= top:
                out.add(
                    f"{path}[{i}]", f"item {i + 1} must be from 0 to {top}; got {item}"
                )
        return MISSING

    return parse


def _count_or_none(q: Question) -> _Parser:
    def parse(value: object, path: str, out: _Errors) -> object:
        if value is None or (
            isinstance(value, int) and not isinstance(value, bool) and value >= 0
        ):
            return value
        out.add(path, f"must be a whole number >= 0, or null; got {_show(value)}")
        return MISSING

    return parse


def _screener(q: Question) -> _Parser:
    parts = {part.key: part for part in q.parts}
    gates = tuple((part.key, part.gate) for part in q.parts if part.gate)
    numbers = {part.key: part.label.split(".")[0] for part in q.parts}
    build = _builder(Cssrs)

    def parse(value: object, path: str, out: _Errors) -> object:
        if not isinstance(value, dict):
            out.add(path, f"must be an object of C-SSRS answers; got {_show(value)}")
            return MISSING
        errors = len(out)
        for key, answer in value.items():
            if key not in parts:
                out.add(f"{path}.{key}", "unknown field")
            elif not (answer is None or answer is True or answer is False):
                message = f"must be true, false or null; got {_show(answer)}"
                out.add(f"{path}.{key}", message)
        for child, gate in gates:
            if value.get(child) is True and value.get(gate) is not True:
                asked = [k for k, g in gates if g == gate]
                first, last = numbers[asked[0]], numbers[asked[-1]]
                which = (
                    f"questions {first}-{last}"
                    if len(asked) > 1
                    else (f"question {first}")
                )
                verb = "apply" if len(asked) > 1 else "applies"
                out.add(
                    f"{path}.{child}",
                    f"must not be true when {gate} is not true ({which} {verb} only "
                    f"after yes to question {numbers[gate]})",
                )
        if len(out) != errors:
            return MISSING
        return build(value)

    return parse


_KIND_PARSERS: Final[Mapping[str, Callable[[Question], _Parser]]] = {
    YES_NO: _yes_no,
    CHOICE: _choice,
    ITEMS: _items,
    COUNT_OR_NONE: _count_or_none,
    SCREENER: _screener,
}


def _builder(cls: Any) -> Callable[[Mapping[str, Any]], Any]:
    """A fast constructor of a frozen slots dataclass from a mapping.

    The generated __init__ of a frozen dataclass sets each field through
    object.__setattr__, which is slow; this sets the slots directly, with each
    field's default when absent.
    """
    slots = tuple(
        (f.name, getattr(cls, f.name).__set__, f.default)
        for f in dataclasses.fields(cls)
    )
    new = object.__new__

    def build(values: Mapping[str, Any]) -> Any:
        obj = new(cls)
        for name, set_slot, default in slots:
            set_slot(obj, values.get(name, default))
        return obj

    return build


_PARSERS: Final[Mapping[object, _Parser]] = {
    q.key: _KIND_PARSERS[q.kind](q) for q in QUESTIONS
}
_new_answers: Final = _builder(Answers)


def answers_from_dict(data: object) -> Answers:
    """Validate contract answers JSON (already decoded) and build `Answers`.

    Strict: unknown keys, wrong types (a bool is not an integer and an integer is
    not a bool) and out-of-range values are errors, never dropped or clamped.
    Every error is collected; raises `AnswersError` if there is any.
    """
    if not isinstance(data, dict):
        raise AnswersError(
            {"__all__": [f"answers must be a JSON object; got {_show(data)}"]}
        )
    out = _Errors()
    values: dict[str, object] = {}
    parsers = _PARSERS
    for key, value in data.items():
        parse = parsers.get(key)
        if parse is None:
            out.add(str(key), "unknown field")
        else:
            values[key] = parse(value, key, out)
    if out:
        raise AnswersError(out)
    answers: Answers = _new_answers(values)
    return answers


def answers_to_dict(answers: Answers) -> dict[str, object]:
    """The contract JSON for `answers`: unanswered keys are left out.

    Inside the screener, unanswered (`None`) questions are left out too, so an
    explicit `null` in the input does not survive a round trip.
    """
    out: dict[str, object] = {}
    for q in QUESTIONS:
        value = getattr(answers, q.key)
        if value is MISSING:
            continue
        if q.kind == SCREENER:
            out[q.key] = {
                p.key: v for p in q.parts if (v := getattr(value, p.key)) is not None
            }
        elif q.kind == ITEMS:
            out[q.key] = list(value)
        else:
            out[q.key] = value
    return out


def screener_parts(screener: object) -> tuple[bool | None, ...]:
    """A screener's answers in the catalogue's order."""
    return tuple(getattr(screener, key) for key in catalogue.CSSRS_QUESTIONS)
