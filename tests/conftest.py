"""Shared fixtures: personas, real-service gates, a real Celery worker, Chromium."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group

from locatr.roles import CLINICIANS, COORDINATORS, CRITERIA_ADMINS
from tests.factories import UserFactory

REQUIRE_SERVICES = os.environ.get("LOCATR_REQUIRE_SERVICES") == "1"
REDIS_URL = os.environ.get("LOCATR_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
CHROMIUM = os.environ.get("LOCATR_CHROMIUM", "/usr/bin/chromium")
ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"


def service_missing(reason: str) -> None:
    """Fail when CI requires real services, skip with a one-line reason otherwise."""
    if REQUIRE_SERVICES:
        pytest.fail(f"required service missing: {reason}", pytrace=False)
    pytest.skip(reason)


def _redis_answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture(autouse=True)
def _service_gates(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("postgres"):
        from django.db import connection

        if connection.vendor != "postgresql":
            service_missing("needs PostgreSQL: set DATABASE_URL=postgres://...")
    if request.node.get_closest_marker("redis") and not _redis_answers(REDIS_URL):
        service_missing(f"needs Redis at {REDIS_URL}")
    if request.node.get_closest_marker("browser") and not Path(CHROMIUM).exists():
        service_missing(f"needs Chromium at {CHROMIUM} (apt-get install chromium)")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say which real-service tests ran, so a green run cannot hide skips."""
    counts: dict[str, dict[str, int]] = {}
    for outcome in ("passed", "failed", "skipped", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            keywords = getattr(report, "keywords", {})
            for marker in ("postgres", "redis", "celery_worker", "browser", "smtp"):
                if marker in keywords:
                    bucket = counts.setdefault(marker, {})
                    bucket[outcome] = bucket.get(outcome, 0) + 1
    if counts:
        terminalreporter.section("real services")
        for marker, bucket in sorted(counts.items()):
            summary = ", ".join(f"{n} {o}" for o, n in sorted(bucket.items()))
            terminalreporter.write_line(f"{marker}: {summary}")


# --- reference data ---------------------------------------------------------------


@pytest.fixture(autouse=True)
def _reference_data_after_flush(request: pytest.FixtureRequest) -> None:
    """Transactional tests flush the database, data migrations included: put back
    the roles and criteria version 1 that every test may rely on."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not marker.kwargs.get("transaction"):
        return
    request.getfixturevalue("transactional_db")
    from django.contrib.auth.models import Permission

    from levelofcare.models import CriteriaSet
    from locatr.roles import roles_sync

    roles_sync(group_model=Group, permission_model=Permission)
    if not CriteriaSet.objects.exists():
        CriteriaSet.objects.create(
            version=1, is_active=True, change_note="Version 1 (restored for a test)."
        )


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Each test starts with an empty cache (the password-reset throttle counts in
    it, and the local-memory cache lives as long as the test process)."""
    from django.core.cache import cache

    cache.clear()


# --- personas -------------------------------------------------------------------


def _member_of(group_name: str, **kwargs: Any) -> Any:
    user = UserFactory(**kwargs)
    user.groups.add(Group.objects.get(name=group_name))
    return user


@pytest.fixture
def coordinator(db: None) -> Any:
    return _member_of(COORDINATORS, username="casey", first_name="Casey")


@pytest.fixture
def clinician(db: None) -> Any:
    return _member_of(CLINICIANS, username="robin", first_name="Robin")


@pytest.fixture
def other_clinician(db: None) -> Any:
    return _member_of(CLINICIANS, username="sam", first_name="Sam")


@pytest.fixture
def criteria_admin(db: None) -> Any:
    return _member_of(
        CRITERIA_ADMINS, username="alex", first_name="Alex", is_staff=True
    )


@pytest.fixture
def no_role_user(db: None) -> Any:
    return UserFactory(username="norole")


# --- real Celery worker ---------------------------------------------------------


@pytest.fixture
def celery_worker_env(settings: Any) -> dict[str, str]:
    """Environment for a worker process that talks to the real Redis and test DB."""
    if not _redis_answers(REDIS_URL):
        service_missing(f"needs Redis at {REDIS_URL}")
    from django.db import connection

    env = dict(os.environ)
    env.update(
        CELERY_BROKER_URL=REDIS_URL,
        CELERY_RESULT_BACKEND=REDIS_URL,
        LOCATR_ENV_FILE=str(ROOT / ".env"),
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
    )
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        env["DATABASE_URL"] = (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}"
        )
    else:
        env["DATABASE_URL"] = f"sqlite:///{db['NAME']}"
    return env


@pytest.fixture
def celery_worker_process(
    celery_worker_env: dict[str, str], tmp_path: Path
) -> Iterator[dict[str, Any]]:
    """Start `celery worker` as a real process; yield its env; stop it afterwards."""
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    env = dict(celery_worker_env, EMAIL_FILE_PATH=str(mail_dir))
    log = (tmp_path / "worker.log").open("w")
    celery = shutil.which("celery", path=str(Path(sys.executable).parent)) or "celery"
    proc = subprocess.Popen(
        [
            celery,
            "-A",
            "locatr",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield {"env": env, "mail_dir": mail_dir, "log": tmp_path / "worker.log"}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def wait_until(predicate: Any, *, timeout: float = 30.0, interval: float = 0.2) -> Any:
    """Poll a condition that another process makes true (not a wait for time)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


# --- Chromium -------------------------------------------------------------------


@pytest.fixture(scope="session")
def _browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        service_missing(f"needs Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(_browser: Any) -> Iterator[Any]:
    context = _browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15000)
    pg = context.new_page()
    yield pg
    context.close()


@pytest.fixture
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def browser_login(page: Any, live_server: Any, username: str, password: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "slow: copies the project and runs it in subprocesses (seconds)"
    )
