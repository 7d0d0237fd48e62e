"""The home dashboard per role: counts against hand-built data, a constant number
of queries, and each tile's link leading to a list of exactly those rows."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from intake.models import Assessment, Client
from levelofcare.dashboards.selectors import (
    dashboard_clinician,
    dashboard_coordinator,
    dashboard_criteria_admin,
)
from levelofcare.models import Decision, OutboxEmail, Recommendation
from tests.factories import (
    AssessmentFactory,
    ClientFactory,
    DecisionFactory,
    PlacementFactory,
    ProgressReviewFactory,
    RecommendationFactory,
)

pytestmark = pytest.mark.django_db


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html)).strip()


def _tile(html: str, testid: str) -> str:
    """The words of the element marked `data-testid="<testid>"` (up to its end)."""
    after = html.split(f'data-testid="{testid}"', 1)[1]
    return _text(after.split(">", 1)[1].split("</p>")[0].split("</li>")[0])


def _link(html: str, testid: str) -> str:
    after = html.split(f'data-testid="{testid}"', 1)[1]
    return re.search(r'href="([^"]+)"', after).group(1).replace("&amp;", "&")


def _references(html: str) -> list[str]:
    """Client references in the client list's table, in order."""
    return re.findall(r'<td><a href="/clients/\d+/">([^<]+)</a></td>', html)


def _recommendation(
    *, days_ago: float = 0, safety_flag: bool = False, **kwargs: Any
) -> Recommendation:
    at = timezone.now() - timedelta(days=days_ago)
    person = kwargs.pop("client", None) or ClientFactory()
    return RecommendationFactory(
        assessment=AssessmentFactory(
            client=person,
            submitted_at=at,
            submitted_by=person.created_by,
            created_at=at,
        ),
        created_at=at,
        safety_flag=safety_flag,
        **kwargs,
    )


# --- coordinator -------------------------------------------------------------------


@pytest.fixture
def intake_day() -> dict[str, Client]:
    """A: a draft; B: submitted today, undecided; C: submitted yesterday and
    decided; D: submitted 3 days ago, undecided; E: submitted today but voided."""
    a = ClientFactory(reference="MRN-A")
    AssessmentFactory(client=a, status=Assessment.Status.DRAFT)
    b = _recommendation(client=ClientFactory(reference="MRN-B")).client
    c = _recommendation(client=ClientFactory(reference="MRN-C"), days_ago=1)
    DecisionFactory(recommendation=c)
    d = _recommendation(client=ClientFactory(reference="MRN-D"), days_ago=3).client
    e = _recommendation(client=ClientFactory(reference="MRN-E"))
    Assessment.objects.filter(pk=e.assessment_id).update(
        voided_at=timezone.now(), voided_by=e.client.created_by, void_reason="error"
    )
    return {"a": a, "b": b, "c": c.client, "d": d, "e": e.client}


def test_coordinator_counts_drafts_submitted_today_and_waiting(
    intake_day: dict[str, Client], django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(1):
        counts = dashboard_coordinator()
    # E's assessment was submitted today: it counts as submitted (voided later),
    # never as waiting.
    assert (counts.drafts, counts.today, counts.waiting) == (1, 2, 2)


def test_coordinator_tiles_link_to_lists_of_exactly_those_clients(
    client: HttpClient, coordinator: Any, intake_day: dict[str, Client]
) -> None:
    client.force_login(coordinator)
    html = client.get(reverse("home")).content.decode()
    assert _tile(html, "tile-drafts").endswith(
        "1 client with an assessment draft in progress"
    )
    assert _tile(html, "tile-today").endswith(
        "2 clients with an assessment submitted today"
    )
    assert _tile(html, "tile-waiting-clients").endswith(
        "2 clients with a recommendation waiting for a clinician’s decision"
    )
    assert "dashboard-clinician" not in html
    assert "dashboard-criteria-admin" not in html
    expected = {
        "tile-drafts": ["MRN-A"],
        "tile-today": ["MRN-B", "MRN-E"],
        "tile-waiting-clients": ["MRN-B", "MRN-D"],
    }
    for tile, references in expected.items():
        url = _link(html, tile)
        assert "?show=" in url
        listed = client.get(url).content.decode()
        assert sorted(_references(listed)) == references, tile


def test_coordinator_dashboard_queries_stay_constant(
    client: HttpClient, coordinator: Any, django_assert_max_num_queries: Any
) -> None:
    client.force_login(coordinator)
    _recommendation()
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("home"))
    for i in range(15):
        rec = _recommendation(days_ago=i % 3)
        AssessmentFactory(client=rec.client, status=Assessment.Status.DRAFT)
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get(reverse("home")).content.decode()
    assert _tile(html, "tile-drafts").endswith(
        "15 clients with an assessment draft in progress"
    )


# --- clinician ----------------------------------------------------------------------


@pytest.fixture
def clinic(clinician: Any, other_clinician: Any) -> dict[str, Any]:
    now = timezone.now()
    flagged = _recommendation(safety_flag=True, client=ClientFactory(reference="MRN-F"))
    _recommendation(client=ClientFactory(reference="MRN-N"))
    DecisionFactory(recommendation=_recommendation(safety_flag=True))
    # The clinician's caseload: two at IOP, one inpatient; one ended placement and
    # one of the other clinician's aside.
    mine = {}
    for ref, level, due in (
        ("MRN-IOP-1", "iop", now - timedelta(hours=3)),  # overdue
        ("MRN-IOP-2", "iop", now + timedelta(hours=2)),  # due soon
        ("MRN-IP-1", "inpatient", now + timedelta(days=30)),  # not due yet
    ):
        placement = PlacementFactory(
            level=level,
            decision__recommendation__assessment__client=ClientFactory(reference=ref),
        )
        mine[ref] = ProgressReviewFactory(
            placement=placement, due_at=due, assigned_to=clinician
        )
    ended = PlacementFactory(ended_at=now)
    ProgressReviewFactory(
        placement=ended, due_at=now - timedelta(days=1), assigned_to=clinician
    )
    ProgressReviewFactory(due_at=now - timedelta(days=1), assigned_to=other_clinician)
    return {"flagged": flagged, "mine": mine}


def test_clinician_counts_the_queue_reviews_and_caseload(
    clinician: Any, clinic: dict[str, Any], django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(2):
        counts = dashboard_clinician(user=clinician)
    assert (counts.waiting, counts.waiting_flagged) == (2, 1)
    # The ended placement's review still counts as due: the due list shows it too.
    assert (counts.due, counts.overdue) == (3, 2)
    assert counts.caseload == {"inpatient": 1, "iop": 2, "outpatient": 0}
    assert counts.caseload_total == 3


def test_clinician_tiles_link_to_lists_of_exactly_those_rows(
    client: HttpClient, clinician: Any, clinic: dict[str, Any]
) -> None:
    client.force_login(clinician)
    html = client.get(reverse("home")).content.decode()
    assert _tile(html, "tile-queue-flagged") == "Safety: 1 waiting with a safety flag"
    assert _tile(html, "tile-queue-all") == (
        "2 recommendations waiting for a decision in all"
    )
    assert _tile(html, "tile-reviews-due") == "3 due within 24 hours or overdue"
    assert _tile(html, "tile-reviews-overdue") == "2 overdue"
    assert _tile(html, "tile-caseload-iop") == "2 at IOP"
    assert _tile(html, "tile-caseload-inpatient") == "1 at inpatient"
    assert _tile(html, "tile-caseload-outpatient") == "0 at outpatient"

    queue = client.get(_link(html, "tile-queue-flagged")).content.decode()
    assert queue.count('data-testid="queue-row"') == 1
    assert "MRN-F" in queue and "MRN-N" not in queue
    due = client.get(_link(html, "tile-reviews-due")).content.decode()
    assert due.count('<tr id="review-') == 3
    overdue = client.get(_link(html, "tile-reviews-overdue")).content.decode()
    assert overdue.count('<tr id="review-') == 2
    assert "MRN-IOP-1" in overdue and "MRN-IOP-2" not in overdue
    iop = client.get(_link(html, "tile-caseload-iop")).content.decode()
    assert sorted(_references(iop)) == ["MRN-IOP-1", "MRN-IOP-2"]
    assert "currently at IOP" in _text(iop)


def test_clinician_dashboard_queries_stay_constant(
    client: HttpClient, clinician: Any, django_assert_max_num_queries: Any
) -> None:
    client.force_login(clinician)
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("home"))
    now = timezone.now()
    for i in range(10):
        _recommendation(safety_flag=i % 2 == 0)
        ProgressReviewFactory(
            placement=PlacementFactory(level="iop"),
            due_at=now - timedelta(hours=i),
            assigned_to=clinician,
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get(reverse("home")).content.decode()
    assert _tile(html, "tile-caseload-iop") == "10 at IOP"


# --- criteria admin -----------------------------------------------------------------


def _decided(kind: str, code: str = "", *, days_ago: int = 1, **kwargs: Any) -> Any:
    reasons = [{"code": code, "text": "", "values": {}}] if code else []
    return DecisionFactory(
        recommendation=_recommendation(reasons=reasons),
        kind=kind,
        decided_at=timezone.now() - timedelta(days=days_ago),
        **kwargs,
    )


@pytest.fixture
def decisions() -> None:
    for _ in range(3):
        _decided(Decision.Kind.ACCEPT, "PHQ9_IOP")
    _decided(Decision.Kind.OVERRIDE, "GAD7_IOP", reason_code="client_preference")
    _decided(Decision.Kind.OVERRIDE, "GAD7_IOP", reason_code="client_preference")
    first = _decided(Decision.Kind.OVERRIDE, "PHQ9_IOP", reason_code="access")
    # Aside: a correction, a decision without a recommendation, an old override.
    DecisionFactory(
        recommendation=first.recommendation,
        kind=Decision.Kind.OVERRIDE,
        corrects=first,
        level="inpatient",
    )
    _decided(Decision.Kind.DECIDED_WITHOUT_RECOMMENDATION)
    _decided(Decision.Kind.OVERRIDE, "PHQ9_IOP", days_ago=40)
    for failed in (True, True, False):
        OutboxEmail.objects.create(
            to_address="someone@clinic.test",
            subject="Reviews due",
            body="-",
            failed_at=timezone.now() if failed else None,
            sent_at=None if failed else timezone.now(),
        )


@pytest.mark.usefixtures("decisions")
def test_criteria_admin_counts_overrides_top_rule_and_failed_emails(
    django_assert_num_queries: Any,
) -> None:
    with django_assert_num_queries(2):
        counts = dashboard_criteria_admin()
    assert (counts.decisions, counts.overrides) == (6, 3)
    assert counts.override_percent == 50
    assert counts.top_rule is not None
    assert (counts.top_rule.code, counts.top_rule.overrides) == ("GAD7_IOP", 2)
    assert counts.failed_emails == 2


@pytest.mark.usefixtures("decisions")
def test_criteria_admin_tiles_say_both_counts_and_link_onwards(
    client: HttpClient, criteria_admin: Any
) -> None:
    client.force_login(criteria_admin)
    html = client.get(reverse("home")).content.decode()
    assert _tile(html, "tile-override-rate").endswith(
        "50% of decisions overridden: 3 overrides of 6 decisions"
    )
    assert _link(html, "tile-override-rate") == "/reports/overrides/"
    top = html.split('data-testid="tile-top-rule"')[1].split("</p>")[0]
    assert "/criteria/?version=1#rule-GAD7_IOP" in top
    assert "the top reason of 2 overridden recommendations" in _text(top)
    assert _tile(html, "tile-failed-emails").endswith(
        "2 reminder emails failed after every retry"
    )
    failed_url = _link(html, "tile-failed-emails")
    assert failed_url == (
        reverse("admin:levelofcare_outboxemail_changelist") + "?status=failed"
    )
    listed = client.get(failed_url).content.decode()
    rows = listed.split('id="result_list"')[1].split("</tbody>")[0]
    assert rows.count("someone@clinic.test") == 2
    assert "sent" not in _text(rows).split()
    assert "dashboard-coordinator" not in html


def test_criteria_admin_dashboard_with_no_decisions_says_so(
    client: HttpClient, criteria_admin: Any, django_assert_max_num_queries: Any
) -> None:
    client.force_login(criteria_admin)
    with django_assert_max_num_queries(20) as few:
        html = client.get(reverse("home")).content.decode()
    assert _tile(html, "tile-override-rate").endswith(
        "No decisions on a recommendation in the last 30 days"
    )
    assert "No overrides in the last 30 days." in html
    for _ in range(10):
        _decided(Decision.Kind.OVERRIDE, "PHQ9_IOP")
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get(reverse("home")).content.decode()
    assert "100% of decisions overridden" in _text(html)


# --- the lists' new filters refuse bad values ----------------------------------------


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/clients/?show=everything", "“show” must be one of"),
        ("/clients/?level=detox", "“level” must be one of"),
        ("/clients/?show=drafts%00", "“show” must be one of"),
        ("/reviews/?flag=red", "“flag” must be “safety”"),
        ("/progress-reviews/due/?status=late", "“status” must be “overdue”"),
    ],
)
def test_bad_filter_values_get_a_400_with_a_reason(
    client: HttpClient, clinician: Any, url: str, message: str
) -> None:
    client.force_login(clinician)
    response = client.get(url)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_the_mine_filter_of_another_user_shows_none_of_mine(
    client: HttpClient, clinician: Any, other_clinician: Any
) -> None:
    ProgressReviewFactory(
        placement=PlacementFactory(
            decision__recommendation__assessment__client=ClientFactory(
                reference="MRN-MINE"
            )
        ),
        assigned_to=clinician,
    )
    client.force_login(other_clinician)
    html = client.get("/clients/?show=mine").content.decode()
    assert _references(html) == []
    client.force_login(clinician)
    assert _references(client.get("/clients/?show=mine").content.decode()) == [
        "MRN-MINE"
    ]
