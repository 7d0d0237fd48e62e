"""Test data for criteria versions, the impact preview, the CLI and the API."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from django.utils import timezone

from intake.models import Assessment, Client
from levelofcare import rules
from levelofcare.criteria.selectors import criteria_active
from levelofcare.models import CriteriaSet, Recommendation
from tests.factories import answers as base_answers

_references = itertools.count(1)


def complete_answers(**changes: Any) -> dict[str, Any]:
    """Every question answered, nothing fires: outpatient. `...` removes a key."""
    return base_answers(**{"work_or_school_commitment": False, **changes})


# PHQ-9 totals 12, 5 and 20 (item 9 = 0): outpatient, outpatient and IOP under
# version 1 (IOP from 15); lowering the PHQ-9 IOP threshold to 12 moves exactly one.
PHQ9_12 = [2, 2, 2, 2, 2, 1, 1, 0, 0]
PHQ9_5 = [1, 1, 1, 1, 1, 0, 0, 0, 0]
PHQ9_20 = [3, 3, 3, 3, 3, 3, 2, 0, 0]


def submitted_assessment(
    *,
    user: Any,
    answers: dict[str, Any],
    criteria_set: CriteriaSet | None = None,
    override_level: bool = False,
    stored_level: str | None = None,
) -> Assessment:
    """A client, a submitted assessment and its recommendation (ORM only).

    The recommendation is what `rules.evaluate` gives under `criteria_set`
    (default: the active version); with `override_level`, its level is
    `stored_level` instead (e.g. to store answers that no longer validate).
    """
    criteria_set = criteria_set or criteria_active()
    n = next(_references)
    client = Client.objects.create(
        reference=f"CRIT-{n:05d}",
        given_name="Given",
        family_name=f"Family{n}",
        date_of_birth=date(1980, 1, 1),
        created_by=user,
    )
    now = timezone.now()
    assessment = Assessment.objects.create(
        client=client,
        status=Assessment.Status.SUBMITTED,
        answers=answers,
        created_by=user,
        submitted_at=now,
        submitted_by=user,
    )
    result = rules.recommendation_to_dict(
        rules.evaluate(rules.answers_from_dict(answers), criteria_set.to_criteria()),
        criteria_set.version,
    )
    Recommendation.objects.create(
        assessment=assessment,
        client=client,
        level=stored_level if override_level else result["level"],
        reasons=result["reasons"],
        notes=result["notes"],
        missing=result["missing"],
        scores=result["scores"],
        criteria=criteria_set,
    )
    return assessment


def settings_post_data(criteria_set: CriteriaSet, **changes: Any) -> dict[str, Any]:
    """Admin change-form POST data: the version's settings with some changed."""
    data: dict[str, Any] = {
        name: getattr(criteria_set, name) for name in CriteriaSet.SETTING_FIELDS
    }
    data["note"] = ""
    data.update(changes)
    return {k: "" if v is None else str(v) for k, v in data.items()}


def settings_of(criteria_set: CriteriaSet) -> dict[str, Any]:
    """Everything that must never change once a version is saved."""
    fresh = CriteriaSet.objects.get(pk=criteria_set.pk)
    return {
        name: getattr(fresh, name)
        for name in (*CriteriaSet.SETTING_FIELDS, "version", "change_note")
    } | {"created_at": fresh.created_at, "created_by_id": fresh.created_by_id}
