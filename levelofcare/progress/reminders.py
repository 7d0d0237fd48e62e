"""The reminder sweep (a service): due-soon reminders and overdue escalations of
progress reviews, each sent once.

State lives in the database, not in the broker: a review is reminded when its
`due_soon_sent_at` / `overdue_sent_at` is claimed. Claims are atomic, so two sweeps
at once, a retried task or a re-run after an outage never send twice, and a sweep
that did not run (Redis or the worker down) is simply caught up by the next one.
Texts carry a client reference and a link only, never names or dates of birth.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from levelofcare.criteria.selectors import criteria_active
from levelofcare.models import Notification, ProgressReview
from levelofcare.progress.selectors import escalation_recipients, users_emailable

logger = logging.getLogger(__name__)

Kind = Notification.Kind
SUBJECTS = {
    Kind.DUE_SOON: "A progress review is due (client ref {reference})",
    Kind.OVERDUE: "A progress review is overdue (client ref {reference})",
}
SENT_FIELD = {Kind.DUE_SOON: "due_soon_sent_at", Kind.OVERDUE: "overdue_sent_at"}


@dataclass(frozen=True)
class SweepResult:
    """How many reviews this sweep reminded (not how many messages it sent)."""

    due_soon: int = 0
    overdue: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def reminders_sweep(
    *, now: datetime | None = None, batch_size: int = 500
) -> SweepResult:
    """Remind every review that is due soon, escalate every overdue one, once each.

    1. Due soon: scheduled, due within the criteria's lead time, not yet past the
       overdue grace, and not reminded yet -> one in-app notification for the
       assignee.
    2. Overdue: scheduled, due more than the grace period ago, not escalated yet ->
       one in-app notification for the assignee and each member of the escalation
       group (every active clinician while that group is empty). A review first
       seen already overdue gets only the escalation.
    Rows are walked in primary-key batches; each batch is one transaction that
    claims its rows and writes the notifications. A notification for someone who
    takes reminder email is an item of their next digest (`email_pending`), in the
    same transaction: `outbox.reminder_emails_deliver` writes and sends digests.
    """
    now = now or timezone.now()
    started = time.monotonic()
    criteria = criteria_active()
    lead = timedelta(hours=criteria.reminder_lead_hours)
    grace = timedelta(hours=criteria.overdue_grace_hours)
    emailable = users_emailable()
    due_soon = _sweep(
        kind=Kind.DUE_SOON,
        due=Q(due_at__lte=now + lead, due_at__gt=now - grace),
        now=now,
        batch_size=batch_size,
        emailable=emailable,
    )
    overdue = _sweep(
        kind=Kind.OVERDUE,
        due=Q(due_at__lte=now - grace),
        now=now,
        batch_size=batch_size,
        emailable=emailable,
    )
    result = SweepResult(due_soon=due_soon, overdue=overdue)
    logger.info(
        "Reminder sweep: %d due soon, %d overdue in %.3fs",
        result.due_soon,
        result.overdue,
        time.monotonic() - started,
    )
    return result


def _sweep(
    *,
    kind: Notification.Kind,
    due: Q,
    now: datetime,
    batch_size: int,
    emailable: frozenset[int],
) -> int:
    field = SENT_FIELD[kind]
    pending = ProgressReview.objects.filter(
        due, status=ProgressReview.Status.SCHEDULED, **{f"{field}__isnull": True}
    )
    escalate_to = escalation_recipients() if kind == Kind.OVERDUE else []
    reminded, last_pk = 0, 0
    while True:
        # Keyset pagination: rows another sweep holds (skipped) are not revisited.
        pks = list(
            pending.filter(pk__gt=last_pk)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not pks:
            return reminded
        last_pk = pks[-1]
        reminded += _remind_batch(
            pending.filter(pk__in=pks),
            kind=kind,
            field=field,
            now=now,
            escalate_to=escalate_to,
            emailable=emailable,
        )


def _remind_batch(
    candidates: QuerySet[ProgressReview],
    *,
    kind: Notification.Kind,
    field: str,
    now: datetime,
    escalate_to: Sequence[int],
    emailable: frozenset[int],
) -> int:
    with transaction.atomic():
        won = _claim(candidates, field=field, now=now)
        # Only the columns a reminder may carry: never names or dates of birth.
        rows = (
            ProgressReview.objects.filter(pk__in=won)
            .order_by("pk")
            .values_list("pk", "placement__client__reference", "assigned_to")
        )
        # The due list narrowed to one review: reachable by any clinician.
        due_path = reverse("levelofcare:progress_reviews_due")
        subject = SUBJECTS[kind]
        notifications: list[Notification] = []
        for pk, reference, assignee_id in rows:
            text = subject.format(reference=reference)
            url = f"{due_path}?review={pk}#review-{pk}"
            for user_id in dict.fromkeys((assignee_id, *escalate_to)):
                notifications.append(
                    Notification(
                        user_id=user_id,
                        kind=kind,
                        review_id=pk,
                        text=text,
                        url=url,
                        created_at=now,
                        email_pending=user_id in emailable,
                    )
                )
        Notification.objects.bulk_create(notifications, batch_size=2000)
    return len(won)


def _claim(
    candidates: QuerySet[ProgressReview], *, field: str, now: datetime
) -> list[int]:
    """Mark the candidates as reminded; return the pks this sweep won.

    PostgreSQL: lock the batch with SKIP LOCKED (a concurrent sweep takes other
    rows; a row another sweep already claimed fails the re-checked WHERE), then one
    UPDATE. Elsewhere (SQLite): one conditional UPDATE per row, which only the
    first writer can win.
    """
    if connection.features.has_select_for_update_skip_locked:
        won = list(
            candidates.select_for_update(skip_locked=True)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        ProgressReview.objects.filter(pk__in=won).update(**{field: now})
        return won
    return [
        pk
        for pk in candidates.order_by("pk").values_list("pk", flat=True)
        if candidates.filter(pk=pk).update(**{field: now})
    ]
