"""System checks of locatr's settings."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register

LOCAL_HOSTS = frozenset(
    {"localhost", "127.0.0.1", "::1", "0.0.0.0"}  # noqa: S104 compared, never bound
)


@register(Tags.compatibility)
def site_url_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Links in reminder email are built from SITE_URL: outside DEBUG it must be
    the address people open, not a missing value or this machine."""
    if settings.DEBUG:
        return []
    url = getattr(settings, "SITE_URL", "") or ""
    host = (urlsplit(url).hostname or "").lower()
    if not url or not host:
        problem = "is not set"
    elif host in LOCAL_HOSTS or host.endswith(".localhost"):
        problem = f"points at this machine ({url})"
    else:
        return []
    return [
        Warning(
            f"SITE_URL {problem}: links in reminder emails will not open for "
            "their readers.",
            hint="Set SITE_URL to the address people use, e.g. "
            "https://locatr.example.org.",
            id="locatr.W001",
        )
    ]
