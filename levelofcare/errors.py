"""Errors raised by levelofcare services; views turn them into messages.

ServiceError (locatr.errors)
├── DecisionError            a decision that may not be recorded
│   ├── DecisionConflict     someone else decided first (carries the winner)
│   └── ProgramFull          the program referred to has no open place (any more)
├── CriteriaConflictError    the criteria version edited is no longer active
├── VoidError                an assessment that can no longer be voided
├── ProgressReviewError      a progress review that cannot be scheduled,
│                            completed or reassigned
└── BreakGlassError          a break-the-glass request without a reason or
                             for no known client
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from locatr.errors import ServiceError

if TYPE_CHECKING:
    from levelofcare.models import Decision, Program

__all__ = [
    "BreakGlassError",
    "CriteriaConflictError",
    "DecisionConflict",
    "DecisionError",
    "ProgramFull",
    "ProgressReviewError",
    "ServiceError",
    "VoidError",
]


class DecisionError(ServiceError):
    """A decision that may not be recorded; the message says why."""


class DecisionConflict(DecisionError):
    """Someone else decided first. `winner` is the decision that was recorded."""

    def __init__(self, winner: Decision) -> None:
        super().__init__("Another clinician has already decided this recommendation.")
        self.winner = winner


class CriteriaConflictError(ServiceError):
    """The version being edited is no longer the active one."""


class ProgressReviewError(ServiceError):
    """A progress review that cannot be scheduled, completed or reassigned."""


class VoidError(ServiceError):
    """An assessment that can no longer be voided (a decision was recorded)."""


class BreakGlassError(ServiceError):
    """A break-the-glass request that cannot be logged (no reason, no client)."""


class ProgramFull(DecisionError):
    """The program referred to has no open place (someone may have just taken the
    last one): nothing was recorded; the clinician may join its waitlist."""

    def __init__(self, program: Program, *, waitlist_length: int) -> None:
        super().__init__(
            f"{program.name} has no open place now (waitlist: {waitlist_length}). "
            "Nothing was recorded: tick “Join the waitlist” to refer the client "
            "to its waitlist, choose another program, or record a service gap."
        )
        self.program = program
        self.waitlist_length = waitlist_length
