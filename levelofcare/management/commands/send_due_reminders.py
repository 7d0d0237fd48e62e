"""Run one reminder sweep by hand: the same code the beat-scheduled task runs."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand

from levelofcare.progress.tasks import send_due_reminders


class Command(BaseCommand):
    help = (
        "Send due-soon reminders and overdue escalations for progress reviews once, "
        'and print the counts as JSON: {"due_soon": N, "overdue": M}.'
    )

    def handle(self, *args: Any, **options: Any) -> None:
        # Called in-process (not .delay()): works with the broker or worker down.
        counts = send_due_reminders()
        self.stdout.write(json.dumps(counts))
