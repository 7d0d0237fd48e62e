"""Errors raised by intake services (see `locatr.errors`)."""

from __future__ import annotations

from locatr.errors import ServiceError


class AssessmentNotDraftError(ServiceError):
    """A submitted assessment is never changed."""

    def __init__(
        self, message: str = "A submitted assessment cannot be changed."
    ) -> None:
        super().__init__(message)


class AssessmentAlreadySubmittedError(AssessmentNotDraftError):
    """A second POST of a form that was already submitted (Back and Submit again,
    a double click, two at once). `assessment_id` is the one that was submitted."""

    def __init__(self, assessment_id: int) -> None:
        super().__init__("This assessment was already submitted.")
        self.assessment_id = assessment_id


class AssessmentVoidError(ServiceError):
    """An assessment that may not be voided (or not without a reason)."""
