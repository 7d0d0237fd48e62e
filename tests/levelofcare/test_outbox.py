"""Reminder email through the outbox: digests per person, delivery one message at a
time with retries, the escalation group, people who get no email."""

from __future__ import annotations

import datetime as dt
import logging
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.urls import reverse

from levelofcare.models import Notification, OutboxEmail, ProgressReview
from levelofcare.progress.outbox import (
    DeliveryResult,
    outbox_send,
    reminder_emails_deliver,
)
from levelofcare.progress.reminders import reminders_sweep
from levelofcare.progress.services import progress_review_reassign
from locatr.roles import CLINICAL_LEADS, CLINICIANS
from tests.concurrency import at_once
from tests.factories import ProgressReviewFactory, UserFactory, reviews_due_at

NOW = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
MINUTE = dt.timedelta(minutes=1)
GRACE = 24 * HOUR  # criteria version 1: escalate 24 h after due


def _outbox_row(**kwargs: Any) -> OutboxEmail:
    defaults = {
        "to_address": "robin@clinic.test",
        "subject": "locatr: 1 progress review needs attention (1 due soon)",
        "body": "client ref R-1\n",
        "created_at": NOW,
        "next_attempt_at": NOW,
    }
    return OutboxEmail.objects.create(**defaults | kwargs)


# --- delivery: one message at a time -------------------------------------------------


@pytest.mark.django_db
def test_a_bad_message_fails_alone_and_the_others_are_delivered() -> None:
    good = [_outbox_row(to_address=f"c{i}@clinic.test") for i in range(3)]
    # A line break in a header: Django refuses it (BadHeaderError).
    bad = _outbox_row(subject="Due soon\nBcc: everyone@example.org")
    more = _outbox_row(to_address="c9@clinic.test")

    sent, retried, failed = outbox_send(now=NOW)

    assert (sent, retried, failed) == (4, 1, 0)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [*(row.to_address for row in good), more.to_address]
    )
    bad.refresh_from_db()
    assert bad.sent_at is None
    assert bad.attempts == 1
    assert bad.last_error.startswith("BadHeaderError: ")
    assert bad.next_attempt_at == NOW + dt.timedelta(seconds=60)
    assert OutboxEmail.objects.exclude(sent_at=None).count() == 4


@pytest.mark.django_db
def test_retries_back_off_exponentially_then_the_row_is_failed_for_admins(
    settings: Any, client: Any, criteria_admin: Any, clinician: Any
) -> None:
    settings.REMINDER_EMAIL_MAX_ATTEMPTS = 3
    bad = _outbox_row(subject="bad\nheader")

    when = NOW
    delays = []
    for _ in range(3):
        outbox_send(now=when)
        bad.refresh_from_db()
        delays.append(bad.next_attempt_at - when)
        when = bad.next_attempt_at
    # Nothing more is tried once it failed.
    assert outbox_send(now=when + 24 * HOUR) == (0, 0, 0)

    bad.refresh_from_db()
    assert delays[:2] == [dt.timedelta(seconds=60), dt.timedelta(seconds=120)]
    assert bad.attempts == 3
    assert bad.failed_at is not None
    assert bad.sent_at is None
    assert bad.status == "failed"
    # Criteria admins see it in the (read-only) admin list of failed email.
    client.force_login(criteria_admin)
    page = client.get(
        reverse("admin:levelofcare_outboxemail_changelist"), {"status": "failed"}
    )
    assert page.status_code == 200
    assert "BadHeaderError" in page.content.decode()
    home = client.get(reverse("admin:index")).content.decode()
    assert "1 reminder email failed after every retry" in home
    client.force_login(clinician)
    assert (
        client.get(reverse("admin:levelofcare_outboxemail_changelist")).status_code
        == 302
    )


class _RefusingBackend(LocmemBackend):
    """Accepts nothing but reports no error: still not sent."""

    def send_messages(self, email_messages: Any) -> int:
        return 0


@pytest.mark.django_db
def test_nothing_is_marked_sent_that_the_backend_did_not_accept(
    settings: Any,
) -> None:
    settings.EMAIL_BACKEND = f"{__name__}._RefusingBackend"
    row = _outbox_row()

    assert outbox_send(now=NOW) == (0, 1, 0)

    row.refresh_from_db()
    assert row.sent_at is None
    assert row.last_error.startswith("RuntimeError: ")


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_two_deliverers_at_once_send_each_row_once() -> None:
    rows = [_outbox_row(to_address=f"c{i}@clinic.test") for i in range(40)]
    results = at_once(
        lambda: outbox_send(now=NOW, batch_size=5),
        lambda: outbox_send(now=NOW, batch_size=5),
    )

    assert sum(r[0] for r in results) == len(rows)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(r.to_address for r in rows)


# --- a real SMTP server -----------------------------------------------------------


class _FlakyHandler:
    """An SMTP server that refuses the first message (451: try again later)."""

    def __init__(self) -> None:
        self.refused = 0
        self.received: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refused == 0:
            self.refused += 1
            return "451 4.3.0 Try again later"
        self.received.append(envelope.content.decode("utf-8", "replace"))
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[_FlakyHandler, int]]:
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = _FlakyHandler()
    # aiosmtpd logs from its own thread, after pytest's log capture may have moved
    # on ("connection lost"): keep it quiet while the server runs.
    server_log = logging.getLogger("mail.log")
    level = server_log.level
    server_log.setLevel(logging.CRITICAL)
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()
        server_log.setLevel(level)


@pytest.mark.smtp
@pytest.mark.django_db
def test_a_retry_succeeds_after_a_transient_smtp_failure(
    settings: Any, smtp_server: tuple[_FlakyHandler, int], clinician: Any
) -> None:
    handler, port = smtp_server
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 10
    ProgressReviewFactory(
        assigned_to=clinician,
        due_at=NOW + HOUR,
        placement__decision__recommendation__assessment__client__reference="SMTP-1",
    )
    reminders_sweep(now=NOW)

    first = reminder_emails_deliver(now=NOW)

    assert first == DeliveryResult(digests=1, sent=0, retried=1, failed=0)
    row = OutboxEmail.objects.get()
    assert row.sent_at is None
    assert row.attempts == 1
    assert row.last_error.startswith("SMTPDataError: ")
    assert handler.received == []
    # Not due again before the backoff.
    assert reminder_emails_deliver(now=NOW + 30 * dt.timedelta(seconds=1)).sent == 0

    second = reminder_emails_deliver(now=row.next_attempt_at)

    assert second == DeliveryResult(digests=0, sent=1, retried=0, failed=0)
    row.refresh_from_db()
    assert row.sent_at == row.next_attempt_at
    assert row.attempts == 2
    assert row.last_error == ""
    assert len(handler.received) == 1
    assert f"To: {clinician.email}" in handler.received[0]
    assert "client ref SMTP-1" in handler.received[0]


# --- digests ---------------------------------------------------------------------


@pytest.mark.django_db
def test_digests_group_by_person_and_are_never_sent_twice(
    clinician: Any, other_clinician: Any, settings: Any
) -> None:
    settings.REMINDER_DIGEST_MINUTES = 60
    reviews_due_at(NOW + HOUR, 3, assigned_to=clinician)
    reviews_due_at(NOW + 2 * HOUR, 2, assigned_to=other_clinician)
    reviews_due_at(NOW - 2 * GRACE, 1, assigned_to=clinician)  # escalates to both
    reminders_sweep(now=NOW)

    first = reminder_emails_deliver(now=NOW)

    assert first == DeliveryResult(digests=2, sent=2)
    by_person = {m.to[0]: m for m in mail.outbox}
    assert set(by_person) == {clinician.email, other_clinician.email}
    mine = by_person[clinician.email]
    assert mine.subject == (
        "locatr: 4 progress reviews need attention (1 overdue, 3 due soon)"
    )
    assert mine.body.count("- client ref ") == 4
    assert by_person[other_clinician.email].body.count("- client ref ") == 3
    # Again, later: nothing new, nothing sent.
    assert reminder_emails_deliver(now=NOW + 2 * HOUR) == DeliveryResult()
    assert len(mail.outbox) == 2

    # A new reminder within the window waits for the next digest...
    ProgressReviewFactory(assigned_to=clinician, due_at=NOW + 20 * HOUR)
    reminders_sweep(now=NOW + 30 * MINUTE)
    assert reminder_emails_deliver(now=NOW + 30 * MINUTE) == DeliveryResult()
    assert Notification.objects.filter(email_pending=True).count() == 1
    # ...and goes, alone, once the window has passed.
    later = reminder_emails_deliver(now=NOW + 61 * MINUTE)
    assert later == DeliveryResult(digests=1, sent=1)
    assert mail.outbox[-1].to == [clinician.email]
    assert mail.outbox[-1].body.count("- client ref ") == 1
    # Every notification meant for email is in exactly one digest.
    assert not Notification.objects.filter(email_pending=True).exists()
    assert not Notification.objects.filter(digest=None).exists()


@pytest.mark.django_db
def test_a_long_digest_lists_the_first_items_and_counts_the_rest(
    clinician: Any, settings: Any
) -> None:
    settings.REMINDER_DIGEST_MAX_ITEMS = 2
    reviews_due_at(NOW + HOUR, 5, assigned_to=clinician)
    reminders_sweep(now=NOW)

    reminder_emails_deliver(now=NOW)

    (message,) = mail.outbox
    assert "Due soon (5):" in message.body
    assert message.body.count("- client ref ") == 2
    assert "- and 3 more" in message.body
    assert "/notifications/" in message.body


@pytest.mark.django_db
def test_reassignment_reminds_the_new_assignee_once_per_due_date(
    clinician: Any, other_clinician: Any
) -> None:
    review = ProgressReviewFactory(assigned_to=clinician, due_at=NOW + HOUR)
    reminders_sweep(now=NOW)
    for to in (other_clinician, clinician, other_clinician):
        progress_review_reassign(
            review=ProgressReview.objects.get(pk=review.pk),
            assigned_to=to,
            by=clinician,
            now=NOW,
        )
        reminders_sweep(now=NOW)

    reminder_emails_deliver(now=NOW)

    due_soon = Notification.objects.filter(review=review, kind="due_soon")
    assert sorted(due_soon.values_list("user__username", flat=True)) == sorted(
        [clinician.username, other_clinician.username]
    )
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [clinician.email, other_clinician.email]
    )


# --- escalation ------------------------------------------------------------------


@pytest.mark.django_db
def test_an_overdue_review_escalates_to_the_escalation_group(
    clinician: Any, other_clinician: Any
) -> None:
    lead = UserFactory(username="lee", email="lee@clinic.test")
    lead.groups.add(Group.objects.get(name=CLINICAL_LEADS))
    retired_lead = UserFactory(username="old", email="old@clinic.test", is_active=False)
    retired_lead.groups.add(Group.objects.get(name=CLINICAL_LEADS))
    review = ProgressReviewFactory(assigned_to=clinician, due_at=NOW - 2 * GRACE)

    reminders_sweep(now=NOW)
    reminder_emails_deliver(now=NOW)

    notified = Notification.objects.filter(review=review, kind="overdue")
    assert sorted(notified.values_list("user__username", flat=True)) == sorted(
        [clinician.username, lead.username]
    )
    assert sorted(m.to[0] for m in mail.outbox) == sorted([clinician.email, lead.email])
    assert other_clinician.email not in [m.to[0] for m in mail.outbox]


@pytest.mark.django_db
def test_with_an_empty_escalation_group_every_active_clinician_is_escalated_to(
    clinician: Any, other_clinician: Any
) -> None:
    assert not Group.objects.get(name=CLINICAL_LEADS).user_set.exists()
    third = UserFactory(username="kim", email="kim@clinic.test")
    third.groups.add(Group.objects.get(name=CLINICIANS))
    review = ProgressReviewFactory(assigned_to=clinician, due_at=NOW - 2 * GRACE)

    reminders_sweep(now=NOW)
    reminder_emails_deliver(now=NOW)

    notified = Notification.objects.filter(review=review, kind="overdue")
    assert notified.count() == 3
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [clinician.email, other_clinician.email, third.email]
    )


# --- people who get no email -------------------------------------------------------


@pytest.mark.django_db
def test_someone_without_an_address_gets_in_app_reminders_and_is_told_why(
    client: Any,
) -> None:
    nomail = UserFactory(username="nomail", email="")
    nomail.groups.add(Group.objects.get(name=CLINICIANS))
    ProgressReviewFactory(assigned_to=nomail, due_at=NOW + HOUR)

    reminders_sweep(now=NOW)
    reminder_emails_deliver(now=NOW)

    notification = Notification.objects.get(user=nomail)
    assert not notification.email_pending
    assert not OutboxEmail.objects.exists()
    assert mail.outbox == []
    client.force_login(nomail)
    page = client.get(reverse("levelofcare:notifications")).content.decode()
    assert "Email is off for you: your account has no email address." in page


@pytest.mark.django_db
def test_a_user_can_turn_reminder_email_off_and_on(client: Any, clinician: Any) -> None:
    client.force_login(clinician)
    ProgressReviewFactory(assigned_to=clinician, due_at=NOW + HOUR)
    reminders_sweep(now=NOW)

    response = client.post(reverse("levelofcare:notifications_email"), {"email": "off"})

    assert response.status_code == 302
    page = client.get(reverse("levelofcare:notifications")).content.decode()
    assert "Email is off for you: you turned it off." in page
    # What was waiting is dropped; new reminders stay in-app only.
    ProgressReviewFactory(assigned_to=clinician, due_at=NOW + 2 * HOUR)
    reminders_sweep(now=NOW)
    assert reminder_emails_deliver(now=NOW) == DeliveryResult()
    assert Notification.objects.filter(user=clinician).count() == 2
    assert mail.outbox == []

    client.post(reverse("levelofcare:notifications_email"), {"email": "on"})
    ProgressReviewFactory(assigned_to=clinician, due_at=NOW + 3 * HOUR)
    reminders_sweep(now=NOW)
    reminder_emails_deliver(now=NOW)
    assert [m.to for m in mail.outbox] == [[clinician.email]]
    assert client.post(reverse("levelofcare:notifications_email"), {}).status_code == (
        400
    )


@pytest.mark.django_db
def test_the_user_admin_flags_staff_without_an_address(
    client: Any, django_user_model: Any
) -> None:
    root = django_user_model.objects.create_superuser(
        "root", "root@clinic.test", "x" * 20
    )
    UserFactory(username="nomail", email="", is_staff=True)
    client.force_login(root)

    page = client.get(reverse("admin:auth_user_changelist")).content.decode()

    assert "column-has_email" in page
    assert 'alt="False"' in page
