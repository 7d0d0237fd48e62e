"""Audit scope cannot be widened silently: outside one's caseload a client's audit
trail opens only after a logged "break the glass" reason, for a limited time."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from intake.models import Client
from levelofcare.audit.selectors import BREAK_GLASS_MINUTES, audit_client_is_own
from levelofcare.models import BreakGlassAccess, ProgressReview
from levelofcare.progress.services import progress_review_reassign
from tests.factories import ClientFactory, DecisionFactory, ProgressReviewFactory

pytestmark = pytest.mark.django_db

AUDIT = reverse("levelofcare:audit_log")
BREAK_GLASS = reverse("levelofcare:break_glass")
BREAK_GLASS_LIST = reverse("levelofcare:break_glass_list")


@pytest.fixture
def theirs(clinician: Any) -> Client:
    """A client in `clinician`'s caseload (decided on), not in anyone else's."""
    return DecisionFactory(decided_by=clinician).recommendation.client


def _audit(http: HttpClient, person: Client) -> Any:
    return http.get(AUDIT, {"client": person.reference})


def _break(http: HttpClient, person: Client, reason: str) -> Any:
    return http.post(BREAK_GLASS, {"client": person.reference, "reason": reason})


def test_outside_the_caseload_the_trail_asks_for_a_reason_first(
    client: HttpClient, other_clinician: Any, theirs: Client
) -> None:
    client.force_login(other_clinician)
    response = _audit(client, theirs)
    assert response.status_code == 302
    assert response["Location"] == f"{BREAK_GLASS}?client={theirs.reference}"
    form = client.get(response["Location"])
    assert form.status_code == 200
    html = form.content.decode()
    assert f'value="{theirs.reference}"' in html
    assert "Why do you need this client" in html
    assert not BreakGlassAccess.objects.exists()


@pytest.mark.parametrize("reason", ["", "   "])
def test_access_is_refused_without_a_reason(
    client: HttpClient, other_clinician: Any, theirs: Client, reason: str
) -> None:
    client.force_login(other_clinician)
    response = _break(client, theirs, reason)
    assert response.status_code == 400
    assert not BreakGlassAccess.objects.exists()
    assert _audit(client, theirs).status_code == 302


def test_an_unknown_reference_is_refused_and_logs_nothing(
    client: HttpClient, other_clinician: Any
) -> None:
    client.force_login(other_clinician)
    response = client.post(BREAK_GLASS, {"client": "NO-SUCH", "reason": "Why not"})
    assert response.status_code == 400
    assert "No client has this reference" in response.content.decode()
    assert not BreakGlassAccess.objects.exists()


def test_the_reason_is_logged_and_shown_on_the_clients_trail(
    client: HttpClient, other_clinician: Any, theirs: Client
) -> None:
    client.force_login(other_clinician)
    response = _break(client, theirs, "Covering for Robin on call tonight")
    assert response.status_code == 302
    assert response["Location"] == f"{AUDIT}?client={theirs.reference}"
    access = BreakGlassAccess.objects.get()
    assert (access.user, access.client, access.reason) == (
        other_clinician,
        theirs,
        "Covering for Robin on call tonight",
    )
    assert (access.username, access.full_name) == (
        "sam",
        other_clinician.get_full_name(),
    )

    trail = _audit(client, theirs)
    assert trail.status_code == 200
    rows = [r for r in trail.context["rows"] if r.action == "break_glass"]
    assert [(r.username, r.reason, r.reference) for r in rows] == [
        ("sam", "Covering for Robin on call tonight", theirs.reference)
    ]
    html = trail.content.decode()
    assert "broke the glass" in html
    assert "Reason: Covering for Robin on call tonight" in html
    assert 'data-testid="break-glass-notice"' in html


def test_the_trail_closes_again_after_the_time_limit(
    client: HttpClient, other_clinician: Any, theirs: Client, settings: Any
) -> None:
    # The session's own idle timeout would sign the clinician out first.
    settings.SESSION_IDLE_MINUTES = 2 * BREAK_GLASS_MINUTES
    client.force_login(other_clinician)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        _break(client, theirs, "On call")
    limit = timedelta(minutes=BREAK_GLASS_MINUTES)
    with time_machine.travel(start + limit - timedelta(seconds=1), tick=False):
        assert _audit(client, theirs).status_code == 200
    with time_machine.travel(start + limit, tick=False):
        assert _audit(client, theirs).status_code == 302


def test_the_access_holds_only_in_the_session_that_gave_the_reason(
    client: HttpClient, other_clinician: Any, theirs: Client
) -> None:
    client.force_login(other_clinician)
    _break(client, theirs, "On call")
    elsewhere = HttpClient()
    elsewhere.force_login(other_clinician)
    assert _audit(elsewhere, theirs).status_code == 302


def test_the_access_opens_that_client_only(
    client: HttpClient, other_clinician: Any, theirs: Client, clinician: Any
) -> None:
    second = DecisionFactory(decided_by=clinician).recommendation.client
    client.force_login(other_clinician)
    _break(client, theirs, "On call")
    assert _audit(client, theirs).status_code == 200
    assert _audit(client, second).status_code == 302


def test_criteria_admins_list_every_break_glass_access(
    client: HttpClient, other_clinician: Any, theirs: Client, criteria_admin: Any
) -> None:
    client.force_login(other_clinician)
    _break(client, theirs, "Covering the weekend")
    assert client.get(BREAK_GLASS_LIST).status_code == 403

    client.force_login(criteria_admin)
    response = client.get(BREAK_GLASS_LIST)
    assert response.status_code == 200
    assert [
        (a.username, a.client.reference, a.reason) for a in response.context["page"]
    ] == [("sam", theirs.reference, "Covering the weekend")]
    html = response.content.decode()
    assert "Covering the weekend" in html
    # Criteria admins read references, never identities.
    assert theirs.given_name not in html and theirs.family_name not in html
    assert BREAK_GLASS_LIST in client.get(AUDIT).content.decode()


@pytest.mark.parametrize("persona", ["coordinator", "criteria_admin", "no_role_user"])
def test_only_clinicians_break_the_glass(
    client: HttpClient, request: pytest.FixtureRequest, persona: str, theirs: Client
) -> None:
    client.force_login(request.getfixturevalue(persona))
    assert client.get(BREAK_GLASS).status_code == 403
    assert _break(client, theirs, "Curious").status_code == 403
    assert not BreakGlassAccess.objects.exists()


def test_the_caseload_is_decisions_and_scheduled_reviews_only(
    clinician: Any, other_clinician: Any
) -> None:
    review = ProgressReviewFactory(assigned_to=other_clinician)
    reference = review.placement.client.reference
    assert audit_client_is_own(user=other_clinician, client_reference=reference)
    review.status = ProgressReview.Status.COMPLETED
    review.save()
    assert not audit_client_is_own(user=other_clinician, client_reference=reference)
    assert not audit_client_is_own(
        user=clinician, client_reference=ClientFactory().reference
    )


def test_taking_a_review_opens_the_trail_on_the_record_and_giving_it_back_closes_it(
    client: HttpClient, clinician: Any, other_clinician: Any
) -> None:
    """The old silent widening: reassign to oneself, read, reassign back."""
    review = ProgressReviewFactory(assigned_to=clinician)
    person = review.placement.client
    client.force_login(other_clinician)
    assert _audit(client, person).status_code == 302

    progress_review_reassign(
        review=review, assigned_to=other_clinician, by=other_clinician
    )
    assert _audit(client, person).status_code == 200
    progress_review_reassign(review=review, assigned_to=clinician, by=other_clinician)
    assert _audit(client, person).status_code == 302
    # Both moves stay on the record, and the clinician was told of the first.
    assert review.reassignments.count() == 2
    assert clinician.notifications.filter(kind="reassigned").count() == 1
