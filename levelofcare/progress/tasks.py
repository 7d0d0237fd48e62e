"""Celery tasks of progress reviews: thin wrappers around services."""

from __future__ import annotations

from levelofcare.progress.outbox import reminder_emails_deliver
from levelofcare.progress.reminders import reminders_sweep
from locatr.celery import shared_task


@shared_task(name="levelofcare.send_due_reminders")
def send_due_reminders() -> dict[str, int]:
    """Run one reminder sweep, then deliver the email it left in the outbox (beat
    schedules it; a re-run never sends twice)."""
    result = reminders_sweep().as_dict()
    reminder_emails_deliver()
    return result


@shared_task(name="levelofcare.deliver_reminder_emails")
def deliver_reminder_emails() -> dict[str, int]:
    """Write due digests and send (or retry) the outbox."""
    return reminder_emails_deliver().as_dict()
