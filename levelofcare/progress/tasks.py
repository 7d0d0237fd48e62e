"""Celery tasks of progress reviews: thin wrappers around services."""

from __future__ import annotations

from levelofcare.progress.reminders import reminders_sweep
from locatr.celery import shared_task


@shared_task(name="levelofcare.send_due_reminders")
def send_due_reminders() -> dict[str, int]:
    """Run one reminder sweep (beat schedules it; a re-run never sends twice)."""
    return reminders_sweep().as_dict()
