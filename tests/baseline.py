"""Baseline answers: every question answered, nothing fires, so the level is
outpatient. The one place the tests write complete answers out; the others change
these.

Standard library and the pure catalogue only (no Django), so the pure rule tests
can use it. A yes/no question takes the answer the catalogue declares as raising
no concern (`Question.no_concern`), so a new one needs no line here; a question
of another kind gets its line in `_NOT_YES_NO`. The Hypothesis properties treat
the baseline answer as the usual one and the other as a risk.
"""

from __future__ import annotations

import copy
from typing import Any, Final

from intake import catalogue

# The questions that are not yes/no, answered so that nothing fires.
_NOT_YES_NO: Final[dict[str, Any]] = {
    "cssrs": {"wish_dead": False, "suicidal_thoughts": False, "behavior_ever": False},
    "harm_to_others": "none",
    "phq9": [1, 1, 0, 1, 0, 0, 1, 0, 0],
    "gad7": [1, 0, 1, 0, 0, 1, 0],
    "discharged_inpatient_days_ago": None,
    "weeks_weekly_therapy_without_improvement": None,
}
# Contract order; a yes/no question takes its catalogue answer of no concern.
BASELINE: Final[dict[str, Any]] = {
    q.key: q.no_concern if q.kind == catalogue.YES_NO else _NOT_YES_NO[q.key]
    for q in catalogue.QUESTIONS
}


def answers(**changes: Any) -> dict[str, Any]:
    """A fresh copy of BASELINE with some keys changed (a value of ... removes it)."""
    data = copy.deepcopy(BASELINE)
    for key, value in changes.items():
        if value is ...:
            data.pop(key, None)
        else:
            data[key] = value
    return data
