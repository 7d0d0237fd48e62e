"""Create one demo account per role. Idempotent: re-running never duplicates."""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from locatr.roles import CLINICIANS, COORDINATORS, CRITERIA_ADMINS

DEMO_ACCOUNTS = (
    # username, first name, last name, group, staff (Django admin access)
    ("coordinator", "Casey", "Coordinator", COORDINATORS, False),
    ("clinician", "Dr Robin", "Clinician", CLINICIANS, False),
    ("criteria-admin", "Alex", "Admin", CRITERIA_ADMINS, True),
)


class Command(BaseCommand):
    help = "Create the demo accounts (one per role) and print their passwords."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--password",
            default=os.environ.get("DEMO_PASSWORD", ""),
            help="Password for all demo accounts (default: $DEMO_PASSWORD).",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Allow demo accounts when DEBUG is off (never in production).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        password = options["password"]
        if not password:
            raise CommandError(
                "No demo password: pass --password or set DEMO_PASSWORD "
                "(`make run` writes one to .env)."
            )
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "Refusing to create demo accounts with DEBUG off; use --force "
                "if this really is not production."
            )
        user_model = get_user_model()
        with transaction.atomic():
            for username, first, last, group_name, staff in DEMO_ACCOUNTS:
                user, created = user_model.objects.get_or_create(
                    username=username,
                    defaults={"first_name": first, "last_name": last},
                )
                user.is_staff = staff
                user.is_active = True
                user.set_password(password)
                user.save()
                user.groups.set([Group.objects.get(name=group_name)])
                verb = "created" if created else "updated"
                self.stdout.write(f"  {verb} {username:<15} ({group_name})")
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo accounts ready. Sign in at {settings.SITE_URL}/accounts/login/ "
                f"with any of the usernames above and the password: {password}"
            )
        )
