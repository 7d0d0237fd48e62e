"""`manage.py export_fhir --all --ndjson DIR`: FHIR Bulk Data NDJSON files."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models.query import QuerySet

from levelofcare.fhir.bundle import RESOURCE_TYPES, bulk_export, client_resources
from levelofcare.fhir.resources import encode, encode_line, validated
from tests.factories import ClientFactory
from tests.levelofcare.fhir_helpers import full_record

pytestmark = pytest.mark.django_db


def read(directory: Path, kind: str) -> list[dict[str, Any]]:
    text = (directory / f"{kind}.ndjson").read_text(encoding="utf-8")
    assert text.endswith("\n") or text == ""
    return [json.loads(line) for line in text.splitlines()]


@pytest.fixture
def two_records(coordinator, clinician) -> list[dict[str, Any]]:
    return [full_record(coordinator=coordinator, clinician=clinician) for _ in "ab"]


def test_one_file_per_type_one_resource_per_line(tmp_path, two_records) -> None:
    out = io.StringIO()

    call_command("export_fhir", "--all", "--ndjson", str(tmp_path), stdout=out)

    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"{kind}.ndjson" for kind in RESOURCE_TYPES] + ["manifest.json"]
    )
    expected = [
        r for record in two_records for r in client_resources(client=record["client"])
    ]
    for kind in RESOURCE_TYPES:
        lines = read(tmp_path, kind)
        assert all(resource["resourceType"] == kind for resource in lines)
        assert sorted(lines, key=lambda r: r["id"]) == sorted(
            (r for r in expected if r["resourceType"] == kind), key=lambda r: r["id"]
        ), kind
    assert "Patient.ndjson: 2" in out.getvalue()


def test_the_counts_and_the_manifest(tmp_path, two_records) -> None:
    counts = bulk_export(directory=tmp_path)

    assert counts == {
        "Patient": 2,
        "QuestionnaireResponse": 6,
        "Observation": 10,  # 2 per assessment, one without a GAD-7
        "RiskAssessment": 6,
        "GuidanceResponse": 6,
        "ServiceRequest": 6,
        "Provenance": 6,
    }
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["output"] == [
        {"type": kind, "url": f"{kind}.ndjson", "count": counts[kind]}
        for kind in RESOURCE_TYPES
    ]
    assert manifest["requiresAccessToken"] is False


def test_every_line_validates(tmp_path, two_records) -> None:
    bulk_export(directory=tmp_path, validate=True)

    for kind in RESOURCE_TYPES:
        for resource in read(tmp_path, kind):
            validated(resource)


def test_the_fast_encoding_is_the_same_json(two_records) -> None:
    for record in two_records:
        for resource in client_resources(client=record["client"]):
            assert json.loads(encode(resource)) == resource


COMPACT = {"ensure_ascii": False, "separators": (",", ":")}


@pytest.mark.parametrize(
    "text",
    [
        "Zoë Núñez-Ødegård",
        "王秀英",
        "emoji \U0001f600 and \u2028 line separator",
        'a "quote", a \\ backslash and a / slash',
        "tab\t newline\n return\r \x00 \x1f \x7f controls",
        "",
    ],
)
def test_the_encoding_is_compact_json_dumps_byte_for_byte(text: str) -> None:
    """orjson writes exactly what `json.dumps(ensure_ascii=False)` with compact
    separators writes: non-ASCII as UTF-8, the same escapes."""
    resource = {
        "resourceType": "Patient",
        "id": "12",
        "name": [{"family": text, "given": [text]}],
        "numbers": [0, -3, 2**40],
        "flags": [True, False, None],
        "nested": {"item": [{"linkId": text, "answer": []}]},
    }

    assert encode(resource) == json.dumps(resource, **COMPACT).encode("utf-8")
    assert encode_line(resource) == encode(resource) + b"\n"


def test_the_files_are_the_bundles_resources_byte_for_byte(
    tmp_path, coordinator, clinician
) -> None:
    record = full_record(coordinator=coordinator, clinician=clinician)
    patient = record["client"]
    patient.family_name = 'Núñez "Ødegård"'
    patient.given_name = "Zoë"
    patient.save()

    bulk_export(directory=tmp_path)

    expected = client_resources(client=patient)
    for kind in RESOURCE_TYPES:
        assert (tmp_path / f"{kind}.ndjson").read_bytes() == b"".join(
            json.dumps(r, **COMPACT).encode("utf-8") + b"\n"
            for r in expected
            if r["resourceType"] == kind
        ), kind


def test_rows_are_streamed_in_chunks(tmp_path, two_records, monkeypatch) -> None:
    """Constant memory: every query is read with .iterator(chunk_size), never
    loaded whole."""
    calls: list[tuple[str, int]] = []
    original = QuerySet.iterator

    def spy(self: QuerySet[Any], chunk_size: int | None = None) -> Any:
        calls.append((self.model.__name__, chunk_size or 0))
        return original(self, chunk_size=chunk_size)

    monkeypatch.setattr(QuerySet, "iterator", spy)

    counts = bulk_export(directory=tmp_path, chunk_size=2)

    assert calls == [("Client", 2), ("Assessment", 2), ("Decision", 2)]
    assert counts["QuestionnaireResponse"] == 6


def test_the_queries_do_not_grow_with_the_rows(
    tmp_path, coordinator, clinician, django_assert_max_num_queries
) -> None:
    for _ in range(3):
        full_record(coordinator=coordinator, clinician=clinician)
    ClientFactory.create_batch(5, created_by=coordinator)

    # a chunked read of each of the three kinds (users, criteria versions and
    # placements are joined into the rows)
    with django_assert_max_num_queries(3):
        counts = bulk_export(directory=tmp_path, chunk_size=1000)

    assert counts["Patient"] == 8


def test_an_empty_database_gives_empty_files(tmp_path) -> None:
    counts = bulk_export(directory=tmp_path)

    assert set(counts.values()) == {0}
    assert (tmp_path / "Patient.ndjson").read_text() == ""
