"""Writes of the program directory: places taken and released, waitlists joined
and left. Called inside the decision's transaction
(`levelofcare.recommendations.services.decision_record`), each locks the
program's row first, so two referrals racing for the last place are settled by
PostgreSQL: one takes it, the other finds the program full.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from levelofcare.errors import ProgramFull
from levelofcare.models import Decision, Program, WaitlistEntry


def _locked(program_id: int) -> Program:
    return Program.objects.select_for_update().get(pk=program_id)


def program_place_take(
    *,
    program: Program,
    client_id: int,
    decision: Decision,
    user: Any,
    join_waitlist: bool = False,
    now: datetime | None = None,
) -> bool:
    """Take an open place in `program` for a placement starting now.

    1. Lock the program's row: a concurrent referral waits here.
    2. An open place: take it (one fewer open place); the client leaves the
       program's waitlist if they were on it ("placed"). Return True.
    3. No open place: with `join_waitlist`, the client joins the waitlist
       (recorded against the decision) and False is returned; without it,
       `ProgramFull` (the caller's transaction rolls back: nothing recorded).
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked(program.pk)
        if locked.open_places > 0:
            # save(), not update(): the change belongs in the program's history.
            locked.open_places -= 1
            locked.save(update_fields=["open_places"])
            _waitlist_close(
                program=locked,
                client_id=client_id,
                reason=WaitlistEntry.LeftReason.PLACED,
                now=now,
            )
            program.open_places = locked.open_places
            return True
        if not join_waitlist:
            raise ProgramFull(locked, waitlist_length=_waiting(locked).count())
        waitlist_join(
            program=locked, client_id=client_id, decision=decision, user=user, now=now
        )
        return False


def program_admin_save(
    *, program: Program, open_places_shown: int | None, open_places_edited: bool
) -> Program:
    """Save a criteria admin's edit of a program without undoing the places that
    referrals took or released while the form was open.

    1. A new program is saved as entered.
    2. Otherwise lock the program's row. Open places the admin left alone keep
       the stored count; open places the admin changed apply as a difference
       to the stored count (they saw 3 and typed 5: two more places, whatever
       was taken meanwhile).
    3. Never below 0 nor above the capacity (which the admin may have lowered).
    """
    with transaction.atomic():
        if program.pk is None:
            program.save()
            return program
        stored = _locked(program.pk).open_places
        if open_places_edited and open_places_shown is not None:
            stored += program.open_places - open_places_shown
        program.open_places = max(0, min(stored, program.capacity))
        program.save()
        return program


def program_place_release(*, program_id: int) -> None:
    """A placement in the program ended: its place is open again (never more open
    places than the program's capacity, which an admin may have lowered)."""
    with transaction.atomic():
        locked = _locked(program_id)
        if locked.open_places < locked.capacity:
            locked.open_places += 1
            locked.save(update_fields=["open_places"])


def waitlist_join(
    *,
    program: Program,
    client_id: int,
    decision: Decision | None,
    user: Any,
    now: datetime | None = None,
) -> WaitlistEntry:
    """Put the client on the program's waitlist (once: already waiting, the
    existing entry is returned)."""
    now = now or timezone.now()
    with transaction.atomic():
        existing = _waiting(program).filter(client_id=client_id).first()
        if existing is not None:
            return existing
        return WaitlistEntry.objects.create(
            program=program,
            client_id=client_id,
            decision=decision,
            added_by=user,
            added_at=now,
        )


def waitlist_leave(
    *, program: Program, client_id: int, now: datetime | None = None
) -> bool:
    """Take the client off the program's waitlist (withdrawn); False if not on it."""
    with transaction.atomic():
        return _waitlist_close(
            program=program,
            client_id=client_id,
            reason=WaitlistEntry.LeftReason.WITHDRAWN,
            now=now or timezone.now(),
        )


def _waiting(program: Program) -> QuerySet[WaitlistEntry]:
    return WaitlistEntry.objects.filter(program=program, left_at__isnull=True)


def _waitlist_close(
    *, program: Program, client_id: int, reason: str, now: datetime
) -> bool:
    entry = _waiting(program).select_for_update().filter(client_id=client_id).first()
    if entry is None:
        return False
    entry.left_at = now
    entry.left_reason = reason
    entry.save(update_fields=["left_at", "left_reason"])
    return True
