"""Reports at /reports/ over 100,000 assessments on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/reports_bench.py [--quick] [--keep]

DATABASE_URL only says which PostgreSQL server (and credentials) to use: the
bench creates its own throwaway database `locatr_bench_reports` next to yours,
migrates it and fills it (bulk_create, in chunks) with N submitted assessments
(N = 100,000; --quick: 10,000) spread over the past year: about N / 2.5 clients,
each with an intake assessment and 0 to 4 progress-review assessments about 4
weeks apart (some a new intake), every one with its recommendation (PHQ-9 and
GAD-7 totals in `scores`, the rule that fired in `reasons`, ~5 % "insufficient
information", ~8 % safety-flagged). About 92 % are decided: ~80 % accepted,
~20 % overridden one level up or down with a coded reason (some "level not
available"), ~2 % corrected a day later. Every original decision opens a
placement (the previous one ends) with one progress review, completed on time
or late, or still scheduled for the open placement.

Then, signed in as a clinician (every number; no suppression) with Django's
test client in process, it GETs each page in `PAGES` once to warm up, then
times three GETs (median) and counts the queries of one, for the default range
(the last 12 weeks) and for the whole year, then the home dashboard once per
role. The goal: each at most 1 s over the whole year (every row) with a
constant query count; the 12-week lines are extra. It prints the load
average before and after, and one RESULT line per page and range. The
database is dropped at the end (unless --keep).
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from _benchdb import bench_database, migrate, setup_django, throwaway_database

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_DB = "locatr_bench_reports"
CHUNK_CLIENTS = 4_000
GOAL_SECONDS = 1.0
RUNS = 3
REASON_CODES = (
    "client_preference",
    "not_available",
    "clinical_judgement",
    "access",
    "financial",
    "higher_level_required",
    "other",
)
LEVELS = ("outpatient", "iop", "inpatient")
SERVICE_GAPS = ("no_program", "full", "schedule", "payer", "distance")


def _url(name: str) -> Callable[[], str]:
    def build() -> str:
        from django.urls import reverse

        return reverse(name)

    return build


# The pages timed, as (name, URL builder). The home dashboard (issue 14a) is timed
# once per role instead (`DASHBOARD_ROLES`): its counts do not take a range.
PAGES: list[tuple[str, Callable[[], str]]] = [
    ("index", _url("levelofcare:reports")),
    ("volume", _url("levelofcare:report_volume")),
    ("overrides", _url("levelofcare:report_overrides")),
    ("timeliness", _url("levelofcare:report_timeliness")),
    ("outcomes", _url("levelofcare:report_outcomes")),
    ("service_gaps", _url("levelofcare:report_service_gaps")),
    ("volume_csv", _url("levelofcare:report_volume_csv")),
    ("overrides_csv_by_rule", _url("levelofcare:report_overrides_csv")),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="10,000 assessments instead of 100,000"
    )
    parser.add_argument("--assessments", type=int, help="number of assessments")
    parser.add_argument(
        "--keep", action="store_true", help=f"keep the {BENCH_DB} database afterwards"
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help=f"time again on the {BENCH_DB} database a --keep run left (not dropped)",
    )
    args = parser.parse_args()
    n = args.assessments or (10_000 if args.quick else 100_000)

    db = bench_database(BENCH_DB, script="reports_bench")
    if db is None:
        return 2
    if args.reuse:
        setup_django(db, ENV, unset=["EMAIL_URL"])
        return _run(n, reuse=True)
    with throwaway_database(db, keep=args.keep):
        setup_django(db, ENV, unset=["EMAIL_URL"])
        return _run(n, reuse=False)


ENV = {
    "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
    "DEBUG": "0",
    "ALLOWED_HOSTS": "testserver",
    "SECURE_SSL_REDIRECT": "0",
    "SESSION_COOKIE_SECURE": "0",
    "CSRF_COOKIE_SECURE": "0",
    "AXES_ENABLED": "0",
    "LOCATR_MFA_REQUIRED": "0",
    "LOCATR_ENV_FILE": "/nonexistent",
    "CELERY_BROKER_URL": "memory://",
    "STATICFILES_BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
    "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    "LOG_LEVEL": "WARNING",
    "DJANGO_SETTINGS_MODULE": "locatr.settings",
}


# --- data ---------------------------------------------------------------------------


def _scores(phq9: int | None, gad7: int | None) -> dict[str, Any]:
    return {
        "phq9": None
        if phq9 is None
        else {"total": phq9, "band": "x", "item9_positive": False},
        "gad7": None if gad7 is None else {"total": gad7, "band": "x"},
        "cssrs_risk": "none",
    }


def _recommended(rng: random.Random, phq9: int | None, gad7: int | None) -> Any:
    """(level, reason codes, safety flag) for one assessment."""
    r = rng.random()
    if r < 0.05:
        return None, [], False
    if r < 0.13:
        return "inpatient", ["RISK_CSSRS_HIGH"], True
    codes = []
    if phq9 is not None and phq9 >= 15:
        codes.append("PHQ9_IOP")
    if gad7 is not None and gad7 >= 15:
        codes.append("GAD7_IOP")
    if rng.random() < 0.05:
        codes.append("STEP_DOWN_AFTER_DISCHARGE")
    if codes:
        return "iop", codes, False
    return "outpatient", ["OUTPATIENT_NO_HIGHER_CRITERIA"], False


def _moved(rng: random.Random, level: str) -> str:
    i = LEVELS.index(level)
    steps = [j for j in (i - 1, i + 1) if 0 <= j < len(LEVELS)]
    return LEVELS[rng.choice(steps)]


Plan = list[tuple[datetime, str, int | None, int | None]]


def _plans(rng: random.Random, now: datetime, left: int) -> list[Plan]:
    """Up to CHUNK_CLIENTS clients' assessments (time, kind, PHQ-9, GAD-7), at
    most `left` in all: an intake, then reviews about 4 weeks apart."""
    plans: list[Plan] = []
    while len(plans) < CHUNK_CLIENTS and left > 0:
        count = min(rng.choice((1, 2, 2, 3, 3, 4, 5)), left)
        at = now - timedelta(days=rng.uniform(1, 365))
        phq9, gad7 = rng.randint(3, 27), rng.randint(2, 21)
        plan: Plan = []
        for j in range(count):
            if at > now:
                break
            again = j == 0 or rng.random() < 0.05
            plan.append(
                (
                    at,
                    "intake" if again else "progress_review",
                    None if rng.random() < 0.08 else phq9,
                    None if rng.random() < 0.1 else gad7,
                )
            )
            phq9 = max(0, phq9 - rng.randint(-2, 7))
            gad7 = max(0, gad7 - rng.randint(-2, 6))
            at += timedelta(days=rng.uniform(21, 35))
        plans.append(plan)
        left -= len(plan)
    return plans


def _decision(rng: random.Random, rec: Any, clinician: Any) -> Any:
    """Accepted (~80 %) or overridden one level with a coded reason."""
    from levelofcare.models import Decision

    if rec.level is None:
        kind, level, reason = "decided_without_recommendation", rng.choice(LEVELS), ""
    elif rng.random() < 0.8:
        kind, level, reason = "accept", rec.level, ""
    else:
        kind, level = "override", _moved(rng, rec.level)
        reason = rng.choice(REASON_CODES)
    # ~3 %: no program at the decided level could take the client.
    gap = rng.choice(SERVICE_GAPS) if rng.random() < 0.03 else ""
    return Decision(
        recommendation=rec,
        kind=kind,
        level=level,
        reason_code=reason,
        service_gap=gap,
        rationale="bench" if reason else "",
        decided_by=clinician,
        decided_at=rec.created_at + timedelta(hours=rng.expovariate(1 / 8)),
    )


def populate(n: int, now: datetime, *, seed: int = 2026) -> int:
    """N submitted assessments with recommendations, decisions (overrides,
    corrections), placements and progress reviews. Returns the clients made."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connection, transaction

    from intake.models import Assessment, Client
    from levelofcare.models import (
        LEVEL_PRIORITY,
        CriteriaSet,
        Decision,
        Placement,
        ProgressReview,
        Recommendation,
        RecommendationReason,
    )
    from levelofcare.reports.facts import reason_codes, score_totals
    from locatr.roles import CLINICIANS

    rng = random.Random(seed)
    users = get_user_model().objects
    clinician = users.create(username="bench-clinician", email="c@clinic.test")
    clinician.groups.set([Group.objects.get(name=CLINICIANS)])
    criteria = CriteriaSet.objects.get(is_active=True)
    interval = {
        "inpatient": timedelta(days=criteria.review_interval_inpatient_days),
        "iop": timedelta(days=criteria.review_interval_iop_days),
        "outpatient": timedelta(days=criteria.review_interval_outpatient_days),
    }
    made, client_no = 0, 0
    while made < n:
        with transaction.atomic():
            # 1. Clients and the times of their assessments.
            plans = _plans(rng, now, n - made)
            made += sum(len(plan) for plan in plans)
            clients = Client.objects.bulk_create(
                Client(
                    reference=f"RPT-{client_no + k:07d}",
                    given_name=f"Given{client_no + k}",
                    family_name=f"Family{client_no + k}",
                    date_of_birth=date(1960, 1, 1) + timedelta(days=k % 15000),
                    created_by=clinician,
                )
                for k in range(len(plans))
            )
            client_no += len(plans)
            rows = [
                (client, step)
                for client, plan in zip(clients, plans, strict=True)
                for step in plan
            ]
            assessments = Assessment.objects.bulk_create(
                Assessment(
                    client=client,
                    kind=kind,
                    status=Assessment.Status.SUBMITTED,
                    answers={},
                    created_by=clinician,
                    created_at=at,
                    submitted_at=at,
                    submitted_by=clinician,
                )
                for client, (at, kind, _, _) in rows
            )
            # 2. Recommendations.
            recommended = [_recommended(rng, p, g) for _, (_, _, p, g) in rows]
            recommendations = Recommendation.objects.bulk_create(
                Recommendation(
                    assessment=a,
                    client=a.client,
                    level=level,
                    priority=LEVEL_PRIORITY[level],
                    reasons=[{"code": c, "text": c, "values": {}} for c in codes],
                    scores=_scores(p, g),
                    **score_totals(_scores(p, g)),
                    safety_flag=flag,
                    criteria=criteria,
                    created_at=a.submitted_at,
                )
                for a, (level, codes, flag), (_, (_, _, p, g)) in zip(
                    assessments, recommended, rows, strict=True
                )
            )
            RecommendationReason.objects.bulk_create(
                RecommendationReason(recommendation=rec, position=i, code=code)
                for rec in recommendations
                for i, code in enumerate(reason_codes(rec.reasons))
            )
            # 3. Decisions: accepted or overridden one level; some corrected.
            originals = [
                _decision(rng, rec, clinician)
                for rec in recommendations
                if rng.random() < 0.92
            ]
            originals = Decision.objects.bulk_create(originals)
            Decision.objects.bulk_create(
                Decision(
                    recommendation=d.recommendation,
                    kind="accept" if d.recommendation.level else d.kind,
                    level=d.recommendation.level or d.level,
                    rationale="correction",
                    decided_by=clinician,
                    decided_at=d.decided_at + timedelta(days=1),
                    corrects=d,
                )
                for d in originals
                if rng.random() < 0.02
            )
            # 4. Placements (the client's previous one ends) and their reviews.
            latest: dict[int, Placement] = {}
            placements = []
            for d in sorted(originals, key=lambda d: d.decided_at):
                client_id = d.recommendation.client_id
                previous = latest.get(client_id)
                if previous is not None:
                    previous.ended_at = d.decided_at
                placement = Placement(
                    client_id=client_id,
                    level=d.level,
                    decision=d,
                    started_at=d.decided_at,
                )
                latest[client_id] = placement
                placements.append(placement)
            placements = Placement.objects.bulk_create(placements)
            reviews = []
            for p in placements:
                due = p.started_at + interval[p.level]
                if p.ended_at is None:
                    reviews.append(
                        ProgressReview(
                            placement=p,
                            due_at=due,
                            assigned_to=clinician,
                            created_at=p.started_at,
                        )
                    )
                    continue
                done = min(p.ended_at, due + timedelta(hours=rng.uniform(-48, 96)))
                reviews.append(
                    ProgressReview(
                        placement=p,
                        due_at=due,
                        status=ProgressReview.Status.COMPLETED,
                        completed_at=done,
                        assigned_to=clinician,
                        created_at=p.started_at,
                    )
                )
            ProgressReview.objects.bulk_create(reviews)
    with connection.cursor() as cur:
        # As autovacuum leaves a table: statistics and the visibility map (the
        # reports' index-only scans).
        cur.execute("VACUUM ANALYZE")
    return client_no


# --- timing -------------------------------------------------------------------------


def _time_pages(browser: Any, query: str) -> dict[str, tuple[float, int]]:
    """{page: (median seconds of RUNS GETs, queries of one GET)}."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    found = {}
    for name, build in PAGES:
        url = build() + query
        if name.endswith("_by_rule"):
            url += "&table=by_rule" if "?" in url else "?table=by_rule"
        response = browser.get(url)  # warm-up (templates, first plans)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} answered {response.status_code}")
        seconds = []
        for _ in range(RUNS):
            started = time.perf_counter()
            browser.get(url)
            seconds.append(time.perf_counter() - started)
        counted = []
        for _ in range(2):  # the fewer: a session refresh adds queries now and then
            with CaptureQueriesContext(connection) as ctx:
                browser.get(url)
            counted.append(len(ctx.captured_queries))
        found[name] = (statistics.median(seconds), min(counted))
    return found


# The home page's dashboard, once per role: (role, the user's group).
DASHBOARD_ROLES = (
    ("coordinator", "Intake coordinators"),
    ("clinician", "Clinicians"),
    ("criteria_admin", "Criteria admins"),
)


def _time_dashboards() -> dict[str, tuple[float, int]]:
    """{role: (median seconds of RUNS GETs of the home page, queries of one)},
    signed in as a user of that role only (the clinician is the bench's)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.test import Client as TestClient
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    found = {}
    for role, group in DASHBOARD_ROLES:
        user, _ = get_user_model().objects.get_or_create(
            username=f"bench-{role.replace('_', '-')}",
            defaults={"email": f"{role}@clinic.test"},
        )
        user.groups.set([Group.objects.get(name=group)])
        browser = TestClient()
        browser.force_login(user)
        url = reverse("home")
        if browser.get(url).status_code != 200:  # warm-up
            raise RuntimeError(f"GET {url} as {role} failed")
        seconds = []
        for _ in range(RUNS):
            started = time.perf_counter()
            browser.get(url)
            seconds.append(time.perf_counter() - started)
        counted = []
        for _ in range(2):
            with CaptureQueriesContext(connection) as ctx:
                browser.get(url)
            counted.append(len(ctx.captured_queries))
        found[role] = (statistics.median(seconds), min(counted))
    return found


def _run(n: int, *, reuse: bool) -> int:
    from django.contrib.auth import get_user_model
    from django.test import Client as TestClient
    from django.utils import timezone

    from intake.models import Assessment, Client
    from levelofcare.models import Decision, Placement, ProgressReview

    warnings.filterwarnings("ignore", message="No directory at")  # whitenoise
    print(
        f"bench database: {BENCH_DB} (throwaway); CPUs: {os.cpu_count()}; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    started = time.perf_counter()
    if reuse:
        clients = Client.objects.count()
    else:
        print(f"migrated in {migrate():.1f} s")
        clients = populate(n, timezone.now())
    print(
        f"{'found' if reuse else 'created'} {Assessment.objects.count():,} "
        f"assessments of {clients:,} clients, "
        f"{Decision.objects.count():,} decisions "
        f"({Decision.objects.filter(kind='override').count():,} overrides, "
        f"{Decision.objects.filter(corrects__isnull=False).count():,} corrections), "
        f"{Placement.objects.count():,} placements and "
        f"{ProgressReview.objects.count():,} progress reviews in "
        f"{time.perf_counter() - started:.1f} s"
    )
    browser = TestClient()
    browser.force_login(get_user_model().objects.get(username="bench-clinician"))
    today = timezone.localdate()
    year = f"?from={(today - timedelta(days=366)).isoformat()}&to={today.isoformat()}"
    ok = True
    counts: dict[str, set[int]] = {}
    for label, query in (("12 weeks", ""), ("1 year", year)):
        print(f"load average {os.getloadavg()[0]:.1f} before timing the {label}")
        for name, (seconds, queries) in _time_pages(browser, query).items():
            counts.setdefault(name, set()).add(queries)
            meets = seconds <= GOAL_SECONDS
            ok = ok and meets
            print(
                f"RESULT report={name} range={label.replace(' ', '_')} "
                f"n={Assessment.objects.count()} "
                f"seconds={seconds:.2f} queries={queries} "
                f"goal<=1s: {'meets' if meets else 'MISSES'}"
            )
    print(f"load average {os.getloadavg()[0]:.1f} before timing the dashboards")
    for role, (seconds, queries) in _time_dashboards().items():
        meets = seconds <= GOAL_SECONDS
        ok = ok and meets
        print(
            f"RESULT report=dashboard_{role} range=home "
            f"n={Assessment.objects.count()} "
            f"seconds={seconds:.2f} queries={queries} "
            f"goal<=1s: {'meets' if meets else 'MISSES'}"
        )
    # The year reads about four times the rows of the 12 weeks: the same count.
    grew = sorted(name for name, seen in counts.items() if len(seen) > 1)
    verdict = f"GROWS on {', '.join(grew)}" if grew else "constant"
    print(f"RESULT queries per page, 12 weeks against 1 year: {verdict}")
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    return 0 if ok and not grew else 1


if __name__ == "__main__":
    sys.exit(main())
