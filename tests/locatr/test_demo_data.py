from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone

from intake.models import Assessment, Client
from levelofcare.models import Decision, Placement, ProgressReview, Recommendation
from levelofcare.recommendations.selectors import recommendations_waiting
from locatr.roles import CLINICIANS, COORDINATORS, CRITERIA_ADMINS

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def _snapshot() -> list[tuple[int, str, bool, list[str]]]:
    users = get_user_model().objects.order_by("username").prefetch_related("groups")
    return [
        (u.pk, u.username, u.is_staff, sorted(g.name for g in u.groups.all()))
        for u in users
    ]


def test_create_demo_data_twice_gives_the_same_users() -> None:
    call_command("create_demo_data", password="demo-pass-long-1", force=True)
    first = _snapshot()
    call_command("create_demo_data", password="demo-pass-long-1", force=True)
    assert _snapshot() == first
    assert [(name, staff, groups) for _, name, staff, groups in first] == [
        ("clinician", False, [CLINICIANS]),
        ("coordinator", False, [COORDINATORS]),
        ("criteria-admin", True, [CRITERIA_ADMINS]),
    ]
    user = get_user_model().objects.get(username="clinician")
    assert user.check_password("demo-pass-long-1")


def test_create_demo_data_refuses_without_debug_unless_forced() -> None:
    with pytest.raises(CommandError, match="DEBUG off"):
        call_command("create_demo_data", password="demo-pass-long-1")
    assert not get_user_model().objects.exists()


def test_create_demo_data_needs_a_password(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(CommandError, match="No demo password"):
        call_command("create_demo_data", password="", force=True)


# --- demo clients -----------------------------------------------------------------


def _clients_snapshot() -> list[tuple[Any, ...]]:
    return [
        (
            c.reference,
            c.given_name,
            c.family_name,
            c.assessments.count(),
            Recommendation.objects.filter(client=c).count(),
            Decision.objects.filter(recommendation__client=c).count(),
            list(
                ProgressReview.objects.filter(placement__client=c)
                .order_by("pk")
                .values_list("status", "due_at")
            ),
        )
        for c in Client.objects.order_by("reference")
    ]


def _latest(reference: str) -> Recommendation:
    return Recommendation.objects.filter(client__reference=reference).latest(
        "created_at"
    )


def test_demo_clients_cover_the_listed_cases() -> None:
    call_command("create_demo_data", password="demo-pass-long-1", force=True)
    references = list(Client.objects.values_list("reference", flat=True))
    assert len(references) >= 5
    assert all(r.startswith("DEMO-") for r in references)

    levels = {c.reference: _latest(c.reference) for c in Client.objects.order_by("pk")}
    # A safety-flagged inpatient: C-SSRS high risk.
    inpatient = levels["DEMO-001"]
    assert inpatient.level == "inpatient"
    assert inpatient.safety_flag
    assert inpatient.scores["cssrs_risk"] == "high"
    # IOP with a work commitment, cannot attend 3 days a week: still IOP, a note.
    iop = levels["DEMO-002"]
    assert iop.level == "iop"
    assert iop.assessment.answers["work_or_school_commitment"] is True
    assert iop.assessment.answers["can_attend_3_days_week"] is False
    assert iop.notes
    assert levels["DEMO-003"].level == "outpatient"
    insufficient = levels["DEMO-004"]
    assert insufficient.level is None
    assert insufficient.missing

    # A PHQ-9 trend over past weeks, accepted, placed, a review due soon.
    trend = Assessment.objects.filter(
        client__reference="DEMO-005", status=Assessment.Status.SUBMITTED
    ).order_by("submitted_at")
    assert [a.recommendation.scores["phq9"]["total"] for a in trend] == [19, 14, 9]
    now = timezone.now()
    stamps = [a.submitted_at for a in trend]
    assert stamps[0] < now - timedelta(days=14)
    assert all(
        later - earlier >= timedelta(days=6) for earlier, later in pairwise(stamps)
    )
    assert all(a.created_at == a.submitted_at for a in trend)
    decisions = Decision.objects.filter(recommendation__client__reference="DEMO-005")
    assert {d.kind for d in decisions} == {Decision.Kind.ACCEPT}
    placement = Placement.objects.get(client__reference="DEMO-005", ended_at=None)
    assert placement.level == "iop"
    review = ProgressReview.objects.get(
        placement=placement, status=ProgressReview.Status.SCHEDULED
    )
    assert now < review.due_at < now + timedelta(hours=24)  # due soon
    assert review.assigned_to.username == "clinician"

    # Four or more wait in the clinician's queue.
    assert recommendations_waiting().count() >= 4


def test_demo_data_twice_changes_nothing() -> None:
    call_command("create_demo_data", password="demo-pass-long-1", force=True)
    clients, users = _clients_snapshot(), _snapshot()
    history = Client.history.count(), Assessment.history.count()
    call_command("create_demo_data", password="demo-pass-long-1", force=True)
    assert _clients_snapshot() == clients
    assert _snapshot() == users
    assert (Client.history.count(), Assessment.history.count()) == history


def test_demo_data_with_debug_off_exits_2_with_a_clear_message() -> None:
    with pytest.raises(CommandError, match="DEBUG off") as refused:
        call_command("create_demo_data", password="demo-pass-long-1")
    assert refused.value.returncode == 2
    assert not Client.objects.exists()
    # As `manage.py` run by hand (it refuses before touching the database).
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
    env.update(
        DEBUG="0",
        SECRET_KEY="demo-refusal-test-" + "k" * 40,
        LOCATR_ENV_FILE=str(ROOT / "does-not-exist.env"),
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "create_demo_data", "--password", "x"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    assert "Refusing to create demo accounts and clients with DEBUG off" in (
        result.stderr
    )
    assert "--force" in result.stderr
