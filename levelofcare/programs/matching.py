"""Which programs fit a client, best first, and why: pure (standard library only).

Takes plain frozen dataclasses (the client's needs, the programs' facts) and
returns a ranked list, each program with its reasons in plain words. The
selectors turn models into these facts; the review page shows the result.

Order, most important first (each step breaks ties of the one before):
1. **Schedule.** When the client has a work, school or caregiving commitment or
   cannot attend 3 days a week, programs that fit around it come first: evening
   hours, virtual (telehealth), or fewer than 3 days a week.
2. **Places.** Programs with an open place before full ones; full ones by the
   shortest waitlist.
3. **Payer.** A program that lists the client's payer before one that does not
   (no payer on the client: no preference).
4. The name, so the order is stable.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Final

from levelofcare.rules import Level

EVENING: Final = "evening"
VIRTUAL: Final = "virtual"
# Fewer meeting days than this fit someone who cannot attend 3 days a week.
DAYS_A_WEEK_LIMIT: Final = 3


@dataclass(frozen=True)
class ClientNeeds:
    """What the client's answers and record say about fitting a program in."""

    work_or_school_commitment: bool = False
    # None: unanswered (no schedule need follows from it).
    can_attend_3_days_week: bool | None = None
    payer: str = ""

    @property
    def needs_flexible_schedule(self) -> bool:
        return self.work_or_school_commitment or self.can_attend_3_days_week is False

    @property
    def schedule_need(self) -> str:
        """The need in words, for the reasons ("fits a work commitment")."""
        if self.work_or_school_commitment:
            return "a work, school or caregiving commitment"
        return "someone who cannot attend 3 days a week"


@dataclass(frozen=True)
class ProgramFacts:
    """One program of the directory, as matching needs it."""

    id: int
    name: str
    level: str  # a level slug
    hours: str  # "daytime" | "evening"
    modality: str  # "in_person" | "virtual" | "hybrid"
    days_per_week: int
    open_places: int
    waitlist_length: int
    accepted_payers: tuple[str, ...] = ()
    is_active: bool = True


class PayerFit(Enum):
    ACCEPTED = "accepted"
    NOT_LISTED = "not_listed"
    UNKNOWN = "unknown"  # no payer on the client


@dataclass(frozen=True)
class Match:
    """A program ranked for a client, with the reasons for its place."""

    program: ProgramFacts
    fits_schedule: bool  # True also when the client has no schedule need
    has_room: bool
    payer: PayerFit
    reasons: tuple[str, ...]

    @property
    def fits(self) -> bool:
        """Takes the client today: schedule, payer and a place all fit."""
        return (
            self.fits_schedule and self.has_room and self.payer != PayerFit.NOT_LISTED
        )


def _same_payer(a: str, b: str) -> bool:
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())


def _schedule(program: ProgramFacts, needs: ClientNeeds) -> tuple[bool, list[str]]:
    if not needs.needs_flexible_schedule:
        return True, []
    need = needs.schedule_need
    fitting = []
    if program.hours == EVENING:
        fitting.append(f"evening: fits {need}")
    if program.modality == VIRTUAL:
        fitting.append(f"virtual: no travel, fits {need}")
    if 0 < program.days_per_week < DAYS_A_WEEK_LIMIT:
        fitting.append(f"{program.days_per_week} days a week: fits {need}")
    if fitting:
        return True, fitting
    return False, [
        f"daytime, {program.days_per_week} days a week: may clash with {need}"
    ]


def _room(program: ProgramFacts) -> tuple[bool, str]:
    if program.open_places > 0:
        places = "place" if program.open_places == 1 else "places"
        return True, f"{program.open_places} open {places}"
    people = "person" if program.waitlist_length == 1 else "people"
    return False, f"full: waitlist of {program.waitlist_length} {people}"


def _payer(program: ProgramFacts, needs: ClientNeeds) -> tuple[PayerFit, str]:
    payer = needs.payer.strip()
    if not payer:
        return PayerFit.UNKNOWN, "no payer on the client's record"
    if any(_same_payer(payer, accepted) for accepted in program.accepted_payers):
        return PayerFit.ACCEPTED, f"accepts {payer}"
    return PayerFit.NOT_LISTED, f"does not list {payer}"


def match(program: ProgramFacts, needs: ClientNeeds) -> Match:
    """One program against the client's needs, with every reason."""
    fits_schedule, schedule_reasons = _schedule(program, needs)
    has_room, room_reason = _room(program)
    payer, payer_reason = _payer(program, needs)
    return Match(
        program=program,
        fits_schedule=fits_schedule,
        has_room=has_room,
        payer=payer,
        reasons=(*schedule_reasons, room_reason, payer_reason),
    )


def _rank_key(m: Match) -> tuple[int, int, int, int, str, int]:
    return (
        0 if m.fits_schedule else 1,
        0 if m.has_room else 1,
        0 if m.has_room else m.program.waitlist_length,
        {PayerFit.ACCEPTED: 0, PayerFit.UNKNOWN: 1, PayerFit.NOT_LISTED: 2}[m.payer],
        m.program.name.casefold(),
        m.program.id,
    )


def programs_ranked(
    programs: Iterable[ProgramFacts], *, needs: ClientNeeds, level: str
) -> list[Match]:
    """The active programs at `level`, best fit first (see the module docstring)."""
    return sorted(
        (match(p, needs) for p in programs if p.is_active and p.level == level),
        key=_rank_key,
    )


class GapReason(Enum):
    """Why no program at a level takes the client (the codes of
    `Decision.ServiceGap`, which also has "distance": only a clinician knows)."""

    NO_PROGRAM = "no_program"
    FULL = "full"
    SCHEDULE = "schedule"
    PAYER = "payer"


def service_gap(matches: Sequence[Match]) -> GapReason | None:
    """The gap a clinician should record when no ranked program fits, else None.

    No program at all; else none with a fitting schedule; else none accepting the
    payer (among those); else all of those are full.
    """
    if not matches:
        return GapReason.NO_PROGRAM
    if any(m.fits for m in matches):
        return None
    scheduled = [m for m in matches if m.fits_schedule]
    if not scheduled:
        return GapReason.SCHEDULE
    paid = [m for m in scheduled if m.payer != PayerFit.NOT_LISTED]
    if not paid:
        return GapReason.PAYER
    return GapReason.FULL


def placement_levels(*, indicated: str, with_room: Iterable[str]) -> list[str]:
    """Levels a client with a service gap may be placed at, nearest first.

    Only levels with room (an active program with an open place) other than the
    indicated one; nearest to the indicated level first and, at the same
    distance, the higher (safer) level first: never a silent step down.
    """
    target = int(Level.from_slug(indicated))
    levels = {Level.from_slug(slug) for slug in with_room} - {
        Level.from_slug(indicated)
    }
    ordered = sorted(levels, key=lambda lv: (abs(int(lv) - target), -int(lv)))
    return [level.slug for level in ordered]
