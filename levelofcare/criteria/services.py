"""Writes for criteria versions: a change is always a new version, never an edit.

DESIGN.md, "Criteria versions": a saved change never mutates a version that a
recommendation used; it creates version N+1 and makes it active.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from levelofcare.criteria.selectors import criteria_active
from levelofcare.errors import CriteriaConflictError
from levelofcare.models import SETTINGS, CriteriaSet
from levelofcare.rules import Threshold

# Every setting of a criteria version: bounds, default and labels (one definition
# each: `rules.THRESHOLDS` and `models.SCHEDULE_SETTINGS`).
LIMITS: Mapping[str, Threshold] = SETTINGS

CHANGE_NOTE_REQUIRED = (
    "A change note is required: say why the criteria change (it is kept in the "
    "history with your name)."
)


def criteria_values_errors(values: Mapping[str, object]) -> dict[str, list[str]]:
    """Every problem with a full set of criteria settings, keyed by field.

    1. Each setting is a whole number within its range (`LIMITS`).
    2. The PHQ-9 and GAD-7 IOP thresholds are at or above the moderate cut:
       "persistent moderate symptoms" must not start above "IOP on symptoms".
    """
    errors: dict[str, list[str]] = {}
    for name in values:
        if name not in LIMITS:
            errors.setdefault(name, []).append(f"{name} is not a criteria setting.")
    for name, limit in LIMITS.items():
        if name not in values:
            errors.setdefault(name, []).append(f"{limit.label} is required.")
            continue
        value = values[name]
        is_int = isinstance(value, int) and not isinstance(value, bool)
        if not is_int or not limit.low <= value <= limit.high:  # type: ignore[operator]
            errors.setdefault(name, []).append(limit.message(value))
    moderate = values.get("moderate_min")
    if "moderate_min" not in errors and isinstance(moderate, int):
        for name in ("phq9_iop_min", "gad7_iop_min"):
            value = values.get(name)
            if name not in errors and isinstance(value, int) and value < moderate:
                errors.setdefault(name, []).append(
                    f"{LIMITS[name].short_label} must be at or above the moderate cut "
                    f"({moderate})."
                )
    return errors


def criteria_set_create(
    *,
    based_on: CriteriaSet,
    values: Mapping[str, int],
    change_note: str,
    user: User | None,
) -> CriteriaSet:
    """Create version N+1 from the active version `based_on` and make it active.

    1. Lock the active row, so two admins saving at once get N+1 and a conflict
       (not two N+1s); if `based_on` is no longer active, raise
       `CriteriaConflictError`.
    2. Settings = `based_on`'s settings overridden by `values`; validate them all.
    3. Deactivate the old version first (the "one active" partial unique
       constraint), then insert the new one as active. No threshold of any existing
       version changes.

    Raises `ValidationError` (per field) for invalid values or an empty note.
    """
    note = change_note.strip()
    if not note:
        raise ValidationError({"change_note": [CHANGE_NOTE_REQUIRED]})
    with transaction.atomic():
        try:
            active: CriteriaSet | None = criteria_active(lock=True)
        except CriteriaSet.DoesNotExist:
            active = None
        if active is None or active.pk != based_on.pk:
            raise CriteriaConflictError(
                f"Version {based_on.version} is no longer the active criteria"
                + ("" if active is None else f" (version {active.version} is)")
                + ". Nothing was saved; apply your change to the active version."
            )
        settings = {name: getattr(active, name) for name in CriteriaSet.SETTING_FIELDS}
        settings.update(values)
        errors = criteria_values_errors(settings)
        if errors:
            raise ValidationError(errors)
        latest = CriteriaSet.objects.aggregate(latest=Max("version"))["latest"] or 0
        new = CriteriaSet(
            version=latest + 1,
            is_active=True,
            change_note=note,
            created_by=user,
            **settings,
        )
        active.is_active = False
        active._change_reason = f"Replaced by version {new.version}."  # type: ignore[attr-defined]
        active._history_user = user  # type: ignore[attr-defined]
        active.save(update_fields=["is_active"])
        new._change_reason = note  # type: ignore[attr-defined]
        new._history_user = user  # type: ignore[attr-defined]
        new.save(force_insert=True)
    return new


def criteria_changes(
    old: CriteriaSet | Mapping[str, object], new: CriteriaSet | Mapping[str, object]
) -> list[tuple[str, object, object]]:
    """(label, old value, new value) for every setting that differs."""

    def get(source: CriteriaSet | Mapping[str, object], name: str) -> object:
        if isinstance(source, CriteriaSet):
            return getattr(source, name)
        return source.get(name)

    return [
        (LIMITS[name].short_label, get(old, name), get(new, name))
        for name in CriteriaSet.SETTING_FIELDS
        if get(old, name) != get(new, name)
    ]
