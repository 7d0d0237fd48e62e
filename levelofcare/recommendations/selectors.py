"""Reads of the level-of-care workflow: evaluation under a criteria version, the
review queue, a recommendation with its decisions, clients with their levels and
timelines. The joins here keep query counts constant in rows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Final

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from intake.catalogue import band_of
from intake.models import Assessment, Client, RecordView
from intake.selectors import clients_matching
from levelofcare import charts, outcomes, rules
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


def recommendations_undecided() -> QuerySet[Recommendation]:
    """Live recommendations with no decision yet (not superseded, not voided):
    the review queue's rows, unannotated (the home dashboard counts them)."""
    decided = Decision.objects.filter(recommendation=OuterRef("pk"))
    return Recommendation.objects.filter(
        ~Exists(decided),
        superseded_by__isnull=True,
        assessment__voided_at__isnull=True,
    )


def recommendations_waiting(
    *,
    level: str = "",
    waited_hours: int | None = None,
    safety_only: bool = False,
    now: datetime | None = None,
) -> QuerySet[Recommendation]:
    """Live recommendations with no decision yet (not superseded by a newer
    assessment, not voided): highest level, then oldest, first.

    Each has `earlier_safety_unseen`: an earlier recommendation of the client from
    the last `SAFETY_LOOKBACK` carried a safety flag and no clinician has opened
    the client's review since it was made (one query for the page, whatever the
    rows).
    """
    now = now or timezone.now()
    waiting = (
        recommendations_undecided()
        .annotate(earlier_safety_unseen=Exists(_earlier_flags_unseen(now=now)))
        .select_related("client", "assessment__submitted_by", "criteria")
    )
    if level == "none":
        waiting = waiting.filter(level__isnull=True)
    elif level:
        waiting = waiting.filter(level=level)
    if waited_hours is not None:
        waiting = waiting.filter(created_at__lte=now - timedelta(hours=waited_hours))
    if safety_only:
        waiting = waiting.filter(safety_flag=True)
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


# The client list's `show` filter (home dashboard tiles link to it): value ->
# what the list then shows, in words.
CLIENT_SHOWS: Final = {
    "drafts": "with an assessment draft in progress",
    "today": "with an assessment submitted today",
    "waiting": "with a recommendation waiting for a clinician's decision",
    "mine": "in your caseload (you hold their scheduled progress review)",
}


def clients_shown(
    *, show: str, user: Any = None, now: datetime | None = None
) -> QuerySet[Any]:
    """The `client_id`s (with repeats) that the list's `show` filter keeps, read
    from the rows that put a client there: its drafts, its assessments submitted
    today, its undecided recommendations, or the user's scheduled progress
    reviews of open placements ("mine"). The home dashboard counts them
    distinct; the list keeps the clients among them."""
    if show == "drafts":
        return Assessment.objects.filter(
            status=Assessment.Status.DRAFT, voided_at__isnull=True
        ).values("client_id")
    if show == "today":
        today = timezone.localdate(now or timezone.now())
        # Midnight to midnight in the clinic's time zone (a DST day has 23 or 25
        # hours).
        start, end = (
            timezone.make_aware(datetime.combine(day, time.min))
            for day in (today, today + timedelta(days=1))
        )
        return Assessment.objects.filter(
            status=Assessment.Status.SUBMITTED,
            submitted_at__gte=start,
            submitted_at__lt=end,
        ).values("client_id")
    if show == "waiting":
        return recommendations_undecided().values("client_id")
    if show == "mine":
        return ProgressReview.objects.filter(
            placement__ended_at__isnull=True,
            status=ProgressReview.Status.SCHEDULED,
            assigned_to=user,
        ).values(client_id=F("placement__client_id"))
    raise ValueError(f"unknown client filter {show!r}")


def clients_at_level(*, level: str) -> QuerySet[Any]:
    """The `client_id`s of open placements at `level` (one per client)."""
    return Placement.objects.filter(ended_at__isnull=True, level=level).values(
        "client_id"
    )


def client_filter(
    *, show: str = "", level: str = "", user: Any = None, now: datetime | None = None
) -> Q:
    """The client list's filters as a condition on `Client` rows: `show` one of
    `CLIENT_SHOWS` (or "" for all; "mine" needs `user`), `level` the level of
    the client's open placement (or "" for any)."""
    condition = Q()
    if show:
        condition &= Q(pk__in=clients_shown(show=show, user=user, now=now))
    if level:
        condition &= Q(pk__in=clients_at_level(level=level))
    return condition


def client_search(
    *, query: str = "", show: str = "", level: str = "", user: Any = None
) -> QuerySet[Client]:
    """Clients matching every word of `query` in name or reference (and the
    filters of `client_filter`), newest activity first, each with its latest
    recommended level."""
    latest = Recommendation.objects.filter(client=OuterRef("pk")).order_by(
        "-created_at", "-id"
    )
    open_placement = Placement.objects.filter(client=OuterRef("pk"), ended_at=None)
    matching = clients_matching(query=query)
    if show or level:
        matching = matching.filter(client_filter(show=show, level=level, user=user))
    return matching.annotate(
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


# --- score trends (measurement-based care) -----------------------------------------

TREND_INSTRUMENTS: Final = ("phq9", "gad7")
# The level strip under a trend chart, most intensive first (then "insufficient
# information": a recommendation without a level, not decided yet).
TREND_LEVELS: Final = (
    charts.LevelKey(rules.Level.INPATIENT.slug, "IP", "inpatient"),
    charts.LevelKey(rules.Level.IOP.slug, "IOP", "intensive outpatient"),
    charts.LevelKey(rules.Level.OUTPATIENT.slug, "OP", "outpatient"),
    charts.LevelKey("none", "?", "insufficient information"),
)
# The data table's words for a level: the app's own labels.
_LEVEL_LABELS: Final = {
    **{level.slug: level.label for level in rules.Level},
    "none": rules.INSUFFICIENT_LABEL,
}


@dataclass(frozen=True)
class TrendRow:
    """One submitted assessment's total of an instrument, with its level of care
    (decided, else recommended) and its change from the episode's baseline."""

    on: date
    kind: str  # "Intake" / "Progress review"
    total: int
    band: str  # "moderately severe"
    level: str  # a TREND_LEVELS key
    decided: bool
    change: outcomes.Change | None  # None: this row is the episode's baseline

    @property
    def level_label(self) -> str:
        return _LEVEL_LABELS[self.level]


@dataclass(frozen=True)
class ScoreTrend:
    """An instrument's totals over time: rows (oldest first), the latest change
    from the baseline, and the chart."""

    key: str  # "phq9"
    name: str  # "PHQ-9"
    rows: list[TrendRow]
    chart: charts.TrendChart

    @property
    def latest(self) -> TrendRow | None:
        return self.rows[-1] if self.rows else None

    @property
    def svg(self) -> SafeString:
        return mark_safe(self.chart.svg)  # noqa: S308 - charts.py escapes all text


def client_score_trends(*, client: Client) -> list[ScoreTrend]:
    """PHQ-9 and GAD-7 totals of the client's submitted, non-voided assessments,
    oldest first: one query whatever the number of assessments.

    1. Each assessment's totals come from its recommendation's stored `scores`;
       its level is the latest decision's (a correction counts), else the
       recommended level (marked "recommended").
    2. An intake assessment starts an episode; each row's change is measured
       from its episode's baseline (`outcomes.episode_baseline`).
    3. An instrument with no total at all has no trend (left out).
    """
    history = _scored_history(client_id=client.pk)
    kinds = dict(Assessment.Kind.choices)
    trends = []
    for key in TREND_INSTRUMENTS:
        instrument = outcomes.instrument(key)
        scored: list[outcomes.Scored] = []
        rows: list[TrendRow] = []
        for item in history:
            total = _total(item, key)
            scored.append(
                outcomes.Scored(
                    is_intake=item["kind"] == Assessment.Kind.INTAKE, total=total
                )
            )
            if total is None:
                continue
            baseline = outcomes.episode_baseline(scored)
            # The first answered total of its episode is the baseline itself.
            is_baseline = baseline is None or _is_first_of_episode(scored)
            decided = item["decided_level"] is not None
            level = item["decided_level"] or item["recommendation__level"] or "none"
            rows.append(
                TrendRow(
                    on=timezone.localdate(item["submitted_at"] or item["created_at"]),
                    kind=kinds.get(item["kind"], item["kind"]),
                    total=total,
                    band=band_of(instrument, total).label,
                    level=level,
                    decided=decided,
                    change=None
                    if is_baseline or baseline is None
                    else outcomes.change(key, baseline, total),
                )
            )
        if not rows:
            continue
        latest = rows[-1].change
        chart = charts.trend_chart(
            chart_id=f"trend-{key}",
            name=instrument.name,
            points=[
                charts.TrendPoint(row.on, row.total, row.level, row.decided)
                for row in rows
            ],
            bands=instrument.bands,
            max_total=instrument.max_total,
            levels=TREND_LEVELS,
            verdict="" if latest is None else latest.verdict,
        )
        trends.append(ScoreTrend(key=key, name=instrument.name, rows=rows, chart=chart))
    return trends


def _scored_history(*, client_id: int) -> list[dict[str, Any]]:
    """The client's submitted, non-voided assessments with a recommendation,
    oldest first, as dicts: their scores, recommended level and latest decided
    level (one query)."""
    latest_decision = Decision.objects.filter(
        recommendation=OuterRef("recommendation")
    ).order_by("-decided_at", "-id")
    return list(
        Assessment.objects.filter(
            client_id=client_id,
            status=Assessment.Status.SUBMITTED,
            voided_at__isnull=True,
            recommendation__isnull=False,
        )
        .annotate(decided_level=Subquery(latest_decision.values("level")[:1]))
        .order_by("submitted_at", "created_at", "id")
        .values(
            "id",
            "kind",
            "submitted_at",
            "created_at",
            "recommendation__scores",
            "recommendation__level",
            "decided_level",
        )
    )


def _total(item: Mapping[str, Any], key: str) -> int | None:
    score = (item["recommendation__scores"] or {}).get(key) or {}
    total = score.get("total")
    return total if isinstance(total, int) and not isinstance(total, bool) else None


def assessment_score_changes(*, assessment: Assessment) -> list[outcomes.Change]:
    """PHQ-9 and GAD-7 of `assessment` against its episode's baseline (the
    progress review page): one query. An instrument it did not answer, or whose
    baseline is this assessment itself, has no line."""
    history = _scored_history(client_id=assessment.client_id)
    position = next(
        (i for i, item in enumerate(history) if item["id"] == assessment.pk), None
    )
    if position is None:
        return []
    upto = history[: position + 1]
    changes = []
    for key in TREND_INSTRUMENTS:
        scored = [
            outcomes.Scored(
                is_intake=item["kind"] == Assessment.Kind.INTAKE,
                total=_total(item, key),
            )
            for item in upto
        ]
        current = scored[-1].total
        baseline = outcomes.episode_baseline(scored)
        if current is None or baseline is None or _is_first_of_episode(scored):
            continue
        changes.append(outcomes.change(key, baseline, current))
    return changes


def _is_first_of_episode(scored: Sequence[outcomes.Scored]) -> bool:
    """Whether the last item of `scored` is the first answered total of its episode."""
    if scored[-1].is_intake:
        return True
    for item in reversed(scored[:-1]):
        if item.total is not None:
            return False
        if item.is_intake:
            return True
    return True
