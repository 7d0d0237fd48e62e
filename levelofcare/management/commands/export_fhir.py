"""`manage.py export_fhir REFERENCE`: a client's record as a FHIR R4 Bundle.
`manage.py export_fhir --all --ndjson DIR`: everything, as FHIR Bulk Data
NDJSON files (one per resource type) and a manifest."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser

from intake.services import client_record_viewed
from levelofcare.fhir.bundle import bulk_export, client_bundle
from levelofcare.fhir.selectors import client_by_reference

INVALID = 2
COMMAND_VIEW_NAME = "fhir_export_command"


class Command(BaseCommand):
    help = (
        "Print a client's record (by clinic reference) as a FHIR R4 Bundle (JSON), "
        "or with --all --ndjson DIR write every record as FHIR Bulk Data NDJSON "
        "files. Exit 2 for an unknown reference or a directory that cannot be "
        "written."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("reference", nargs="?", metavar="REFERENCE")
        parser.add_argument("--all", action="store_true", help="export every client")
        parser.add_argument(
            "--ndjson", metavar="DIR", help="with --all: the directory to write to"
        )
        parser.add_argument(
            "--validate",
            action="store_true",
            help="with --all: validate every resource with fhir.resources (slow)",
        )
        parser.add_argument(
            "--user",
            metavar="USERNAME",
            help="log the export of REFERENCE as a record view by this user",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["all"]:
            if options["reference"]:
                raise CommandError(
                    "Give either REFERENCE or --all, not both.", returncode=INVALID
                )
            self._bulk(options["ndjson"], validate=options["validate"])
            return
        if not options["reference"]:
            raise CommandError(
                "Give a client reference, or --all --ndjson DIR.", returncode=INVALID
            )
        client = client_by_reference(reference=options["reference"])
        if client is None:
            raise CommandError("No client with that reference.", returncode=INVALID)
        user = _user(options["user"])
        bundle = client_bundle(client=client)
        if user is not None:
            client_record_viewed(user=user, client=client, view_name=COMMAND_VIEW_NAME)
        self.stdout.write(json.dumps(bundle, indent=2, ensure_ascii=False))

    def _bulk(self, directory: str | None, *, validate: bool) -> None:
        if not directory:
            raise CommandError("--all needs --ndjson DIR.", returncode=INVALID)
        path = Path(directory)
        if not path.is_dir():
            raise CommandError(
                f"{directory} is not a directory: create it first.", returncode=INVALID
            )
        if not os.access(path, os.W_OK | os.X_OK):
            raise CommandError(f"Cannot write to {directory}.", returncode=INVALID)
        started = time.perf_counter()
        try:
            counts = bulk_export(directory=path, validate=validate)
        except OSError as exc:
            raise CommandError(
                f"Cannot write to {directory}: {exc.strerror}.", returncode=INVALID
            ) from exc
        seconds = time.perf_counter() - started
        for kind, count in counts.items():
            self.stdout.write(f"{kind}.ndjson: {count:,}")
        self.stdout.write(
            f"Wrote {sum(counts.values()):,} resources in {seconds:.1f} s."
        )


def _user(username: str | None) -> User | None:
    if username is None:
        return None
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None or not user.has_perm("intake.view_client"):
        raise CommandError(
            f"{username!r} is not an active clinician or coordinator.",
            returncode=INVALID,
        )
    return user
