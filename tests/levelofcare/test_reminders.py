"""The reminder sweep: one due-soon reminder and one overdue escalation per review."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.db import connection

from levelofcare.models import CriteriaSet, Notification, OutboxEmail, ProgressReview
from levelofcare.progress import reminders
from levelofcare.progress.outbox import reminder_emails_deliver
from levelofcare.progress.reminders import SweepResult, reminders_sweep
from levelofcare.tasks import send_due_reminders
from locatr.celery import app as celery_app
from tests.concurrency import at_once
from tests.factories import (
    ProgressReviewFactory,
    UserFactory,
    active_criteria,
    reviews_due_at,
)

NOW = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
# Defaults of criteria version 1: remind 24 h ahead, escalate 24 h after due.
LEAD = 24 * HOUR
GRACE = 24 * HOUR


def _sweep(now: dt.datetime = NOW, **kwargs: Any) -> SweepResult:
    return reminders_sweep(now=now, **kwargs)


def _deliver(now: dt.datetime = NOW) -> None:
    reminder_emails_deliver(now=now)


def _notified(review: ProgressReview, kind: str) -> list[Any]:
    return sorted(
        Notification.objects.filter(review=review, kind=kind).values_list(
            "user__username", flat=True
        )
    )


@pytest.mark.django_db
class TestDueSoon:
    def test_a_review_due_within_the_lead_time_reminds_its_assignee_once(
        self,
        clinician: Any,
        other_clinician: Any,
        django_capture_on_commit_callbacks: Any,
    ) -> None:
        review = ProgressReviewFactory(assigned_to=clinician, due_at=NOW + 5 * HOUR)

        with django_capture_on_commit_callbacks(execute=True):
            result = _sweep()

        assert result == SweepResult(due_soon=1, overdue=0)
        review.refresh_from_db()
        assert review.due_soon_sent_at == NOW
        assert review.overdue_sent_at is None
        assert _notified(review, "due_soon") == [clinician.username]
        notification = Notification.objects.get()
        ref = review.placement.client.reference
        assert notification.text == f"A progress review is due (client ref {ref})"
        assert (
            notification.url
            == f"/progress-reviews/due/?review={review.pk}#review-{review.pk}"
        )
        assert notification.read_at is None
        assert notification.email_pending
        assert mail.outbox == []  # the sweep only leaves the digest item

        _deliver()

        assert [m.to for m in mail.outbox] == [[clinician.email]]
        assert mail.outbox[0].subject == (
            "locatr: 1 progress review needs attention (1 due soon)"
        )
        assert f"client ref {ref}" in mail.outbox[0].body
        assert notification.url in mail.outbox[0].body

    def test_running_the_sweep_again_sends_nothing_new(
        self, clinician: Any, django_capture_on_commit_callbacks: Any
    ) -> None:
        ProgressReviewFactory(assigned_to=clinician, due_at=NOW + 5 * HOUR)

        with django_capture_on_commit_callbacks(execute=True):
            first = _sweep()
            _deliver()
            second = _sweep(now=NOW + HOUR)
            _deliver(NOW + 2 * HOUR)

        assert first == SweepResult(due_soon=1, overdue=0)
        assert second == SweepResult(due_soon=0, overdue=0)
        assert Notification.objects.count() == 1
        assert len(mail.outbox) == 1

    @pytest.mark.parametrize(
        ("due_in", "reminded"),
        [
            (LEAD - dt.timedelta(seconds=1), True),
            (LEAD, True),
            (LEAD + dt.timedelta(seconds=1), False),
        ],
    )
    def test_the_lead_time_boundary_is_inclusive(
        self, clinician: Any, due_in: dt.timedelta, reminded: bool
    ) -> None:
        ProgressReviewFactory(assigned_to=clinician, due_at=NOW + due_in)

        assert _sweep().due_soon == int(reminded)

    def test_the_lead_time_comes_from_the_active_criteria(self, clinician: Any) -> None:
        CriteriaSet.objects.filter(pk=active_criteria().pk).update(
            reminder_lead_hours=72
        )
        ProgressReviewFactory(assigned_to=clinician, due_at=NOW + 48 * HOUR)

        assert _sweep().due_soon == 1

    @pytest.mark.parametrize("status", ["completed", "cancelled"])
    def test_completed_and_cancelled_reviews_are_never_reminded(
        self, clinician: Any, status: str
    ) -> None:
        ProgressReviewFactory(assigned_to=clinician, due_at=NOW + HOUR, status=status)
        ProgressReviewFactory(
            assigned_to=clinician, due_at=NOW - 3 * GRACE, status=status
        )

        assert _sweep() == SweepResult(due_soon=0, overdue=0)
        assert not Notification.objects.exists()

    def test_the_sweep_uses_the_clock_when_no_time_is_given(
        self, clinician: Any
    ) -> None:
        review = ProgressReviewFactory(assigned_to=clinician, due_at=NOW + 5 * HOUR)

        with time_machine.travel(NOW - 2 * LEAD, tick=False):
            assert reminders_sweep().due_soon == 0
        with time_machine.travel(NOW, tick=False):
            assert reminders_sweep().due_soon == 1

        review.refresh_from_db()
        assert review.due_soon_sent_at == NOW


@pytest.mark.django_db
class TestOverdue:
    def test_an_overdue_review_escalates_once_to_assignee_and_every_clinician(
        self,
        clinician: Any,
        other_clinician: Any,
        coordinator: Any,
        criteria_admin: Any,
        django_capture_on_commit_callbacks: Any,
    ) -> None:
        from django.contrib.auth.models import Group

        from locatr.roles import CLINICIANS

        retired = UserFactory(username="retired", is_active=False)
        retired.groups.add(Group.objects.get(name=CLINICIANS))
        review = ProgressReviewFactory(
            assigned_to=clinician,
            due_at=NOW - 30 * HOUR,
            due_soon_sent_at=NOW - 2 * LEAD,
        )

        with django_capture_on_commit_callbacks(execute=True):
            first = _sweep()
            _deliver()
            second = _sweep(now=NOW + 6 * HOUR)
            _deliver(NOW + 6 * HOUR)

        assert first == SweepResult(due_soon=0, overdue=1)
        assert second == SweepResult(due_soon=0, overdue=0)
        review.refresh_from_db()
        assert review.overdue_sent_at == NOW
        assert _notified(review, "overdue") == sorted(
            [clinician.username, other_clinician.username]
        )
        ref = review.placement.client.reference
        assert {n.text for n in Notification.objects.all()} == {
            f"A progress review is overdue (client ref {ref})"
        }
        assert sorted(m.to[0] for m in mail.outbox) == sorted(
            [clinician.email, other_clinician.email]
        )

    def test_a_review_is_reminded_when_due_then_escalated_when_overdue(
        self, clinician: Any, other_clinician: Any
    ) -> None:
        due = NOW + 10 * HOUR
        review = ProgressReviewFactory(assigned_to=clinician, due_at=due)

        results = [
            _sweep(now=due - LEAD - HOUR),  # too early
            _sweep(now=due - 10 * HOUR),  # due soon
            _sweep(now=due + HOUR),  # past due, within the grace period
            _sweep(now=due + GRACE),  # escalate
            _sweep(now=due + 3 * GRACE),  # nothing more
        ]

        assert results == [
            SweepResult(0, 0),
            SweepResult(1, 0),
            SweepResult(0, 0),
            SweepResult(0, 1),
            SweepResult(0, 0),
        ]
        assert _notified(review, "due_soon") == [clinician.username]
        assert _notified(review, "overdue") == sorted(
            [clinician.username, other_clinician.username]
        )

    def test_a_review_first_seen_overdue_gets_only_the_escalation(
        self, clinician: Any
    ) -> None:
        # E.g. the worker was down for days: "due soon" would be wrong by now.
        review = ProgressReviewFactory(assigned_to=clinician, due_at=NOW - 3 * GRACE)

        assert _sweep() == SweepResult(due_soon=0, overdue=1)
        assert _notified(review, "due_soon") == []
        assert _notified(review, "overdue") == [clinician.username]

    def test_the_escalation_reaches_a_non_clinician_assignee_too(
        self, clinician: Any, no_role_user: Any
    ) -> None:
        review = ProgressReviewFactory(assigned_to=no_role_user, due_at=NOW - 2 * GRACE)

        _sweep()

        assert _notified(review, "overdue") == sorted(
            [clinician.username, no_role_user.username]
        )


@pytest.mark.django_db
def test_batches_smaller_than_the_backlog_remind_every_review_once(
    clinician: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    soon = reviews_due_at(NOW + HOUR, 7, assigned_to=clinician)
    late = reviews_due_at(NOW - 2 * GRACE, 4, assigned_to=clinician)
    batches: list[int] = []
    real_claim = reminders._claim

    def spy(candidates: Any, **kwargs: Any) -> list[int]:
        batches.append(candidates.count())
        return real_claim(candidates, **kwargs)

    monkeypatch.setattr(reminders, "_claim", spy)

    result = _sweep(batch_size=3)

    assert result == SweepResult(due_soon=7, overdue=4)
    assert batches == [3, 3, 1, 3, 1]
    assert ProgressReview.objects.filter(due_soon_sent_at=NOW).count() == 7
    assert ProgressReview.objects.filter(overdue_sent_at=NOW).count() == 4
    for review in soon:
        assert _notified(review, "due_soon") == [clinician.username]
    for review in late:
        assert _notified(review, "overdue") == [clinician.username]
    assert _sweep(batch_size=3) == SweepResult(0, 0)


@pytest.mark.django_db
def test_reminders_carry_the_client_reference_but_no_identifying_data(
    clinician: Any,
    other_clinician: Any,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.SITE_URL = "https://locatr.clinic.test"
    soon = ProgressReviewFactory(
        assigned_to=clinician,
        due_at=NOW + HOUR,
        placement__decision__recommendation__assessment__client__reference="ABC-123",
    )
    late = ProgressReviewFactory(
        assigned_to=clinician,
        due_at=NOW - 2 * GRACE,
        placement__decision__recommendation__assessment__client__reference="XYZ-789",
    )

    with django_capture_on_commit_callbacks(execute=True):
        _sweep()
        _deliver()

    clients = [soon.placement.client, late.placement.client]
    outputs = [n.text + " " + n.url for n in Notification.objects.all()]
    outputs += [m.subject + "\n" + m.body for m in mail.outbox]
    # The outbox rows too (what admins see), with their errors.
    outputs += [
        f"{o.subject}\n{o.body}\n{o.last_error}" for o in OutboxEmail.objects.all()
    ]
    # 3 notifications; one digest each for the assignee and the other clinician.
    assert len(outputs) == 3 + 2 + 2
    everything = "\n".join(outputs)
    assert "client ref ABC-123" in everything
    assert "client ref XYZ-789" in everything
    for client in clients:
        dob = client.date_of_birth
        for secret in (
            client.given_name,
            client.family_name,
            dob.isoformat(),
            dob.strftime("%d/%m/%Y"),
            dob.strftime("%d %b %Y"),
            str(dob.year),
        ):
            assert secret not in everything
    body = next(m.body for m in mail.outbox if "ABC-123" in m.body)
    assert (
        f"https://locatr.clinic.test/progress-reviews/due/?review={soon.pk}#review-{soon.pk}"
        in body
    )


@pytest.mark.django_db
def test_the_sweep_sends_nothing_itself_and_leaves_digest_items_in_the_claim(
    clinician: Any, django_capture_on_commit_callbacks: Any
) -> None:
    ProgressReviewFactory(assigned_to=clinician, due_at=NOW + HOUR)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _sweep()

    assert callbacks == []
    assert mail.outbox == []
    assert Notification.objects.get().email_pending
    _deliver()
    assert len(mail.outbox) == 1


class BrokenEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Any) -> int:
        raise ConnectionRefusedError("SMTP server is down")


@pytest.mark.django_db
def test_a_mail_outage_keeps_the_in_app_reminders_and_does_not_fail_the_sweep(
    clinician: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.EMAIL_BACKEND = f"{__name__}.BrokenEmailBackend"
    review = ProgressReviewFactory(assigned_to=clinician, due_at=NOW + HOUR)

    with django_capture_on_commit_callbacks(execute=True):
        assert _sweep() == SweepResult(due_soon=1, overdue=0)
    result = reminder_emails_deliver(now=NOW)

    assert _notified(review, "due_soon") == [clinician.username]
    assert (result.digests, result.sent, result.retried) == (1, 0, 1)
    row = OutboxEmail.objects.get()
    assert row.sent_at is None
    assert row.attempts == 1
    assert row.last_error == "ConnectionRefusedError: SMTP server is down"


@pytest.mark.django_db
def test_the_management_command_runs_one_sweep_and_prints_the_counts(
    clinician: Any,
) -> None:
    ProgressReviewFactory(assigned_to=clinician, due_at=NOW + HOUR)
    ProgressReviewFactory(assigned_to=clinician, due_at=NOW - 2 * GRACE)
    out = StringIO()

    with time_machine.travel(NOW, tick=False):
        call_command("send_due_reminders", stdout=out)
        call_command("send_due_reminders", stdout=out)

    assert [json.loads(line) for line in out.getvalue().splitlines()] == [
        {"due_soon": 1, "overdue": 1},
        {"due_soon": 0, "overdue": 0},
    ]


@pytest.mark.django_db
def test_the_task_runs_the_sweep_and_returns_the_counts(clinician: Any) -> None:
    ProgressReviewFactory(assigned_to=clinician, due_at=NOW + HOUR)

    with time_machine.travel(NOW, tick=False):
        result = send_due_reminders.apply().get()

    assert result == {"due_soon": 1, "overdue": 0}


def test_beat_runs_the_sweep_task_every_few_minutes(settings: Any) -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["send-due-reminders"]

    assert entry["task"] == "levelofcare.send_due_reminders"
    assert entry["schedule"] == 300
    assert "levelofcare.send_due_reminders" in celery_app.tasks


# --- concurrency (PostgreSQL: real row locks) -------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("claim", ["skip_locked", "conditional_update"])
def test_two_sweeps_at_once_send_each_reminder_exactly_once(
    clinician: Any, other_clinician: Any, claim: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if claim == "conditional_update":
        # The per-row claim SQLite uses, here under real concurrency.
        monkeypatch.setattr(
            type(connection.features), "has_select_for_update_skip_locked", False
        )
    active_criteria()
    soon = reviews_due_at(NOW + HOUR, 30, assigned_to=clinician)
    late = reviews_due_at(NOW - 2 * GRACE, 20, assigned_to=clinician)
    results = at_once(
        lambda: reminders_sweep(now=NOW, batch_size=7),
        lambda: reminders_sweep(now=NOW, batch_size=7),
    )

    assert len(results) == 2
    assert sum(r.due_soon for r in results) == 30
    assert sum(r.overdue for r in results) == 20
    for review in soon:
        assert _notified(review, "due_soon") == [clinician.username]
    for review in late:
        assert _notified(review, "overdue") == sorted(
            [clinician.username, other_clinician.username]
        )
    # Then one digest per person holds every item, each in exactly one digest.
    _deliver()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [clinician.email, other_clinician.email]
    )
    assert not Notification.objects.filter(digest=None).exists()
