"""Facts about a recommendation that are fixed when it is written, stored as
columns for the reports (pure: standard library only).

A recommendation never changes after it is written, so its instrument totals
and the codes of the rules that fired are copied once, in the transaction that
writes it, from the same `scores` and `reasons` it stores. These functions are
the one definition of that copy: `recommendation_create`, the back-fill
migration (0016) and the benchmark's bulk fill all call them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

# The instruments whose totals are stored (Recommendation.<key>_total).
TOTALS: Final = ("phq9", "gad7")


def score_total(scores: Mapping[str, Any], key: str) -> int | None:
    """`scores[key]["total"]` as an integer; None when the instrument was not
    answered (no entry, or null)."""
    entry = scores.get(key)
    if not isinstance(entry, Mapping):
        return None
    total = entry.get("total")
    return None if total is None else int(total)


def score_totals(scores: Mapping[str, Any]) -> dict[str, int | None]:
    """`{"phq9_total": …, "gad7_total": …}`: the model's column values."""
    return {f"{key}_total": score_total(scores, key) for key in TOTALS}


def reason_codes(reasons: Iterable[Mapping[str, Any]]) -> list[str]:
    """The codes of the reasons that fired, in the rules' order (the first set
    the level), each once."""
    codes: list[str] = []
    for reason in reasons:
        code = str(reason.get("code") or "")
        if code and code not in codes:
            codes.append(code)
    return codes
