"""The root of the errors that services raise (one hierarchy for every app).

A view catches `ServiceError` and shows its message; anything else is a bug.
Each app defines its own subclasses (`intake.errors`, `levelofcare.errors`), so
that neither app needs to import the other to raise or catch them.
"""

from __future__ import annotations


class ServiceError(Exception):
    """A write that the workflow refuses; `str(error)` says why, for the user."""
