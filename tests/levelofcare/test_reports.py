"""Reports at /reports/: each report's numbers against small hand-built data
(PostgreSQL), small-cell suppression, CSV content and escaping, the date filter,
constant query counts, and the criteria admin's "try a threshold" link."""

from __future__ import annotations

import csv
import importlib
import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from intake.models import Assessment
from levelofcare import outcomes
from levelofcare.models import (
    Decision,
    Placement,
    ProgressReview,
    Recommendation,
    RecommendationReason,
)
from levelofcare.reports import facts, selectors
from levelofcare.reports.charts import PATTERNS, Series, bar_chart, table_chart
from levelofcare.reports.export import csv_safe, table_csv
from levelofcare.reports.selectors import Period, rule_suggestion
from levelofcare.reports.tables import (
    FEWER_THAN,
    Cell,
    Chart,
    Table,
    count,
    is_small,
    percent,
)
from tests.baseline import answers
from tests.factories import (
    ClientFactory,
    UserFactory,
    active_criteria,
    submit_assessment,
)

# Two whole weeks, Monday 2026-01-05 to Sunday 2026-01-18.
PERIOD = Period(since=date(2026, 1, 5), until=date(2026, 1, 18))
WEEK1 = datetime(2026, 1, 6, 10, tzinfo=UTC)
WEEK2 = datetime(2026, 1, 13, 10, tzinfo=UTC)
QUERY = "?from=2026-01-05&to=2026-01-18"


# --- hand-built data ------------------------------------------------------------------


def _rec(
    *,
    at: datetime,
    level: str | None = "iop",
    client: Any = None,
    kind: str = Assessment.Kind.INTAKE,
    phq9: int | None = None,
    gad7: int | None = None,
    reasons: tuple[str, ...] = (),
    safety: bool = False,
    voided: bool = False,
) -> Recommendation:
    user = UserFactory(username="builder")
    client = client or ClientFactory(created_by=user)
    assessment = Assessment.objects.create(
        client=client,
        kind=kind,
        status=Assessment.Status.SUBMITTED,
        answers={},
        created_by=user,
        submitted_at=at,
        submitted_by=user,
        voided_at=at if voided else None,
    )
    scores = {
        "phq9": None if phq9 is None else {"total": phq9, "band": "x"},
        "gad7": None if gad7 is None else {"total": gad7, "band": "x"},
        "cssrs_risk": None,
    }
    # As `recommendation_create` writes it: the facts copied at submission too.
    rec = Recommendation.objects.create(
        assessment=assessment,
        client=client,
        level=level,
        reasons=[{"code": code, "text": code, "values": {}} for code in reasons],
        scores=scores,
        **facts.score_totals(scores),
        safety_flag=safety,
        criteria=active_criteria(),
        created_at=at,
    )
    RecommendationReason.objects.bulk_create(
        RecommendationReason(recommendation=rec, position=i, code=code)
        for i, code in enumerate(facts.reason_codes(rec.reasons))
    )
    return rec


def _decide(
    rec: Recommendation,
    *,
    at: datetime,
    level: str | None = None,
    reason: str = "",
    corrects: Decision | None = None,
    place: bool = False,
    gap: str = "",
) -> Decision:
    level = level or rec.level or "outpatient"
    if rec.level is None:
        kind = Decision.Kind.DECIDED_WITHOUT_RECOMMENDATION
    else:
        kind = Decision.Kind.ACCEPT if level == rec.level else Decision.Kind.OVERRIDE
    decision = Decision.objects.create(
        recommendation=rec,
        kind=kind,
        level=level,
        reason_code=reason,
        service_gap=gap,
        decided_by=UserFactory(username="decider"),
        decided_at=at,
        corrects=corrects,
    )
    if place:
        Placement.objects.filter(client=rec.client, ended_at__isnull=True).update(
            ended_at=at
        )
        Placement.objects.create(
            client=rec.client, level=level, decision=decision, started_at=at
        )
    return decision


def _cells(table: Table) -> list[list[str]]:
    return [[cell.text for cell in row] for row in table.rows]


def _row(table: Table, label: str) -> list[str]:
    return next(r for r in _cells(table) if r[0] == label)


# --- the suppression rule (pure) ------------------------------------------------------


@pytest.mark.parametrize(
    ("people", "small"),
    [(None, False), (0, False), (1, True), (4, True), (5, False), (120, False)],
)
def test_a_cell_is_small_for_1_to_4_people(people: int | None, small: bool) -> None:
    assert is_small(people) is small


def test_suppression_hides_small_counts_and_rates_built_on_them() -> None:
    table = Table(
        key="t",
        title="T",
        description="",
        columns=("Label", "Big", "Small", "Zero", "Rate of small", "Rate of big"),
        rows=(
            (
                Cell("row", kind="text"),
                count(12, 12),
                count(3, 3),
                count(0, 0),
                percent(3, 12, 3, 12),
                percent(6, 12, 6, 12),
            ),
        ),
    )
    shown = table.suppressed()
    assert _cells(shown) == [["row", "12", FEWER_THAN, "0", FEWER_THAN, "50%"]]
    assert [c.csv for c in shown.rows[0]] == ["row", "12", "", "0", "", "50.0"]
    assert shown.has_suppressed and not table.has_suppressed
    # The full table is untouched.
    assert _cells(table)[0][2] == "3"


# --- CSV (pure) -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=HYPERLINK(1)", "'=HYPERLINK(1)"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("2026-01-05", "2026-01-05"),
        ("Outpatient", "Outpatient"),
        ("", ""),
    ],
)
def test_csv_cells_never_start_a_formula(value: str, written: str) -> None:
    assert csv_safe(value) == written


def test_csv_has_the_header_row_then_blank_suppressed_cells_and_a_note() -> None:
    table = Table(
        key="t",
        title="T",
        description="",
        columns=("Week of", "=Count"),
        rows=((Cell("2026-01-05", kind="text"), count(2, 2)),),
    ).suppressed()
    rows = list(csv.reader(io.StringIO(table_csv(table))))
    assert rows[0] == ["Week of", "'=Count"]
    assert rows[1] == ["2026-01-05", ""]
    assert rows[2][0].startswith("Note: Cells that stand for 1 to 4 people")


# --- charts (pure) --------------------------------------------------------------------


def test_a_chart_is_an_accessible_svg_with_escaped_text_and_patterns() -> None:
    svg = bar_chart(
        chart_id="c",
        title="Weekly <volume>",
        description='Two "series"',
        labels=["<script>alert(1)</script>", "b"],
        series=[Series("IOP & more", (3.0, None)), Series("Outpatient", (1.0, 2.0))],
    )
    assert svg.startswith("<svg") and 'role="img"' in svg and "viewBox=" in svg
    assert '<title id="c-title">Weekly &lt;volume&gt;</title>' in svg
    assert "<desc" in svg and "&quot;series&quot;" in svg
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "IOP &amp; more" in svg
    # Each series its own pattern (not colour alone); no bar for None.
    assert svg.count("<pattern ") == 2 and svg.count("<rect x=") == 3 + 2


def test_a_table_chart_draws_no_bar_for_a_suppressed_cell() -> None:
    table = Table(
        key="t",
        title="T",
        description="",
        columns=("Week of", "IOP"),
        rows=(
            (Cell("w1", kind="text"), count(3, 3)),
            (Cell("w2", kind="text"), count(7, 7)),
        ),
        chart=Chart(series=(1,)),
    ).suppressed()
    svg = table_chart(table, chart_id="t")
    assert svg.count("<title>IOP, ") == 1  # w2 only


# --- threshold suggestions (pure) -----------------------------------------------------

VALUES = {
    "phq9_iop_min": 15,
    "gad7_iop_min": 15,
    "moderate_min": 10,
    "persistent_weeks_min": 6,
    "stepdown_window_days": 30,
}


@pytest.mark.parametrize(
    ("thresholds", "up", "down", "expected"),
    [
        (("phq9_iop_min",), 0, 3, ("phq9_iop_min", 16)),  # mostly down: stricter
        (("phq9_iop_min",), 3, 1, ("phq9_iop_min", 14)),  # mostly up: looser
        (("phq9_iop_min",), 2, 2, None),  # no direction
        (("stepdown_window_days",), 0, 1, ("stepdown_window_days", 29)),
        (("moderate_min", "persistent_weeks_min"), 0, 1, ("moderate_min", 11)),
        ((), 0, 5, None),  # a rule with no threshold
    ],
)
def test_a_suggestion_is_one_step_in_the_direction_clinicians_moved(
    thresholds: tuple[str, ...], up: int, down: int, expected: Any
) -> None:
    found = rule_suggestion(thresholds=thresholds, values=VALUES, up=up, down=down)
    assert (None if found is None else (found.threshold, found.suggested)) == expected


def test_no_suggestion_leaves_the_thresholds_bounds() -> None:
    values = {**VALUES, "phq9_iop_min": 27}
    assert (
        rule_suggestion(thresholds=("phq9_iop_min",), values=values, up=0, down=4)
        is None
    )


def test_period_weeks_and_months_cover_the_calendar() -> None:
    period = Period(since=date(2026, 1, 7), until=date(2026, 2, 2))
    assert period.weeks() == [
        date(2026, 1, 5),
        date(2026, 1, 12),
        date(2026, 1, 19),
        date(2026, 1, 26),
        date(2026, 2, 2),
    ]
    assert period.months() == [date(2026, 1, 1), date(2026, 2, 1)]
    default = selectors.period_default(today=date(2026, 3, 31))
    assert (default.since, default.until) == (date(2026, 1, 7), date(2026, 3, 31))


# --- 1. volume ------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db
def test_volume_counts_assessments_per_week_by_recommended_level() -> None:
    for _ in range(6):
        _rec(at=WEEK1, level="iop")
    for _ in range(2):
        _rec(at=WEEK1, level="inpatient")
    _rec(at=WEEK2, level=None)  # insufficient information
    _rec(at=WEEK2, level="outpatient", voided=True)  # entered in error
    _rec(at=WEEK2 + timedelta(days=7), level="outpatient")  # after the period
    table = selectors.report_volume(period=PERIOD).tables[0]
    assert table.columns == (
        "Week of",
        "Inpatient",
        "IOP (intensive outpatient)",
        "Outpatient",
        "Insufficient information",
        "All assessments",
    )
    assert _cells(table) == [
        ["2026-01-05", "2", "6", "0", "0", "8"],
        ["2026-01-12", "0", "0", "0", "1", "1"],
    ]
    assert _cells(table.suppressed()) == [
        ["2026-01-05", FEWER_THAN, "6", "0", "0", "8"],
        ["2026-01-12", "0", "0", "0", FEWER_THAN, FEWER_THAN],
    ]


@pytest.mark.postgres
@pytest.mark.django_db
def test_small_cells_count_people_not_assessments() -> None:
    client = ClientFactory()
    for day in range(6):  # six assessments of one person
        _rec(at=WEEK1 + timedelta(hours=day), level="iop", client=client)
    table = selectors.report_volume(period=PERIOD).tables[0].suppressed()
    assert _cells(table)[0][2] == FEWER_THAN


# --- 2. overrides ---------------------------------------------------------------------


def _override_data() -> None:
    """Five IOP recommendations set by PHQ9_IOP: three moved down, one up, one
    accepted (after a correction); an inpatient one where PHQ9_IOP fired too."""
    moved = [("outpatient", "client_preference")] * 3 + [
        ("inpatient", "higher_level_required")
    ]
    for level, reason in moved:
        rec = _rec(at=WEEK1, level="iop", reasons=("PHQ9_IOP",))
        _decide(rec, at=WEEK1 + timedelta(hours=2), level=level, reason=reason)
    rec = _rec(at=WEEK1, level="iop", reasons=("PHQ9_IOP",))
    first = _decide(
        rec, at=WEEK1 + timedelta(hours=1), level="outpatient", reason="access"
    )
    _decide(rec, at=WEEK1 + timedelta(hours=3), level="iop", corrects=first)
    rec = _rec(at=WEEK1, level="inpatient", reasons=("RISK_CSSRS_HIGH", "PHQ9_IOP"))
    _decide(rec, at=WEEK1 + timedelta(hours=2), level="iop", reason="not_available")


@pytest.mark.postgres
@pytest.mark.django_db
def test_overrides_by_level_reason_and_rule() -> None:
    _override_data()
    report = selectors.report_overrides(period=PERIOD)
    by_level, by_reason, by_rule = report.tables
    assert _row(by_level, "IOP (intensive outpatient)") == [
        "IOP (intensive outpatient)",
        "5",  # the corrected decision counts once, as its correction (accept)
        "4",
        "80%",
        "1",
        "3",
    ]
    assert _row(by_level, "Inpatient") == ["Inpatient", "1", "1", "100%", "0", "1"]
    assert _row(by_level, "Outpatient") == ["Outpatient", "0", "0", "–", "0", "0"]
    assert _row(by_reason, "Client preference") == ["Client preference", "3", "60%"]
    assert _row(by_reason, "Higher level clinically required")[1] == "1"
    assert _row(by_reason, "Transportation or access")[1] == "0"  # corrected away
    phq9 = _row(by_rule, "PHQ9_IOP")
    # Only where PHQ9_IOP set the level (IOP), not the inpatient one.
    assert phq9[:7] == [
        "PHQ9_IOP",
        "IOP (intensive outpatient)",
        "5",
        "4",
        "80%",
        "1",
        "3",
    ]
    assert phq9[7] == "mostly down"
    cell = next(r for r in by_rule.rows if r[0].value == "PHQ9_IOP")[7]
    assert cell.params == (("phq9_iop_min", 16),)
    assert cell.hint == "PHQ-9 IOP threshold 15 → 16"
    assert _row(by_rule, "RISK_CSSRS_HIGH")[2:4] == ["1", "1"]


@pytest.mark.postgres
@pytest.mark.django_db
def test_only_criteria_admins_get_the_try_a_threshold_link(
    client: Any, clinician: Any, criteria_admin: Any
) -> None:
    rec = None
    for _ in range(6):
        rec = _rec(at=WEEK1, level="iop", reasons=("PHQ9_IOP",))
        _decide(rec, at=WEEK1, level="outpatient", reason="client_preference")
    url = reverse("levelofcare:report_overrides") + QUERY
    client.force_login(criteria_admin)
    page = client.get(url).content.decode()
    change = reverse(
        "admin:levelofcare_criteriaset_change", args=[active_criteria().pk]
    )
    assert f'href="{change}?phq9_iop_min=16"' in page
    assert "Try PHQ-9 IOP threshold 15 → 16" in page
    client.force_login(clinician)
    page = client.get(url).content.decode()
    assert "phq9_iop_min=16" not in page and "mostly down" in page


@pytest.mark.django_db
def test_the_criteria_admin_opens_prefilled_with_the_suggested_threshold(
    client: Any, criteria_admin: Any
) -> None:
    change = reverse(
        "admin:levelofcare_criteriaset_change", args=[active_criteria().pk]
    )
    client.force_login(criteria_admin)
    response = client.get(change + "?phq9_iop_min=16")
    form = response.context["adminform"].form
    assert form["phq9_iop_min"].value() == 16
    assert form["gad7_iop_min"].value() == 15
    assert "Prefilled from the overrides report" in response.content.decode()
    # Out of bounds or not a number: ignored, the active value stays.
    for bad in ("99", "abc", "-1", "²"):
        form = client.get(f"{change}?phq9_iop_min={bad}").context["adminform"].form
        assert form["phq9_iop_min"].value() == 15
    # Nothing was saved.
    assert active_criteria().phq9_iop_min == 15


# --- 3. timeliness --------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db
def test_timeliness_median_and_90th_percentile_and_reviews_on_time() -> None:
    for hours in (1, 2, 3, 4, 5):
        rec = _rec(at=WEEK1, level="iop")
        first = _decide(rec, at=WEEK1 + timedelta(hours=hours), level="iop")
        if hours == 5:  # a correction much later does not change the wait
            _decide(rec, at=WEEK1 + timedelta(days=3), level="iop", corrects=first)
    rec = _rec(at=WEEK1, level="inpatient", safety=True)
    _decide(rec, at=WEEK1 + timedelta(minutes=30), level="inpatient", place=True)
    placement = Placement.objects.get()
    due = WEEK2
    for completed in (due - timedelta(hours=1), due, due + timedelta(days=1)):
        ProgressReview.objects.create(
            placement=placement,
            due_at=due,
            status=ProgressReview.Status.COMPLETED,
            completed_at=completed,
            assigned_to=UserFactory(username="reviewer"),
        )
    ProgressReview.objects.create(  # not completed: not counted
        placement=placement, due_at=due, assigned_to=UserFactory(username="reviewer")
    )
    decisions, reviews = selectors.report_timeliness(period=PERIOD).tables
    iop = next(r for r in _cells(decisions) if r[0].startswith("IOP") and r[1] == "No")
    assert iop == ["IOP (intensive outpatient)", "No", "5", "3.0 h", "4.6 h"]
    inpatient = next(r for r in _cells(decisions) if r[:2] == ["Inpatient", "Yes"])
    assert inpatient == ["Inpatient", "Yes", "1", "0.5 h", "0.5 h"]
    assert _cells(reviews) == [["2026-01-05", "0", "0"], ["2026-01-12", "2", "1"]]
    assert _cells(decisions.suppressed())[0][2:] == [FEWER_THAN] * 3


# --- 4. outcomes ----------------------------------------------------------------------


def _episode(
    client: Any,
    start: datetime,
    totals: list[tuple[int, int | None]],
    *,
    level: str = "iop",
) -> None:
    """An intake assessment with `totals[0]` (PHQ-9), decided at `level`, then a
    progress-review assessment per (weeks after start, PHQ-9 total)."""
    weeks, phq9 = totals[0]
    rec = _rec(at=start, level=level, client=client, phq9=phq9)
    _decide(rec, at=start + timedelta(hours=1), level=level, place=True)
    for weeks, phq9 in totals[1:]:
        _rec(
            at=start + timedelta(weeks=weeks),
            level=level,
            client=client,
            phq9=phq9,
            kind=Assessment.Kind.PROGRESS_REVIEW,
        )


@pytest.mark.postgres
@pytest.mark.django_db
def test_outcomes_response_and_remission_at_4_8_and_12_weeks() -> None:
    assert outcomes.RESPONSE_DROP_PERCENT == 50  # the figures below assume it
    # A: 20 → 9 at week 4 (response), → 4 at week 8 (response and remission).
    _episode(ClientFactory(), WEEK1, [(0, 20), (4, 9), (8, 4)])
    # B: 10 → 5 at week 4: exactly 50 % (response); 5 is not below 5.
    _episode(ClientFactory(), WEEK1, [(0, 10), (4, 5)])
    # C: an unanswered PHQ-9 at intake: the baseline is the first answered total.
    c = ClientFactory()
    _episode(c, WEEK1, [(0, None), (1, 16), (5, 12)])
    # D: a new intake at week 3 starts a new episode (baseline 12, not 20).
    d = ClientFactory()
    _episode(d, WEEK1, [(0, 20)])
    _episode(d, WEEK1 + timedelta(weeks=3), [(0, 12), (4, 6)])
    table = selectors.report_outcomes(period=PERIOD).tables[0]
    rows = {(r[0], r[1], r[2]): r[3:] for r in _cells(table)}
    iop = "IOP (intensive outpatient)"
    # Week 4: A (response), B (response), C (16 → 12: no), D's second episode
    # started after the period, so it is not counted.
    assert rows[(iop, "PHQ-9", "4 weeks")] == ["3", "2", "67%", "0", "0%"]
    assert rows[(iop, "PHQ-9", "8 weeks")] == ["1", "1", "100%", "1", "100%"]
    assert rows[(iop, "PHQ-9", "12 weeks")] == ["0", "0", "–", "0", "–"]
    assert rows[(iop, "GAD-7", "4 weeks")][0] == "0"
    wide = Period(since=PERIOD.since, until=date(2026, 3, 1))
    rows = {
        (r[0], r[1], r[2]): r[3:]
        for r in _cells(selectors.report_outcomes(period=wide).tables[0])
    }
    # Now D's second episode counts: 12 → 6 is a response.
    assert rows[(iop, "PHQ-9", "4 weeks")] == ["4", "3", "75%", "0", "0%"]


@pytest.mark.postgres
@pytest.mark.django_db
def test_outcomes_count_step_downs_and_step_ups() -> None:
    for first, second in [
        ("inpatient", "iop"),
        ("inpatient", "iop"),
        ("iop", "inpatient"),
    ]:
        client = ClientFactory()
        rec = _rec(at=WEEK1, level=first, client=client)
        _decide(rec, at=WEEK1, level=first, place=True)
        rec = _rec(at=WEEK2, level=second, client=client, kind="progress_review")
        _decide(rec, at=WEEK2, level=second, place=True)
    steps = selectors.report_outcomes(period=PERIOD).tables[1]
    assert _cells(steps) == [
        ["Inpatient", "2", "0", "0"],
        ["IOP (intensive outpatient)", "0", "1", "0"],
        ["Outpatient", "0", "0", "0"],
    ]


@pytest.mark.postgres
@pytest.mark.django_db
def test_outcomes_read_every_client_and_count_only_what_started_in_the_period() -> None:
    """The edges of the period: the episode query keeps clients with an intake
    in the period (whole history), the step query reads every placement; both
    count only what started in the period."""
    before = PERIOD.start - timedelta(weeks=2)
    iop = "IOP (intensive outpatient)"
    # An episode that started before the period, measured in it: not counted.
    _episode(ClientFactory(), before, [(0, 20), (3, 5)])
    # A voided intake in the period starts no episode: the follow-up belongs to
    # the episode that started before the period, so nothing is counted.
    client = ClientFactory()
    _episode(client, before, [(0, 20)])
    _rec(at=WEEK1, client=client, phq9=18, voided=True)
    _rec(at=WEEK1 + timedelta(weeks=4), client=client, phq9=2, kind="progress_review")
    # Counted: an intake in the period (20 → 8 at week 4: response).
    _episode(ClientFactory(), WEEK1, [(0, 20), (4, 8)])
    # Steps: a placement in the period against one before it counts (a step
    # down from inpatient); two placements before the period do not.
    for first, second, at in (
        ("inpatient", "iop", WEEK2),
        ("iop", "outpatient", before + timedelta(days=3)),
    ):
        client = ClientFactory()
        rec = _rec(at=before, level=first, client=client)
        _decide(rec, at=before, level=first, place=True)
        rec = _rec(at=at, level=second, client=client, kind="progress_review")
        _decide(rec, at=at, level=second, place=True)
    wide = Period(since=PERIOD.since, until=date(2026, 3, 1))
    table, steps = selectors.report_outcomes(period=wide).tables
    rows = {(r[0], r[1], r[2]): r[3:] for r in _cells(table)}
    assert rows[(iop, "PHQ-9", "4 weeks")] == ["1", "1", "100%", "0", "0%"]
    assert rows[(iop, "PHQ-9", "8 weeks")][0] == "0"
    assert _cells(steps) == [
        ["Inpatient", "1", "0", "0"],
        ["IOP (intensive outpatient)", "0", "0", "0"],
        ["Outpatient", "0", "0", "0"],
    ]


# --- 5. service gaps ------------------------------------------------------------------


def _gaps() -> None:
    """Hand-built service gaps: 10 in January (5 of them "full"), 1 in December."""
    for _ in range(5):  # coded: the level decided was needed (and accepted)
        _decide(_rec(at=WEEK1, level="iop"), at=WEEK1, gap="full")
    rec = _rec(at=WEEK1, level="inpatient")  # coded with an override: decided
    _decide(rec, at=WEEK1, level="iop", reason="clinical_judgement", gap="schedule")
    for _ in range(2):  # the older override: the recommended level was needed
        rec = _rec(at=WEEK1, level="inpatient")
        _decide(rec, at=WEEK1, level="iop", reason="not_available")
    rec = _rec(at=WEEK1, level="iop")  # both: the coded gap wins
    _decide(rec, at=WEEK1, level="outpatient", reason="not_available", gap="payer")
    rec = _rec(at=WEEK1, level=None)  # nothing recommended: the decided level
    _decide(rec, at=WEEK1, level="iop", reason="not_available")
    rec = _rec(at=WEEK1, level="iop")  # another reason: not a gap
    _decide(rec, at=WEEK1, level="outpatient", reason="client_preference")
    rec = _rec(at=WEEK1, level="iop")  # a gap that was corrected away
    gap = _decide(rec, at=WEEK1, gap="full")
    _decide(rec, at=WEEK2, level="iop", corrects=gap)
    december = datetime(2025, 12, 10, 10, tzinfo=UTC)
    _decide(_rec(at=december, level="outpatient"), at=december, gap="no_program")


@pytest.mark.postgres
@pytest.mark.django_db
def test_service_gaps_by_needed_level_reason_and_month() -> None:
    _gaps()
    period = Period(since=date(2025, 12, 1), until=date(2026, 1, 31))
    by_level, by_reason = selectors.report_service_gaps(period=period).tables
    # Month, inpatient, IOP, outpatient, all.
    assert _cells(by_level) == [
        ["2025-12", "0", "0", "1", "1"],
        ["2026-01", "2", "7", "1", "10"],
    ]
    # Month, no program, full, schedule, payer, distance, override, all.
    assert by_reason.columns[1:-1] == (
        "No program at this level",
        "Programs at this level are full",
        "No program with a schedule that fits",
        "No program accepts the client's payer",
        "Programs are too far away",
        "Level not available (override)",
    )
    assert _cells(by_reason) == [
        ["2025-12", "1", "0", "0", "0", "0", "0", "1"],
        ["2026-01", "0", "5", "1", "1", "0", "3", "10"],
    ]
    assert by_reason.chart is not None
    # Six series, six different patterns (not colour alone).
    assert len(by_reason.chart.series) <= len(PATTERNS)


@pytest.mark.django_db
def test_service_gaps_by_reason_csv_suppresses_small_cells_for_aggregate_roles(
    client: Any, clinician: Any, criteria_admin: Any
) -> None:
    _gaps()
    url = reverse("levelofcare:report_service_gaps_csv") + QUERY + "&table=by_reason"
    client.force_login(clinician)
    rows = list(csv.reader(io.StringIO(client.get(url).content.decode())))
    assert rows[0][0] == "Month"
    assert rows[1] == ["2026-01", "0", "5", "1", "1", "0", "3", "10"]
    client.force_login(criteria_admin)
    rows = list(csv.reader(io.StringIO(client.get(url).content.decode())))
    assert rows[1] == ["2026-01", "0", "5", "", "", "0", "", "10"]
    assert rows[-1][0].startswith("Note:")
    page = client.get(reverse("levelofcare:report_service_gaps") + QUERY)
    text = page.content.decode()
    assert "Service gaps by reason and month" in text and FEWER_THAN in text


# --- pages: access, filter, CSV, query counts -----------------------------------------


@pytest.mark.django_db
def test_clinicians_see_every_number_criteria_admins_and_coordinators_aggregates(
    client: Any, clinician: Any, criteria_admin: Any, coordinator: Any
) -> None:
    for _ in range(2):
        _rec(at=WEEK1, level="inpatient")
    url = reverse("levelofcare:report_volume") + QUERY
    client.force_login(clinician)
    page = client.get(url).content.decode()
    assert FEWER_THAN not in page and "suppression-note" not in page
    for user in (criteria_admin, coordinator):
        client.force_login(user)
        page = client.get(url).content.decode()
        assert FEWER_THAN in page and 'data-testid="suppression-note"' in page


@pytest.mark.django_db
def test_the_index_describes_and_links_every_report(
    client: Any, clinician: Any
) -> None:
    client.force_login(clinician)
    page = client.get(reverse("levelofcare:reports")).content.decode()
    for slug in selectors.REPORTS:
        assert f'href="{reverse(f"levelofcare:report_{slug}")}"' in page
        assert selectors.ABOUT[slug][1].split(",")[0].split("“")[0] in page


@pytest.mark.django_db
def test_the_default_range_is_the_last_12_weeks(client: Any, clinician: Any) -> None:
    client.force_login(clinician)
    response = client.get(reverse("levelofcare:report_volume"))
    form = response.context["form"]
    assert form.period == selectors.period_default()
    assert len(response.context["report"].tables[0].rows) in (12, 13)


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("?from=2026-02-31", "since", "Enter a real date"),
        ("?from=yesterday", "since", "Enter a real date"),
        ("?to=%C2%B2026-01-01", "until", "Enter a real date"),
        ("?from=2026-02-01&to=2026-01-01", "until", "on or after"),
        ("?from=1901-01-01&to=2026-01-01", "until", "at most three years"),
        ("?from=2026-01-01%00", "since", "Null characters"),
        ("?to=9999-12-31", "until", "Enter a real date"),
    ],
)
@pytest.mark.django_db
def test_bad_dates_get_a_message_next_to_the_field(
    client: Any, clinician: Any, query: str, field: str, message: str
) -> None:
    client.force_login(clinician)
    response = client.get(reverse("levelofcare:report_outcomes") + query)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert message in " ".join(errors[field])
    page = response.content.decode()
    assert 'aria-invalid="true"' in page and 'data-testid="field-error"' in page
    csv_response = client.get(reverse("levelofcare:report_outcomes_csv") + query)
    assert csv_response.status_code == 400
    assert "Bad date range" in csv_response.content.decode()


@pytest.mark.django_db
def test_a_csv_download_has_the_tables_columns_and_numbers(
    client: Any, clinician: Any, criteria_admin: Any
) -> None:
    for _ in range(6):
        _rec(at=WEEK1, level="iop")
    _rec(at=WEEK1, level="inpatient")
    url = reverse("levelofcare:report_volume_csv") + QUERY
    client.force_login(clinician)
    response = client.get(url)
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == (
        'attachment; filename="locatr-volume-volume-2026-01-05-to-2026-01-18.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][0] == "Week of" and rows[1] == [
        "2026-01-05",
        "1",
        "6",
        "0",
        "0",
        "7",
    ]
    client.force_login(criteria_admin)
    rows = list(csv.reader(io.StringIO(client.get(url).content.decode())))
    assert rows[1] == ["2026-01-05", "", "6", "0", "0", "7"]
    assert rows[-1][0].startswith("Note:")
    # Another table of the report; an unknown one is a 400 with a reason.
    over = reverse("levelofcare:report_overrides_csv") + QUERY
    rows = list(
        csv.reader(io.StringIO(client.get(over + "&table=by_rule").content.decode()))
    )
    assert rows[0][0] == "Rule"
    bad = client.get(over + "&table=nope")
    assert bad.status_code == 400 and "by_rule" in bad.content.decode()


def _seed(n: int) -> None:
    """n clients with an intake (decided, placed) and a progress review each."""
    for i in range(n):
        client = ClientFactory()
        rec = _rec(at=WEEK1, level="iop", client=client, phq9=18, reasons=("PHQ9_IOP",))
        _decide(
            rec,
            at=WEEK1 + timedelta(hours=1),
            level="outpatient" if i % 2 else "iop",
            reason="not_available" if i % 2 else "",
            place=True,
        )
        later = _rec(
            at=WEEK1 + timedelta(weeks=4),
            level="outpatient",
            client=client,
            phq9=6,
            kind=Assessment.Kind.PROGRESS_REVIEW,
        )
        _decide(later, at=WEEK2, level="outpatient", place=True)


@pytest.mark.parametrize("slug", list(selectors.REPORTS))
@pytest.mark.django_db
def test_each_report_page_makes_the_same_number_of_queries_for_more_rows(
    client: Any, clinician: Any, criteria_admin: Any, slug: str
) -> None:
    url = reverse(f"levelofcare:report_{slug}") + QUERY
    csv_url = reverse(f"levelofcare:report_{slug}_csv") + QUERY
    client.force_login(criteria_admin)
    _seed(2)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
        assert client.get(csv_url).status_code == 200
    _seed(12)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
        client.get(csv_url)
    assert len(many.captured_queries) == len(few.captured_queries)
    # The report itself: a handful of SQL aggregate queries.
    with CaptureQueriesContext(connection) as report:
        selectors.REPORTS[slug](period=PERIOD)
    reads = [
        q
        for q in report.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE", "SET LOCAL"))
    ]
    assert len(reads) <= 4


@pytest.mark.django_db
def test_no_role_users_are_refused_and_anonymous_users_sent_to_sign_in(
    client: Any, no_role_user: Any
) -> None:
    url = reverse("levelofcare:report_volume")
    assert client.get(url).status_code == 302
    client.force_login(no_role_user)
    assert client.get(url).status_code == 403
    assert client.get(reverse("levelofcare:report_volume_csv")).status_code == 403


# --- the facts copied at submission agree with the recommendation ---------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "changes",
    [
        {},  # baseline: both instruments answered, outpatient
        {"phq9": [3, 3, 3, 2, 2, 2, 1, 1, 0], "gad7": [3, 3, 3, 2, 2, 2, 1]},
        {"phq9": ..., "gad7": ...},  # neither answered: no totals
    ],
)
def test_submission_copies_the_totals_and_rule_codes_it_stores(
    clinician: Any, changes: dict[str, Any]
) -> None:
    rec = submit_assessment(user=clinician, answer_dict=answers(**changes))
    rec.refresh_from_db()
    for key in ("phq9", "gad7"):
        entry = rec.scores.get(key)
        expected = None if not entry else entry["total"]
        assert getattr(rec, f"{key}_total") == expected
    if not changes:
        assert rec.phq9_total is not None and rec.gad7_total is not None
    copied = list(rec.reason_codes.order_by("position").values_list("code", flat=True))
    assert copied == [reason["code"] for reason in rec.reasons]
    if rec.level is not None:
        assert copied  # the rules that set the level


@pytest.mark.django_db
def test_the_back_fill_copies_the_facts_of_older_recommendations_once() -> None:
    from django.apps import apps

    migration = importlib.import_module(
        "levelofcare.migrations.0016_recommendation_report_facts"
    )
    older = _rec(at=WEEK1, phq9=18, gad7=None, reasons=("PHQ9_IOP", "GAD7_IOP"))
    # As written before the columns existed: no copies.
    Recommendation.objects.filter(pk=older.pk).update(phq9_total=None)
    RecommendationReason.objects.filter(recommendation=older).delete()
    for _ in range(2):  # idempotent: a second run changes nothing
        migration.fill_report_facts(apps, None)
    older.refresh_from_db()
    assert (older.phq9_total, older.gad7_total) == (18, None)
    assert list(
        older.reason_codes.order_by("position").values_list("position", "code")
    ) == [(0, "PHQ9_IOP"), (1, "GAD7_IOP")]
