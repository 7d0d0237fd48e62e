"""Bulk FHIR export (NDJSON, FHIR Bulk Data layout) of 100,000 assessments.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/fhir_bench.py [--quick] [--keep]

DATABASE_URL only says which PostgreSQL server (and credentials) to use: the
bench creates its own throwaway database `locatr_bench_fhir`, migrates it, fills
it with N submitted assessments for N/2 clients (impact_bench's realistic
answers, their recommendations under criteria version 1) and one accepted
decision with an open placement per client, then runs `manage.py export_fhir
--all --ndjson DIR` into a temporary directory in its own process, so the time
and the peak memory (RSS) printed are the export's alone. It also times
fhir.resources validation on a sample, which the export skips unless
`--validate`.

Target: 100,000 assessments in <= 60 s (DESIGN.md, "Performance").
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import subprocess
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
# Runs `manage.py export_fhir --all --ndjson DIR`, then prints its peak RSS.
_COMMAND = """
import runpy, sys
manage, directory = sys.argv[1:3]
sys.argv = [manage, "export_fhir", "--all", "--ndjson", directory]
try:
    runpy.run_path(manage, run_name="__main__")
finally:
    with open("/proc/self/status") as status:
        print(next(l for l in status if l.startswith("VmHWM")), file=sys.stderr)
"""


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
        return _run(n, db.url)


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


def _run(n: int, database_url: str) -> int:
    from impact_bench import populate

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
    # The command as an operator runs it, in its own process: its time and its
    # peak memory (RSS) are the export's alone (this process holds the data set).
    from django.db import connections

    connections.close_all()
    with tempfile.TemporaryDirectory(prefix="fhir_bench_") as directory:
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "DEBUG": "0",
            "SITE_URL": "https://locatr.invalid",
            "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
        }
        started = time.perf_counter()
        # VmHWM (the process's own peak RSS, read as it ends): ru_maxrss of a
        # child counts the parent's pages it had between fork and exec.
        child = subprocess.run(
            [sys.executable, "-c", _COMMAND, str(ROOT / "manage.py"), directory],
            check=True,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        seconds = time.perf_counter() - started
        peak = re.search(r"VmHWM:\s+([0-9]+) kB", child.stderr)
        rss = int(peak.group(1)) / 1024 if peak else float("nan")
        counts = {
            path.stem: sum(1 for _ in path.open())
            for path in sorted(Path(directory).glob("*.ndjson"))
        }
        size = sum(f.stat().st_size for f in Path(directory).iterdir())
        sample = []
        with (Path(directory) / "QuestionnaireResponse.ndjson").open() as lines:
            for line in lines:
                sample.append(json.loads(line))
                if len(sample) == VALIDATION_SAMPLE:
                    break
    load = os.getloadavg()[0]
    total = sum(counts.values())
    for kind, count in counts.items():
        print(f"  {kind}.ndjson: {count:,}")
    print(
        f"export_fhir --all --ndjson: {total:,} resources, {size / 1e6:,.0f} MB in "
        f"{seconds:.1f} s ({total / seconds:,.0f} resources/s); the command's peak "
        f"RSS {rss:,.0f} MB (load average {load:.1f})"
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
        f"peak RSS {rss:,.0f} MB (load average {load:.1f}); "
        f"target <= {TARGET_SECONDS:.0f} s for 100,000"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
