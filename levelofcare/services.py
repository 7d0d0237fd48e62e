"""Writes of the level-of-care workflow: recommendations, decisions, placements."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from intake.models import Assessment, Client, RecordView
from levelofcare import rules
from levelofcare.models import (
    LEVEL_PRIORITY,
    LEVEL_RANK,
    CriteriaSet,
    Decision,
    Placement,
    ProgressReview,
    Recommendation,
)
from levelofcare.reviews import review_complete, review_schedule, reviews_cancel_open

# The RecordView.view_name written when a clinician opens a recommendation.
REVIEW_VIEW_NAME = "review"


def recommendation_evaluate(
    *, answers: dict[str, Any], criteria_set: CriteriaSet
) -> dict[str, Any]:
    """The contract JSON for stored answers under one criteria version."""
    result = rules.evaluate(
        rules.answers_from_dict(answers), criteria_set.to_criteria()
    )
    return rules.recommendation_to_dict(result, criteria_set.version)


def recommendation_create(*, assessment: Assessment) -> Recommendation:
    """Evaluate a submitted assessment with the active criteria and store the result."""
    criteria_set = CriteriaSet.objects.get(is_active=True)
    result = recommendation_evaluate(
        answers=assessment.answers, criteria_set=criteria_set
    )
    scores = result["scores"]
    phq9 = scores.get("phq9") or {}
    safety_flag = scores.get("cssrs_risk") == "high" or bool(phq9.get("item9_positive"))
    with transaction.atomic():
        return Recommendation.objects.create(
            assessment=assessment,
            client_id=assessment.client_id,
            level=result["level"],
            priority=LEVEL_PRIORITY[result["level"]],
            reasons=result["reasons"],
            notes=result["notes"],
            missing=result["missing"],
            scores=scores,
            safety_flag=safety_flag,
            criteria=criteria_set,
        )


class DecisionError(Exception):
    """A decision that may not be recorded; the message says why."""


class DecisionConflict(DecisionError):
    """Someone else decided first. `winner` is the decision that was recorded."""

    def __init__(self, winner: Decision) -> None:
        super().__init__("Another clinician has already decided this recommendation.")
        self.winner = winner


def decision_record(
    *,
    recommendation: Recommendation,
    user: Any,
    level: str,
    reason_code: str = "",
    rationale: str = "",
    program: str = "",
    safety_acknowledged: bool = False,
    corrects: Decision | None = None,
    now: datetime | None = None,
) -> Decision:
    """Sign a clinician's decision and move the client's placement with it.

    1. Lock the recommendation row, so two clinicians deciding at once are
       serialised: the second finds the first decision and gets DecisionConflict
       (the partial unique constraint is the backstop).
    2. Check the clinical rules of deciding: a level that differs from the
       recommendation (or an "insufficient information" one) needs a coded reason
       and a rationale; going below an inpatient recommendation needs an explicit
       acknowledgement of the safety criteria; a safety-flagged recommendation
       must have been opened by this clinician first.
    3. Record the decision (signed: clinician and time). A correction is a new
       decision that references the one it corrects.
    4. Placement: a completed progress review at the unchanged level keeps the
       open placement (the next review is scheduled); any other decision closes
       the open placement (cancelling its reviews) and opens a new one at the
       decided level with its first review.
    """
    now = now or timezone.now()
    recommended = recommendation.level
    is_change = level != recommended
    if level not in LEVEL_RANK:
        raise DecisionError("Choose a level of care.")
    if is_change and not (reason_code and rationale.strip()):
        raise DecisionError("Overriding needs a coded reason and a written rationale.")
    if corrects is not None and not rationale.strip():
        raise DecisionError("A correction needs a written rationale.")
    if (
        recommended == "inpatient"
        and LEVEL_RANK[level] < LEVEL_RANK["inpatient"]
        and not safety_acknowledged
    ):
        raise DecisionError(
            "Confirm that you have considered the safety criteria that recommend "
            "inpatient care before choosing a lower level."
        )
    try:
        with transaction.atomic():
            locked = Recommendation.objects.select_for_update().get(
                pk=recommendation.pk
            )
            _check_can_decide(recommendation=locked, user=user, corrects=corrects)
            decision = Decision.objects.create(
                recommendation=locked,
                kind=Decision.Kind.OVERRIDE if is_change else Decision.Kind.ACCEPT,
                level=level,
                reason_code=reason_code if is_change or corrects else "",
                rationale=rationale.strip(),
                program=program.strip(),
                safety_acknowledged=safety_acknowledged,
                corrects=corrects,
                decided_by=user,
                decided_at=now,
            )
            _placement_follow(decision=decision, now=now)
            Client.objects.filter(pk=locked.client_id).update(last_activity_at=now)
            return decision
    except IntegrityError as exc:
        winner = _winning_decision(recommendation, corrects)
        if winner is None:
            raise
        raise DecisionConflict(winner) from exc


def _winning_decision(
    recommendation: Recommendation, corrects: Decision | None
) -> Decision | None:
    if corrects is not None:
        return Decision.objects.filter(corrects=corrects).first()
    return Decision.objects.filter(
        recommendation=recommendation, corrects__isnull=True
    ).first()


def _check_can_decide(
    *, recommendation: Recommendation, user: Any, corrects: Decision | None
) -> None:
    if corrects is None:
        winner = _winning_decision(recommendation, None)
        if winner is not None:
            raise DecisionConflict(winner)
    else:
        if corrects.recommendation_id != recommendation.pk:
            raise DecisionError("A correction must refer to this recommendation.")
        winner = _winning_decision(recommendation, corrects)
        if winner is not None:
            raise DecisionConflict(winner)
    if (
        recommendation.safety_flag
        and not RecordView.objects.filter(
            user=user,
            client_id=recommendation.client_id,
            view_name=REVIEW_VIEW_NAME,
            viewed_at__gte=recommendation.created_at,
        ).exists()
    ):
        raise DecisionError(
            "This recommendation carries a safety flag: open it and review it "
            "before deciding."
        )


def _placement_follow(*, decision: Decision, now: datetime) -> None:
    recommendation = decision.recommendation
    review = recommendation.assessment.progress_review
    current = (
        Placement.objects.select_for_update()
        .filter(client_id=recommendation.client_id, ended_at__isnull=True)
        .first()
    )
    if review is not None and review.status == ProgressReview.Status.SCHEDULED:
        review_complete(review=review, now=now)
    if current is not None and current.level == decision.level and review is not None:
        return  # a progress review with no change: same placement, next review
    if current is not None:
        current.ended_at = now
        current.save(update_fields=["ended_at"])
        reviews_cancel_open(placement=current)
    placement = Placement.objects.create(
        client_id=recommendation.client_id,
        level=decision.level,
        decision=decision,
        started_at=now,
    )
    review_schedule(placement=placement, assigned_to=decision.decided_by, now=now)
