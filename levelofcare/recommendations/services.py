"""Writes of the level-of-care workflow: assessments submitted, recommendations,
decisions, placements."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from intake.models import Assessment, Client, RecordView
from intake.services import (
    assessment_mark_submitted,
    assessment_mark_voided,
    assessment_save_draft,
)
from levelofcare.criteria.selectors import criteria_active
from levelofcare.errors import DecisionConflict, DecisionError, VoidError
from levelofcare.models import (
    LEVEL_PRIORITY,
    LEVEL_RANK,
    Decision,
    Placement,
    Program,
    ProgressReview,
    ProgressReviewAssessment,
    Recommendation,
    RecommendationReason,
)
from levelofcare.programs.services import (
    program_place_release,
    program_place_take,
    waitlist_join,
)
from levelofcare.progress.services import (
    progress_review_complete,
    progress_review_schedule,
    progress_reviews_cancel_open,
)
from levelofcare.recommendations.selectors import (
    REVIEW_VIEW_NAME,
    assessment_progress_review,
    recommendation_evaluate,
)
from levelofcare.reports import facts

__all__ = ["REVIEW_VIEW_NAME"]  # views log it; its home is the selectors


def assessment_draft_save(
    *,
    assessment: Assessment | None,
    client: Client,
    user: User,
    answers: dict[str, Any],
    partial_items: dict[str, Any],
    notes: str,
    progress_review: ProgressReview | None = None,
    submission_token: UUID | None = None,
) -> Assessment:
    """Save a draft (intake's service); a new draft made for a progress review is
    linked to it, in the same transaction. `submission_token`: see
    `intake.services.assessment_save_draft`."""
    kind = (
        Assessment.Kind.INTAKE
        if progress_review is None
        else Assessment.Kind.PROGRESS_REVIEW
    )
    with transaction.atomic():
        draft = assessment_save_draft(
            assessment=assessment,
            client=client,
            user=user,
            answers=answers,
            partial_items=partial_items,
            notes=notes,
            kind=assessment.kind if assessment is not None else kind,
            submission_token=submission_token,
        )
        if progress_review is not None:
            ProgressReviewAssessment.objects.get_or_create(
                assessment=draft, defaults={"progress_review": progress_review}
            )
    return draft


def assessment_submit(
    *,
    assessment: Assessment | None,
    client: Client,
    user: User,
    answers: dict[str, Any],
    partial_items: dict[str, Any],
    notes: str,
    progress_review: ProgressReview | None = None,
    submission_token: UUID | None = None,
) -> Recommendation:
    """Submit an assessment: the answers and the recommendation, or nothing at all.

    1. Save the answers (a new or an existing draft; linked to `progress_review`).
       A form posted again (same `submission_token`) or a draft submitted twice
       raises `AssessmentAlreadySubmittedError` naming the submitted one.
    2. Mark it submitted (intake).
    3. Evaluate it with the active criteria and store the recommendation.
    4. It supersedes the client's older undecided recommendations.
    """
    with transaction.atomic():
        draft = assessment_draft_save(
            assessment=assessment,
            client=client,
            user=user,
            answers=answers,
            partial_items=partial_items,
            notes=notes,
            progress_review=progress_review,
            submission_token=submission_token,
        )
        submitted = assessment_mark_submitted(assessment=draft, user=user)
        recommendation = recommendation_create(assessment=submitted)
        recommendations_supersede(newer=recommendation)
        return recommendation


def recommendations_supersede(
    *, newer: Recommendation, now: datetime | None = None
) -> list[Recommendation]:
    """Take the client's older undecided recommendations out of the queue: `newer`
    supersedes them. Recorded (`superseded_by`, `superseded_at`, history), never
    deleted.

    1. Lock the client's other live recommendations (not superseded, not voided):
       a clinician signing a decision on one of them finishes first, or waits.
    2. Those still without a decision are superseded by `newer`.
    """
    now = now or timezone.now()
    live = (
        Recommendation.objects.select_for_update(of=("self",))
        .filter(
            client_id=newer.client_id,
            superseded_by__isnull=True,
            assessment__voided_at__isnull=True,
        )
        .exclude(pk=newer.pk)
        .order_by("pk")
    )
    locked = [rec.pk for rec in live]
    undecided = Recommendation.objects.filter(pk__in=locked).filter(
        ~Exists(Decision.objects.filter(recommendation=OuterRef("pk")))
    )
    superseded = []
    for rec in undecided:
        rec.superseded_by = newer
        rec.superseded_at = now
        rec.save(update_fields=["superseded_by", "superseded_at"])
        superseded.append(rec)
    return superseded


def assessment_void(
    *, assessment: Assessment, user: User, reason: str, now: datetime | None = None
) -> Assessment:
    """Void a submitted assessment entered in error, before any decision on it.

    1. Lock its recommendation: a clinician signing a decision on it at the same
       time finishes first (then this refuses) or waits (then theirs is refused).
    2. Refuse when a decision was recorded (`VoidError`): a decision is corrected,
       never voided from under the clinician.
    3. Void the assessment (intake: reason required, audited with the user).
    4. Its recommendation leaves the queue (voided). The recommendations it had
       superseded pass to whatever superseded it in turn, or are live again:
       a voided assessment no longer stands for the client.
    """
    now = now or timezone.now()
    with transaction.atomic():
        recommendation = Recommendation.objects.select_for_update().get(
            assessment=assessment
        )
        if recommendation.decisions.exists():
            raise VoidError(
                "A clinician has already recorded a decision on this assessment, "
                "so it can no longer be voided. Ask the clinician to record a "
                "correction of the decision instead."
            )
        voided = assessment_mark_voided(
            assessment=assessment, user=user, reason=reason, now=now
        )
        for older in Recommendation.objects.select_for_update().filter(
            superseded_by=recommendation
        ):
            older.superseded_by = recommendation.superseded_by
            if older.superseded_by is None:
                older.superseded_at = None
            older.save(update_fields=["superseded_by", "superseded_at"])
        return voided


def recommendation_create(*, assessment: Assessment) -> Recommendation:
    """Evaluate a submitted assessment with the active criteria and store the result."""
    criteria_set = criteria_active()
    result = recommendation_evaluate(
        answers=assessment.answers, criteria_set=criteria_set
    )
    scores = result["scores"]
    phq9 = scores.get("phq9") or {}
    safety_flag = scores.get("cssrs_risk") == "high" or bool(phq9.get("item9_positive"))
    with transaction.atomic():
        recommendation = Recommendation.objects.create(
            assessment=assessment,
            client_id=assessment.client_id,
            level=result["level"],
            priority=LEVEL_PRIORITY[result["level"]],
            reasons=result["reasons"],
            notes=result["notes"],
            missing=result["missing"],
            scores=scores,
            **facts.score_totals(scores),
            safety_flag=safety_flag,
            criteria=criteria_set,
        )
        RecommendationReason.objects.bulk_create(
            RecommendationReason(recommendation=recommendation, position=i, code=code)
            for i, code in enumerate(facts.reason_codes(result["reasons"]))
        )
        return recommendation


def decision_record(
    *,
    recommendation: Recommendation,
    user: Any,
    level: str,
    reason_code: str = "",
    rationale: str = "",
    program: str = "",
    referred_program: Program | None = None,
    join_waitlist: bool = False,
    service_gap: str = "",
    placed_level: str = "",
    safety_acknowledged: bool = False,
    corrects: Decision | None = None,
    now: datetime | None = None,
) -> Decision:
    """Sign a clinician's decision and move the client's placement with it.

    1. Lock the recommendation row, so two clinicians deciding at once are
       serialised: the second finds the first decision and gets DecisionConflict
       (the partial unique constraint is the backstop).
    2. Check the clinical rules of deciding (`decision_kind`): the recommended
       level is accepted (no reason code); another level is an override and needs
       a coded reason and a rationale; on an "insufficient information"
       recommendation the clinician decides without one, with a rationale (a
       reason code is optional). Every correction needs a rationale. Going below
       an inpatient recommendation needs an explicit acknowledgement of the safety
       criteria; a safety-flagged recommendation must have been opened by this
       clinician first.
    3. Record the decision (signed: clinician and time). A correction is a new
       decision that references the one it corrects.
    4. Placement: a completed progress review at the unchanged level keeps the
       open placement (the next review is scheduled); any other decision closes
       the open placement (cancelling its reviews) and opens a new one at the
       decided level with its first review.
    5. Program: a referral to a directory program (`referred_program`, at the
       decided level) takes one of its open places under the program's row lock;
       a full program raises `ProgramFull` (nothing recorded) unless
       `join_waitlist`, which puts the client on its waitlist instead. A free-text
       `program` names one outside the directory. A closed placement's place is
       released.
    6. Service gap: no program at the decided level takes the client
       (`service_gap`, a `Decision.ServiceGap` code): the placement is at
       `placed_level`, recording the decided level as the indicated one and the
       gap (a referred program, then full, can still be waitlisted). Placing
       below an inpatient recommendation needs the safety acknowledgement, as
       in step 2: never a silent step down.
    """
    now = now or timezone.now()
    recommended = recommendation.level
    if level not in LEVEL_RANK:
        raise DecisionError("Choose a level of care.")
    placed = _check_program_and_gap(
        level=level,
        program=program,
        referred_program=referred_program,
        service_gap=service_gap,
        placed_level=placed_level,
    )
    kind = decision_kind(recommended=recommended, level=level)
    rationale = rationale.strip()
    if corrects is not None and not rationale:
        raise DecisionError("A correction needs a written rationale.")
    if kind == Decision.Kind.OVERRIDE and not (reason_code and rationale):
        raise DecisionError("Overriding needs a coded reason and a written rationale.")
    if kind == Decision.Kind.DECIDED_WITHOUT_RECOMMENDATION and not rationale:
        raise DecisionError(
            "Deciding without a recommendation needs a written rationale."
        )
    # The client's placed level counts: a service gap never places below an
    # inpatient recommendation silently.
    below_inpatient = (
        recommended == "inpatient" and LEVEL_RANK[placed] < LEVEL_RANK["inpatient"]
    )
    if below_inpatient and not safety_acknowledged:
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
                kind=kind,
                level=level,
                reason_code="" if kind == Decision.Kind.ACCEPT else reason_code,
                rationale=rationale,
                program=program.strip(),
                referred_program=referred_program,
                service_gap=service_gap,
                # Only what was acknowledged: deciding below an inpatient level.
                safety_acknowledged=below_inpatient,
                corrects=corrects,
                decided_by=user,
                decided_at=now,
            )
            _placement_follow(
                decision=decision,
                placed_level=placed,
                join_waitlist=join_waitlist,
                now=now,
            )
            Client.objects.filter(pk=locked.client_id).update(last_activity_at=now)
            return decision
    except IntegrityError as exc:
        winner = _winning_decision(recommendation, corrects)
        if winner is None:
            raise
        raise DecisionConflict(winner) from exc


def _check_program_and_gap(
    *,
    level: str,
    program: str,
    referred_program: Program | None,
    service_gap: str,
    placed_level: str,
) -> str:
    """The checks of steps 5 and 6; returns the level the client is placed at."""
    if referred_program is not None:
        if program.strip():
            raise DecisionError(
                "Choose a program from the directory or type one outside it, not both."
            )
        if not referred_program.is_active:
            raise DecisionError(f"{referred_program.name} is no longer active.")
        if referred_program.level != level:
            raise DecisionError(
                f"{referred_program.name} is a {referred_program.get_level_display()} "
                "program: choose one at the level you decide."
            )
    if not service_gap:
        if placed_level and placed_level != level:
            raise DecisionError(
                "A client is placed at another level than the one decided only "
                "with a service gap: record its reason."
            )
        return level
    if service_gap not in Decision.ServiceGap.values:
        raise DecisionError("Choose why no program at this level fits.")
    if placed_level not in LEVEL_RANK or placed_level == level:
        raise DecisionError(
            "Choose the level the client is placed at until a place opens."
        )
    return placed_level


def decision_kind(*, recommended: str | None, level: str) -> Decision.Kind:
    """What deciding `level` on a recommendation of `recommended` is."""
    if recommended is None:
        return Decision.Kind.DECIDED_WITHOUT_RECOMMENDATION
    return Decision.Kind.ACCEPT if level == recommended else Decision.Kind.OVERRIDE


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
    if recommendation.assessment.voided_at is not None:
        raise DecisionError(
            "This assessment was voided (entered in error): it cannot be decided."
        )
    if corrects is None:
        winner = _winning_decision(recommendation, None)
        if winner is not None:
            raise DecisionConflict(winner)
        if recommendation.superseded_by_id is not None:
            raise DecisionError(
                "A newer assessment superseded this recommendation before any "
                "decision: decide on the newer one."
            )
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


def _placement_follow(
    *, decision: Decision, placed_level: str, join_waitlist: bool, now: datetime
) -> None:
    recommendation = decision.recommendation
    review = assessment_progress_review(assessment=recommendation.assessment)
    current = (
        Placement.objects.select_for_update()
        .filter(client_id=recommendation.client_id, ended_at__isnull=True)
        .first()
    )
    if review is not None and review.status == ProgressReview.Status.SCHEDULED:
        progress_review_complete(review=review, now=now)
    unchanged = (
        current is not None
        and review is not None
        and current.level == placed_level
        and not current.service_gap
        and not decision.service_gap
        and decision.referred_program_id in (None, current.program_id)
    )
    if unchanged:
        return  # a progress review with no change: same placement, next review
    if current is not None:
        current.ended_at = now
        current.save(update_fields=["ended_at"])
        progress_reviews_cancel_open(placement=current)
        if current.program_id is not None:
            program_place_release(program_id=current.program_id)
    program = decision.referred_program
    in_program = False
    if program is not None and decision.service_gap:
        # A service gap: the program at the decided level is waited for, not taken.
        waitlist_join(
            program=program,
            client_id=recommendation.client_id,
            decision=decision,
            user=decision.decided_by,
            now=now,
        )
    elif program is not None:
        in_program = program_place_take(
            program=program,
            client_id=recommendation.client_id,
            decision=decision,
            user=decision.decided_by,
            join_waitlist=join_waitlist,
            now=now,
        )
    placement = Placement.objects.create(
        client_id=recommendation.client_id,
        level=placed_level,
        indicated_level=decision.level,
        service_gap=decision.service_gap,
        program=program if in_program else None,
        decision=decision,
        started_at=now,
    )
    progress_review_schedule(
        placement=placement, assigned_to=decision.decided_by, now=now
    )
