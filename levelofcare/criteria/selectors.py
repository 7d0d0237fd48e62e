"""Reads of criteria versions. The active version is fetched here and only here."""

from __future__ import annotations

from django.db.models import QuerySet

from levelofcare.models import CriteriaSet


def criteria_active(*, lock: bool = False) -> CriteriaSet:
    """The criteria version in force. There is always exactly one (migration 0002).

    `lock=True` (inside a transaction) holds its row until the commit, so that two
    admins saving a new version at once are serialised.
    """
    queryset = CriteriaSet.objects.all()
    if lock:
        queryset = queryset.select_for_update()
    return queryset.get(is_active=True)


def criteria_for_version(version: int) -> CriteriaSet:
    """One criteria version by number; raises `CriteriaSet.DoesNotExist`."""
    return CriteriaSet.objects.get(version=version)


def criteria_versions() -> QuerySet[CriteriaSet]:
    """Every criteria version, newest first."""
    return CriteriaSet.objects.select_related("created_by").order_by("-version")


def criteria_version_numbers() -> list[int]:
    """Every version number, oldest first."""
    return list(
        CriteriaSet.objects.order_by("version").values_list("version", flat=True)
    )


def criteria_next_version() -> int:
    """The number a newly saved version would get."""
    latest = CriteriaSet.objects.order_by("-version").values_list("version", flat=True)
    return (latest.first() or 0) + 1
