"""Score trends on the client page: the selector (one query), the page (the chart,
the data table, the flags in words) and the progress review's change lines."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from intake.models import Assessment, Client
from levelofcare.models import Decision, Recommendation
from levelofcare.recommendations.selectors import client_score_trends
from tests.factories import (
    AssessmentFactory,
    ClientFactory,
    DecisionFactory,
    PlacementFactory,
    ProgressReviewFactory,
    RecommendationFactory,
)

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 3, 10, 0, tzinfo=timezone.get_fixed_timezone(0))


def _scores(phq9: int | None, gad7: int | None) -> dict[str, Any]:
    return {
        "phq9": None if phq9 is None else {"total": phq9, "band": "x"},
        "gad7": None if gad7 is None else {"total": gad7, "band": "x"},
        "cssrs_risk": "none",
    }


def _assessed(
    person: Client,
    *,
    days: int,
    phq9: int | None,
    gad7: int | None = None,
    kind: str = Assessment.Kind.PROGRESS_REVIEW,
    level: str | None = "iop",
    decided: str | None = None,
    **assessment: Any,
) -> Recommendation:
    """A submitted assessment `days` after START with its recommendation (and a
    decision at `decided`)."""
    at = START + timedelta(days=days)
    rec = RecommendationFactory(
        assessment=AssessmentFactory(
            client=person,
            kind=kind,
            submitted_at=at,
            submitted_by=person.created_by,
            created_at=at,
            **assessment,
        ),
        level=level,
        scores=_scores(phq9, gad7),
    )
    if decided:
        DecisionFactory(recommendation=rec, level=decided, decided_at=at)
    return rec


@pytest.fixture
def episode() -> Client:
    """Intake PHQ-9 17 / GAD-7 12 (decided IOP), then reviews: 12 / 12 (decided
    IOP), a voided one, a draft, and 8 / 11 (recommended outpatient, undecided)."""
    person = ClientFactory()
    _assessed(
        person,
        days=0,
        phq9=17,
        gad7=12,
        kind=Assessment.Kind.INTAKE,
        decided="iop",
    )
    _assessed(person, days=21, phq9=12, gad7=12, decided="iop")
    _assessed(
        person,
        days=30,
        phq9=2,
        gad7=2,
        voided_at=START + timedelta(days=31),
        voided_by=person.created_by,
        void_reason="Entered in error",
    )
    AssessmentFactory(client=person, status=Assessment.Status.DRAFT)
    _assessed(person, days=42, phq9=8, gad7=11, level="outpatient")
    return person


def test_trend_rows_carry_totals_bands_levels_and_change_from_baseline(
    episode: Client,
) -> None:
    phq9, gad7 = client_score_trends(client=episode)
    assert (phq9.key, gad7.key) == ("phq9", "gad7")
    assert [
        (r.on.isoformat(), r.total, r.band, r.level, r.decided) for r in phq9.rows
    ] == [
        ("2026-03-03", 17, "moderately severe", "iop", True),
        ("2026-03-24", 12, "moderate", "iop", True),
        ("2026-04-14", 8, "mild", "outpatient", False),
    ]
    assert [r.change.describe() if r.change else None for r in phq9.rows] == [
        None,
        "PHQ-9 17 → 12 (−29%, better)",
        "PHQ-9 17 → 8 (−53%, response)",
    ]
    assert [r.change.describe() if r.change else None for r in gad7.rows] == [
        None,
        "GAD-7 12 → 12 (no change)",
        "GAD-7 12 → 11 (no change)",
    ]
    assert phq9.chart.summary == "PHQ-9 from 17 on 3 Mar to 8 on 14 Apr; response"
    assert 'role="img"' in phq9.svg
    assert phq9.svg.count('class="chart-point"') == 3


def test_a_correction_decides_the_level_and_a_new_intake_starts_a_new_baseline() -> (
    None
):
    person = ClientFactory()
    first = _assessed(
        person, days=0, phq9=20, kind=Assessment.Kind.INTAKE, decided="iop"
    )
    original = Decision.objects.get(recommendation=first)
    DecisionFactory(
        recommendation=first,
        level="inpatient",
        corrects=original,
        decided_at=START + timedelta(hours=1),
    )
    _assessed(person, days=7, phq9=9)
    _assessed(person, days=60, phq9=14, kind=Assessment.Kind.INTAKE, level=None)
    _assessed(person, days=67, phq9=6)
    (phq9,) = client_score_trends(client=person)
    assert [(r.level, r.decided) for r in phq9.rows] == [
        ("inpatient", True),
        ("iop", False),
        ("none", False),
        ("iop", False),
    ]
    assert [r.change.describe() if r.change else None for r in phq9.rows] == [
        None,
        "PHQ-9 20 → 9 (−55%, response)",
        None,  # a new intake: a new episode, its own baseline
        "PHQ-9 14 → 6 (−57%, response)",
    ]
    assert phq9.rows[2].level_label == "Insufficient information"


def test_an_instrument_never_answered_has_no_trend() -> None:
    person = ClientFactory()
    _assessed(person, days=0, phq9=None, gad7=9, kind=Assessment.Kind.INTAKE)
    assert [t.key for t in client_score_trends(client=person)] == ["gad7"]
    assert client_score_trends(client=ClientFactory()) == []


def test_trends_take_one_query_whatever_the_number_of_assessments(
    django_assert_num_queries: Any,
) -> None:
    person = ClientFactory()
    _assessed(person, days=0, phq9=17, gad7=12, kind=Assessment.Kind.INTAKE)
    with django_assert_num_queries(1):
        assert len(client_score_trends(client=person)[0].rows) == 1
    for day in range(1, 20):
        _assessed(person, days=day * 7, phq9=17 - day % 10, gad7=9, decided="iop")
    with django_assert_num_queries(1):
        assert len(client_score_trends(client=person)[0].rows) == 20


# --- the client page ------------------------------------------------------------


@pytest.fixture
def as_clinician(client: HttpClient, clinician: Any) -> HttpClient:
    client.force_login(clinician)
    return client


def _text(html: str) -> str:
    """The words of `html`, tags as spaces (none before punctuation)."""
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()
    return re.sub(r" ([.,;)])", r"\1", text)


def test_client_page_shows_the_charts_the_data_table_and_the_flags_in_words(
    as_clinician: HttpClient, episode: Client
) -> None:
    response = as_clinician.get(reverse("levelofcare:client_detail", args=[episode.pk]))
    html = response.content.decode()
    section = html.split('data-testid="score-trends"', 1)[1].split("</section>")[0]
    phq9 = section.split('data-testid="trend-phq9"')[1].split(
        'data-testid="trend-gad7"'
    )[0]
    flags = _text(phq9.split('data-testid="trend-flags">')[1].split("</p>")[0])
    assert flags == (
        "Latest PHQ-9: 8 (mild) on 14 Apr 2026. PHQ-9 17 → 8 (−53%, response). "
        "Response: yes. Remission: no."
    )
    assert (
        '<svg xmlns="http://www.w3.org/2000/svg" class="trend-chart" id="trend-phq9"'
        in phq9
    )
    assert "PHQ-9 from 17 on 3 Mar to 8 on 14 Apr; response" in phq9
    rows = [
        _text(row)
        for row in phq9.split("<tbody>")[1].split("</tbody>")[0].split("</tr>")[:-1]
    ]
    assert rows == [
        "3 Mar 2026 (intake) 17 moderately severe IOP (intensive outpatient) baseline",
        "24 Mar 2026 (progress review) 12 moderate IOP (intensive outpatient) "
        "PHQ-9 17 → 12 (−29%, better)",
        "14 Apr 2026 (progress review) 8 mild Outpatient (recommended, not decided) "
        "PHQ-9 17 → 8 (−53%, response)",
    ]
    gad7 = section.split('data-testid="trend-gad7"')[1]
    assert _text(gad7.split('data-testid="trend-flags">')[1].split("</p>")[0]) == (
        "Latest GAD-7: 11 (moderate) on 14 Apr 2026. GAD-7 12 → 11 (no change). "
        "Response: no. Remission: no."
    )
    # The voided assessment's totals (2) appear nowhere.
    assert "2 minimal" not in _text(section)


def test_client_page_escapes_nothing_twice_and_says_when_there_are_no_scores(
    as_clinician: HttpClient,
) -> None:
    person = ClientFactory()
    response = as_clinician.get(reverse("levelofcare:client_detail", args=[person.pk]))
    html = response.content.decode()
    assert 'data-testid="trends-none"' in html
    assert (
        "<svg" not in html.split('data-testid="score-trends"')[1].split("</section>")[0]
    )


def test_client_page_queries_stay_constant_with_more_assessments(
    as_clinician: HttpClient, django_assert_max_num_queries: Any
) -> None:
    person = ClientFactory()
    _assessed(person, days=0, phq9=17, gad7=12, kind=Assessment.Kind.INTAKE)
    url = reverse("levelofcare:client_detail", args=[person.pk])
    with django_assert_max_num_queries(40) as few:
        as_clinician.get(url)
    for day in range(1, 20):
        _assessed(person, days=day * 7, phq9=9, gad7=9, decided="iop")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = as_clinician.get(url)
    assert response.content.decode().count('class="chart-point"') == 40


# --- the progress review page: change from the episode's baseline ------------------


def test_progress_review_page_shows_the_change_next_to_the_verdict(
    as_clinician: HttpClient,
) -> None:
    person = ClientFactory()
    intake = _assessed(
        person, days=0, phq9=17, gad7=12, kind=Assessment.Kind.INTAKE, decided="iop"
    )
    placement = PlacementFactory(
        client=person, level="iop", decision=Decision.objects.get(recommendation=intake)
    )
    review = ProgressReviewFactory(placement=placement)
    # An earlier review in the same episode does not move the baseline.
    _assessed(person, days=14, phq9=15, gad7=14, decided="iop")
    now = _assessed(person, days=42, phq9=8, gad7=11, level="outpatient")
    from levelofcare.models import ProgressReviewAssessment

    ProgressReviewAssessment.objects.create(
        progress_review=review, assessment=now.assessment
    )
    response = as_clinician.get(reverse("levelofcare:review", args=[now.pk]))
    html = response.content.decode()
    comparison = html.split('data-testid="comparison"')[1].split("</section>")[0]
    assert "Step down" in comparison
    lines = [
        _text(part.split("</li>")[0])
        for part in comparison.split('data-testid="score-change">')[1:]
    ]
    assert lines == [
        "PHQ-9 17 → 8 (−53%, response)",
        "GAD-7 12 → 11 (no change)",
    ]


def test_the_demo_client_shows_a_trend_with_a_response(
    coordinator: Any, clinician: Any
) -> None:
    from locatr.management.commands.create_demo_data import (
        DEMO_CLIENTS,
        demo_client_seed,
    )

    demo = next(d for d in DEMO_CLIENTS if d.reference == "DEMO-006")
    assert demo_client_seed(demo, coordinator=coordinator, clinician=clinician)
    person = Client.objects.get(reference="DEMO-006")
    phq9, gad7 = client_score_trends(client=person)
    assert [(r.total, r.level, r.decided) for r in phq9.rows] == [
        (18, "iop", True),
        (15, "iop", True),
        (11, "outpatient", True),
        (7, "outpatient", False),
    ]
    assert phq9.rows[-1].change.describe() == "PHQ-9 18 → 7 (−61%, response)"
    assert gad7.rows[-1].change.describe() == "GAD-7 16 → 6 (−62%, response)"
    assert [r.on for r in phq9.rows] == sorted(r.on for r in phq9.rows)
