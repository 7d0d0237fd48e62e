"""Reminder sweep over 100,000 progress reviews on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/sweep_bench.py [--quick] [--keep]

DATABASE_URL only says which PostgreSQL server (and credentials) to use: the
bench creates its own throwaway database `locatr_bench_sweep` next to yours,
migrates it and fills it (bulk_create, in chunks) with N clients, each with a
submitted assessment, its recommendation, an accepted decision, one open
placement and one scheduled progress review (N = 100,000; --quick: 10,000).
Due dates are spread so that about half the reviews need a message now: ~30 %
due soon (within the reminder lead time, or past due but inside the overdue
grace) and ~20 % overdue; the rest are due later. Reviews are assigned round
robin to a few clinicians, and every overdue review escalates to all of them
(the escalation group is left empty: DESIGN.md), so an overdue review costs one
notification per clinician.

Then it times `levelofcare.progress.reminders.reminders_sweep(now=...)` over the whole
backlog (notifications, each an item of its recipient's next email digest), then,
separately, `levelofcare.progress.outbox.reminder_emails_deliver(now=...)`, which
writes one digest per person to the outbox and sends it (Django's locmem backend,
which keeps every message in memory). It prints seconds, reviews per second,
notifications, digests delivered (at most one per recipient) and peak RSS, and
runs a second sweep and delivery at the same instant, which must send nothing.
The database is dropped at the end (unless --keep). Your own database is never
touched.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import secrets
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from _benchdb import bench_database, migrate, setup_django, throwaway_database

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_DB = "locatr_bench_sweep"
CHUNK = 10_000
CLINICIANS = 5
IMPORT_POLL_SECONDS = 120
IMPORT_WAIT_SECONDS = 30 * 60


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="10,000 reviews instead of 100,000"
    )
    parser.add_argument("--reviews", type=int, help="number of progress reviews")
    parser.add_argument(
        "--batch-size", type=int, default=None, help="the sweep's batch size"
    )
    parser.add_argument(
        "--keep", action="store_true", help=f"keep the {BENCH_DB} database afterwards"
    )
    args = parser.parse_args()
    n = args.reviews or (10_000 if args.quick else 100_000)

    db = bench_database(BENCH_DB, script="sweep_bench")
    if db is None:
        return 2
    with throwaway_database(db, keep=args.keep):
        # No .env file, so nothing in it (an EMAIL_URL, say) can change the backend.
        setup_django(
            db,
            {
                "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
                "DEBUG": "0",
                "LOCATR_ENV_FILE": "/nonexistent",
                "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
                "CELERY_BROKER_URL": "memory://",
                "LOG_LEVEL": "WARNING",
                "DJANGO_SETTINGS_MODULE": "locatr.settings",
            },
            unset=["EMAIL_URL"],
        )
        return _run(n, args.batch_size)


# --- data ---------------------------------------------------------------------------


def _level_templates() -> dict[str, dict[str, Any]]:
    """Answers and the stored recommendation fields for one client at each level."""
    from levelofcare.models import LEVEL_PRIORITY, CriteriaSet
    from levelofcare.recommendations.selectors import recommendation_evaluate
    from tests.baseline import BASELINE

    outpatient = BASELINE
    iop = {**outpatient, "phq9": [2, 2, 2, 2, 2, 2, 2, 2, 0]}
    inpatient = {
        **outpatient,
        "cssrs": {
            "wish_dead": True,
            "suicidal_thoughts": True,
            "method": True,
            "intent": True,
            "plan": True,
            "behavior_ever": False,
        },
    }
    criteria_set = CriteriaSet.objects.get(is_active=True)
    templates = {}
    for answers in (outpatient, iop, inpatient):
        result = recommendation_evaluate(answers=answers, criteria_set=criteria_set)
        templates[result["level"]] = {
            "answers": answers,
            "level": result["level"],
            "priority": LEVEL_PRIORITY[result["level"]],
            "reasons": result["reasons"],
            "notes": result["notes"],
            "missing": result["missing"],
            "scores": result["scores"],
            "safety_flag": result["scores"].get("cssrs_risk") == "high",
        }
    missing = {"outpatient", "iop", "inpatient"} - set(templates)
    if missing:
        raise RuntimeError(f"no template answers for {sorted(missing)}")
    return templates


def _due_at(
    rng: random.Random, now: datetime, lead: timedelta, grace: timedelta
) -> Any:
    """~50 % later than the lead time, ~25 % within it, ~5 % past due inside the
    grace period (still "due soon"), ~20 % overdue."""
    r = rng.random()
    if r < 0.50:
        return now + lead + timedelta(hours=1 + rng.random() * 24 * 60)
    if r < 0.75:
        return now + lead * rng.random()
    if r < 0.80:
        return now - grace * rng.random() * 0.99
    return now - grace - timedelta(hours=1 + rng.random() * 24 * 30)


def populate(n: int, now: datetime, *, seed: int = 2025) -> None:
    """N clients, each with an open placement and one scheduled progress review."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connection, transaction

    from intake.models import Assessment, Client
    from levelofcare.models import (
        CriteriaSet,
        Decision,
        Placement,
        ProgressReview,
        Recommendation,
    )
    from locatr.roles import CLINICIANS as CLINICIANS_GROUP
    from locatr.roles import COORDINATORS

    rng = random.Random(seed)
    users = get_user_model().objects
    coordinator = users.create(username="bench-coordinator", email="c@clinic.test")
    coordinator.groups.set([Group.objects.get(name=COORDINATORS)])
    clinicians = []
    for i in range(CLINICIANS):
        user = users.create(
            username=f"bench-clinician-{i}",
            first_name="Clinician",
            last_name=str(i),
            email=f"clinician{i}@clinic.test",
        )
        user.groups.set([Group.objects.get(name=CLINICIANS_GROUP)])
        clinicians.append(user)
    criteria_set = CriteriaSet.objects.get(is_active=True)
    lead = timedelta(hours=criteria_set.reminder_lead_hours)
    grace = timedelta(hours=criteria_set.overdue_grace_hours)
    templates = _level_templates()
    levels = rng.choices(["outpatient", "iop", "inpatient"], [60, 30, 10], k=n)
    for start in range(0, n, CHUNK):
        stop = min(n, start + CHUNK)
        with transaction.atomic():
            clients = Client.objects.bulk_create(
                Client(
                    reference=f"SWEEP-{i:07d}",
                    given_name=f"Given{i}",
                    family_name=f"Family{i}",
                    date_of_birth=date(1950, 1, 1)
                    + timedelta(days=rng.randint(0, 20000)),
                    created_by=coordinator,
                )
                for i in range(start, stop)
            )
            started = [now - timedelta(days=rng.randint(1, 90)) for _ in clients]
            assessments = Assessment.objects.bulk_create(
                Assessment(
                    client=client,
                    status=Assessment.Status.SUBMITTED,
                    answers=templates[levels[start + k]]["answers"],
                    created_by=coordinator,
                    created_at=started[k] - timedelta(hours=3),
                    submitted_by=coordinator,
                    submitted_at=started[k] - timedelta(hours=3),
                )
                for k, client in enumerate(clients)
            )
            recommendations = Recommendation.objects.bulk_create(
                Recommendation(
                    assessment=a,
                    client=a.client,
                    criteria=criteria_set,
                    created_at=a.submitted_at,
                    **{
                        k: v
                        for k, v in templates[levels[start + j]].items()
                        if k != "answers"
                    },
                )
                for j, a in enumerate(assessments)
            )
            decisions = Decision.objects.bulk_create(
                Decision(
                    recommendation=rec,
                    kind=Decision.Kind.ACCEPT,
                    level=rec.level,
                    safety_acknowledged=rec.safety_flag,
                    decided_by=clinicians[j % CLINICIANS],
                    decided_at=started[j],
                )
                for j, rec in enumerate(recommendations)
            )
            placements = Placement.objects.bulk_create(
                Placement(
                    client_id=d.recommendation.client_id,
                    level=d.level,
                    decision=d,
                    started_at=d.decided_at,
                )
                for d in decisions
            )
            ProgressReview.objects.bulk_create(
                ProgressReview(
                    placement=p,
                    assigned_to=clinicians[j % CLINICIANS],
                    due_at=_due_at(rng, now, lead, grace),
                    created_at=p.started_at,
                )
                for j, p in enumerate(placements)
            )
        del clients, assessments, recommendations, decisions, placements
    with connection.cursor() as cur:
        cur.execute("ANALYZE")


# --- the sweep ----------------------------------------------------------------------


def _import_sweep() -> Any:
    """levelofcare.progress.reminders.reminders_sweep; another engineer may still
    be writing it, so wait for it (poll every couple of minutes, up to half an hour)."""
    import importlib

    deadline = time.monotonic() + IMPORT_WAIT_SECONDS
    while True:
        try:
            module = importlib.import_module("levelofcare.progress.reminders")
            module = importlib.reload(module)
            return module.reminders_sweep
        except (ImportError, AttributeError, SyntaxError) as exc:
            if time.monotonic() > deadline:
                raise
            print(
                "levelofcare.progress.reminders.reminders_sweep not importable yet "
                f"({exc!r});"
                f" retrying in {IMPORT_POLL_SECONDS} s"
            )
            time.sleep(IMPORT_POLL_SECONDS)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _run(n: int, batch_size: int | None) -> int:
    from django.core import mail
    from django.db.models import Q
    from django.utils import timezone

    from levelofcare.models import CriteriaSet, Notification, ProgressReview

    print(
        f"bench database: {BENCH_DB} (throwaway); CPUs: {os.cpu_count()}; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print(f"migrated in {migrate():.1f} s")

    now = timezone.now()
    started = time.perf_counter()
    populate(n, now)
    print(
        f"created {n:,} clients with an open placement and a scheduled progress "
        f"review in {time.perf_counter() - started:.1f} s"
    )
    criteria = CriteriaSet.objects.get(is_active=True)
    lead = timedelta(hours=criteria.reminder_lead_hours)
    grace = timedelta(hours=criteria.overdue_grace_hours)
    scheduled = ProgressReview.objects.filter(status=ProgressReview.Status.SCHEDULED)
    want_soon = scheduled.filter(due_at__lte=now + lead, due_at__gt=now - grace).count()
    want_overdue = scheduled.filter(due_at__lte=now - grace).count()
    print(
        f"backlog: {want_soon:,} due soon + {want_overdue:,} overdue = "
        f"{want_soon + want_overdue:,} of {scheduled.count():,} reviews "
        f"({(want_soon + want_overdue) / n:.0%}), none reminded yet; "
        f"{CLINICIANS} clinicians"
    )

    reminders_sweep = _import_sweep()
    kwargs = (
        {"now": now} if batch_size is None else {"now": now, "batch_size": batch_size}
    )
    from levelofcare.progress.outbox import reminder_emails_deliver

    mail.outbox = []
    rss_before, peak_before = _rss_mb(), _peak_rss_mb()
    started = time.perf_counter()
    result = reminders_sweep(**kwargs)
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    delivery = reminder_emails_deliver(now=now)
    deliver_seconds = time.perf_counter() - started
    emails = len(mail.outbox)
    recipients = len({m.to[0] for m in mail.outbox})
    notifications = Notification.objects.count()
    reminded = result.due_soon + result.overdue
    print(
        f"sweep 1: {seconds:.2f} s; reminded {result.due_soon:,} due soon + "
        f"{result.overdue:,} overdue = {reminded:,} reviews "
        f"({reminded / seconds:,.0f} reminded/s, {n / seconds:,.0f} reviews/s of "
        f"the {n:,}); {notifications:,} notifications"
    )
    print(
        f"delivery: {deliver_seconds:.2f} s; {delivery.digests:,} digests written, "
        f"{emails:,} emails sent to {recipients:,} recipients "
        f"({delivery.retried} to retry, {delivery.failed} failed)"
    )
    print(
        f"  RSS {rss_before:,.0f} MB before, {_rss_mb():,.0f} MB after; peak RSS "
        f"{peak_before:,.0f} MB before the sweep, {_peak_rss_mb():,.0f} MB after "
        "(locmem keeps every email in memory)"
    )
    ok = (
        result.due_soon == want_soon
        and result.overdue == want_overdue
        and emails == recipients == delivery.sent
    )
    unreminded = scheduled.filter(
        Q(due_at__lte=now + lead, due_at__gt=now - grace, due_soon_sent_at=None)
        | Q(due_at__lte=now - grace, overdue_sent_at=None)
    ).count()
    if not ok or unreminded:
        print(
            f"  MISMATCH: expected {want_soon:,} due soon and {want_overdue:,} "
            f"overdue; {unreminded:,} reviews left unreminded"
        )

    mail.outbox = []
    started = time.perf_counter()
    again = reminders_sweep(**kwargs)
    seconds2 = time.perf_counter() - started
    reminder_emails_deliver(now=now)
    sent_again = len(mail.outbox)
    new_notifications = Notification.objects.count() - notifications
    print(
        f"sweep 2 (same instant): {seconds2:.2f} s; reminded {again.due_soon} due "
        f"soon + {again.overdue} overdue; {new_notifications} notifications, "
        f"{sent_again} emails"
    )
    idempotent = again.due_soon == again.overdue == sent_again == new_notifications == 0
    print(
        f"RESULT reminders_sweep n={n:,} reviews ({reminded:,} reminded): "
        f"{seconds:.2f} s ({n / seconds:,.0f} reviews/s), {emails:,} emails, "
        f"peak RSS {_peak_rss_mb():,.0f} MB; second sweep {seconds2:.2f} s, "
        f"{'sent nothing' if idempotent else 'SENT AGAIN'}"
    )
    print(
        f"RESULT reminder_emails_deliver: {deliver_seconds:.2f} s, "
        f"{delivery.digests:,} digests for {notifications:,} notifications, "
        f"{emails:,} emails ({recipients:,} recipients)"
    )
    return 0 if ok and idempotent and not unreminded else 1


if __name__ == "__main__":
    sys.exit(main())
