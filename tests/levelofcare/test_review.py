"""Clinician review: queue, accept/override, placements, immutability, audit."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from intake.models import RecordView
from levelofcare.errors import DecisionConflict, DecisionError
from levelofcare.models import AuthEvent, Decision, Placement, ProgressReview
from levelofcare.recommendations import services
from tests.concurrency import at_once
from tests.factories import PASSWORD, answers, submit_assessment

pytestmark = pytest.mark.django_db

INPATIENT = answers(harm_to_others="intent")
IOP = answers(phq9=[3, 3, 2, 2, 2, 2, 1, 1, 0])
HIGH_RISK = answers(
    cssrs={
        "wish_dead": True,
        "suicidal_thoughts": True,
        "method": True,
        "intent": True,
        "plan": False,
        "behavior_ever": False,
    }
)


@pytest.fixture
def as_clinician(client: HttpClient, clinician: Any) -> HttpClient:
    client.force_login(clinician)
    return client


def _decide(http: HttpClient, rec: Any, **data: str) -> Any:
    """POST a decision as the page would: based on the latest decision shown."""
    latest = rec.decisions.order_by("-decided_at", "-pk").first()
    data.setdefault("basis", str(latest.pk) if latest else "")
    return http.post(reverse("levelofcare:review", args=[rec.pk]), data)


def test_queue_orders_highest_level_then_oldest(
    as_clinician: HttpClient, coordinator: Any
) -> None:
    start = timezone.now() - timedelta(hours=10)
    made = {}
    for hours, name, data in (
        (0, "old-outpatient", answers()),
        (1, "iop-older", IOP),
        (2, "inpatient", INPATIENT),
        (3, "iop-newer", IOP),
        (4, "unknown", answers(cssrs=...)),
    ):
        with time_machine.travel(start + timedelta(hours=hours), tick=False):
            made[name] = submit_assessment(user=coordinator, answer_dict=data)
    response = as_clinician.get(reverse("levelofcare:review_queue"))
    order = [rec.pk for rec in response.context["page"].object_list]
    names = {rec.pk: name for name, rec in made.items()}
    assert [names[pk] for pk in order] == [
        "inpatient",
        "unknown",
        "iop-older",
        "iop-newer",
        "old-outpatient",
    ]
    only_iop = as_clinician.get(reverse("levelofcare:review_queue"), {"level": "iop"})
    assert {names[r.pk] for r in only_iop.context["page"].object_list} == {
        "iop-older",
        "iop-newer",
    }
    waited = as_clinician.get(reverse("levelofcare:review_queue"), {"waited": "9"})
    assert {names[r.pk] for r in waited.context["page"].object_list} == {
        "old-outpatient",
        "iop-older",
    }


def test_queue_uses_a_constant_number_of_queries(
    as_clinician: HttpClient, coordinator: Any, django_assert_max_num_queries: Any
) -> None:
    submit_assessment(user=coordinator, answer_dict=IOP)
    with django_assert_max_num_queries(20) as few:
        as_clinician.get(reverse("levelofcare:review_queue"))
    for _ in range(30):
        submit_assessment(user=coordinator, answer_dict=IOP)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = as_clinician.get(reverse("levelofcare:review_queue"))
    assert len(response.context["page"].object_list) == 25


def test_decided_recommendations_leave_the_queue(
    as_clinician: HttpClient, coordinator: Any
) -> None:
    rec = submit_assessment(user=coordinator, answer_dict=IOP)
    _decide(as_clinician, rec, action="accept")
    response = as_clinician.get(reverse("levelofcare:review_queue"))
    assert list(response.context["page"].object_list) == []


def test_accept_signs_a_decision_and_opens_a_placement_with_a_review(
    as_clinician: HttpClient, clinician: Any, coordinator: Any
) -> None:
    rec = submit_assessment(user=coordinator, answer_dict=IOP)
    response = _decide(as_clinician, rec, action="accept")
    assert response.status_code == 302
    decision = Decision.objects.get()
    assert (decision.kind, decision.level, decision.decided_by) == (
        "accept",
        "iop",
        clinician,
    )
    placement = Placement.objects.get()
    assert (placement.level, placement.ended_at, placement.decision) == (
        "iop",
        None,
        decision,
    )
    review = ProgressReview.objects.get()
    assert review.assigned_to == clinician
    assert review.due_at - placement.started_at == timedelta(days=7)


def test_override_requires_a_reason_and_a_rationale(
    as_clinician: HttpClient, coordinator: Any
) -> None:
    rec = submit_assessment(user=coordinator, answer_dict=IOP)
    response = _decide(as_clinician, rec, action="override", level="outpatient")
    assert response.status_code == 400
    html = response.content.decode()
    assert "Choose the reason for your decision." in html
    assert "Write a short rationale for your decision." in html
    assert not Decision.objects.exists()
    response = _decide(
        as_clinician,
        rec,
        action="override",
        level="outpatient",
        reason_code="client_preference",
        rationale="Works nights; prefers weekly.",
        program="Evening clinic",
    )
    assert response.status_code == 302
    decision = Decision.objects.get()
    assert (decision.kind, decision.level, decision.reason_code, decision.program) == (
        "override",
        "outpatient",
        "client_preference",
        "Evening clinic",
    )


def test_overriding_below_inpatient_needs_the_safety_confirmation(
    as_clinician: HttpClient, coordinator: Any
) -> None:
    rec = submit_assessment(user=coordinator, answer_dict=INPATIENT)
    data = {
        "action": "override",
        "level": "iop",
        "reason_code": "not_available",
        "rationale": "No bed; daily IOP with safety plan.",
    }
    response = _decide(as_clinician, rec, **data)
    assert response.status_code == 400
    assert (
        "Confirm that you have considered the safety criteria"
        in response.content.decode()
    )
    assert not Decision.objects.exists()
    response = _decide(as_clinician, rec, **data, safety_acknowledged="on")
    assert response.status_code == 302
    assert Decision.objects.get().safety_acknowledged is True


def test_insufficient_information_is_decided_with_a_reason(
    as_clinician: HttpClient, coordinator: Any
) -> None:
    rec = submit_assessment(user=coordinator, answer_dict=answers(cssrs=...))
    assert rec.level is None
    assert _decide(as_clinician, rec, action="accept").status_code == 400
    response = _decide(
        as_clinician,
        rec,
        action="override",
        level="iop",
        reason_code="clinical_judgement",
        rationale="Interviewed in person.",
    )
    assert response.status_code == 302
    assert Decision.objects.get().kind == "decided_without_recommendation"


def test_safety_flag_needs_the_clinician_to_open_the_review_first(
    clinician: Any, coordinator: Any
) -> None:
    rec = submit_assessment(user=coordinator, answer_dict=HIGH_RISK)
    assert rec.safety_flag and rec.level == "inpatient"
    with pytest.raises(DecisionError, match="open it and review it"):
        services.decision_record(recommendation=rec, user=clinician, level="inpatient")
    RecordView.objects.create(user=clinician, client=rec.client, view_name="review")
    decision = services.decision_record(
        recommendation=rec, user=clinician, level="inpatient"
    )
    assert decision.kind == "accept"


def test_safety_banner_on_queue_and_review_page(
    as_clinician: HttpClient, coordinator: Any
) -> None:
    rec = submit_assessment(user=coordinator, answer_dict=HIGH_RISK)
    queue = as_clinician.get(reverse("levelofcare:review_queue")).content.decode()
    assert 'data-testid="queue-safety-banner"' in queue
    page = as_clinician.get(
        reverse("levelofcare:review", args=[rec.pk])
    ).content.decode()
    assert 'data-testid="safety-banner"' in page


def test_decisions_are_immutable_and_corrections_reference_them(
    as_clinician: HttpClient, other_clinician: Any, coordinator: Any
) -> None:
    rec = submit_assessment(user=coordinator, answer_dict=IOP)
    _decide(as_clinician, rec, action="accept")
    first = Decision.objects.get()
    with pytest.raises(DecisionConflict):
        services.decision_record(recommendation=rec, user=other_clinician, level="iop")
    response = _decide(
        as_clinician,
        rec,
        action="override",
        level="outpatient",
        reason_code="other",
        rationale="Wrong level entered: corrected.",
    )
    assert response.status_code == 302
    correction = Decision.objects.exclude(pk=first.pk).get()
    assert correction.corrects == first
    first.refresh_from_db()
    assert (first.level, first.kind) == ("iop", "accept")
    old, new = Placement.objects.order_by("started_at", "pk")
    assert (old.level, old.ended_at is None) == ("iop", False)
    assert (new.level, new.ended_at is None) == ("outpatient", True)


def test_new_decision_closes_the_previous_placement_in_the_same_transaction(
    clinician: Any, coordinator: Any
) -> None:
    first = submit_assessment(user=coordinator, answer_dict=INPATIENT)
    RecordView.objects.create(user=clinician, client=first.client, view_name="review")
    services.decision_record(recommendation=first, user=clinician, level="inpatient")
    second = submit_assessment(user=coordinator, client=first.client, answer_dict=IOP)
    services.decision_record(recommendation=second, user=clinician, level="iop")
    old, new = Placement.objects.order_by("started_at", "pk")
    assert old.level == "inpatient" and old.ended_at is not None
    assert new.level == "iop" and new.ended_at is None
    assert old.reviews.get().status == ProgressReview.Status.CANCELLED
    assert new.reviews.get().status == ProgressReview.Status.SCHEDULED


def test_history_rows_record_who_changed_what(
    as_clinician: HttpClient, clinician: Any, coordinator: Any
) -> None:
    rec = submit_assessment(user=coordinator, answer_dict=IOP)
    _decide(as_clinician, rec, action="accept")
    decision = Decision.objects.get()
    assert decision.history.get().history_user == clinician
    assert Placement.objects.get().history.get().history_user == clinician


def test_sign_in_sign_out_and_failures_are_audited(
    client: HttpClient, coordinator: Any
) -> None:
    client.post(reverse("login"), {"username": "casey", "password": "nope"})
    client.post(reverse("login"), {"username": "casey", "password": PASSWORD})
    client.post(reverse("logout"))
    kinds = list(AuthEvent.objects.order_by("at", "pk").values_list("kind", "username"))
    assert kinds == [("login_failed", "casey"), ("login", "casey"), ("logout", "casey")]


def test_audit_page_filters_by_client_user_and_date(
    client: HttpClient, criteria_admin: Any, clinician: Any, coordinator: Any
) -> None:
    rec = submit_assessment(user=coordinator, answer_dict=IOP)
    other = submit_assessment(user=coordinator, answer_dict=IOP)
    RecordView.objects.create(user=clinician, client=rec.client, view_name="review")
    client.force_login(criteria_admin)
    url = reverse("levelofcare:audit_log")
    rows = client.get(url, {"client": rec.client.reference}).context["page"].object_list
    assert rows and {row[5] for row in rows} == {rec.client.reference}
    assert (
        other.client.reference
        not in client.get(url, {"client": rec.client.reference}).content.decode()
    )
    rows = client.get(url, {"user": "robin"}).context["page"].object_list
    assert [(row[2], row[3]) for row in rows] == [("viewed", "review")]
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    assert not client.get(url, {"from": tomorrow}).context["page"].object_list


def test_clinicians_read_the_audit_of_their_own_clients_only(
    client: HttpClient, clinician: Any, other_clinician: Any, coordinator: Any
) -> None:
    rec = submit_assessment(user=coordinator, answer_dict=IOP)
    services.decision_record(recommendation=rec, user=clinician, level="iop")
    url = reverse("levelofcare:audit_log")
    client.force_login(clinician)
    assert client.get(url, {"client": rec.client.reference}).status_code == 200
    assert client.get(url).status_code == 403
    client.force_login(other_clinician)
    # Outside the caseload: only after a reason (tests/levelofcare/test_break_glass).
    response = client.get(url, {"client": rec.client.reference})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("levelofcare:break_glass"))


@pytest.mark.parametrize("persona", ["coordinator", "criteria_admin", "no_role_user"])
def test_only_clinicians_decide(
    client: HttpClient, request: pytest.FixtureRequest, persona: str, coordinator: Any
) -> None:
    rec = submit_assessment(user=coordinator, answer_dict=IOP)
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("levelofcare:review_queue")).status_code == 403
    assert client.get(reverse("levelofcare:review", args=[rec.pk])).status_code == 403
    assert _decide(client, rec, action="accept").status_code == 403
    assert not Decision.objects.exists()


def test_coordinators_cannot_read_the_audit_log(
    client: HttpClient, coordinator: Any
) -> None:
    client.force_login(coordinator)
    assert client.get(reverse("levelofcare:audit_log")).status_code == 403


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_clinicians_deciding_at_once_record_exactly_one_decision(
    clinician: Any, other_clinician: Any, coordinator: Any
) -> None:
    rec = submit_assessment(user=coordinator, answer_dict=IOP)

    def decide(user: Any, level: str) -> str:
        extra = {} if level == "iop" else {"reason_code": "other", "rationale": "x"}
        try:
            services.decision_record(
                recommendation=rec, user=user, level=level, **extra
            )
        except DecisionConflict as conflict:
            return f"lost to {conflict.winner.decided_by.username}"
        return "won"

    outcomes = at_once(
        lambda: decide(clinician, "iop"), lambda: decide(other_clinician, "outpatient")
    )
    assert Decision.objects.count() == 1
    assert Placement.objects.count() == 1
    winner = Decision.objects.get().decided_by.username
    assert sorted(outcomes) == sorted(["won", f"lost to {winner}"])


def test_losing_clinician_sees_a_clear_message_and_the_winning_decision(
    client: HttpClient, clinician: Any, other_clinician: Any, coordinator: Any
) -> None:
    rec = submit_assessment(user=coordinator, answer_dict=IOP)
    services.decision_record(recommendation=rec, user=clinician, level="iop")
    client.force_login(other_clinician)
    response = _decide(client, rec, action="accept", basis="")  # opened before
    page = client.get(response["Location"]).content.decode()
    assert "decided first" in page and "Your decision was not recorded" in page
    assert Decision.objects.count() == 1


def test_audit_rows_cannot_be_edited_or_deleted_from_admin(
    client: HttpClient, criteria_admin: Any
) -> None:
    from django.contrib import admin

    from intake.models import Assessment, Client

    audit_models = [
        AuthEvent,
        RecordView,
        *(m.history.model for m in (Client, Assessment, Decision, Placement)),
    ]
    for model in audit_models:
        assert not admin.site.is_registered(model), model
    # Criteria history is readable in admin, but nothing can be reverted from it.
    from django.conf import settings

    assert settings.SIMPLE_HISTORY_REVERT_DISABLED is True
    client.force_login(criteria_admin)
    response = client.get(reverse("admin:levelofcare_criteriaset_history", args=[1]))
    assert response.status_code == 200
    assert "Revert" not in response.content.decode()
