"""The Celery app. Configuration comes from Django settings (CELERY_* names)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, ParamSpec, Protocol, TypeVar

import celery
from celery import Celery

if TYPE_CHECKING:
    from celery.result import AsyncResult

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "locatr.settings")

app = Celery("locatr")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

P = ParamSpec("P")
R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)


class Task(Protocol[P, R_co]):
    """The part of a Celery task our code uses: call it in-process, or queue it."""

    name: str

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R_co: ...

    def delay(self, *args: P.args, **kwargs: P.kwargs) -> AsyncResult: ...


def shared_task(*, name: str) -> Callable[[Callable[P, R]], Task[P, R]]:
    """`celery.shared_task` with a type. Celery ships no type information, so mypy
    would see every task as untyped; the decorated function keeps its signature."""
    decorator: Callable[[Callable[P, R]], Task[P, R]] = celery.shared_task(name=name)
    return decorator
