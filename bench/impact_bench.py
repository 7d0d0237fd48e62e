"""Impact preview over 100,000 submitted assessments on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/locatr_dev \\
        .venv/bin/python bench/impact_bench.py [--quick] [--keep]

DATABASE_URL only says which PostgreSQL server (and credentials) to use: the
bench creates its own throwaway database `locatr_bench` next to yours, migrates
it, fills it with N submitted assessments (realistic random answers, their
recommendations under criteria version 1) via bulk_create, times
`impact_preview` under a draft that lowers the PHQ-9 and GAD-7 IOP thresholds,
and drops the database again (unless --keep). Your own database is never touched.

Target: 100,000 assessments in <= 5 s (DESIGN.md, "Performance").
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from _benchdb import bench_database, migrate, setup_django, throwaway_database

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_DB = "locatr_bench"
TARGET_SECONDS = 5.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="10,000 assessments instead of 100,000"
    )
    parser.add_argument(
        "--keep", action="store_true", help=f"keep the {BENCH_DB} database afterwards"
    )
    parser.add_argument("--runs", type=int, default=3, help="timed runs (default 3)")
    args = parser.parse_args()
    n = 10_000 if args.quick else 100_000

    db = bench_database(
        BENCH_DB, script="impact_bench", refuse_test_databases=False, force_drop=False
    )
    if db is None:
        return 2
    # As before, no DROP ... WITH (FORCE): a drop fails rather than ending someone
    # else's session on locatr_bench.
    with throwaway_database(db, keep=args.keep):
        setup_django(db)
        return _run(n, args.runs)


# --- data ------------------------------------------------------------------------


def _maybe(rng: random.Random, p_answered: float, value: Any) -> Any:
    return value if rng.random() < p_answered else ...


def _items(rng: random.Random, count: int, severity: float) -> list[int]:
    """Item scores around a person's severity (0..3), roughly like clinic data."""
    return [max(0, min(3, round(rng.gauss(severity, 0.8)))) for _ in range(count)]


def realistic_answers(rng: random.Random) -> dict[str, Any]:
    """One plausible set of contract answers; most complete, some gaps."""
    severity = rng.choices([0.3, 0.9, 1.5, 2.1, 2.6], weights=[30, 30, 22, 12, 6])[0]
    thoughts = rng.random() < 0.08 + severity * 0.06
    ever = rng.random() < 0.10
    cssrs: dict[str, bool] = {
        "wish_dead": thoughts or rng.random() < 0.15,
        "suicidal_thoughts": thoughts,
        "behavior_ever": ever,
    }
    if thoughts:
        cssrs.update(
            method=rng.random() < 0.35,
            intent=rng.random() < 0.10,
            plan=rng.random() < 0.07,
        )
    if ever:
        cssrs["behavior_past_3_months"] = rng.random() < 0.25
    if rng.random() < 0.03:  # one question skipped (never a "yes" parent)
        parents = {"suicidal_thoughts": thoughts, "behavior_ever": ever}
        cssrs.pop(rng.choice([q for q in cssrs if not parents.get(q)]))
    phq9 = _items(rng, 9, severity)
    phq9[8] = 1 if thoughts and rng.random() < 0.7 else 0
    candidates: dict[str, Any] = {
        "cssrs": _maybe(rng, 0.96, cssrs),
        "harm_to_others": _maybe(
            rng, 0.97, rng.choices(["none", "thoughts", "intent"], [95, 4, 1])[0]
        ),
        "phq9": _maybe(rng, 0.96, phq9),
        "gad7": _maybe(rng, 0.95, _items(rng, 7, severity * 0.9)),
        "impaired_judgement": _maybe(rng, 0.97, rng.random() < 0.03),
        "can_care_for_self": _maybe(rng, 0.97, rng.random() < 0.97),
        "safe_housing": _maybe(rng, 0.97, rng.random() < 0.95),
        "support_at_home": _maybe(rng, 0.95, rng.random() < 0.8),
        "needs_medical_detox": _maybe(rng, 0.97, rng.random() < 0.02),
        "needs_24h_medical_monitoring": _maybe(rng, 0.97, rng.random() < 0.02),
        "work_or_school_commitment": _maybe(rng, 0.9, rng.random() < 0.6),
        "can_attend_3_days_week": _maybe(rng, 0.9, rng.random() < 0.7),
        "discharged_inpatient_days_ago": _maybe(
            rng, 0.95, None if rng.random() < 0.85 else rng.randint(0, 120)
        ),
        "weeks_weekly_therapy_without_improvement": _maybe(
            rng, 0.95, None if rng.random() < 0.6 else rng.randint(0, 26)
        ),
    }
    return {k: v for k, v in candidates.items() if v is not ...}


def populate(n: int, *, seed: int = 2024) -> None:
    """N submitted assessments for N/2 clients, each with its recommendation."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone

    from intake.models import Assessment, Client
    from levelofcare import rules
    from levelofcare.models import LEVEL_PRIORITY, CriteriaSet, Recommendation

    rng = random.Random(seed)
    v1 = CriteriaSet.objects.get(is_active=True)
    criteria = v1.to_criteria()
    now = timezone.now()
    batch = 5000
    with transaction.atomic():
        user = get_user_model().objects.create(username="bench", is_active=False)
        clients = Client.objects.bulk_create(
            (
                Client(
                    reference=f"BENCH-{i:07d}",
                    given_name="Bench",
                    family_name=f"Client{i}",
                    date_of_birth=date(1950, 1, 1)
                    + timedelta(days=rng.randint(0, 20000)),
                    created_by=user,
                )
                for i in range(max(1, n // 2))
            ),
            batch_size=batch,
        )
        all_answers = [realistic_answers(rng) for _ in range(n)]
        assessments = Assessment.objects.bulk_create(
            (
                Assessment(
                    client=clients[i % len(clients)],
                    status=Assessment.Status.SUBMITTED,
                    answers=answers,
                    created_by=user,
                    submitted_by=user,
                    submitted_at=now,
                )
                for i, answers in enumerate(all_answers)
            ),
            batch_size=batch,
        )
        recommendations = []
        for assessment in assessments:
            rec = rules.evaluate(rules.answers_from_dict(assessment.answers), criteria)
            data = rules.recommendation_to_dict(rec, v1.version)
            level = None if rec.level is None else rec.level.slug
            recommendations.append(
                Recommendation(
                    assessment=assessment,
                    client=assessment.client,
                    level=level,
                    priority=LEVEL_PRIORITY[level],
                    reasons=data["reasons"],
                    notes=data["notes"],
                    missing=data["missing"],
                    scores=data["scores"],
                    criteria=v1,
                )
            )
        Recommendation.objects.bulk_create(recommendations, batch_size=batch)
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")  # steady state, as autovacuum leaves it


def _run(n: int, runs: int) -> int:
    from django.db.models import Count

    from levelofcare import rules
    from levelofcare.criteria.impact import impact_preview
    from levelofcare.models import Recommendation

    print(f"bench database: {BENCH_DB} (throwaway); CPUs: {os.cpu_count()}")
    print(f"migrated in {migrate():.1f} s")
    started = time.perf_counter()
    populate(n)
    print(
        f"created {n:,} submitted assessments in {time.perf_counter() - started:.1f} s"
    )
    levels = dict(
        Recommendation.objects.values_list("level").annotate(n=Count("id")).order_by()
    )
    print(
        "stored levels:", ", ".join(f"{k or 'null'}={v:,}" for k, v in levels.items())
    )

    draft = rules.Criteria(phq9_iop_min=12, gad7_iop_min=12)
    seconds = []
    preview = None
    for run in range(1, runs + 1):
        started = time.perf_counter()
        preview = impact_preview(draft=draft)
        seconds.append(time.perf_counter() - started)
        print(
            f"run {run}: impact_preview over {preview.examined:,} assessments: "
            f"{seconds[-1]:.2f} s ({preview.examined / seconds[-1]:,.0f} rows/s), "
            f"{preview.changed:,} would change level "
            f"(load average {os.getloadavg()[0]:.1f})"
        )
    for row in preview.transitions if preview else ():
        print(f"  {row.from_label} -> {row.to_label}: {row.count:,}")
    median = statistics.median(seconds)
    print(
        f"RESULT impact_preview n={n:,}: median {median:.2f} s, "
        f"best {min(seconds):.2f} s ({n / median:,.0f} rows/s); "
        f"target <= {TARGET_SECONDS:.0f} s for 100,000"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
