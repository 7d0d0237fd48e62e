"""Bulk FHIR export (NDJSON, FHIR Bulk Data layout) of 100,000 assessments.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/fhir_bench.py [--quick] [--keep]

DATABASE_URL only says which PostgreSQL server (and credentials) to use: the
bench creates its own throwaway database `locatr_bench_fhir`, migrates it, fills
it with N submitted assessments for N/2 clients (impact_bench's realistic
answers, their recommendations under criteria version 1) and one accepted
decision with an open placement per client, then times `manage.py export_fhir
--all --ndjson DIR` (the same `bulk_export`) into a temporary directory, and the
peak memory (RSS) it added. It also times fhir.resources validation on a sample,
which the export skips unless `--validate`.

Target: 100,000 assessments in <= 60 s (DESIGN.md, "Performance").
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

from _benchdb import bench_database, migrate, setup_django, throwaway_database

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_DB = "locatr_bench_fhir"
TARGET_SECONDS = 60.0
VALIDATION_SAMPLE = 500


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="10,000 assessments instead of 100,000"
    )
    parser.add_argument(
        "--keep", action="store_true", help=f"keep the {BENCH_DB} database afterwards"
    )
    args = parser.parse_args()
    n = 10_000 if args.quick else 100_000
    db = bench_database(BENCH_DB, script="fhir_bench")
    if db is None:
        return 2
    with throwaway_database(db, keep=args.keep):
        setup_django(db)
        return _run(n)


def _decide_first_assessments() -> int:
    """An accepted decision and an open placement for each client's first
    assessment with a level (bulk_create: the bench times the export only)."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from levelofcare.models import Decision, Placement, Recommendation

    user = get_user_model().objects.get(username="bench")
    now = timezone.now()
    firsts: dict[int, Recommendation] = {}
    for rec in Recommendation.objects.filter(level__isnull=False).order_by("pk"):
        firsts.setdefault(rec.client_id, rec)
    decisions = Decision.objects.bulk_create(
        (
            Decision(
                recommendation=rec,
                kind=Decision.Kind.ACCEPT,
                level=rec.level,
                decided_by=user,
                decided_at=now,
            )
            for rec in firsts.values()
        ),
        batch_size=5000,
    )
    Placement.objects.bulk_create(
        (
            Placement(
                client_id=d.recommendation.client_id,
                level=d.level,
                decision=d,
                started_at=now,
            )
            for d in decisions
        ),
        batch_size=5000,
    )
    return len(decisions)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _run(n: int) -> int:
    from impact_bench import populate

    from levelofcare.fhir.bundle import bulk_export
    from levelofcare.fhir.resources import validated

    print(f"bench database: {BENCH_DB} (throwaway); CPUs: {os.cpu_count()}")
    print(f"migrated in {migrate():.1f} s")
    started = time.perf_counter()
    populate(n)
    decided = _decide_first_assessments()
    print(
        f"created {n:,} submitted assessments and {decided:,} decisions in "
        f"{time.perf_counter() - started:.1f} s"
    )
    rss_before = _rss_mb()
    with tempfile.TemporaryDirectory(prefix="fhir_bench_") as directory:
        started = time.perf_counter()
        counts = bulk_export(directory=Path(directory))
        seconds = time.perf_counter() - started
        size = sum(f.stat().st_size for f in Path(directory).iterdir())
        sample = []
        with (Path(directory) / "QuestionnaireResponse.ndjson").open() as lines:
            import json

            for line in lines:
                sample.append(json.loads(line))
                if len(sample) == VALIDATION_SAMPLE:
                    break
    load = os.getloadavg()[0]
    total = sum(counts.values())
    for kind, count in counts.items():
        print(f"  {kind}.ndjson: {count:,}")
    print(
        f"export: {total:,} resources, {size / 1e6:,.0f} MB in {seconds:.1f} s "
        f"({total / seconds:,.0f} resources/s); peak RSS {rss_before:,.0f} MB before, "
        f"{_rss_mb():,.0f} MB after (load average {load:.1f})"
    )
    started = time.perf_counter()
    for qr in sample:
        validated(qr)
    per = (time.perf_counter() - started) / len(sample) * 1000
    print(
        f"fhir.resources validation: {per:.2f} ms per QuestionnaireResponse "
        f"(sample of {len(sample)}; --validate adds about {per * total / 1000:,.0f} s)"
    )
    print(
        f"RESULT fhir_bulk_export n={n:,}: {seconds:.1f} s, {total:,} resources, "
        f"peak RSS {_rss_mb():,.0f} MB (load average {load:.1f}); "
        f"target <= {TARGET_SECONDS:.0f} s for 100,000"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
