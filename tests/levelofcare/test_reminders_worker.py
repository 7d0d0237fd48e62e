"""Reminders with the real broker: Redis outages lose nothing; beat + worker deliver."""

from __future__ import annotations

import datetime as dt
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import time_machine
from celery import Celery
from django.core import mail
from django.db import connection
from django.utils import timezone
from kombu.exceptions import OperationalError

from levelofcare.models import Notification, ProgressReview
from levelofcare.tasks import send_due_reminders
from tests.conftest import ROOT, service_missing, wait_until
from tests.factories import ProgressReviewFactory, active_criteria

NOW = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
TASK = "levelofcare.send_due_reminders"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def throwaway_redis(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """A private redis-server process this test may stop (never the shared one)."""
    binary = shutil.which("redis-server")
    if binary is None:
        service_missing("needs the redis-server binary (apt-get install redis-server)")
    port = _free_port()
    url = f"redis://127.0.0.1:{port}/0"
    log = (tmp_path / "redis.log").open("w")
    proc = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )

    def answers() -> bool:
        try:
            return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
        except redis.RedisError:
            return False

    try:
        assert wait_until(answers, timeout=15), "throwaway redis-server did not start"
        yield {"url": url, "process": proc}
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=10)
        log.close()


def _publisher(url: str) -> Celery:
    """What beat does: publish the sweep task to the broker, failing fast."""
    app = Celery("beat-stand-in", broker=url)
    app.conf.broker_connection_retry = False
    app.conf.broker_connection_max_retries = 0
    app.conf.broker_connection_timeout = 2
    return app


@pytest.mark.django_db
def test_a_sweep_with_redis_stopped_loses_nothing_and_the_next_one_catches_up(
    throwaway_redis: dict[str, Any],
    clinician: Any,
    other_clinician: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    soon = [
        ProgressReviewFactory(assigned_to=clinician, due_at=NOW + 3 * HOUR)
        for _ in range(2)
    ]
    late = ProgressReviewFactory(assigned_to=clinician, due_at=NOW - 48 * HOUR)
    publisher = _publisher(throwaway_redis["url"])
    # While Redis is up, the broker holds only "run a sweep now", no reminder state.
    publisher.send_task(TASK, retry=False)
    queued = redis.Redis.from_url(throwaway_redis["url"]).llen("celery")
    assert queued == 1

    throwaway_redis["process"].terminate()
    throwaway_redis["process"].wait(timeout=10)

    # Redis is gone (and took the queued sweep with it): beat cannot publish.
    with pytest.raises(OperationalError):
        publisher.send_task(TASK, retry=False)
    publisher.close()
    assert not ProgressReview.objects.exclude(due_soon_sent_at=None).exists()
    assert not ProgressReview.objects.exclude(overdue_sent_at=None).exists()
    assert not Notification.objects.exists()

    # The next sweep, whenever it runs, finds every due review still unreminded.
    with (
        time_machine.travel(NOW + HOUR, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        caught_up = send_due_reminders.apply().get()
        again = send_due_reminders.apply().get()

    assert caught_up == {"due_soon": 2, "overdue": 1}
    assert again == {"due_soon": 0, "overdue": 0}
    for review in soon:
        assert review.notifications.filter(kind="due_soon").count() == 1
    assert late.notifications.filter(kind="overdue").count() == 2
    assert Notification.objects.count() == 4
    # One digest each: the assignee (3 reviews) and the other clinician (1).
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [clinician.email, other_clinician.email]
    )


def _is_shared_database() -> bool:
    """Another process can open the test database (not SQLite in memory)."""
    if connection.vendor != "sqlite":
        return True
    return not connection.creation.is_in_memory_db(connection.settings_dict["NAME"])


@pytest.mark.redis
@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_beat_and_a_real_worker_email_a_due_reminder_once(
    celery_worker_process: dict[str, Any], clinician: Any, tmp_path: Path
) -> None:
    if not _is_shared_database():
        pytest.skip("the worker process cannot open an in-memory SQLite test database")
    active_criteria()
    review = ProgressReviewFactory(
        assigned_to=clinician,
        due_at=timezone.now() + 2 * HOUR,
        placement__decision__recommendation__assessment__client__reference="E2E-4711",
    )
    family_name = review.placement.client.family_name
    mail_dir: Path = celery_worker_process["mail_dir"]
    worker_log: Path = celery_worker_process["log"]
    celery = shutil.which("celery", path=str(Path(sys.executable).parent)) or "celery"
    beat_log_path = tmp_path / "beat.log"
    beat_log = beat_log_path.open("w")
    beat = subprocess.Popen(
        [
            celery,
            "-A",
            "locatr",
            "beat",
            "--loglevel=INFO",
            f"--schedule={tmp_path / 'beat-schedule'}",
            f"--pidfile={tmp_path / 'beat.pid'}",
        ],
        cwd=ROOT,
        env=dict(celery_worker_process["env"], REMINDER_SWEEP_SECONDS="1"),
        stdout=beat_log,
        stderr=subprocess.STDOUT,
    )

    def mails() -> list[str]:
        return [p.read_text() for p in sorted(mail_dir.iterdir())]

    def sweeps_done() -> int:
        lines = worker_log.read_text().splitlines()
        return sum(f"Task {TASK}[" in line and "succeeded" in line for line in lines)

    try:
        delivered = wait_until(
            lambda: [m for m in mails() if "E2E-4711" in m], timeout=90
        )
        assert delivered, (
            f"no reminder email.\nbeat:\n{beat_log_path.read_text()}\n"
            f"worker:\n{worker_log.read_text()}"
        )
        # Let beat schedule more sweeps: they find nothing new to send.
        first = sweeps_done()
        assert wait_until(lambda: sweeps_done() >= first + 2, timeout=60)
    finally:
        beat.terminate()
        try:
            beat.wait(timeout=15)
        except subprocess.TimeoutExpired:
            beat.kill()
        beat_log.close()

    assert "Scheduler: Sending due task send-due-reminders" in beat_log_path.read_text()
    assert len(delivered) == 1
    message = delivered[0]
    assert "Subject: locatr: 1 progress review needs attention (1 due soon)" in message
    assert "client ref E2E-4711" in message
    assert f"To: {clinician.email}" in message
    assert family_name not in message
    assert len([m for m in mails() if "E2E-4711" in m]) == 1
    review.refresh_from_db()
    assert review.due_soon_sent_at is not None
    assert list(review.notifications.values_list("user", flat=True)) == [clinician.pk]
