"""Baseline answers: every question answered, nothing fires, so the level is
outpatient. The one place the tests write complete answers out; the others change
these.

Standard library only (no Django), so the pure rule tests can use it. A question
added to the catalogue (`intake.catalogue.QUESTIONS`) gets its line here: the
answer that raises no level (for a yes/no question, the "safe" answer). The
Hypothesis properties treat that answer as the usual one and the other as a risk.
"""

from __future__ import annotations

import copy
from typing import Any, Final

BASELINE: Final[dict[str, Any]] = {
    "cssrs": {"wish_dead": False, "suicidal_thoughts": False, "behavior_ever": False},
    "harm_to_others": "none",
    "phq9": [1, 1, 0, 1, 0, 0, 1, 0, 0],
    "gad7": [1, 0, 1, 0, 0, 1, 0],
    "impaired_judgement": False,
    "can_care_for_self": True,
    "safe_housing": True,
    "support_at_home": True,
    "needs_medical_detox": False,
    "needs_24h_medical_monitoring": False,
    "work_or_school_commitment": True,
    "can_attend_3_days_week": True,
    "discharged_inpatient_days_ago": None,
    "weeks_weekly_therapy_without_improvement": None,
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
