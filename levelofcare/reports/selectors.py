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
    BigIntegerField,
    Case,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.expressions import NegatedExpression
from django.db.models.functions import Coalesce, TruncMonth, TruncWeek
from django.utils import timezone

from intake.models import Assessment
from levelofcare import outcomes, rules
from levelofcare.criteria.selectors import criteria_active
from levelofcare.models import (
    Decision,
    Placement,
    ProgressReview,
    Recommendation,
    RecommendationReason,
)
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
    """The decisions that record a service gap: a coded gap reason from the
    program directory (`Decision.service_gap`), or an override with the coded
    reason "level not available" (how gaps were recorded before the directory)."""
    return ~Q(service_gap="") | Q(reason_code=Decision.ReasonCode.NOT_AVAILABLE)


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
        "Decisions where no program could take the client at the level needed "
        "(a coded service gap: no program, full, schedule, payer or distance; or "
        "an older “level not available” override), by level, reason and month.",
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
    """A date-time as whole seconds since 1970, on PostgreSQL and SQLite."""

    output_field = BigIntegerField()

    def as_postgresql(
        self, compiler: Any, connection: Any, **extra_context: Any
    ) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="CAST(EXTRACT(EPOCH FROM %(expressions)s) AS BIGINT)",
            **extra_context,
        )

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template=(
                "CAST(ROUND((julianday(%(expressions)s) - 2440587.5) * 86400.0) "
                "AS INTEGER)"
            ),
            **extra_context,
        )


REPORT_WORK_MEM: Final = "64MB"


def _reporting(report: Callable[..., Report]) -> Callable[..., Report]:
    """Run a report in one transaction with PostgreSQL's JIT compiler off (it
    compiled these one-off aggregate plans for longer than they ran: 230 ms of
    1.4 s over 10,000 assessments) and more memory for its hash aggregates. Two
    more queries, the same for any size."""

    @functools.wraps(report)
    def run(**kwargs: Any) -> Report:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL jit = off")
                    # The per-person hash aggregates of 100,000 rows spill to
                    # disk at the default 4 MB.
                    cursor.execute(f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'")
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


PEOPLE_SQL: Final = """
WITH d AS ({base}),
per_person AS (
  SELECT {group_select}{per_person}
  FROM d
  GROUP BY p_person{group_by}
)
SELECT {group_select}{totals}
FROM per_person
{group_by_outer}
"""


def _people_counts(
    queryset: QuerySet[Any],
    *,
    person: str,
    groups: dict[str, Any],
    flags: dict[str, Q],
) -> list[dict[str, Any]]:
    """Per group, for each flag: the rows it holds (`<flag>_n`) and the distinct
    people among them (`<flag>_p`).

    Without COUNT(DISTINCT), which sorts once per column: the rows are summed
    per person and group first (one hash aggregate; a person counts once when
    any of their rows has the flag), then per group. Two GROUP BYs, one query.
    """
    annotations: dict[str, Any] = {"p_person": F(person)}
    annotations |= {f"g_{name}": value for name, value in groups.items()}
    annotations |= {
        f"f_{name}": Case(When(q, then=Value(1)), default=Value(0)) if q else Value(1)
        for name, q in flags.items()
    }
    base = queryset.annotate(**annotations).values(*annotations).order_by()
    sql, params = base.query.sql_with_params()
    group_cols = [f"g_{name}" for name in groups]
    sql = PEOPLE_SQL.format(
        base=sql,
        group_select="".join(f"{col}, " for col in group_cols),
        per_person=", ".join(
            f"SUM(f_{name}) AS {name}_n, MAX(f_{name}) AS {name}_p" for name in flags
        ),
        group_by="".join(f", {col}" for col in group_cols),
        totals=", ".join(
            f"SUM({name}_n) AS {name}_n, SUM({name}_p) AS {name}_p" for name in flags
        ),
        group_by_outer=f"GROUP BY {', '.join(group_cols)}" if group_cols else "",
    )
    return [
        {key.removeprefix("g_"): value for key, value in row.items()}
        for row in _fetch(sql, list(params))
    ]


def _day(value: date | datetime | str) -> date:
    """A truncated week or month from the database: a datetime (PostgreSQL) or
    text (SQLite)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    return value


def _count_cell(row: dict[str, Any], prefix: str) -> Cell:
    return tables.count(row.get(f"{prefix}_n") or 0, row.get(f"{prefix}_p") or 0)


def _latest_decisions() -> QuerySet[Decision]:
    """Each recommendation's standing decision (not corrected by another), on
    assessments that were not voided."""
    return Decision.objects.filter(
        _standing(), _not_voided("recommendation__assessment_id")
    )


def _not_voided(assessment: str) -> NegatedExpression[Any]:
    """The assessment (`assessment`: the path to its id) was not voided. NOT
    EXISTS over the few voided ones, rather than joining every assessment."""
    return ~Exists(
        Assessment.objects.filter(pk=OuterRef(assessment), voided_at__isnull=False)
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
    found = {
        _day(row["week"]): row
        for row in _people_counts(
            Recommendation.objects.filter(
                _not_voided("assessment_id"),
                created_at__gte=period.start,
                created_at__lt=period.end,
            ),
            person="client_id",
            groups={"week": TruncWeek("created_at")},
            flags={**by_level, "all": Q()},
        )
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
    recommended, by coded reason, and by the rule that set the level. Two
    queries (one pass over the decisions for all three, and the active
    criteria)."""
    decisions = _latest_decisions().filter(
        decided_at__gte=period.start, decided_at__lt=period.end
    )
    parts = _overrides_counts(decisions)
    # By recommended level (an "insufficient information" recommendation has
    # nothing to override: it is left out here).
    by_level = {row["k1"]: row for row in parts["level"]}
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
    reasons = {row["k1"]: row for row in parts["reason"]}
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
        row["k1"]: row
        for row in parts["rule"]
        if row["k1"] in rules.RULE_LEVELS
        and row["k2"] == rules.RULE_LEVELS[row["k1"]].slug
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


OVERRIDES_SQL: Final = """
WITH d AS ({base}),
coded AS (
  SELECT d.*, r.code
  FROM d JOIN {reasons} r ON r.recommendation_id = d.rec_id
),
{per_person}
{totals}
"""

OVERRIDES_PER_PERSON: Final = """{name}_pp AS (
  SELECT {keys}, person, COUNT(*) AS all_n, SUM(is_over) AS over_n,
    SUM(CASE WHEN is_over = 1 AND moved = 1 THEN 1 ELSE 0 END) AS up_n,
    SUM(CASE WHEN is_over = 1 AND moved = -1 THEN 1 ELSE 0 END) AS down_n
  FROM {source} WHERE {where}
  GROUP BY {keys}, person
)"""

OVERRIDES_TOTALS: Final = """SELECT '{name}' AS part, {k1} AS k1, {k2} AS k2,
  SUM(all_n) AS all_n, COUNT(*) AS all_p,
  SUM(over_n) AS over_n, SUM(CASE WHEN over_n > 0 THEN 1 ELSE 0 END) AS over_p,
  SUM(up_n) AS up_n, SUM(CASE WHEN up_n > 0 THEN 1 ELSE 0 END) AS up_p,
  SUM(down_n) AS down_n, SUM(CASE WHEN down_n > 0 THEN 1 ELSE 0 END) AS down_p
FROM {name}_pp GROUP BY {keys}"""

# The override report's three counts, each (the rows, its group keys, a filter):
# by recommended level, by coded reason (overrides only), by the rule that
# fired and the level recommended.
OVERRIDES_PARTS: Final = (
    ("level", "d", ("rec_level", None), "rec_level IS NOT NULL"),
    ("reason", "d", ("reason_code", None), "is_over = 1"),
    ("rule", "coded", ("code", "rec_level"), "1 = 1"),
)


def _overrides_sql(decisions: QuerySet[Decision]) -> tuple[str, list[Any]]:
    """One query, one pass over the decisions: per person then per group (as
    `_people_counts`), for each part of `OVERRIDES_PARTS`. The rule codes come
    from `RecommendationReason` (copied at submission: a join, no JSON)."""
    ranked = decisions.annotate(
        decided_rank=_rank("level"), recommended_rank=_rank("recommendation__level")
    )
    overridden = Q(kind=Decision.Kind.OVERRIDE)
    base = (
        ranked.annotate(
            person=F("recommendation__client_id"),
            rec_id=F("recommendation_id"),
            rec_level=F("recommendation__level"),
            is_over=Case(When(overridden, then=Value(1)), default=Value(0)),
            moved=Case(
                When(decided_rank__gt=F("recommended_rank"), then=Value(1)),
                When(decided_rank__lt=F("recommended_rank"), then=Value(-1)),
                default=Value(0),
            ),
        )
        .values("person", "rec_id", "rec_level", "reason_code", "is_over", "moved")
        .order_by()
    )
    sql, params = base.query.sql_with_params()
    per_person, totals = [], []
    for name, source, (k1, k2), where in OVERRIDES_PARTS:
        keys = k1 if k2 is None else f"{k1}, {k2}"
        fields = {"name": name, "source": source, "where": where, "keys": keys}
        per_person.append(OVERRIDES_PER_PERSON.format(**fields))
        totals.append(OVERRIDES_TOTALS.format(k1=k1, k2=k2 or "NULL", **fields))
    sql = OVERRIDES_SQL.format(
        base=sql,
        reasons=RecommendationReason._meta.db_table,
        per_person=",\n".join(per_person),
        totals="\nUNION ALL\n".join(totals),
    )
    return sql, list(params)


def _overrides_counts(
    decisions: QuerySet[Decision],
) -> dict[str, list[dict[str, Any]]]:
    """The rows of `_overrides_sql` by part ("level", "reason", "rule")."""
    parts: dict[str, list[dict[str, Any]]] = {name: [] for name, *_ in OVERRIDES_PARTS}
    for row in _fetch(*_overrides_sql(decisions)):
        parts[row["part"]].append(row)
    return parts


# --- 3. timeliness ------------------------------------------------------------------


@_reporting
def report_timeliness(*, period: Period) -> Report:
    """Time from submission to the original decision (median, 90th percentile)
    by recommended level and safety flag; progress reviews completed on time or
    late per week. Two queries."""
    # The recommendation is made in the submission's transaction: its time is
    # the submission's (no join of the assessments).
    waited = ExpressionWrapper(
        F("decided_at") - F("recommendation__created_at"),
        output_field=DurationField(),
    )
    found = {
        (row["recommendation__level"], row["recommendation__safety_flag"]): row
        for row in Decision.objects.filter(
            _not_voided("recommendation__assessment_id"),
            corrects__isnull=True,
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
        _day(row["week"]): row
        for row in _people_counts(
            ProgressReview.objects.filter(
                status=ProgressReview.Status.COMPLETED,
                completed_at__gte=period.start,
                completed_at__lt=period.end,
            ),
            person="placement__client_id",
            groups={"week": TruncWeek("completed_at")},
            flags={"on_time": on_time, "late": ~on_time},
        )
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


def _episode_rows_sql(period: Period) -> tuple[str, list[Any]]:
    """Every not voided assessment (each submitted one has its recommendation)
    with its instrument totals and whether it starts an episode (intake): the
    input of the outcomes query. The time is the recommendation's, written in
    the submission's transaction, and the totals are the ones copied then
    (`reports.facts`): the recommendation's narrow covering index, no JSON.

    Only of clients with an intake assessment submitted in the period: an
    episode that starts in the period starts with one (a client's first
    assessment is an intake: a progress review needs a placement, which needs
    an earlier decided assessment). Their whole history is kept, so episodes
    are told apart as they were. The voided ones are left out by the join that
    reads the kind (one pass over the assessments, not a second for NOT
    EXISTS)."""
    in_period = Assessment.objects.filter(
        kind=Assessment.Kind.INTAKE,
        status=Assessment.Status.SUBMITTED,
        submitted_at__gte=period.start,
        submitted_at__lt=period.end,
    ).values("client_id")
    queryset = (
        Recommendation.objects.filter(
            assessment__voided_at__isnull=True, client_id__in=in_period
        )
        .annotate(
            at=EpochSeconds("created_at"),
            is_intake=Case(
                When(assessment__kind=Assessment.Kind.INTAKE, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            ),
        )
        .values("id", "client_id", "at", "is_intake", "phq9_total", "gad7_total")
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


OUTCOMES_SQL: Final = """
WITH assessed AS ({base}),
decided AS ({decided}),
dated AS (
  SELECT assessed.*,
    COALESCE(
      MAX(CASE WHEN is_intake = 1 THEN at END) OVER running,
      FIRST_VALUE(at) OVER running
    ) AS started
  FROM assessed
  WINDOW running AS (
    PARTITION BY client_id ORDER BY at, id ROWS UNBOUNDED PRECEDING
  )
),
episodes AS (
  SELECT client_id, started,
    MIN(CASE WHEN at = started THEN id END) AS start_id,
    {packed}
  FROM dated
  GROUP BY client_id, started
  HAVING started >= %s AND started < %s
),
valued AS (
  SELECT client_id, decided.level AS episode_level,
    {unpacked}
  FROM episodes JOIN decided ON decided.recommendation_id = episodes.start_id
),
flagged AS (
  SELECT client_id, episode_level,
    COUNT(*) OVER (PARTITION BY client_id, episode_level) AS episodes,
    {flags}
  FROM valued
),
people AS (
  SELECT episode_level,
    {single}
  FROM flagged
  WHERE episodes = 1
  UNION ALL
  SELECT episode_level,
    {per_client}
  FROM flagged
  WHERE episodes > 1
  GROUP BY client_id, episode_level
)
SELECT episode_level,
  {counted}
FROM people
GROUP BY episode_level
"""


def _outcomes_sql(period: Period) -> tuple[str, list[Any]]:
    """One pass: a window gives each assessment its episode's start (the
    client's latest intake so far, else their first assessment); grouping by
    episode gives its first assessment, its baseline (the first answered total)
    and its total at each week (the latest answered one in the week's window);
    the episode's level is the standing decision on its first assessment
    (joined for the episodes of the period only); each measure is flagged once
    per episode, then counted per client and by level.

    "First" and "latest" answered totals are picked in the GROUP BY by packing
    the time and the total into one integer (`at * 100 + total`, totals being
    0 to 27): MIN gives the first, MAX the latest, and the total is the packed
    value less its hundreds. Standard SQL (PostgreSQL and SQLite)."""
    base, params = _episode_rows_sql(period)
    decided, decided_params = _decided_sql()
    drop = 100 - int(outcomes.RESPONSE_DROP_PERCENT)
    packed, unpacked, flags, single, per_client, counted = [], [], [], [], [], []
    for key in OUTCOME_INSTRUMENTS:
        total = f"{key}_total"
        packed.append(
            f"MIN(CASE WHEN {total} IS NOT NULL THEN at * 100 + {total} END) "
            f"AS {key}_base"
        )
        unpacked.append(f"{key}_base - ({key}_base / 100) * 100 AS {key}_base")
        below = int(outcomes.instrument(key).remission_below or 0)
        for week in OUTCOME_WEEKS:
            low = (week - OUTCOME_WINDOW_WEEKS) * SECONDS_PER_WEEK
            high = (week + OUTCOME_WINDOW_WEEKS) * SECONDS_PER_WEEK
            name = f"{key}_w{week}"
            packed.append(
                f"MAX(CASE WHEN {total} IS NOT NULL AND at > started + {low} "
                f"AND at <= started + {high} THEN at * 100 + {total} END) AS {name}"
            )
            unpacked.append(f"{name} - ({name} / 100) * 100 AS {name}")
            measured = f"{key}_base > 0 AND {name} IS NOT NULL"
            for what, condition in (
                ("measured", measured),
                ("response", f"{measured} AND {name} * 100 <= {key}_base * {drop}"),
                ("remission", f"{measured} AND {name} < {below}"),
            ):
                # Once per episode; then per client: how many of their
                # episodes, and whether any (people without COUNT(DISTINCT)).
                # Most clients have one episode at a level in a period: their
                # episode is its own per-client row (no GROUP BY).
                flag = f"{name}_{what}"
                flags.append(f"CASE WHEN {condition} THEN 1 ELSE 0 END AS {flag}")
                single.append(f"{flag}, {flag} AS {flag}_p")
                per_client.append(f"SUM({flag}) AS {flag}")
                per_client.append(f"MAX({flag}) AS {flag}_p")
                counted.append(f"SUM({flag}) AS {flag}")
                counted.append(f"SUM({flag}_p) AS {flag}_p")
    sql = OUTCOMES_SQL.format(
        base=base,
        decided=decided,
        packed=",\n    ".join(packed),
        unpacked=",\n    ".join(unpacked),
        flags=",\n    ".join(flags),
        single=",\n    ".join(single),
        per_client=",\n    ".join(per_client),
        counted=",\n  ".join(counted),
    )
    return sql, [
        *params,
        *decided_params,
        int(period.start.timestamp()),
        int(period.end.timestamp()),
    ]


STEPS_SQL: Final = """
WITH base AS ({base}),
stepped AS (
  SELECT base.*,
    LAG(rank) OVER (PARTITION BY client_id ORDER BY at, id) AS previous
  FROM base
),
per_client AS (
  SELECT client_id, previous,
    SUM(CASE WHEN rank < previous THEN 1 ELSE 0 END) AS down_n,
    SUM(CASE WHEN rank > previous THEN 1 ELSE 0 END) AS up_n,
    SUM(CASE WHEN rank = previous THEN 1 ELSE 0 END) AS same_n
  FROM stepped
  WHERE previous IS NOT NULL AND at >= %s AND at < %s
  GROUP BY client_id, previous
)
SELECT previous,
  SUM(down_n) AS down_n, SUM(CASE WHEN down_n > 0 THEN 1 ELSE 0 END) AS down_p,
  SUM(up_n) AS up_n, SUM(CASE WHEN up_n > 0 THEN 1 ELSE 0 END) AS up_p,
  SUM(same_n) AS same_n, SUM(CASE WHEN same_n > 0 THEN 1 ELSE 0 END) AS same_p
FROM per_client
GROUP BY previous
"""


def _steps_sql(period: Period) -> tuple[str, list[Any]]:
    """Placements in order per client, each against the one before; the ones
    that started in the period are counted. Placements opened by a correction
    are left out (they fix a record; no one moved). Every placement is read:
    narrowing to clients with a placement in the period first (a semi-join)
    cost more than it saved (0.2 s against 0.4 s over the year, same rows)."""
    queryset = (
        Placement.objects.filter(
            # NOT EXISTS over the few corrections, not a join of every decision.
            ~Exists(
                Decision.objects.filter(
                    pk=OuterRef("decision_id"), corrects__isnull=False
                )
            ),
        )
        .annotate(at=EpochSeconds("started_at"), rank=_rank("level"))
        .values("id", "client_id", "at", "rank")
        .order_by()
    )
    base, params = queryset.query.sql_with_params()
    sql = STEPS_SQL.format(base=base)
    return sql, [*params, int(period.start.timestamp()), int(period.end.timestamp())]


def _fetch(sql: str, params: Sequence[Any]) -> list[dict[str, Any]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


@_reporting
def report_outcomes(*, period: Period) -> Report:
    """Response and remission at 4, 8 and 12 weeks by the level of care an
    episode started at (the episodes that started in the period), and step-downs
    against step-ups. Two queries (a window function, then SQL aggregates)."""
    by_level = {row["episode_level"]: row for row in _fetch(*_outcomes_sql(period))}
    found = {
        (level, week): {
            f"{key}_{what}": row[f"{key}_w{week}_{what}"]
            for key in OUTCOME_INSTRUMENTS
            for what in (
                *("measured", "response", "remission"),
                *("measured_p", "response_p", "remission_p"),
            )
        }
        for level, row in by_level.items()  # a row per level: three at most
        for week in OUTCOME_WEEKS
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


OVERRIDE_GAP: Final = "not_available_override"
# The service gap reasons, as the report's columns: the five coded reasons of the
# program directory, then the older override reason "level not available".
GAP_REASONS: Final = (
    *Decision.ServiceGap.choices,
    (OVERRIDE_GAP, "Level not available (override)"),
)


def _gap_reason() -> Case:
    """A gap decision's reason: its coded service gap; else (the older "level
    not available" override) `OVERRIDE_GAP`."""
    return Case(
        When(~Q(service_gap=""), then=F("service_gap")),
        default=Value(OVERRIDE_GAP),
    )


def _gap_needed_level() -> Case:
    """The level that was needed: the decided level for a coded service gap
    (the clinician decided it and found no program); for a "level not
    available" override, the recommended level (the decided one is what was
    available), or the decided one when nothing was recommended."""
    return Case(
        When(~Q(service_gap=""), then=F("level")),
        default=Coalesce("recommendation__level", "level"),
    )


@_reporting
def report_service_gaps(*, period: Period) -> Report:
    """Standing decisions that record a service gap (`service_gap_filter`), per
    month, by the level that was needed and by the reason. One query."""
    found = {
        _day(row["month"]): row
        for row in _people_counts(
            _latest_decisions()
            .filter(service_gap_filter())
            .filter(decided_at__gte=period.start, decided_at__lt=period.end)
            .annotate(needed_level=_gap_needed_level(), gap=_gap_reason()),
            person="recommendation__client",
            groups={"month": TruncMonth("decided_at")},
            flags={
                **{slug: Q(needed_level=slug) for slug in LEVEL_SLUGS},
                **{f"gap_{code}": Q(gap=code) for code, _ in GAP_REASONS},
                "all": Q(),
            },
        )
    }
    months = period.months()
    by_level = Table(
        key="service_gaps",
        title="Service gaps by level needed and month",
        description=(
            "Decisions that record a service gap, by the level that was needed "
            "and the month decided. A coded service gap (no program could take "
            "the client) needed the level the clinician decided; an older "
            "override with the reason “Level not available / waitlist” needed "
            "the level recommended."
        ),
        columns=("Month", *(_level_label(s) for s in LEVEL_SLUGS), "All"),
        rows=tuple(
            (
                tables.text(month.strftime("%Y-%m")),
                *(_count_cell(found.get(month, {}), s) for s in LEVEL_SLUGS),
                _count_cell(found.get(month, {}), "all"),
            )
            for month in months
        ),
        chart=Chart(series=tuple(range(1, len(LEVEL_SLUGS) + 1))),
    )
    by_reason = Table(
        key="by_reason",
        title="Service gaps by reason and month",
        description=(
            "The same decisions by why no program could take the client: the "
            "reason coded with the decision, or “Level not available "
            "(override)” for an override with that reason and no coded gap."
        ),
        columns=("Month", *(str(label) for _, label in GAP_REASONS), "All"),
        rows=tuple(
            (
                tables.text(month.strftime("%Y-%m")),
                *(
                    _count_cell(found.get(month, {}), f"gap_{code}")
                    for code, _ in GAP_REASONS
                ),
                _count_cell(found.get(month, {}), "all"),
            )
            for month in months
        ),
        chart=Chart(series=tuple(range(1, len(GAP_REASONS) + 1))),
    )
    return Report(
        slug="service_gaps",
        title=ABOUT["service_gaps"][0],
        summary=ABOUT["service_gaps"][1],
        tables=(by_level, by_reason),
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
