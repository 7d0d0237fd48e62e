"""Writes of the audit trail: breaking the glass."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from intake.models import Client
from levelofcare.errors import BreakGlassError
from levelofcare.models import BreakGlassAccess


def break_glass_open(
    *, user: Any, client_reference: str, reason: str, now: datetime | None = None
) -> BreakGlassAccess:
    """Log that `user` opens the audit trail of a client outside their caseload,
    and why. The row (with the user's name as it is now) is what opens the trail,
    for `selectors.BREAK_GLASS_MINUTES`; it stays on the client's trail and in
    the criteria admins' list.

    Raises `BreakGlassError` without a reason or for a reference no client has.
    """
    reason = reason.strip()
    if not reason:
        raise BreakGlassError("Say why you need this client's audit trail.")
    client = Client.objects.filter(reference=client_reference).first()
    if client is None:
        raise BreakGlassError("No client has this reference.")
    with transaction.atomic():
        return BreakGlassAccess.objects.create(
            user=user,
            username=user.get_username(),
            full_name=user.get_full_name(),
            client=client,
            reason=reason,
            at=now or timezone.now(),
        )
