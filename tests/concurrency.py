"""Run calls at the same moment, each in its own thread with its own database
connection: the races PostgreSQL must settle (two deciders, two sweeps...)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from django.db import connection

T = TypeVar("T")


def at_once(*calls: Callable[[], T], timeout: float = 60) -> list[T]:
    """Release every call together; their results in call order.

    Each thread closes its own connection when done. The first exception any call
    raised is re-raised here, so a failing thread fails the test.
    """
    barrier = threading.Barrier(len(calls))
    results: list[T | None] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(index: int, call: Callable[[], T]) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except BaseException as exc:  # re-raised in the test's thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    if errors:
        raise errors[0]
    return results  # type: ignore[return-value]
