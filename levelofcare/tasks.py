"""Where Celery's autodiscovery looks: the tasks live by concern."""

from levelofcare.progress.tasks import deliver_reminder_emails, send_due_reminders

__all__ = ["deliver_reminder_emails", "send_due_reminders"]
