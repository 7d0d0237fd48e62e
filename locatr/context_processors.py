from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from locatr.roles import CLINICIANS, COORDINATORS, CRITERIA_ADMINS, user_roles


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Which role-specific navigation the signed-in user gets."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {
            "roles": [],
            "password_reset_by_email": settings.PASSWORD_RESET_BY_EMAIL,
        }
    roles = user_roles(user)
    context: dict[str, Any] = {
        "roles": sorted(roles),
        "is_coordinator": COORDINATORS in roles,
        "is_clinician": CLINICIANS in roles,
        "is_criteria_admin": CRITERIA_ADMINS in roles,
    }
    if CLINICIANS in roles:
        # The bell in the navigation: one COUNT on the (user, read_at) index.
        from levelofcare.notifications.selectors import notifications_unread_count

        context["unread_notifications"] = notifications_unread_count(user=user)
    return context
