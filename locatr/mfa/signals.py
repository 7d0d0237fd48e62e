"""Second-factor events for the sign-in audit (recorded in levelofcare.audit).

`second_factor_event.send(sender, request=..., user=..., kind=..., actor=...,
reason=...)`: `kind` is an `AuthEvent.Kind` value; `actor` and `reason` are set
when someone acts on another user's account (a reset).
"""

from __future__ import annotations

from django.dispatch import Signal

second_factor_event = Signal()
