from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.test import Client

pytestmark = pytest.mark.django_db


def test_healthz_reports_both_services_up(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"] == {"database": "ok", "broker": "ok"}


def test_healthz_names_the_broker_when_it_is_down(
    client: Client, settings: Any
) -> None:
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["down"] == ["broker"]
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["broker"].startswith("down")


def test_healthz_names_the_database_when_it_is_down(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from locatr import views

    if connection.vendor == "postgresql":
        # Nothing listens on port 1: the dedicated check connection is refused.
        monkeypatch.setitem(connection.settings_dict, "HOST", "127.0.0.1")
        monkeypatch.setitem(connection.settings_dict, "PORT", "1")
    else:

        class BrokenCursor:
            def __enter__(self) -> Any:
                raise OSError("database unreachable")

            def __exit__(self, *exc: object) -> None:
                return None

        monkeypatch.setattr(views.connection, "cursor", lambda: BrokenCursor())
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["down"] == ["database"]


# --- servers that accept connections and never answer -------------------------------


@pytest.fixture
def hung_server() -> Iterator[int]:
    """A TCP server on a free local port that accepts every connection and never
    sends a byte (a PostgreSQL or Redis stuck after accept). Yields the port."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.2)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            accepted.append(conn)  # held open, never read from or written to

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=2)
        for conn in accepted:
            conn.close()
        server.close()


def _timed_healthz(client: Client) -> tuple[Any, float]:
    started = time.monotonic()
    response = client.get("/healthz")
    elapsed = time.monotonic() - started
    print(f"/healthz answered {response.status_code} in {elapsed:.2f} s")
    return response, elapsed


@pytest.mark.postgres
def test_healthz_answers_fast_when_the_database_hangs(
    client: Client, monkeypatch: pytest.MonkeyPatch, hung_server: int
) -> None:
    monkeypatch.setitem(connection.settings_dict, "HOST", "127.0.0.1")
    monkeypatch.setitem(connection.settings_dict, "PORT", str(hung_server))
    response, elapsed = _timed_healthz(client)
    assert response.status_code == 503
    body = response.json()
    assert body["down"] == ["database"]
    assert body["checks"]["database"].startswith("down")
    assert body["checks"]["broker"] == "ok"
    assert elapsed < 3.5


def test_healthz_answers_fast_when_the_broker_hangs(
    client: Client, settings: Any, hung_server: int
) -> None:
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{hung_server}/0"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}
    response, elapsed = _timed_healthz(client)
    assert response.status_code == 503
    body = response.json()
    assert body["down"] == ["broker"]
    assert body["checks"]["broker"].startswith("down")
    assert body["checks"]["database"] == "ok"
    assert elapsed < 3.5


@pytest.mark.postgres
def test_healthz_answers_fast_when_both_hang(
    client: Client,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    hung_server: int,
) -> None:
    monkeypatch.setitem(connection.settings_dict, "HOST", "127.0.0.1")
    monkeypatch.setitem(connection.settings_dict, "PORT", str(hung_server))
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{hung_server}/0"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}
    response, elapsed = _timed_healthz(client)
    assert response.status_code == 503
    assert sorted(response.json()["down"]) == ["broker", "database"]
    assert elapsed < 3.5
