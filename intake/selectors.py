"""Reads of intake data, with the joins that keep query counts constant."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import OuterRef, Q, QuerySet, Subquery

from intake.models import Assessment, Client
from levelofcare.models import Decision, Placement, Recommendation


def client_search(*, query: str = "") -> QuerySet[Client]:
    """Clients matching every word of `query` in name or reference, newest activity
    first, each with its latest recommended level."""
    latest = Recommendation.objects.filter(client=OuterRef("pk")).order_by(
        "-created_at", "-id"
    )
    open_placement = Placement.objects.filter(client=OuterRef("pk"), ended_at=None)
    clients = Client.objects.annotate(
        latest_level=Subquery(latest.values("level")[:1]),
        has_recommendation=Subquery(latest.values("id")[:1]),
        placement_level=Subquery(open_placement.values("level")[:1]),
    )
    for word in query.split():
        clients = clients.filter(
            Q(reference__icontains=word)
            | Q(given_name__icontains=word)
            | Q(family_name__icontains=word)
        )
    return clients.order_by("-last_activity_at", "-id")


@dataclass(frozen=True)
class TimelineEvent:
    at: datetime
    kind: str  # "assessment", "draft", "decision", "placement_start", "placement_end"
    obj: Any


def client_timeline(*, client: Client) -> list[TimelineEvent]:
    """Assessments (with their recommendation), decisions and placements, in time
    order, newest first. A fixed number of queries whatever the history length."""
    events: list[TimelineEvent] = []
    assessments = (
        Assessment.objects.filter(client=client)
        .select_related("recommendation__criteria", "submitted_by", "created_by")
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
        "decided_by", "recommendation", "corrects"
    )
    events.extend(TimelineEvent(d.decided_at, "decision", d) for d in decisions)
    for p in Placement.objects.filter(client=client):
        events.append(TimelineEvent(p.started_at, "placement_start", p))
        if p.ended_at:
            events.append(TimelineEvent(p.ended_at, "placement_end", p))
    order = {
        "placement_end": 0,
        "assessment": 1,
        "draft": 1,
        "decision": 2,
        "placement_start": 3,
    }
    events.sort(key=lambda e: (e.at, order[e.kind]), reverse=True)
    return events
