"""Writes of in-app notifications: marking them read."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from levelofcare.models import Notification


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
