from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from kombu.connection import Connection


def _database_state() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "down"
        return f"down: {type(exc).__name__}"
    return "ok"


def _broker_state() -> str:
    options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {})
    try:
        # kombu ships py.typed, but Connection.__init__ has no annotations.
        with Connection(  # type: ignore[no-untyped-call]
            settings.CELERY_BROKER_URL,
            connect_timeout=2,
            transport_options=options,
        ) as conn:
            conn.ensure_connection(max_retries=1, timeout=3)
            # Redis connects lazily: make a round trip through a channel.
            conn.default_channel  # noqa: B018
    except Exception as exc:  # any transport error means "down"
        return f"down: {type(exc).__name__}"
    return "ok"


@login_not_required
@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Database and broker state: 200 when both answer, 503 naming what is down."""
    checks = {"database": _database_state(), "broker": _broker_state()}
    down = [name for name, state in checks.items() if state != "ok"]
    body = {"status": "ok" if not down else "down", "checks": checks, "down": down}
    return JsonResponse(body, status=503 if down else 200)


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")
