"""Assessment submit and review-queue latency under concurrent load (PostgreSQL).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/load_bench.py [--quick] [--keep]

DATABASE_URL only says which PostgreSQL server (and credentials) to use: the
bench creates its own throwaway database `locatr_bench_load` next to yours,
migrates it, creates the demo accounts and fills it (bulk_create) with clients
that each have a submitted assessment and its recommendation (every fourth
client also an earlier, decided assessment with an open placement and a
progress review due soon or overdue). Then:

1. Queries per page, in process (Django test client, CaptureQueriesContext):
   /reviews/, /clients/ and /progress-reviews/due/ at 100 and at 2,000 clients. The
   counts must not grow with the number of rows.
2. Latency under load against the real app: gunicorn (2 sync workers) on a free
   loopback port with production settings (DEBUG off). N threads sign in over
   HTTP (login form, CSRF token, Referer), then
   a. as the coordinator: GET the new-assessment form of a random client and
      POST it submitted (the form's own POST body, as tests/factories.py builds
      it), N x M times;
   b. as the clinician: GET /reviews/ (the review queue), N x M times.
   Prints p50/p95/max in ms, requests per second and errors (non-2xx/3xx).

gunicorn is stopped and the database dropped at the end (unless --keep). Your
own database is never touched.
"""

from __future__ import annotations

import argparse
import http.client
import io
import os
import random
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from _benchdb import bench_database, migrate, setup_django, throwaway_database

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_DB = "locatr_bench_load"
HOST = "127.0.0.1"
SMALL, LARGE = 100, 2_000
QUERY_COUNT_PAGES = (
    "/reviews/",
    "/clients/",
    "/progress-reviews/due/",
    "/progress-reviews/due/?who=all",
)
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="4 workers x 15 requests (default 8 x 50)"
    )
    parser.add_argument("--workers", type=int, help="concurrent HTTP clients")
    parser.add_argument("--requests", type=int, help="requests per client and phase")
    parser.add_argument(
        "--conn-max-age",
        type=int,
        default=None,
        help="CONN_MAX_AGE for the app (default: the app's own, 0)",
    )
    parser.add_argument(
        "--keep", action="store_true", help=f"keep the {BENCH_DB} database afterwards"
    )
    args = parser.parse_args()
    workers = args.workers or (4 if args.quick else 8)
    per_worker = args.requests or (15 if args.quick else 50)

    db = bench_database(BENCH_DB, script="load_bench")
    if db is None:
        return 2
    app_env = {
        "DATABASE_URL": db.url,
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
        "DEBUG": "0",
        "ALLOWED_HOSTS": HOST,
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "AXES_ENABLED": "0",
        # The load generator signs in with a password only: it measures pages,
        # not the second factor (which production requires).
        "LOCATR_MFA_REQUIRED": "0",
        "CELERY_BROKER_URL": "memory://",
        "STATICFILES_BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
        "LOCATR_ENV_FILE": "/nonexistent",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "LOG_LEVEL": "WARNING",
    }
    if args.conn_max_age is not None:
        app_env["CONN_MAX_AGE"] = str(args.conn_max_age)
    password = "bench-" + secrets.token_urlsafe(12)

    with throwaway_database(db, keep=args.keep):
        gunicorn: subprocess.Popen[bytes] | None = None
        log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed in finally
            prefix="locatr-load-bench-gunicorn-", suffix=".log", delete=False
        )
        try:
            warnings.filterwarnings("ignore", message="No directory at")  # whitenoise
            setup_django(db, {**app_env, "DJANGO_SETTINGS_MODULE": "locatr.settings"})
            print(
                f"bench database: {BENCH_DB} (throwaway); CPUs: {os.cpu_count()}; "
                f"load average {os.getloadavg()[0]:.1f}"
            )
            client_pks = _prepare(password)
            port = _free_port()
            gunicorn = _start_gunicorn(port, app_env, log)
            print(
                f"gunicorn: 2 sync workers on {HOST}:{port} (pid {gunicorn.pid}), "
                f"CONN_MAX_AGE={app_env.get('CONN_MAX_AGE', 'app default')}"
            )
            return _load(port, password, client_pks, workers, per_worker)
        finally:
            if gunicorn is not None:
                _stop(gunicorn)
            log.close()
            Path(log.name).unlink(missing_ok=True)


# --- data ---------------------------------------------------------------------------


def random_answers(rng: random.Random) -> dict[str, Any]:
    """Contract answers: mostly routine, some IOP-level scores, a few at high risk,
    some with an unanswered question (tests.factories.answers as the base)."""
    from tests.factories import answers

    severity = rng.choices([0, 1, 2, 3], weights=[40, 30, 20, 10])[0]
    phq9 = [max(0, min(3, severity + rng.choice((-1, 0, 0, 1)))) for _ in range(9)]
    phq9[8] = 1 if rng.random() < 0.05 else 0
    gad7 = [max(0, min(3, severity + rng.choice((-1, 0, 0, 1)))) for _ in range(7)]
    changes: dict[str, Any] = {"phq9": phq9, "gad7": gad7}
    if rng.random() < 0.04:
        changes["cssrs"] = {
            "wish_dead": True,
            "suicidal_thoughts": True,
            "method": True,
            "intent": True,
            "plan": True,
            "behavior_ever": False,
        }
    if rng.random() < 0.1:
        changes[rng.choice(("support_at_home", "safe_housing", "gad7"))] = ...
    return answers(**changes)


def populate(start: int, stop: int, *, seed: int) -> None:
    """Clients start..stop-1, each with a submitted, undecided assessment; every
    fourth also an earlier decided one, an open placement and a progress review
    due soon or overdue (assigned to the demo clinician)."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone

    from intake.models import Assessment, Client
    from levelofcare.models import (
        LEVEL_PRIORITY,
        CriteriaSet,
        Decision,
        Placement,
        ProgressReview,
        Recommendation,
    )
    from levelofcare.recommendations.selectors import recommendation_evaluate

    rng = random.Random(seed)
    users = get_user_model().objects
    coordinator = users.get(username="coordinator")
    clinician = users.get(username="clinician")
    criteria_set = CriteriaSet.objects.get(is_active=True)
    now = timezone.now()

    def recommendation(assessment: Assessment) -> Recommendation:
        result = recommendation_evaluate(
            answers=assessment.answers, criteria_set=criteria_set
        )
        scores = result["scores"]
        phq9 = scores.get("phq9") or {}
        return Recommendation(
            assessment=assessment,
            client=assessment.client,
            level=result["level"],
            priority=LEVEL_PRIORITY[result["level"]],
            reasons=result["reasons"],
            notes=result["notes"],
            missing=result["missing"],
            scores=scores,
            safety_flag=scores.get("cssrs_risk") == "high"
            or bool(phq9.get("item9_positive")),
            criteria=criteria_set,
            created_at=assessment.submitted_at,
        )

    def assessment(client: Client, at: Any) -> Assessment:
        return Assessment(
            client=client,
            status=Assessment.Status.SUBMITTED,
            answers=random_answers(rng),
            created_by=coordinator,
            created_at=at,
            submitted_by=coordinator,
            submitted_at=at,
        )

    with transaction.atomic():
        clients = Client.objects.bulk_create(
            Client(
                reference=f"LOAD-{i:06d}",
                given_name=f"Given{i}",
                family_name=f"Family{i}",
                date_of_birth=date(1950, 1, 1) + timedelta(days=rng.randint(0, 20000)),
                created_by=coordinator,
                created_at=now - timedelta(days=60),
                last_activity_at=now - timedelta(minutes=rng.randint(0, 60 * 24 * 30)),
            )
            for i in range(start, stop)
        )
        decided_clients = [c for i, c in enumerate(clients) if (start + i) % 4 == 0]
        waiting = Assessment.objects.bulk_create(
            assessment(c, now - timedelta(minutes=rng.randint(5, 60 * 24 * 14)))
            for c in clients
        )
        earlier = Assessment.objects.bulk_create(
            assessment(c, now - timedelta(days=rng.randint(20, 40)))
            for c in decided_clients
        )
        recs = Recommendation.objects.bulk_create(
            recommendation(a) for a in [*waiting, *earlier]
        )
        decided_recs = recs[len(waiting) :]
        decisions = Decision.objects.bulk_create(
            Decision(
                recommendation=rec,
                kind=(
                    Decision.Kind.ACCEPT
                    if rec.level
                    else Decision.Kind.DECIDED_WITHOUT_RECOMMENDATION
                ),
                level=rec.level or "outpatient",
                reason_code="" if rec.level else "clinical_judgement",
                rationale="" if rec.level else "Seen in clinic.",
                decided_by=clinician,
                decided_at=rec.created_at + timedelta(hours=2),
            )
            for rec in decided_recs
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
                assigned_to=clinician,
                due_at=now + timedelta(hours=rng.randint(-72, 20)),
                created_at=p.started_at,
            )
            for p in placements
        )
    with connection.cursor() as cur:
        cur.execute("ANALYZE")


def query_counts(user: Any) -> dict[str, int]:
    """Queries one signed-in GET of each page runs (after one warm-up GET)."""
    from django.db import connection
    from django.test import Client as TestClient
    from django.test.utils import CaptureQueriesContext

    browser = TestClient(HTTP_HOST=HOST)
    browser.force_login(user)
    counts = {}
    for url in QUERY_COUNT_PAGES:
        browser.get(url)
        with CaptureQueriesContext(connection) as ctx:
            response = browser.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} answered {response.status_code}")
        counts[url] = len(ctx.captured_queries)
    return counts


def _prepare(password: str) -> list[int]:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from intake.models import Client
    from levelofcare.models import ProgressReview
    from levelofcare.recommendations.selectors import recommendations_waiting

    seconds = migrate()
    started = time.perf_counter()
    call_command(
        "create_demo_data", password=password, force=True, stdout=io.StringIO()
    )
    seconds += time.perf_counter() - started
    print(f"migrated, demo accounts created in {seconds:.1f} s")
    clinician = get_user_model().objects.get(username="clinician")
    counts = {}
    done = 0
    for size in (SMALL, LARGE):
        started = time.perf_counter()
        populate(done, size, seed=size)
        done = size
        waiting = recommendations_waiting().count()
        due = ProgressReview.objects.filter(
            status=ProgressReview.Status.SCHEDULED
        ).count()
        print(
            f"{size:,} clients ({waiting:,} recommendations waiting, {due:,} progress "
            f"reviews due) in {time.perf_counter() - started:.1f} s"
        )
        counts[size] = query_counts(clinician)
    print("\nqueries per page (signed in as the clinician, in process):")
    print(f"  {'page':<24}{SMALL:>8,} clients{LARGE:>8,} clients")
    grew = []
    for url in QUERY_COUNT_PAGES:
        small, large = counts[SMALL][url], counts[LARGE][url]
        print(f"  {url:<24}{small:>16}{large:>16}")
        if large > small:
            grew.append(url)
    verdict = f"GROWS on {', '.join(grew)}" if grew else "constant"
    print(f"RESULT queries per page: {verdict}")
    return list(Client.objects.values_list("pk", flat=True))


# --- the server ---------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _gunicorn_binary() -> str:
    beside = Path(sys.executable).parent / "gunicorn"
    return str(beside if beside.exists() else ROOT / ".venv" / "bin" / "gunicorn")


def _start_gunicorn(
    port: int, app_env: dict[str, str], log: Any
) -> subprocess.Popen[bytes]:
    cmd = [
        _gunicorn_binary(),
        "locatr.wsgi:application",
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        "2",
        "--timeout",
        "120",
    ]
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        env={**os.environ, **app_env},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            status, _, _ = Session(port).request("GET", "/healthz")
            if status == 200:
                return proc
        except OSError:
            pass
        time.sleep(0.3)
    _stop(proc)
    log.flush()
    tail = Path(log.name).read_text(errors="replace")[-3000:]
    raise RuntimeError(f"gunicorn did not come up; its log ends:\n{tail}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# --- HTTP clients ---------------------------------------------------------------------


class Session:
    """One browser: a cookie jar and one connection per request (sync workers
    close the connection after each response anyway)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, form: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], str]:
        conn = http.client.HTTPConnection(HOST, self.port, timeout=120)
        headers = {"Host": f"{HOST}:{self.port}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://{HOST}:{self.port}{path}"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", errors="replace")
            for value in response.headers.get_all("Set-Cookie") or []:
                jar: SimpleCookie = SimpleCookie()
                jar.load(value)
                for name, morsel in jar.items():
                    if morsel.value and morsel["max-age"] != "0":
                        self.cookies[name] = morsel.value
                    else:
                        self.cookies.pop(name, None)
            return response.status, dict(response.getheaders()), text
        finally:
            conn.close()

    def sign_in(self, username: str, password: str) -> None:
        status, _, page = self.request("GET", "/accounts/login/")
        token = CSRF_FIELD.search(page)
        if status != 200 or token is None:
            raise RuntimeError(f"login page answered {status} without a CSRF token")
        status, _, _ = self.request(
            "POST",
            "/accounts/login/",
            {
                "username": username,
                "password": password,
                "next": "",
                "csrfmiddlewaretoken": token.group(1),
            },
        )
        if status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"sign-in as {username} failed ({status})")


@dataclass
class Timings:
    ms: list[float] = field(default_factory=list)
    errors: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, ms: float, ok: bool) -> None:
        with self.lock:
            self.ms.append(ms)
            if not ok:
                self.errors += 1


def _timed(
    timings: Timings, call: Callable[[], tuple[int, dict[str, str], str]]
) -> tuple[int, str] | None:
    started = time.perf_counter()
    try:
        status, _, text = call()
    except OSError:
        timings.add((time.perf_counter() - started) * 1000, ok=False)
        return None
    timings.add((time.perf_counter() - started) * 1000, ok=200 <= status < 400)
    return status, text


def _submit_loop(
    session: Session,
    client_pks: list[int],
    per_worker: int,
    seed: int,
    form_get: Timings,
    submit: Timings,
) -> None:
    from tests.factories import form_data

    rng = random.Random(seed)
    for _ in range(per_worker):
        # The new-assessment address hands out a form with its one-time token
        # (a redirect); the form is then posted to that address.
        new = f"/clients/{rng.choice(client_pks)}/assessments/new/"
        status, headers, _ = session.request("GET", new)
        path = headers.get("Location", new) if status == 302 else new
        got = _timed(form_get, lambda p=path: session.request("GET", p))
        token = CSRF_FIELD.search(got[1]) if got else None
        if token is None:
            continue
        # Partial answers ask "Submit anyway?": the coordinator confirms at once.
        body = form_data(random_answers(rng), submit="1", confirm_unanswered="1")
        body["csrfmiddlewaretoken"] = token.group(1)
        _timed(submit, lambda p=path, b=body: session.request("POST", p, b))


def _queue_loop(session: Session, per_worker: int, queue: Timings) -> None:
    for _ in range(per_worker):
        _timed(queue, lambda: session.request("GET", "/reviews/"))


def _phase(targets: list[Callable[[], None]]) -> float:
    """Run the workers together; the wall time from release to the last one done."""
    barrier = threading.Barrier(len(targets) + 1)
    failures: list[BaseException] = []

    def run(target: Callable[[], None]) -> None:
        barrier.wait()
        try:
            target()
        except BaseException as exc:  # re-raised in the main thread
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(t,)) for t in targets]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    return time.perf_counter() - started


def _percentile(ms: list[float], q: float) -> float:
    """Nearest-rank percentile of sorted values."""
    return ms[min(len(ms) - 1, round(q * (len(ms) - 1)))]


def _row(label: str, timings: Timings, wall: float) -> str:
    ms = sorted(timings.ms)
    if not ms:
        return f"  {label:<28} no requests"
    return (
        f"  {label:<28}{len(ms):>6}{statistics.median(ms):>9.0f}"
        f"{_percentile(ms, 0.95):>9.0f}{ms[-1]:>9.0f}{len(ms) / wall:>9.1f}"
        f"{timings.errors:>8}"
    )


@dataclass
class Run:
    form_get: Timings
    submit: Timings
    queue: Timings
    submit_wall: float
    queue_wall: float
    created: int


def _run(
    coordinators: list[Session],
    clinicians: list[Session],
    client_pks: list[int],
    per_worker: int,
    seed: int,
) -> Run:
    from levelofcare.models import Recommendation

    before = Recommendation.objects.count()
    form_get, submit, queue = Timings(), Timings(), Timings()
    submit_wall = _phase(
        [
            lambda s=s, i=i: _submit_loop(
                s, client_pks, per_worker, seed + i, form_get, submit
            )
            for i, s in enumerate(coordinators)
        ]
    )
    created = Recommendation.objects.count() - before
    queue_wall = _phase(
        [lambda s=s: _queue_loop(s, per_worker, queue) for s in clinicians]
    )
    return Run(form_get, submit, queue, submit_wall, queue_wall, created)


def _report(title: str, run: Run) -> None:
    print(f"\n{title}")
    print(
        f"  {'request':<28}{'n':>6}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}"
        f"{'req/s':>9}{'errors':>8}"
    )
    print(_row("GET assessment form", run.form_get, run.submit_wall))
    print(_row("POST assessment (submit)", run.submit, run.submit_wall))
    print(_row("GET /reviews/ (queue)", run.queue, run.queue_wall))
    pairs = len(run.submit.ms)
    print(
        f"  submit phase {run.submit_wall:.1f} s: "
        f"{(len(run.form_get.ms) + pairs) / run.submit_wall:.1f} requests/s; "
        f"{run.created:,} recommendations created for "
        f"{pairs - run.submit.errors:,} submits answered 2xx/3xx"
    )


def _load(
    port: int, password: str, client_pks: list[int], workers: int, per_worker: int
) -> int:
    print(f"\nsigning in {workers} coordinators and {workers} clinicians over HTTP ...")
    coordinators = [Session(port) for _ in range(workers)]
    clinicians = [Session(port) for _ in range(workers)]
    _phase([lambda s=s: s.sign_in("coordinator", password) for s in coordinators])
    _phase([lambda s=s: s.sign_in("clinician", password) for s in clinicians])

    serial = _run(coordinators[:1], clinicians[:1], client_pks, per_worker, 500)
    _report(f"1 client x {per_worker} (no concurrency: service time)", serial)
    loaded = _run(coordinators, clinicians, client_pks, per_worker, 1000)
    _report(
        f"{workers} concurrent clients x {per_worker} each "
        f"(gunicorn 2 sync workers, {len(client_pks):,}+ clients in the database)",
        loaded,
    )
    errors = 0
    for label, timings in (
        ("assessment submit (POST)", loaded.submit),
        ("review queue (GET /reviews/)", loaded.queue),
    ):
        ms = sorted(timings.ms)
        errors += timings.errors
        if ms:
            print(
                f"RESULT {label}: p50 {statistics.median(ms):.0f} ms, "
                f"p95 {_percentile(ms, 0.95):.0f} ms, max {ms[-1]:.0f} ms at "
                f"{workers} concurrent clients; errors {timings.errors}"
            )
    errors += loaded.form_get.errors + serial.form_get.errors
    errors += serial.submit.errors + serial.queue.errors
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
