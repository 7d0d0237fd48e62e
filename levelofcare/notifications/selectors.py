"""Reads of in-app notifications (the reminder sweep writes them)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from levelofcare.models import Notification


def notifications_of(*, user: Any) -> QuerySet[Notification]:
    """The user's notifications, newest first."""
    return Notification.objects.filter(user=user).order_by("-created_at", "-pk")


def notifications_unread_count(*, user: Any) -> int:
    """One COUNT on the (user, read_at) index: the bell in the navigation."""
    return Notification.objects.filter(user=user, read_at=None).count()
