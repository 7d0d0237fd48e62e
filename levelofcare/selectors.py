"""Reads for levelofcare: criteria versions and contract evaluation."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db.models import CharField, Exists, F, OuterRef, QuerySet, Value
from django.utils import timezone

from intake.models import Assessment
from levelofcare import rules
from levelofcare.models import (
    AuthEvent,
    CriteriaSet,
    Decision,
    Placement,
    ProgressReview,
    Recommendation,
)


def criteria_active() -> CriteriaSet:
    """The criteria version in force. There is always exactly one (migration 0002)."""
    return CriteriaSet.objects.get(is_active=True)


def criteria_for_version(version: int) -> CriteriaSet:
    """One criteria version by number; raises `CriteriaSet.DoesNotExist`."""
    return CriteriaSet.objects.get(version=version)


def criteria_versions() -> QuerySet[CriteriaSet]:
    """Every criteria version, newest first."""
    return CriteriaSet.objects.select_related("created_by").order_by("-version")


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


def recommendations_waiting(
    *, level: str = "", waited_hours: int | None = None, now: datetime | None = None
) -> QuerySet[Recommendation]:
    """Recommendations with no decision yet: highest level, then oldest, first."""
    decided = Decision.objects.filter(recommendation=OuterRef("pk"))
    waiting = Recommendation.objects.filter(~Exists(decided)).select_related(
        "client", "assessment__submitted_by", "criteria"
    )
    if level == "none":
        waiting = waiting.filter(level__isnull=True)
    elif level:
        waiting = waiting.filter(level=level)
    if waited_hours is not None:
        now = now or timezone.now()
        waiting = waiting.filter(created_at__lte=now - timedelta(hours=waited_hours))
    return waiting.order_by("-priority", "created_at", "id")


def recommendation_for_review(*, pk: int) -> Recommendation:
    return Recommendation.objects.select_related(
        "client",
        "criteria",
        "assessment__submitted_by",
        "assessment__progress_review__placement__decision__recommendation",
    ).get(pk=pk)


def recommendation_decisions(*, recommendation: Recommendation) -> list[Decision]:
    """Every decision on it, oldest first (the original, then corrections)."""
    return list(
        recommendation.decisions.select_related("decided_by", "corrects").order_by(
            "decided_at", "id"
        )
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


def audit_events(
    *,
    client_reference: str = "",
    username: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[Any]:
    """Every audit row (history of records, sign-ins, record views) as one union of
    (at, username, action, record, object id, client reference), newest first."""
    from intake.models import Client, RecordView

    sources: list[QuerySet[Any]] = []
    history_sources = (
        (Client.history.model, "client", "reference"),
        (Assessment.history.model, "assessment", "client__reference"),
        (Recommendation.history.model, "recommendation", "client__reference"),
        (Decision.history.model, "decision", "recommendation__client__reference"),
        (Placement.history.model, "placement", "client__reference"),
        (
            ProgressReview.history.model,
            "progress review",
            "placement__client__reference",
        ),
        (CriteriaSet.history.model, "criteria", None),
    )
    for model, label, ref_path in history_sources:
        qs = model.objects.all()
        if client_reference:
            if ref_path is None:
                continue
            qs = qs.filter(**{ref_path: client_reference})
        if username:
            qs = qs.filter(history_user__username=username)
        sources.append(
            qs.annotate(
                at=F("history_date"),
                who=F("history_user__username"),
                action=F("history_type"),
                record=Value(label, output_field=CharField()),
                object_id=F("id"),
                ref=F(ref_path) if ref_path else Value("", output_field=CharField()),
            ).values_list("at", "who", "action", "record", "object_id", "ref")
        )
    views = RecordView.objects.all()
    auth = AuthEvent.objects.all()
    if client_reference:
        views = views.filter(client__reference=client_reference)
        auth = auth.none()
    if username:
        views = views.filter(user__username=username)
        auth = auth.filter(username=username)
    sources.append(
        views.annotate(
            at=F("viewed_at"),
            who=F("user__username"),
            action=Value("viewed", output_field=CharField()),
            record=F("view_name"),
            object_id=F("client_id"),
            ref=F("client__reference"),
        ).values_list("at", "who", "action", "record", "object_id", "ref")
    )
    sources.append(
        auth.annotate(
            who=F("username"),
            action=F("kind"),
            record=Value("sign-in", output_field=CharField()),
            object_id=F("id"),
            ref=Value("", output_field=CharField()),
        ).values_list("at", "who", "action", "record", "object_id", "ref")
    )
    if since or until:
        sources = [
            qs.filter(**({"at__gte": since} if since else {})).filter(
                **({"at__lt": until} if until else {})
            )
            for qs in sources
        ]
    # Members of a UNION may not carry their models' default ordering.
    first, *rest = [qs.order_by() for qs in sources]
    return first.union(*rest, all=True).order_by("-at")
