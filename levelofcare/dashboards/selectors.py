"""Reads of the home dashboard: a few counts per role, each with SQL aggregates
in a fixed number of queries (whatever the number of rows), each defined with
the same condition as the list its tile links to, so the two always agree.

- Coordinator (one query): clients with an assessment draft in progress, with
  an assessment submitted today, with a recommendation waiting for a decision.
- Clinician (two queries): recommendations waiting (and how many carry a safety
  flag), the user's progress reviews due (and overdue), the user's caseload by
  level.
- Criteria admin (two queries): the override rate over the last 30 days, the rule
  overridden most, and reminder emails that failed after every retry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from django.contrib.auth import get_user_model
from django.db.models import Count, IntegerField, Max, QuerySet, Subquery
from django.db.models.fields.json import KT
from django.utils import timezone

from levelofcare import rules
from levelofcare.criteria.selectors import criteria_active
from levelofcare.models import Decision, OutboxEmail, ProgressReview, Recommendation
from levelofcare.recommendations.selectors import (
    clients_at_level,
    clients_shown,
    recommendations_undecided,
)

OVERRIDE_WINDOW_DAYS: Final = 30
LEVELS: Final = tuple(level.slug for level in sorted(rules.Level, reverse=True))


class _Count(Subquery):
    """COUNT(*) of a queryset as a scalar subquery (several counts, one query)."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) _count)"
    output_field = IntegerField()


def _counts(**querysets: QuerySet[Any]) -> dict[str, int]:
    """Each queryset's row count (pass `.values(...)`, `.distinct()` where rows
    repeat), all in one query: scalar subqueries selected on one row of the user
    table (never empty while someone is signed in)."""
    aliases = {f"count_{name}": qs for name, qs in querysets.items()}
    found = list(
        get_user_model()
        .objects.order_by()
        .annotate(**{alias: _Count(qs.order_by()) for alias, qs in aliases.items()})
        .values(*aliases)[:1]
    )
    return {name: int(found[0][f"count_{name}"]) if found else 0 for name in querysets}


@dataclass(frozen=True)
class CoordinatorCounts:
    drafts: int
    today: int
    waiting: int


def dashboard_coordinator(*, now: datetime | None = None) -> CoordinatorCounts:
    """Clients with a draft in progress, assessed today, waiting for a decision
    (distinct clients among the rows the client list's `show` filters keep): one
    query."""
    counts = _counts(
        **{
            show: clients_shown(show=show, now=now).distinct()
            for show in ("drafts", "today", "waiting")
        }
    )
    return CoordinatorCounts(**counts)


@dataclass(frozen=True)
class ClinicianCounts:
    waiting: int
    waiting_flagged: int
    due: int  # the user's scheduled reviews due within the lead time, or overdue
    overdue: int
    lead_hours: int
    caseload: dict[str, int]  # level slug -> clients (most intensive first)

    @property
    def caseload_total(self) -> int:
        return sum(self.caseload.values())


def dashboard_clinician(*, user: Any, now: datetime | None = None) -> ClinicianCounts:
    """The review queue (all, safety-flagged), the user's reviews due and overdue
    (as `progress_reviews_due` lists them) and the user's caseload by level (as
    the client list's "mine" filter): two queries (the active criteria's lead
    time, then every count)."""
    now = now or timezone.now()
    lead_hours = criteria_active().reminder_lead_hours
    waiting = recommendations_undecided()
    due = ProgressReview.objects.filter(
        status=ProgressReview.Status.SCHEDULED,
        assigned_to=user,
        due_at__lte=now + timedelta(hours=lead_hours),
    )
    mine = clients_shown(show="mine", user=user)
    caseload = {
        # One open placement per client: its rows are distinct clients.
        f"caseload_{level}": clients_at_level(level=level).filter(client_id__in=mine)
        for level in LEVELS
    }
    counts = _counts(
        waiting=waiting.values("pk"),
        waiting_flagged=waiting.filter(safety_flag=True).values("pk"),
        due=due.values("pk"),
        overdue=due.filter(due_at__lt=now).values("pk"),
        **caseload,
    )
    return ClinicianCounts(
        waiting=counts["waiting"],
        waiting_flagged=counts["waiting_flagged"],
        due=counts["due"],
        overdue=counts["overdue"],
        lead_hours=lead_hours,
        caseload={level: counts[f"caseload_{level}"] for level in LEVELS},
    )


@dataclass(frozen=True)
class RuleOverridden:
    code: str
    overrides: int  # overrides whose recommendation's top reason was this rule
    version: int  # the criteria version of the latest such recommendation


@dataclass(frozen=True)
class AdminCounts:
    decisions: int  # accepted or overridden in the window (corrections aside)
    overrides: int
    failed_emails: int
    top_rule: RuleOverridden | None
    window_days: int = OVERRIDE_WINDOW_DAYS

    @property
    def override_percent(self) -> int | None:
        if not self.decisions:
            return None
        return round(self.overrides * 100 / self.decisions)


def override_decisions(*, now: datetime | None = None) -> QuerySet[Decision]:
    """Decisions in the override rate: accepted or overridden recommendations
    (not "decided without a recommendation": there was nothing to override),
    original decisions only (a correction is not a second decision), decided in
    the last `OVERRIDE_WINDOW_DAYS` days."""
    now = now or timezone.now()
    return Decision.objects.filter(
        corrects__isnull=True,
        kind__in=(Decision.Kind.ACCEPT, Decision.Kind.OVERRIDE),
        decided_at__gte=now - timedelta(days=OVERRIDE_WINDOW_DAYS),
        decided_at__lte=now,
    )


def dashboard_criteria_admin(*, now: datetime | None = None) -> AdminCounts:
    """The override rate in the last 30 days (overrides / decisions, both
    counted), the rule overridden most, and reminder emails that failed after
    every retry: two queries.

    "The rule overridden most" is the top reason (the first, which set the
    recommended level) of overridden recommendations, most often first; ties go
    to the rule code in alphabetical order. It differs from the overrides
    report's "by rule" table on purpose, and the tile says so: the tile counts
    original decisions under their top reason only; the report counts standing
    decisions (corrections applied) under every rule that set the level.
    """
    decisions = override_decisions(now=now)
    overrides = decisions.filter(kind=Decision.Kind.OVERRIDE)
    counts = _counts(
        decisions=decisions.values("pk"),
        overrides=overrides.values("pk"),
        failed_emails=OutboxEmail.objects.exclude(failed_at=None).values("pk"),
    )
    top = (
        # One original decision per recommendation: counting recommendations
        # counts overrides.
        Recommendation.objects.filter(pk__in=overrides.values("recommendation_id"))
        .annotate(code=KT("reasons__0__code"))
        .exclude(code=None)
        .values("code")
        .annotate(n=Count("pk"), version=Max("criteria__version"))
        .order_by("-n", "code")
        .first()
    )
    return AdminCounts(
        decisions=counts["decisions"],
        overrides=counts["overrides"],
        failed_emails=counts["failed_emails"],
        top_rule=None
        if top is None
        else RuleOverridden(
            code=top["code"], overrides=top["n"], version=top["version"]
        ),
    )
