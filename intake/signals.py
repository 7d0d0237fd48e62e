"""History rows remember who made them as they were then (`HistorySnapshot`)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver
from simple_history.signals import pre_create_historical_record


@receiver(pre_create_historical_record, dispatch_uid="history-actor-snapshot")
def _snapshot_actor(
    sender: Any, history_instance: Any, history_user: Any = None, **kwargs: Any
) -> None:
    """Copy the acting user's username and full name onto the history row, on
    every historical model that has the snapshot fields. No user (a command, a
    migration): left NULL, which the audit trail shows as "system"."""
    if history_user is None or not hasattr(history_instance, "history_username"):
        return
    history_instance.history_username = history_user.get_username()
    history_instance.history_full_name = history_user.get_full_name()
