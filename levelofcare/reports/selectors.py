"""The reports' reads: one function per report, each a fixed number of SQL
aggregate queries (no loop over rows in Python), returning plain tables.

Conventions shared by every report:

- **Dates.** `since` and `until` are days, both included, in the site's time
  zone. Weeks start on Monday (`TruncWeek`); calendar weeks and months with no
  rows are filled in with zeros (a loop over the calendar, not over rows).
- **Voided assessments** (entered in error) are left out everywhere.
- **Corrections.** A decision can be corrected by a later one (`Decision.corrects`).
  Volume, overrides and service gaps count the **latest decision of each
  recommendation** (the one no other decision corrects): what stands now.
  Timeliness measures the time to the **original** decision (the first one).
- **People.** Every count carries the number of distinct clients behind it, for
  the small-cell rule (`tables.is_small`).
- **PostgreSQL.** Medians and 90th percentiles use `percentile_cont`; on SQLite
  (a laptop) those cells are blank and the page says so. Everything else runs on
  both.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Final

from django.db import connection, transaction
from django.db.models import (
    Aggregate,
    Case,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.expressions import NegatedExpression
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce, TruncMonth, TruncWeek
from django.utils import timezone

from intake.models import Assessment
from levelofcare import outcomes, rules
from levelofcare.criteria.selectors import criteria_active
from levelofcare.models import Decision, Placement, ProgressReview, Recommendation
from levelofcare.reports import tables
from levelofcare.reports.tables import Cell, Chart, Report, Table
from levelofcare.rules import INSUFFICIENT_LABEL, Level

# Levels, most intensive first, then "insufficient information" (NULL).
LEVELS: Final = tuple(sorted(Level, reverse=True))
LEVEL_SLUGS: Final = tuple(level.slug for level in LEVELS)
INSUFFICIENT: Final = "insufficient"
OUTCOME_WEEKS: Final = (4, 8, 12)
# A measurement "at week k" is the episode's latest answered total more than
# k - 2 and at most k + 2 weeks after the episode started.
OUTCOME_WINDOW_WEEKS: Final = 2
OUTCOME_INSTRUMENTS: Final = ("phq9", "gad7")
SECONDS_PER_WEEK: Final = 7 * 24 * 3600

# A threshold's "stricter" direction: +1 when raising it makes its rule fire less
# (a minimum), -1 when lowering it does (a window). The overrides report suggests
# one step stricter when clinicians mostly move the level down where a rule set
# it, one step looser when they mostly move it up.
STRICTER: Final = {
    "phq9_iop_min": +1,
    "gad7_iop_min": +1,
    "moderate_min": +1,
    "persistent_weeks_min": +1,
    "stepdown_window_days": -1,
}


def service_gap_filter() -> Q:
    """The decisions that record a service gap (on `Decision`).

    The one definition, widened when `Decision.service_gap` (the program
    directory) lands: until then, the coded reason "level not available".
    """
    return Q(reason_code=Decision.ReasonCode.NOT_AVAILABLE)


@dataclass(frozen=True)
class Period:
    """Days `since` to `until`, both included, in the site's time zone."""

    since: date
    until: date

    @property
    def start(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.since, time.min))

    @property
    def end(self) -> datetime:
        """The first instant after the period."""
        return timezone.make_aware(
            datetime.combine(self.until + timedelta(days=1), time.min)
        )

    def weeks(self) -> list[date]:
        """The Monday of every week the period touches."""
        first = self.since - timedelta(days=self.since.weekday())
        return [
            first + timedelta(weeks=i)
            for i in range((self.until - first).days // 7 + 1)
        ]

    def months(self) -> list[date]:
        """The first day of every month the period touches."""
        months, day = [], self.since.replace(day=1)
        while day <= self.until:
            months.append(day)
            day = (day + timedelta(days=32)).replace(day=1)
        return months


def period_default(*, today: date | None = None) -> Period:
    """The last 12 weeks, today included."""
    today = today or timezone.localdate()
    return Period(since=today - timedelta(weeks=12) + timedelta(days=1), until=today)


# What each report shows, for its page and the index (one home for the words).
ABOUT: Final = {
    "volume": (
        "Volume",
        "Assessments and recommendations per week by level, with “insufficient "
        "information” as its own series.",
    ),
    "overrides": (
        "Overrides",
        "How often clinicians override the recommendation: by level, by coded "
        "reason and by the rule that fired, with the direction they moved. "
        "Disagreement shows where thresholds may be wrong.",
    ),
    "timeliness": (
        "Timeliness",
        "Time from submission to decision (median and 90th percentile) by level "
        "and safety flag, and progress reviews completed on time or late.",
    ),
    "outcomes": (
        "Outcomes",
        "Response and remission rates at 4, 8 and 12 weeks by level of care, "
        "and step-downs against step-ups.",
    ),
    "service_gaps": (
        "Service gaps",
        "Decisions recorded because the level needed was not available, by level "
        "and month.",
    ),
}


# --- SQL building blocks -------------------------------------------------------------


class Percentile(Aggregate):
    """`percentile_cont(fraction) WITHIN GROUP (ORDER BY expression)` (PostgreSQL);
    NULL elsewhere (the report says so)."""

    function = "PERCENTILE_CONT"
    name = "Percentile"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression: Any, *, fraction: float, **extra: Any) -> None:
        if not 0 <= fraction <= 1:
            raise ValueError("fraction must be 0 to 1")
        super().__init__(expression, fraction=repr(float(fraction)), **extra)

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        return "NULL", []


class EpochSeconds(Func):
    """A date-time as seconds since 1970 (float), on PostgreSQL and SQLite."""

    output_field = FloatField()

    def as_postgresql(
        self, compiler: Any, connection: Any, **extra_context: Any
    ) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="EXTRACT(EPOCH FROM %(expressions)s)",
            **extra_context,
        )

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="((julianday(%(expressions)s) - 2440587.5) * 86400.0)",
            **extra_context,
        )


def _reporting(report: Callable[..., Report]) -> Callable[..., Report]:
    """Run a report in one transaction with PostgreSQL's JIT compiler off: it
    compiles these one-off aggregate plans for longer than they run (seen: 230
    ms of 1.4 s over 10,000 assessments). One more query, the same for any size."""

    @functools.wraps(report)
    def run(**kwargs: Any) -> Report:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL jit = off")
            return report(**kwargs)

    return run


def _rank(field: str) -> Case:
    """A level column as its order (outpatient 1 … inpatient 3; NULL 0)."""
    return Case(
        *(When(**{field: level.slug}, then=Value(int(level))) for level in Level),
        default=Value(0),
        output_field=IntegerField(),
    )


def _level_key(level: str | None) -> str:
    return INSUFFICIENT if level is None else level


def _level_label(key: str | None) -> str:
    if key is None or key == INSUFFICIENT:
        return INSUFFICIENT_LABEL
    return Level.from_slug(key).label


def _counts(prefix: str, condition: Q, client: str) -> dict[str, Count]:
    """`<prefix>_n` (rows) and `<prefix>_p` (distinct clients) under `condition`."""
    return {
        f"{prefix}_n": Count("id", filter=condition),
        f"{prefix}_p": Count(client, filter=condition, distinct=True),
    }


def _count_cell(row: dict[str, Any], prefix: str) -> Cell:
    return tables.count(row.get(f"{prefix}_n") or 0, row.get(f"{prefix}_p") or 0)


def _latest_decisions() -> QuerySet[Decision]:
    """Each recommendation's standing decision (not corrected by another), on
    assessments that were not voided."""
    return Decision.objects.filter(
        _standing(), recommendation__assessment__voided_at__isnull=True
    )


def _standing() -> NegatedExpression[Any]:
    """Not corrected by another decision. NOT EXISTS, not the reverse join's
    IS NULL: PostgreSQL estimates the anti-join well (the join's IS NULL filter
    was estimated at 1 row, and the plan became nested loops)."""
    return ~Exists(Decision.objects.filter(corrects=OuterRef("pk")))


def _hours(value: timedelta | None) -> float | None:
    return None if value is None else value.total_seconds() / 3600


# --- 1. volume ----------------------------------------------------------------------


@_reporting
def report_volume(*, period: Period) -> Report:
    """Submitted assessments (each has its recommendation) per week, by the level
    recommended; "insufficient information" is its own series. One query."""
    by_level = {
        **{slug: Q(level=slug) for slug in LEVEL_SLUGS},
        INSUFFICIENT: Q(level__isnull=True),
    }
    aggregates: dict[str, Count] = {}
    for key, condition in by_level.items():
        aggregates |= _counts(key, condition, "client")
    aggregates |= _counts("all", Q(), "client")
    found = {
        row["week"].date() if isinstance(row["week"], datetime) else row["week"]: row
        for row in Recommendation.objects.filter(
            assessment__submitted_at__gte=period.start,
            assessment__submitted_at__lt=period.end,
            assessment__voided_at__isnull=True,
        )
        .annotate(week=TruncWeek("assessment__submitted_at"))
        .values("week")
        .annotate(**aggregates)
        .order_by("week")
    }
    keys = (*LEVEL_SLUGS, INSUFFICIENT)
    rows = tuple(
        (
            tables.text(week.isoformat()),
            *(_count_cell(found.get(week, {}), key) for key in keys),
            _count_cell(found.get(week, {}), "all"),
        )
        for week in period.weeks()
    )
    table = Table(
        key="volume",
        title="Assessments per week by recommended level",
        description=(
            "Submitted assessments in each week (starting Monday), by the level "
            "the rules recommended. Every submitted assessment has one "
            "recommendation, so the total is also the number of recommendations."
        ),
        columns=(
            "Week of",
            *(_level_label(key) for key in keys),
            "All assessments",
        ),
        rows=rows,
        chart=Chart(series=tuple(range(1, len(keys) + 1))),
    )
    return Report(
        slug="volume",
        title=ABOUT["volume"][0],
        summary=ABOUT["volume"][1],
        tables=(table,),
    )


# --- 2. overrides -------------------------------------------------------------------


@dataclass(frozen=True)
class RuleSuggestion:
    """One step on a rule's first threshold, in the direction clinicians moved."""

    threshold: str
    current: int
    suggested: int

    @property
    def label(self) -> str:
        return rules_threshold(self.threshold).short_label

    @property
    def text(self) -> str:
        return f"{self.label} {self.current} → {self.suggested}"


def rules_threshold(name: str) -> rules.Threshold:
    return next(t for t in rules.THRESHOLDS if t.name == name)


def rule_suggestion(
    *, thresholds: Sequence[str], values: dict[str, int], up: int, down: int
) -> RuleSuggestion | None:
    """One step on the rule's first tunable threshold: stricter when clinicians
    moved the level down more often than up where the rule set it, looser when
    up more often; None when they did neither more often, or it would leave the
    threshold's bounds."""
    tunable = [name for name in thresholds if name in STRICTER]
    if not tunable or up == down:
        return None
    name = tunable[0]
    step = STRICTER[name] if down > up else -STRICTER[name]
    spec = rules_threshold(name)
    suggested = values[name] + step
    if not spec.low <= suggested <= spec.high:
        return None
    return RuleSuggestion(name, values[name], suggested)


RULES_BY_CODE: Final = {
    r.code: r for r in (*rules.DEFAULT_RULES, rules.OUTPATIENT_NO_HIGHER_CRITERIA)
}


@_reporting
def report_overrides(*, period: Period) -> Report:
    """Override rates of the standing decisions made in the period: by the level
    recommended, by coded reason, and by the rule that set the level. Four
    queries (three aggregates and the active criteria)."""
    decisions = _latest_decisions().filter(
        decided_at__gte=period.start, decided_at__lt=period.end
    )
    client = "recommendation__client"
    overridden = Q(kind=Decision.Kind.OVERRIDE)
    ranked = decisions.annotate(
        decided_rank=_rank("level"), recommended_rank=_rank("recommendation__level")
    )
    up = Q(decided_rank__gt=F("recommended_rank"))
    down = Q(decided_rank__lt=F("recommended_rank"))

    # By recommended level (an "insufficient information" recommendation has
    # nothing to override: it is left out here).
    by_level = {
        row["recommendation__level"]: row
        for row in ranked.filter(recommendation__level__isnull=False)
        .values("recommendation__level")
        .annotate(
            **_counts("all", Q(), client),
            **_counts("over", overridden, client),
            **_counts("up", overridden & up, client),
            **_counts("down", overridden & down, client),
        )
        .order_by()
    }
    level_rows = []
    for slug in LEVEL_SLUGS:
        row = by_level.get(slug, {})
        level_rows.append(
            (
                tables.text(_level_label(slug)),
                _count_cell(row, "all"),
                _count_cell(row, "over"),
                tables.percent(
                    row.get("over_n") or 0,
                    row.get("all_n") or 0,
                    row.get("over_p") or 0,
                    row.get("all_p") or 0,
                ),
                _count_cell(row, "up"),
                _count_cell(row, "down"),
            )
        )
    by_level_table = Table(
        key="by_level",
        title="Override rate by recommended level",
        description=(
            "Decisions on recommendations of each level, and how many overrode "
            "it (moved up: a more intensive level; down: a less intensive one)."
        ),
        columns=(
            "Recommended level",
            "Decisions",
            "Overrides",
            "Override rate",
            "Moved up",
            "Moved down",
        ),
        rows=tuple(level_rows),
        chart=Chart(series=(3,), unit="%"),
    )

    # By coded reason.
    reasons = {
        row["reason_code"]: row
        for row in decisions.filter(overridden)
        .values("reason_code")
        .annotate(**_counts("over", Q(), client))
        .order_by()
    }
    total = sum(row["over_n"] for row in reasons.values())  # a handful of codes
    total_people = sum(row["over_p"] for row in reasons.values())
    reason_rows = tuple(
        (
            tables.text(str(label)),
            _count_cell(reasons.get(code, {}), "over"),
            tables.percent(
                reasons.get(code, {}).get("over_n") or 0,
                total,
                reasons.get(code, {}).get("over_p") or 0,
                total_people,
            ),
        )
        for code, label in (*Decision.ReasonCode.choices, ("", "No reason coded"))
        if code or code in reasons
    )
    by_reason_table = Table(
        key="by_reason",
        title="Overrides by coded reason",
        description="Why clinicians overrode the recommendation.",
        columns=("Reason", "Overrides", "Share of overrides"),
        rows=reason_rows,
        chart=Chart(series=(1,)),
    )

    # By the rule that set the level: the rule fired (its code is among the
    # recommendation's reasons) and points to the level the recommendation gave.
    by_rule = {
        row["code"]: row
        for row in _fetch(
            *_by_rule_sql(ranked, overridden=overridden, up=up, down=down)
        )
        if row["code"] in rules.RULE_LEVELS
        and row["rec_level"] == rules.RULE_LEVELS[row["code"]].slug
    }
    codes = tuple(rules.RULE_LEVELS)
    active = criteria_active()
    values = {spec.name: getattr(active, spec.name) for spec in rules.THRESHOLDS}
    rule_rows = []
    for code in codes:
        row = by_rule.get(code, {})
        up_n, down_n = int(row.get("up_n") or 0), int(row.get("down_n") or 0)
        suggestion = rule_suggestion(
            thresholds=getattr(RULES_BY_CODE.get(code), "thresholds", ()),
            values=values,
            up=up_n,
            down=down_n,
        )
        direction = (
            "mostly down" if down_n > up_n else "mostly up" if up_n > down_n else "–"
        )
        rule_rows.append(
            (
                tables.text(code),
                tables.text(rules.RULE_LEVELS[code].label),
                _int_cell(row, "all"),
                _int_cell(row, "over"),
                tables.percent(
                    int(row.get("over_n") or 0),
                    int(row.get("all_n") or 0),
                    int(row.get("over_p") or 0),
                    int(row.get("all_p") or 0),
                ),
                _int_cell(row, "up"),
                _int_cell(row, "down"),
                Cell(
                    direction,
                    kind="suggestion",
                    # A suggestion stands for the people it is drawn from.
                    people=tables.smallest(
                        int(row.get("up_p") or 0), int(row.get("down_p") or 0)
                    ),
                    params=(
                        ((suggestion.threshold, suggestion.suggested),)
                        if suggestion
                        else ()
                    ),
                    hint=suggestion.text if suggestion else "",
                ),
            )
        )
    by_rule_table = Table(
        key="by_rule",
        title="Overrides by the rule that set the level",
        description=(
            "For each rule: decisions on recommendations where it fired and set "
            "the level, how often clinicians overrode, and in which direction. "
            "Where they mostly move the level one way, the last column suggests "
            "one step on the rule's threshold in that direction."
        ),
        columns=(
            "Rule",
            "Rule's level",
            "Decisions",
            "Overrides",
            "Override rate",
            "Moved up",
            "Moved down",
            "Clinicians moved",
        ),
        rows=tuple(rule_rows),
        chart=Chart(series=(5, 6)),
    )
    return Report(
        slug="overrides",
        title=ABOUT["overrides"][0],
        summary=ABOUT["overrides"][1],
        tables=(by_level_table, by_reason_table, by_rule_table),
        notes=(
            "Counts the standing decision of each recommendation (a corrected "
            "decision counts as its correction), decided in the period.",
        ),
    )


BY_RULE_SQL: Final = """
WITH d AS ({base})
SELECT {code} AS code, d.rec_level,
  COUNT(*) AS all_n,
  COUNT(DISTINCT d.person) AS all_p,
  SUM(d.is_over) AS over_n,
  COUNT(DISTINCT CASE WHEN d.is_over = 1 THEN d.person END) AS over_p,
  SUM(CASE WHEN d.is_over = 1 AND d.moved = 1 THEN 1 ELSE 0 END) AS up_n,
  COUNT(DISTINCT CASE WHEN d.is_over = 1 AND d.moved = 1 THEN d.person END) AS up_p,
  SUM(CASE WHEN d.is_over = 1 AND d.moved = -1 THEN 1 ELSE 0 END) AS down_n,
  COUNT(DISTINCT CASE WHEN d.is_over = 1 AND d.moved = -1 THEN d.person END)
    AS down_p
FROM d {unnest}
GROUP BY 1, 2
"""


def _by_rule_sql(
    ranked: QuerySet[Decision], *, overridden: Q, up: Q, down: Q
) -> tuple[str, list[Any]]:
    """Decisions by the codes of their recommendation's reasons, counted per
    (code, recommended level): one pass over the reasons (jsonb_array_elements
    on PostgreSQL, json_each on SQLite)."""
    base = ranked.annotate(
        person=F("recommendation__client_id"),
        rec_level=F("recommendation__level"),
        rec_reasons=F("recommendation__reasons"),
        is_over=Case(When(overridden, then=Value(1)), default=Value(0)),
        moved=Case(
            When(up, then=Value(1)), When(down, then=Value(-1)), default=Value(0)
        ),
    ).values("id", "person", "rec_level", "rec_reasons", "is_over", "moved")
    sql, params = base.query.sql_with_params()
    if connection.vendor == "postgresql":
        unnest = "CROSS JOIN LATERAL jsonb_array_elements(d.rec_reasons) AS e"
        code = "e.value ->> 'code'"
    else:
        unnest = ", json_each(d.rec_reasons) AS e"
        code = "json_extract(e.value, '$.code')"
    return BY_RULE_SQL.format(base=sql, code=code, unnest=unnest), list(params)


# --- 3. timeliness ------------------------------------------------------------------


@_reporting
def report_timeliness(*, period: Period) -> Report:
    """Time from submission to the original decision (median, 90th percentile)
    by recommended level and safety flag; progress reviews completed on time or
    late per week. Two queries."""
    waited = ExpressionWrapper(
        F("decided_at") - F("recommendation__assessment__submitted_at"),
        output_field=DurationField(),
    )
    found = {
        (row["recommendation__level"], row["recommendation__safety_flag"]): row
        for row in Decision.objects.filter(
            corrects__isnull=True,
            recommendation__assessment__voided_at__isnull=True,
            decided_at__gte=period.start,
            decided_at__lt=period.end,
        )
        .values("recommendation__level", "recommendation__safety_flag")
        .annotate(
            **_counts("all", Q(), "recommendation__client"),
            median=Percentile(waited, fraction=0.5, output_field=DurationField()),
            p90=Percentile(waited, fraction=0.9, output_field=DurationField()),
        )
        .order_by()
    }
    decision_rows = []
    for slug in (*LEVEL_SLUGS, None):
        for flag in (True, False):
            row = found.get((slug, flag), {})
            people = row.get("all_p") or 0
            decision_rows.append(
                (
                    tables.text(_level_label(slug)),
                    tables.text("Yes" if flag else "No"),
                    _count_cell(row, "all"),
                    tables.hours(_hours(row.get("median")), people),
                    tables.hours(_hours(row.get("p90")), people),
                )
            )
    decision_table = Table(
        key="to_decision",
        title="Time from submission to decision",
        description=(
            "Hours from submitting an assessment to the clinician's first "
            "decision on its recommendation, for decisions made in the period, "
            "by recommended level and safety flag (C-SSRS high risk or PHQ-9 "
            "item 9 above 0)."
        ),
        columns=(
            "Recommended level",
            "Safety flag",
            "Decisions",
            "Median",
            "90th percentile",
        ),
        rows=tuple(decision_rows),
        chart=Chart(series=(3, 4), unit="h"),
    )

    on_time = Q(completed_at__lte=F("due_at"))
    reviews = {
        row["week"].date() if isinstance(row["week"], datetime) else row["week"]: row
        for row in ProgressReview.objects.filter(
            status=ProgressReview.Status.COMPLETED,
            completed_at__gte=period.start,
            completed_at__lt=period.end,
        )
        .annotate(week=TruncWeek("completed_at"))
        .values("week")
        .annotate(
            **_counts("on_time", on_time, "placement__client"),
            **_counts("late", ~on_time, "placement__client"),
        )
        .order_by("week")
    }
    review_table = Table(
        key="reviews",
        title="Progress reviews completed on time and late, per week",
        description=(
            "Progress reviews completed in each week: on time means completed "
            "no later than the date it was due."
        ),
        columns=("Week of", "On time", "Late"),
        rows=tuple(
            (
                tables.text(week.isoformat()),
                _count_cell(reviews.get(week, {}), "on_time"),
                _count_cell(reviews.get(week, {}), "late"),
            )
            for week in period.weeks()
        ),
        chart=Chart(series=(1, 2)),
    )
    notes = []
    if connection.vendor != "postgresql":
        notes.append(
            "Medians and 90th percentiles need PostgreSQL; this database "
            "(SQLite) leaves them blank."
        )
    return Report(
        slug="timeliness",
        title=ABOUT["timeliness"][0],
        summary=ABOUT["timeliness"][1],
        tables=(decision_table, review_table),
        notes=tuple(notes),
    )


# --- 4. outcomes --------------------------------------------------------------------


def _episode_rows_sql() -> tuple[str, list[Any]]:
    """Every submitted, not voided assessment with its instrument totals and
    whether it starts an episode (intake): the input of the outcomes query."""
    totals = {
        f"{key}_total": Cast(KT(f"scores__{key}__total"), IntegerField())
        for key in OUTCOME_INSTRUMENTS
    }
    queryset = (
        Recommendation.objects.filter(
            assessment__status=Assessment.Status.SUBMITTED,
            assessment__voided_at__isnull=True,
        )
        .annotate(
            at=EpochSeconds("assessment__submitted_at"),
            is_intake=Case(
                When(assessment__kind=Assessment.Kind.INTAKE, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            ),
            **totals,
        )
        .values("id", "client_id", "at", "is_intake", *totals)
        .order_by()
    )
    sql, params = queryset.query.sql_with_params()
    return sql, list(params)


def _decided_sql() -> tuple[str, list[Any]]:
    """The level of each recommendation's standing decision (joined, not a
    subquery per row)."""
    queryset = (
        Decision.objects.filter(_standing())
        .values("recommendation_id", "level")
        .order_by()
    )
    sql, params = queryset.query.sql_with_params()
    return sql, list(params)


def _instrument_columns(key: str) -> str:
    """The outcome aggregates of one instrument (SQL; its parameters follow the
    order of `_instrument_params`)."""
    measured = (
        f"b.week IS NOT NULL AND b.rn_{key} = 1 AND b.{key}_total IS NOT NULL "
        f"AND b.{key}_base > 0"
    )
    response = f"{measured} AND b.{key}_total * 100 <= b.{key}_base * %s"
    remission = f"{measured} AND b.{key}_total < %s"
    columns = []
    for name, condition in (
        ("measured", measured),
        ("response", response),
        ("remission", remission),
    ):
        columns.append(f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END) AS {key}_{name}")
        columns.append(
            f"COUNT(DISTINCT CASE WHEN {condition} THEN b.client_id END) "
            f"AS {key}_{name}_p"
        )
    return ",\n  ".join(columns)


def _instrument_params(key: str) -> list[Any]:
    drop = 100 - outcomes.RESPONSE_DROP_PERCENT
    below = outcomes.instrument(key).remission_below
    # Each response/remission condition appears twice (rows, people).
    return [drop, drop, below, below]


OUTCOMES_SQL: Final = """
WITH assessed AS ({base}),
decided AS ({decided}),
base AS (
  SELECT assessed.*, decided.level AS decided
  FROM assessed LEFT JOIN decided ON decided.recommendation_id = assessed.id
),
numbered AS (
  SELECT base.*,
    SUM(is_intake) OVER (PARTITION BY client_id ORDER BY at, id
                         ROWS UNBOUNDED PRECEDING) AS episode
  FROM base
),
episodes AS (
  SELECT n.*,
    MIN(at) OVER (PARTITION BY client_id, episode) AS started,
    FIRST_VALUE(decided) OVER (PARTITION BY client_id, episode
                               ORDER BY at, id) AS episode_level,
    {baselines}
  FROM numbered n
),
weeks AS (
  SELECT e.*,
    CASE {week_cases} END AS week
  FROM episodes e
),
b AS (
  SELECT w.*,
    {row_numbers}
  FROM weeks w
)
SELECT b.episode_level, b.week,
  {columns}
FROM b
WHERE b.episode_level IS NOT NULL AND b.started >= %s AND b.started < %s
GROUP BY b.episode_level, b.week
"""


def _outcomes_sql(period: Period) -> tuple[str, list[Any]]:
    base, params = _episode_rows_sql()
    decided, decided_params = _decided_sql()
    params += decided_params
    baselines = ",\n    ".join(
        f"FIRST_VALUE({key}_total) OVER (PARTITION BY client_id, episode "
        f"ORDER BY CASE WHEN {key}_total IS NULL THEN 1 ELSE 0 END, at, id) "
        f"AS {key}_base"
        for key in OUTCOME_INSTRUMENTS
    )
    week_cases = " ".join(
        f"WHEN at > started + {(k - OUTCOME_WINDOW_WEEKS) * SECONDS_PER_WEEK} "
        f"AND at <= started + {(k + OUTCOME_WINDOW_WEEKS) * SECONDS_PER_WEEK} "
        f"THEN {k}"
        for k in OUTCOME_WEEKS
    )
    row_numbers = ",\n    ".join(
        f"ROW_NUMBER() OVER (PARTITION BY client_id, episode, week "
        f"ORDER BY CASE WHEN {key}_total IS NULL THEN 1 ELSE 0 END, at DESC, "
        f"id DESC) AS rn_{key}"
        for key in OUTCOME_INSTRUMENTS
    )
    columns = ",\n  ".join(_instrument_columns(key) for key in OUTCOME_INSTRUMENTS)
    sql = OUTCOMES_SQL.format(
        base=base,
        decided=decided,
        baselines=baselines,
        week_cases=week_cases,
        row_numbers=row_numbers,
        columns=columns,
    )
    for key in OUTCOME_INSTRUMENTS:
        params += _instrument_params(key)
    params += [period.start.timestamp(), period.end.timestamp()]
    return sql, params


STEPS_SQL: Final = """
WITH base AS ({base}),
stepped AS (
  SELECT base.*,
    LAG(rank) OVER (PARTITION BY client_id ORDER BY at, id) AS previous
  FROM base
)
SELECT previous,
  SUM(CASE WHEN rank < previous THEN 1 ELSE 0 END) AS down_n,
  COUNT(DISTINCT CASE WHEN rank < previous THEN client_id END) AS down_p,
  SUM(CASE WHEN rank > previous THEN 1 ELSE 0 END) AS up_n,
  COUNT(DISTINCT CASE WHEN rank > previous THEN client_id END) AS up_p,
  SUM(CASE WHEN rank = previous THEN 1 ELSE 0 END) AS same_n,
  COUNT(DISTINCT CASE WHEN rank = previous THEN client_id END) AS same_p
FROM stepped
WHERE previous IS NOT NULL AND at >= %s AND at < %s
GROUP BY previous
"""


def _steps_sql(period: Period) -> tuple[str, list[Any]]:
    """Placements in order per client, each against the one before. Placements
    opened by a correction are left out (they fix a record; no one moved)."""
    queryset = (
        Placement.objects.filter(decision__corrects__isnull=True)
        .annotate(at=EpochSeconds("started_at"), rank=_rank("level"))
        .values("id", "client_id", "at", "rank")
        .order_by()
    )
    base, params = queryset.query.sql_with_params()
    sql = STEPS_SQL.format(base=base)
    return sql, [*params, period.start.timestamp(), period.end.timestamp()]


def _fetch(sql: str, params: Sequence[Any]) -> list[dict[str, Any]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


@_reporting
def report_outcomes(*, period: Period) -> Report:
    """Response and remission at 4, 8 and 12 weeks by the level of care an
    episode started at (the episodes that started in the period), and step-downs
    against step-ups. Two queries (window functions over SQL aggregates)."""
    found = {
        (row["episode_level"], int(row["week"])): row
        for row in _fetch(*_outcomes_sql(period))
        if row["week"] is not None
    }
    outcome_rows = []
    for slug in LEVEL_SLUGS:
        for key in OUTCOME_INSTRUMENTS:
            for week in OUTCOME_WEEKS:
                row = found.get((slug, week), {})
                measured = int(row.get(f"{key}_measured") or 0)
                measured_p = int(row.get(f"{key}_measured_p") or 0)
                cells = [
                    tables.text(_level_label(slug)),
                    tables.text(outcomes.instrument(key).name),
                    tables.text(f"{week} weeks"),
                    tables.count(measured, measured_p),
                ]
                for name in ("response", "remission"):
                    n = int(row.get(f"{key}_{name}") or 0)
                    people = int(row.get(f"{key}_{name}_p") or 0)
                    cells += [
                        tables.count(n, people),
                        tables.percent(n, measured, people, measured_p),
                    ]
                outcome_rows.append(tuple(cells))
    cut = {key: outcomes.instrument(key).remission_below for key in OUTCOME_INSTRUMENTS}
    outcome_table = Table(
        key="outcomes",
        title="Response and remission at 4, 8 and 12 weeks",
        description=(
            "Episodes (from an intake assessment to the next) that started in "
            "the period, by the level decided at the start. Baseline: the "
            "episode's first answered total. At week k: the latest answered "
            f"total more than k − {OUTCOME_WINDOW_WEEKS} and at most "
            f"k + {OUTCOME_WINDOW_WEEKS} weeks after the start. Response: a drop "
            f"of at least {outcomes.RESPONSE_DROP_PERCENT}% from the baseline; "
            f"remission: a total below {cut['phq9']} (PHQ-9) or {cut['gad7']} "
            "(GAD-7). Episodes with a baseline of 0 are left out."
        ),
        columns=(
            "Level of care",
            "Instrument",
            "At",
            "Episodes measured",
            "Responses",
            "Response rate",
            "Remissions",
            "Remission rate",
        ),
        rows=tuple(outcome_rows),
        chart=Chart(series=(5, 7), unit="%", labels=(0, 1, 2)),
    )

    steps = {int(row["previous"]): row for row in _fetch(*_steps_sql(period))}
    step_rows = tuple(
        (
            tables.text(level.label),
            _int_cell(steps.get(int(level), {}), "down"),
            _int_cell(steps.get(int(level), {}), "up"),
            _int_cell(steps.get(int(level), {}), "same"),
        )
        for level in LEVELS
    )
    step_table = Table(
        key="steps",
        title="Step-downs and step-ups",
        description=(
            "Placements that started in the period against the client's "
            "previous placement, by the level they moved from. Placements "
            "opened by a correction are left out."
        ),
        columns=("From level", "Step-downs", "Step-ups", "Same level"),
        rows=step_rows,
        chart=Chart(series=(1, 2)),
    )
    return Report(
        slug="outcomes",
        title=ABOUT["outcomes"][0],
        summary=ABOUT["outcomes"][1],
        tables=(outcome_table, step_table),
    )


def _int_cell(row: dict[str, Any], prefix: str) -> Cell:
    return tables.count(
        int(row.get(f"{prefix}_n") or 0), int(row.get(f"{prefix}_p") or 0)
    )


# --- 5. service gaps ----------------------------------------------------------------


@_reporting
def report_service_gaps(*, period: Period) -> Report:
    """Standing decisions that record a service gap (`service_gap_filter`), by the
    level that was needed (the recommended one; the decided one when there was
    no recommended level) and month. One query."""
    needed = Coalesce("recommendation__level", "level")
    client = "recommendation__client"
    aggregates: dict[str, Count] = {}
    for slug in LEVEL_SLUGS:
        aggregates |= _counts(slug, Q(needed_level=slug), client)
    aggregates |= _counts("all", Q(), client)
    found = {
        row["month"].date() if isinstance(row["month"], datetime) else row["month"]: row
        for row in _latest_decisions()
        .filter(service_gap_filter())
        .filter(decided_at__gte=period.start, decided_at__lt=period.end)
        .annotate(month=TruncMonth("decided_at"), needed_level=needed)
        .values("month")
        .annotate(**aggregates)
        .order_by("month")
    }
    table = Table(
        key="service_gaps",
        title="Service gaps by level and month",
        description=(
            "Decisions recorded because the level needed was not available (the "
            "coded reason “Level not available / waitlist”), by the level that "
            "was needed and the month decided."
        ),
        columns=("Month", *(_level_label(s) for s in LEVEL_SLUGS), "All"),
        rows=tuple(
            (
                tables.text(month.strftime("%Y-%m")),
                *(_count_cell(found.get(month, {}), s) for s in LEVEL_SLUGS),
                _count_cell(found.get(month, {}), "all"),
            )
            for month in period.months()
        ),
        chart=Chart(series=tuple(range(1, len(LEVEL_SLUGS) + 1))),
    )
    return Report(
        slug="service_gaps",
        title=ABOUT["service_gaps"][0],
        summary=ABOUT["service_gaps"][1],
        tables=(table,),
    )


# --- the list the views, the CSV export and the benchmark share ---------------------

ReportFunction = Callable[..., Report]
REPORTS: Final[dict[str, ReportFunction]] = {
    "volume": report_volume,
    "overrides": report_overrides,
    "timeliness": report_timeliness,
    "outcomes": report_outcomes,
    "service_gaps": report_service_gaps,
}
