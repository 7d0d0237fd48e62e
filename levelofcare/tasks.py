"""Where Celery's autodiscovery looks: the tasks live by concern."""

from levelofcare.progress.tasks import send_due_reminders

__all__ = ["send_due_reminders"]
