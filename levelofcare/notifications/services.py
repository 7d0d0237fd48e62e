"""Writes of in-app notifications: marking them read; the reminder-email choice."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from levelofcare.models import Notification, ReminderPreference


def notification_read(
    *, user: Any, pk: int, now: datetime | None = None
) -> Notification:
    """Mark one of the user's notifications read (once: the first time counts).

    Raises `Notification.DoesNotExist` for someone else's notification.
    """
    notification = Notification.objects.get(pk=pk, user=user)
    if notification.read_at is None:
        notification.read_at = now or timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_read_all(*, user: Any, now: datetime | None = None) -> int:
    """Mark every unread notification of the user read; return how many."""
    return Notification.objects.filter(user=user, read_at=None).update(
        read_at=now or timezone.now()
    )


def reminder_email_set(*, user: Any, enabled: bool) -> ReminderPreference:
    """Turn the user's reminder email on or off (in-app reminders stay on).

    Turning it off also drops the items waiting for their next digest.
    """
    with transaction.atomic():
        preference, _ = ReminderPreference.objects.update_or_create(
            user=user, defaults={"email": enabled}
        )
        if not enabled:
            Notification.objects.filter(user=user, email_pending=True).update(
                email_pending=False
            )
    return preference
