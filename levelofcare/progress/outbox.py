"""Reminder email (a service): digests written to an outbox, then delivered one
message at a time with retries.

The sweep leaves each notification for someone who takes email as an item of
their next digest (`Notification.email_pending`, in the claim's transaction).
Delivery is two steps, both safe to run from several workers at once:

1. Compose: for each person with pending items whose last digest is older than
   `REMINDER_DIGEST_MINUTES`, one `OutboxEmail` listing them (client reference,
   due date and a link each; never names or dates of birth). The person's row is
   locked while composing, so two composers never write two digests.
2. Send: due outbox rows are claimed with SKIP LOCKED and handed to the email
   backend one by one over a shared connection. A failure marks only its row
   (attempts + 1, the error's class and a short message, a later retry with
   exponential backoff); after `REMINDER_EMAIL_MAX_ATTEMPTS` the row is failed and
   shows in the admin for criteria admins. A row is marked sent only after the
   backend accepted it.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import connection, transaction
from django.db.models import Count, Max
from django.urls import reverse
from django.utils import timezone

from levelofcare.models import Notification, OutboxEmail
from levelofcare.progress.selectors import users_emailable

logger = logging.getLogger(__name__)

Kind = Notification.Kind
SECTIONS = ((Kind.OVERDUE, "Overdue"), (Kind.DUE_SOON, "Due soon"))
ERROR_MAX = 200


@dataclass(frozen=True)
class DeliveryResult:
    """Digests written to the outbox, and outbox messages sent / given up on."""

    digests: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def reminder_emails_deliver(
    *, now: datetime | None = None, batch_size: int = 100
) -> DeliveryResult:
    """Write the digests that are due, then send the outbox (see the module)."""
    now = now or timezone.now()
    digests = digests_compose(now=now)
    sent, retried, failed = outbox_send(now=now, batch_size=batch_size)
    result = DeliveryResult(digests=digests, sent=sent, retried=retried, failed=failed)
    if digests or sent or retried or failed:
        logger.info(
            "Reminder email: %d digests, %d sent, %d to retry, %d failed",
            digests,
            sent,
            retried,
            failed,
        )
    return result


def digests_compose(*, now: datetime) -> int:
    """One digest per person with pending items and no digest within the window."""
    waiting = set(
        Notification.objects.filter(email_pending=True)
        .values_list("user_id", flat=True)
        .distinct()
    )
    if not waiting:
        return 0
    # People who lost their address or turned email off since: in-app only.
    emailable = users_emailable()
    if waiting - emailable:
        Notification.objects.filter(
            email_pending=True, user_id__in=waiting - emailable
        ).update(email_pending=False)
    since = now - timedelta(minutes=settings.REMINDER_DIGEST_MINUTES)
    recent = set(
        OutboxEmail.objects.filter(user_id__in=waiting, created_at__gt=since)
        .values_list("user_id", flat=True)
        .distinct()
    )
    return sum(
        _compose_one(user_id=user_id, now=now, since=since)
        for user_id in sorted((waiting & emailable) - recent)
    )


def _compose_one(*, user_id: int, now: datetime, since: datetime) -> int:
    with transaction.atomic():
        user = (
            get_user_model()
            .objects.select_for_update(skip_locked=_skip_locked())
            .filter(pk=user_id)
            .first()
        )
        # Another composer holds this person, or wrote their digest meanwhile.
        if user is None or user.outbox_emails.filter(created_at__gt=since).exists():
            return 0
        pending = Notification.objects.filter(user_id=user_id, email_pending=True)
        last_pk = pending.aggregate(last=Max("pk"))["last"]
        if last_pk is None:
            return 0
        digest = OutboxEmail.objects.create(
            user=user, to_address=user.email, created_at=now, next_attempt_at=now
        )
        pending.filter(pk__lte=last_pk).update(email_pending=False, digest=digest)
        digest.subject, digest.body = _digest_text(digest)
        digest.save(update_fields=["subject", "body"])
    return 1


def _digest_text(digest: OutboxEmail) -> tuple[str, str]:
    """Subject and body: client references, due dates and links only."""
    items = digest.items.all()
    counts = dict(
        items.values_list("kind").annotate(n=Count("pk")).values_list("kind", "n")
    )
    total = sum(counts.values())
    limit = settings.REMINDER_DIGEST_MAX_ITEMS
    site = settings.SITE_URL
    lines = ["Progress reviews that need your attention in locatr.", ""]
    for kind, title in SECTIONS:
        if not counts.get(kind):
            continue
        lines.append(f"{title} ({counts[kind]}):")
        shown = (
            items.filter(kind=kind)
            .order_by("review__due_at", "pk")
            .values_list(
                "review__placement__client__reference", "review__due_at", "url"
            )
        )[:limit]
        for reference, due_at, url in shown:
            lines.append(
                f"- client ref {reference}, due {due_at.astimezone(UTC):%Y-%m-%d %H:%M}"
                f" UTC: {site}{url}"
            )
        if counts[kind] > limit:
            lines.append(f"- and {counts[kind] - limit} more")
        lines.append("")
    notifications = site + reverse("levelofcare:notifications")
    lines += [
        f"All of them: {notifications}",
        "",
        "This message holds no patient details on purpose; sign in to see them.",
        f"You get at most one digest every {settings.REMINDER_DIGEST_MINUTES} minutes;"
        " turn reminder email off on your notifications page.",
    ]
    parts = [f"{counts[k]} {t.lower()}" for k, t in SECTIONS if counts.get(k)]
    subject = (
        f"locatr: {total} progress review{'s' if total != 1 else ''} "
        f"need{'s' if total == 1 else ''} attention ({', '.join(parts)})"
    )
    return subject, "\n".join(lines) + "\n"


def outbox_send(*, now: datetime, batch_size: int = 100) -> tuple[int, int, int]:
    """Send every due outbox row once; return (sent, to retry, failed)."""
    sent = retried = failed = 0
    while True:
        with transaction.atomic():
            # Locked until this batch commits: another sender skips these rows.
            rows = list(
                OutboxEmail.objects.select_for_update(skip_locked=_skip_locked())
                .filter(sent_at=None, failed_at=None, next_attempt_at__lte=now)
                .order_by("next_attempt_at", "pk")[:batch_size]
            )
            if not rows:
                return sent, retried, failed
            backend = get_connection(fail_silently=False)
            try:
                _open(backend)
                for row in rows:
                    outcome = _send_one(row, backend=backend, now=now)
                    sent += outcome == "sent"
                    retried += outcome == "retry"
                    failed += outcome == "failed"
            finally:
                _close(backend)


def _skip_locked() -> bool:
    # Without SKIP LOCKED a second worker waits for the lock instead of skipping.
    return bool(connection.features.has_select_for_update_skip_locked)


def _open(backend: Any) -> None:
    # A refused connection is tried again (and recorded) per message below.
    try:
        backend.open()
    except Exception:
        logger.warning("Email backend did not open; trying per message")


def _close(backend: Any) -> None:
    try:
        backend.close()
    except Exception:
        logger.warning("Email backend did not close cleanly")


def _send_one(row: OutboxEmail, *, backend: Any, now: datetime) -> str:
    message = EmailMessage(
        subject=row.subject,
        body=row.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[row.to_address],
        connection=backend,
    )
    row.attempts += 1
    try:
        accepted = message.send(fail_silently=False)
        if accepted != 1:
            raise RuntimeError("the email backend did not accept the message")
    except Exception as exc:  # any failure marks only this row
        # The class and a short message only: never the body.
        row.last_error = f"{type(exc).__name__}: {exc}"[:ERROR_MAX]
        if row.attempts >= settings.REMINDER_EMAIL_MAX_ATTEMPTS:
            row.failed_at = now
            outcome = "failed"
        else:
            delay = settings.REMINDER_EMAIL_RETRY_SECONDS * 2 ** (row.attempts - 1)
            row.next_attempt_at = now + timedelta(seconds=delay)
            outcome = "retry"
        logger.warning(
            "Outbox email %d attempt %d failed: %s", row.pk, row.attempts, outcome
        )
    else:
        row.sent_at = now
        row.last_error = ""
        outcome = "sent"
    row.save(
        update_fields=[
            "attempts",
            "last_error",
            "next_attempt_at",
            "sent_at",
            "failed_at",
        ]
    )
    return outcome
