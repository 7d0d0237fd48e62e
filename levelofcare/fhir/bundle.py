"""A client's FHIR Bundle, and the bulk export (one NDJSON file per resource
type, FHIR Bulk Data layout)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Final

from django.utils import timezone

from intake.models import Client
from levelofcare.fhir import resources, selectors
from levelofcare.fhir.resources import Resource

# The order of the files (and of a Bundle's entries).
RESOURCE_TYPES: Final = (
    "Patient",
    "QuestionnaireResponse",
    "Observation",
    "RiskAssessment",
    "GuidanceResponse",
    "ServiceRequest",
    "Provenance",
)
CHUNK_SIZE: Final = 2000
WRITE_BUFFER: Final = 1 << 20  # bytes per file between writes


def client_resources(*, client: Client) -> list[Resource]:
    rows = selectors.client_rows(client=client)
    found = [resources.patient(rows.client)]
    for assessment in rows.assessments:
        found.extend(resources.assessment_resources(assessment))
    for decision in rows.decisions:
        found.append(resources.service_request(decision))
        found.append(resources.provenance(decision))
    return found


def client_bundle(*, client: Client, now: datetime | None = None) -> Resource:
    """The client's record as a Bundle of type `collection`."""
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": (now or timezone.now()).isoformat(),
        "entry": [{"resource": r} for r in client_resources(client=client)],
    }


def _all_resources(chunk_size: int) -> Iterator[Resource]:
    """Every resource, streamed: each query is read in chunks (a server-side
    cursor on PostgreSQL) as plain rows, so memory stays flat whatever the
    row count."""
    yield from map(
        resources.patient,
        selectors.patient_rows(selectors.patients_for_export(), chunk_size=chunk_size),
    )
    for assessment in selectors.assessment_rows(
        selectors.assessments_for_export(), chunk_size=chunk_size
    ):
        yield from resources.assessment_resources(assessment)
    for decision in selectors.decision_rows(
        selectors.decisions_for_export(), chunk_size=chunk_size
    ):
        yield resources.service_request(decision)
        yield resources.provenance(decision)


def bulk_export(
    *,
    directory: Path,
    validate: bool = False,
    chunk_size: int = CHUNK_SIZE,
    now: datetime | None = None,
) -> dict[str, int]:
    """Write `<ResourceType>.ndjson` files (one resource per line) and a Bulk
    Data `manifest.json` into `directory`; return the count per type.

    With `validate`, every resource is validated with fhir.resources first
    (about 1 ms each: minutes for 100,000 assessments).
    """
    now = now or timezone.now()
    counts = dict.fromkeys(RESOURCE_TYPES, 0)
    with ExitStack() as stack:
        files: dict[str, IO[bytes]] = {
            kind: stack.enter_context(
                (directory / f"{kind}.ndjson").open("wb", buffering=WRITE_BUFFER)
            )
            for kind in RESOURCE_TYPES
        }
        encode = resources.encode_line
        for resource in _all_resources(chunk_size):
            if validate:
                resources.validated(resource)
            kind = resource["resourceType"]
            files[kind].write(encode(resource))
            counts[kind] += 1
    manifest: dict[str, Any] = {
        "transactionTime": now.isoformat(),
        "request": "manage.py export_fhir --all",
        "requiresAccessToken": False,
        "output": [
            {"type": kind, "url": f"{kind}.ndjson", "count": counts[kind]}
            for kind in RESOURCE_TYPES
        ],
        "error": [],
    }
    (directory / "manifest.json").write_text(
        json.dumps(manifest, indent=2) + "\n", encoding="utf-8"
    )
    return counts
