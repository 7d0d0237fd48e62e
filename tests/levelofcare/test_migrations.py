"""Migrating forward from the state of `main` before the layout work loses nothing.

The test database is migrated back to the last migrations of `main` (intake 0003,
levelofcare 0003), filled through the historical models, and migrated forward
again: every row survives, the progress-review link moves to levelofcare, and
stored notification links point at /progress-reviews/due/.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

BEFORE = [
    ("intake", "0003_assessment_partial_items"),
    ("levelofcare", "0003_criteria_version_1_history"),
]
AT = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)
TABLES = [
    ("intake", "Client"),
    ("intake", "Assessment"),
    ("intake", "RecordView"),
    ("levelofcare", "CriteriaSet"),
    ("levelofcare", "Recommendation"),
    ("levelofcare", "Decision"),
    ("levelofcare", "Placement"),
    ("levelofcare", "ProgressReview"),
    ("levelofcare", "Notification"),
    ("levelofcare", "AuthEvent"),
]


def _migrate(targets: list[tuple[str, str]]) -> Any:
    """Migrate the test database to `targets`; return the apps at that state."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


def _latest() -> list[tuple[str, str]]:
    executor = MigrationExecutor(connection)
    return [
        key
        for key in executor.loader.graph.leaf_nodes()
        if key[0]
        in {
            "intake",
            "levelofcare",
        }
    ]


def _fill(apps: Any) -> dict[str, Any]:
    """One row in every table, the way `main` wrote them."""
    User = apps.get_model("auth", "User")
    get = apps.get_model
    user = User.objects.create(username="migrating-clinician")
    criteria = get("levelofcare", "CriteriaSet").objects.create(
        version=99, is_active=False, change_note="An old version.", created_at=AT
    )
    client = get("intake", "Client").objects.create(
        reference="MIG-1",
        given_name="Ada",
        family_name="Lovelace",
        date_of_birth=dt.date(1990, 1, 1),
        created_by=user,
    )
    Assessment = get("intake", "Assessment")
    intake = Assessment.objects.create(
        client=client,
        status="submitted",
        answers={"phq9": [1] * 9},
        created_by=user,
        submitted_by=user,
        submitted_at=AT,
    )
    recommendation = get("levelofcare", "Recommendation").objects.create(
        assessment=intake, client=client, level="iop", criteria=criteria
    )
    decision = get("levelofcare", "Decision").objects.create(
        recommendation=recommendation, kind="accept", level="iop", decided_by=user
    )
    placement = get("levelofcare", "Placement").objects.create(
        client=client, level="iop", decision=decision
    )
    review = get("levelofcare", "ProgressReview").objects.create(
        placement=placement, due_at=AT, assigned_to=user
    )
    reassessment = Assessment.objects.create(
        client=client,
        kind="progress_review",
        answers={"phq9": [0] * 9},
        created_by=user,
        progress_review=review,
    )
    get("levelofcare", "Notification").objects.create(
        user=user,
        kind="due_soon",
        review=review,
        text="A progress review is due (client ref MIG-1)",
        url=f"/reviews/due/?review={review.pk}#review-{review.pk}",
    )
    get("intake", "RecordView").objects.create(
        user=user, client=client, view_name="client_detail"
    )
    get("levelofcare", "AuthEvent").objects.create(
        kind="login", user=user, username=user.username
    )
    return {"review": review.pk, "reassessment": reassessment.pk}


def _counts(apps: Any) -> dict[str, int]:
    return {
        f"{app}.{model}": apps.get_model(app, model).objects.count()
        for app, model in TABLES
    }


def test_migrating_forward_from_main_loses_nothing() -> None:
    latest = _latest()
    old_apps = _migrate(BEFORE)
    try:
        made = _fill(old_apps)
        before = _counts(old_apps)
    finally:
        new_apps = _migrate(latest)

    assert _counts(new_apps) == before
    Link = new_apps.get_model("levelofcare", "ProgressReviewAssessment")
    assert list(Link.objects.values_list("assessment_id", "progress_review_id")) == [
        (made["reassessment"], made["review"])
    ]
    Assessment = new_apps.get_model("intake", "Assessment")
    assert "progress_review" not in {f.name for f in Assessment._meta.get_fields()}
    url = new_apps.get_model("levelofcare", "Notification").objects.get().url
    assert url == (
        f"/progress-reviews/due/?review={made['review']}#review-{made['review']}"
    )


def test_migrating_back_to_main_puts_the_link_back() -> None:
    latest = _latest()
    old_apps = _migrate(BEFORE)
    try:
        made = _fill(old_apps)
        _migrate(latest)
        back = _migrate(BEFORE)
        reassessment = back.get_model("intake", "Assessment").objects.get(
            pk=made["reassessment"]
        )
        url = back.get_model("levelofcare", "Notification").objects.get().url
    finally:
        _migrate(latest)

    assert reassessment.progress_review_id == made["review"]
    assert url.startswith("/reviews/due/?review=")


BEFORE_SNAPSHOTS = [
    ("intake", "0005_assessment_submission_token_void"),
    ("levelofcare", "0009_decision_kind_decided_without_recommendation"),
]


def test_the_actor_snapshots_are_backfilled_from_each_user_as_they_are_now() -> None:
    """Rows from before the snapshots get the user's current name (the names they
    had then were never stored); rows of no one stay NULL ("system")."""
    latest = _latest()
    old_apps = _migrate(BEFORE_SNAPSHOTS)
    try:
        User = old_apps.get_model("auth", "User")
        user = User.objects.create(username="kim", first_name="Kim", last_name="Lee")
        client = old_apps.get_model("intake", "Client").objects.create(
            reference="SNAP-1",
            given_name="Ada",
            family_name="Lovelace",
            date_of_birth=dt.date(1990, 1, 1),
            created_by=user,
        )
        old_apps.get_model("intake", "RecordView").objects.create(
            user=user, client=client, view_name="client_detail"
        )
        AuthEvent = old_apps.get_model("levelofcare", "AuthEvent")
        AuthEvent.objects.create(kind="login", user=user, username="kim")
        AuthEvent.objects.create(kind="login_failed", username="nobody")
        History = old_apps.get_model("intake", "HistoricalClient")
        for history_user in (user, None):
            History.objects.create(
                id=client.pk,
                reference="SNAP-1",
                given_name="Ada",
                family_name="Lovelace",
                date_of_birth=dt.date(1990, 1, 1),
                created_by=user,
                created_at=AT,
                last_activity_at=AT,
                history_date=AT,
                history_type="~",
                history_user=history_user,
            )
    finally:
        new_apps = _migrate(latest)

    view = new_apps.get_model("intake", "RecordView").objects.get()
    assert (view.username, view.full_name) == ("kim", "Kim Lee")
    events = new_apps.get_model("levelofcare", "AuthEvent").objects.order_by("pk")
    assert [e.full_name for e in events] == ["Kim Lee", ""]
    rows = new_apps.get_model("intake", "HistoricalClient").objects.order_by(
        "history_id"
    )
    assert [(r.history_username, r.history_full_name) for r in rows] == [
        ("kim", "Kim Lee"),
        (None, None),
    ]
