"""`{% session_timeout %}`: the idle-timeout warning for signed-in pages."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings

from locatr.middleware import idle_seconds

register = template.Library()


def _in_words(seconds: int) -> str:
    if seconds % 60 == 0:
        minutes = seconds // 60
        return f"{minutes} minute{'' if minutes == 1 else 's'}"
    return f"{seconds} second{'' if seconds == 1 else 's'}"


@register.inclusion_tag("_session_timeout.html", takes_context=True)
def session_timeout(context: dict[str, Any]) -> dict[str, Any]:
    """The warning dialog and the numbers static/js/session.js reads from it."""
    warning = int(settings.SESSION_IDLE_WARNING_SECONDS)
    return {
        "csrf_token": context.get("csrf_token"),
        "idle_seconds": int(idle_seconds()),
        "warning_seconds": warning,
        "warning_words": _in_words(warning),
    }
