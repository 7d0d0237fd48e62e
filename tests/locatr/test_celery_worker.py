"""A real Celery worker process against the real Redis runs a task end to end."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from celery import Celery

from tests.conftest import REDIS_URL

pytestmark = [pytest.mark.redis, pytest.mark.celery_worker, pytest.mark.django_db]


def test_real_worker_answers_a_ping_through_redis(celery_worker_process: Any) -> None:
    sender = Celery("test-sender", broker=REDIS_URL, backend=REDIS_URL)
    token = uuid.uuid4().hex
    result = sender.send_task("locatr.ping", kwargs={"token": token})
    assert result.get(timeout=60) == f"pong:{token}"
