"""Reads of the level-of-care workflow: evaluation under a criteria version, the
review queue, a recommendation with its decisions, clients with their levels and
timelines. The joins here keep query counts constant in rows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.utils import timezone

from intake.models import Assessment, Client, RecordView
from intake.selectors import clients_matching
from levelofcare import rules
from levelofcare.models import (
    CriteriaSet,
    Decision,
    Placement,
    ProgressReview,
    ProgressReviewAssessment,
    ProgressReviewReassignment,
    Recommendation,
)

# --- evaluation (the contract) ------------------------------------------------------


def recommendation_evaluate(
    *, answers: dict[str, Any], criteria_set: CriteriaSet
) -> dict[str, Any]:
    """The contract JSON for stored answers under one criteria version."""
    result = rules.evaluate(
        rules.answers_from_dict(answers), criteria_set.to_criteria()
    )
    return rules.recommendation_to_dict(result, criteria_set.version)


def contract_evaluate(*, payload: object, criteria_set: CriteriaSet) -> object:
    """Evaluate contract answers JSON (decoded) as `manage.py evaluate` prints it.

    1. `payload` is one answers object or a list of them.
    2. Every item is validated first; if any is invalid, raise `rules.AnswersError`
       with every error, keyed by field (for a list: `[index].field`, 0-based).
    3. Otherwise return the contract dict (or a list of them, in order).
    """
    criteria = criteria_set.to_criteria()
    if isinstance(payload, list):
        parsed: list[rules.Answers] = []
        errors: dict[str, list[str]] = {}
        for index, item in enumerate(payload):
            try:
                parsed.append(rules.answers_from_dict(item))
            except rules.AnswersError as exc:
                errors.update(_prefixed(exc.errors, f"[{index}]"))
        if errors:
            raise rules.AnswersError(errors)
        return [
            rules.recommendation_to_dict(
                rules.evaluate(answers, criteria), criteria_set.version
            )
            for answers in parsed
        ]
    answers = rules.answers_from_dict(payload)
    return rules.recommendation_to_dict(
        rules.evaluate(answers, criteria), criteria_set.version
    )


def _prefixed(errors: Mapping[str, Sequence[str]], prefix: str) -> dict[str, list[str]]:
    return {
        (prefix if path == "__all__" else f"{prefix}.{path}"): list(messages)
        for path, messages in errors.items()
    }


# --- clinician review -------------------------------------------------------------

# The RecordView.view_name written when a clinician opens a recommendation.
REVIEW_VIEW_NAME: Final = "review"
# How long an earlier safety flag of a client stays visible on the queue until a
# clinician opens the client's review.
SAFETY_LOOKBACK: Final = timedelta(days=7)


def recommendations_waiting(
    *, level: str = "", waited_hours: int | None = None, now: datetime | None = None
) -> QuerySet[Recommendation]:
    """Live recommendations with no decision yet (not superseded by a newer
    assessment, not voided): highest level, then oldest, first.

    Each has `earlier_safety_unseen`: an earlier recommendation of the client from
    the last `SAFETY_LOOKBACK` carried a safety flag and no clinician has opened
    the client's review since it was made (one query for the page, whatever the
    rows).
    """
    now = now or timezone.now()
    decided = Decision.objects.filter(recommendation=OuterRef("pk"))
    waiting = (
        Recommendation.objects.filter(
            ~Exists(decided),
            superseded_by__isnull=True,
            assessment__voided_at__isnull=True,
        )
        .annotate(earlier_safety_unseen=Exists(_earlier_flags_unseen(now=now)))
        .select_related("client", "assessment__submitted_by", "criteria")
    )
    if level == "none":
        waiting = waiting.filter(level__isnull=True)
    elif level:
        waiting = waiting.filter(level=level)
    if waited_hours is not None:
        waiting = waiting.filter(created_at__lte=now - timedelta(hours=waited_hours))
    return waiting.order_by("-priority", "created_at", "id")


def _earlier_flags(*, now: datetime) -> QuerySet[Recommendation]:
    """For the recommendation `OuterRef("pk")`: the client's earlier recommendations
    from the last `SAFETY_LOOKBACK` that carried a safety flag (voided ones aside:
    a voided assessment was entered in error, and says so on the timeline)."""
    return Recommendation.objects.filter(
        client_id=OuterRef("client_id"),
        safety_flag=True,
        created_at__gte=now - SAFETY_LOOKBACK,
        created_at__lte=OuterRef("created_at"),
        assessment__voided_at__isnull=True,
    ).exclude(pk=OuterRef("pk"))


def _earlier_flags_unseen(*, now: datetime) -> QuerySet[Recommendation]:
    opened = RecordView.objects.filter(
        client_id=OuterRef("client_id"),
        view_name=REVIEW_VIEW_NAME,
        viewed_at__gte=OuterRef("created_at"),
    )
    return _earlier_flags(now=now).filter(~Exists(opened))


def recommendation_earlier_flags(
    *, recommendation: Recommendation, now: datetime | None = None
) -> list[Recommendation]:
    """The client's earlier undecided recommendations from the last
    `SAFETY_LOOKBACK` that carried a safety flag (superseded by a newer one: the
    clinician reviewing the newer one must see them), newest first."""
    now = now or timezone.now()
    return list(
        Recommendation.objects.filter(
            client_id=recommendation.client_id,
            safety_flag=True,
            created_at__gte=now - SAFETY_LOOKBACK,
            created_at__lte=recommendation.created_at,
            assessment__voided_at__isnull=True,
        )
        .exclude(pk=recommendation.pk)
        .filter(~Exists(Decision.objects.filter(recommendation=OuterRef("pk"))))
        .select_related("assessment", "criteria")
        .order_by("-created_at", "-id")
    )


def recommendation_for_review(*, pk: int) -> Recommendation:
    return Recommendation.objects.select_related(
        "client",
        "criteria",
        "assessment__submitted_by",
        "assessment__progress_review_link__progress_review__placement__decision"
        "__recommendation",
    ).get(pk=pk)


def recommendation_progress_review(
    *, recommendation: Recommendation
) -> ProgressReview | None:
    """The progress review its assessment was made for (joined by
    `recommendation_for_review`), or None for an intake assessment."""
    try:
        link = recommendation.assessment.progress_review_link
    except ProgressReviewAssessment.DoesNotExist:
        return None
    return link.progress_review


def recommendation_decisions(*, recommendation: Recommendation) -> list[Decision]:
    """Every decision on it, oldest first (the original, then corrections)."""
    return list(
        recommendation.decisions.select_related(
            "decided_by", "corrects", "referred_program", "placement"
        ).order_by("decided_at", "id")
    )


def client_history(*, client_id: int, exclude_recommendation: int) -> dict[str, Any]:
    return {
        "previous": list(
            Recommendation.objects.filter(client_id=client_id)
            .exclude(pk=exclude_recommendation)
            .select_related("assessment", "criteria")
            .order_by("-created_at")[:20]
        ),
        "placements": list(
            Placement.objects.filter(client_id=client_id).order_by("-started_at")[:20]
        ),
    }


# --- clients and assessments ------------------------------------------------------


def client_search(*, query: str = "") -> QuerySet[Client]:
    """Clients matching every word of `query` in name or reference, newest activity
    first, each with its latest recommended level."""
    latest = Recommendation.objects.filter(client=OuterRef("pk")).order_by(
        "-created_at", "-id"
    )
    open_placement = Placement.objects.filter(client=OuterRef("pk"), ended_at=None)
    return clients_matching(query=query).annotate(
        latest_level=Subquery(latest.values("level")[:1]),
        has_recommendation=Subquery(latest.values("id")[:1]),
        placement_level=Subquery(open_placement.values("level")[:1]),
    )


def assessment_with_recommendation(*, pk: int) -> Assessment:
    """A submitted assessment with its client, signer and recommendation;
    raises `Assessment.DoesNotExist`."""
    return Assessment.objects.select_related(
        "client", "submitted_by", "voided_by", "recommendation__criteria"
    ).get(pk=pk, status=Assessment.Status.SUBMITTED)


def recommendation_is_decided(*, recommendation: Recommendation) -> bool:
    return recommendation.decisions.exists()


def progress_review_draft(*, review: ProgressReview) -> Assessment | None:
    """The draft reassessment of a progress review, if one was saved."""
    return (
        Assessment.objects.filter(
            progress_review_link__progress_review=review,
            status=Assessment.Status.DRAFT,
        )
        .order_by("-created_at", "-id")
        .first()
    )


def assessment_progress_review(*, assessment: Assessment) -> ProgressReview | None:
    """The progress review an assessment was made for, if any."""
    link = (
        ProgressReviewAssessment.objects.select_related("progress_review")
        .filter(assessment=assessment)
        .first()
    )
    return None if link is None else link.progress_review


@dataclass(frozen=True)
class AtAGlance:
    """The front of the chart: the open placement (with its decision) and the next
    scheduled progress review (with its clinician), or None for each."""

    placement: Placement | None
    next_review: ProgressReview | None
    now: datetime

    @property
    def review_overdue(self) -> bool:
        return self.next_review is not None and self.next_review.due_at < self.now


def client_at_a_glance(*, client: Client, now: datetime | None = None) -> AtAGlance:
    """The client's open placement and its next scheduled progress review: two
    queries, whatever the history length."""
    placement = (
        Placement.objects.filter(client=client, ended_at__isnull=True)
        .select_related("decision__referred_program", "program")
        .first()
    )
    next_review = None
    if placement is not None:
        next_review = (
            ProgressReview.objects.filter(
                placement=placement, status=ProgressReview.Status.SCHEDULED
            )
            .select_related("assigned_to")
            .order_by("due_at", "id")
            .first()
        )
    return AtAGlance(
        placement=placement, next_review=next_review, now=now or timezone.now()
    )


@dataclass(frozen=True)
class TimelineEvent:
    at: datetime
    # "assessment", "draft", "decision", "placement_start", "placement_end",
    # "reassigned" (a progress review given to another clinician)
    kind: str
    obj: Any


def client_timeline(*, client: Client) -> list[TimelineEvent]:
    """Assessments (with their recommendation), decisions, placements and
    progress review reassignments, in time order, newest first. A fixed number
    of queries whatever the history length."""
    events: list[TimelineEvent] = []
    assessments = (
        Assessment.objects.filter(client=client)
        .select_related(
            "recommendation__criteria",
            "recommendation__superseded_by",
            "submitted_by",
            "created_by",
            "voided_by",
        )
        .order_by("created_at")
    )
    for a in assessments:
        if a.status == Assessment.Status.DRAFT:
            events.append(TimelineEvent(a.updated_at, "draft", a))
        else:
            events.append(
                TimelineEvent(a.submitted_at or a.created_at, "assessment", a)
            )
    decisions = Decision.objects.filter(recommendation__client=client).select_related(
        "decided_by", "recommendation", "corrects", "referred_program"
    )
    events.extend(TimelineEvent(d.decided_at, "decision", d) for d in decisions)
    for p in Placement.objects.filter(client=client).select_related("program"):
        events.append(TimelineEvent(p.started_at, "placement_start", p))
        if p.ended_at:
            events.append(TimelineEvent(p.ended_at, "placement_end", p))
    reassignments = ProgressReviewReassignment.objects.filter(
        review__placement__client=client
    ).select_related("from_user", "to_user", "by")
    events.extend(TimelineEvent(r.at, "reassigned", r) for r in reassignments)
    order = {
        "placement_end": 0,
        "assessment": 1,
        "draft": 1,
        "decision": 2,
        "placement_start": 3,
        "reassigned": 4,
    }
    events.sort(key=lambda e: (e.at, order[e.kind]), reverse=True)
    return events
