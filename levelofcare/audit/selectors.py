"""Reads of the audit trail: every history row, sign-in and record view."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Case, CharField, F, QuerySet, Value, When

from intake.models import Assessment, Client, RecordView
from levelofcare.models import (
    AuthEvent,
    CriteriaSet,
    Decision,
    Placement,
    ProgressReview,
    Recommendation,
)


def audit_client_is_own(*, user: Any, client_reference: str) -> bool:
    """Whether the user decided on, or holds a progress review of, this client."""
    return (
        Decision.objects.filter(
            recommendation__client__reference=client_reference, decided_by=user
        ).exists()
        or ProgressReview.objects.filter(
            placement__client__reference=client_reference, assigned_to=user
        ).exists()
    )


def _decision_record() -> Case:
    """A decision's audit label names its kind, e.g. "decision: decided without a
    recommendation", so such decisions are not read as overrides."""
    return Case(
        *(
            When(kind=value, then=Value(f"decision: {label.lower()}"))
            for value, label in Decision.Kind.choices
        ),
        default=Value("decision"),
        output_field=CharField(),
    )


def audit_events(
    *,
    client_reference: str = "",
    username: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[Any]:
    """Every audit row (history of records, sign-ins, record views) as one union of
    (at, username, action, record, object id, client reference), newest first."""
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
            if model is Client.history.model:
                # By the client, not the reference it had then: a corrected
                # reference keeps the rows from before the correction.
                qs = qs.filter(
                    id__in=Client.objects.filter(reference=client_reference).values(
                        "id"
                    )
                )
            else:
                qs = qs.filter(**{ref_path: client_reference})
        if username:
            qs = qs.filter(history_user__username=username)
        sources.append(
            qs.annotate(
                at=F("history_date"),
                who=F("history_user__username"),
                action=F("history_type"),
                record=(
                    _decision_record()
                    if model is Decision.history.model
                    else Value(label, output_field=CharField())
                ),
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
