"""Errors raised by intake services (see `locatr.errors`)."""

from __future__ import annotations

from locatr.errors import ServiceError


class AssessmentNotDraftError(ServiceError):
    """A submitted assessment is never changed."""

    def __init__(self) -> None:
        super().__init__("A submitted assessment cannot be changed.")
