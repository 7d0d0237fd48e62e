"""Clients and their assessments. Answers are stored item by item (the contract)."""

from __future__ import annotations

from typing import Any, Final

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from intake.catalogue import INSTRUMENTS

# A reference goes into reminder emails (subject and body) and URLs: ASCII
# letters, digits and "-" only. `\Z`, not `$`: `$` also matches before a final
# line break, which is exactly what once broke a batch of reminder emails.
REFERENCE_RULE: Final = "Use letters, digits and - only (no spaces or other signs)."
reference_validator: Final = RegexValidator(
    r"\A[A-Za-z0-9-]+\Z", REFERENCE_RULE, code="invalid_reference"
)


class HistorySnapshot(models.Model):
    """Who made a history row, as they were then: the username and full name at
    the time of the change, so renaming a user does not rewrite the audit trail.

    Mixed into every historical model (`HistoricalRecords(bases=[...])`) and
    filled by `intake.signals` when simple-history writes a row. NULL: no user
    (a command: "system"), or not recorded (a row written around the signal);
    the audit trail then falls back to the user's current name.
    """

    history_username = models.CharField(  # noqa: DJ001 - NULL is "not recorded"
        max_length=150, null=True, blank=True, editable=False
    )
    history_full_name = models.CharField(  # noqa: DJ001 - NULL is "not recorded"
        max_length=300, null=True, blank=True, editable=False
    )

    class Meta:
        abstract = True


class Client(models.Model):
    reference = models.CharField(
        "clinic reference / MRN",
        max_length=40,
        unique=True,
        validators=[reference_validator],
        help_text="The clinic's own reference. Used in reminders instead of the name.",
    )
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    contact = models.CharField(
        max_length=200, blank=True, help_text="Phone or email (optional)."
    )
    payer = models.CharField(
        "payer",
        max_length=100,
        blank=True,
        help_text="Insurance or other payer, as the programs list it (optional).",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    last_activity_at = models.DateTimeField(default=timezone.now, db_index=True)
    history = HistoricalRecords(bases=[HistorySnapshot])

    class Meta:
        ordering = ["-last_activity_at", "-id"]
        indexes = [models.Index(fields=["family_name", "given_name"])]

    def __str__(self) -> str:
        # Deliberately the reference only: str() ends up in logs and admin messages.
        return self.reference

    def get_absolute_url(self) -> str:
        # A name, not an import: the client pages live in levelofcare, which
        # depends on intake (never the other way round).
        return reverse("levelofcare:client_detail", args=[self.pk])


class Assessment(models.Model):
    class Kind(models.TextChoices):
        INTAKE = "intake", "Intake"
        PROGRESS_REVIEW = "progress_review", "Progress review"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"

    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="assessments"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.INTAKE)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    # The answers contract of DESIGN.md: absent key = unanswered.
    answers = models.JSONField(default=dict, blank=True)
    # Partly answered instruments of a draft (e.g. 5 of 9 PHQ-9 items): not yet
    # answers in the contract's sense, but nothing typed may be lost.
    partial_items = models.JSONField(default=dict, blank=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # The one-time token of the form that made it: a second POST of the same form
    # (Back and Submit again, a double click) finds this assessment instead of
    # making another one.
    submission_token = models.UUIDField(
        null=True, blank=True, unique=True, editable=False
    )
    # Entered in error: voided with a reason, never deleted (the history row
    # keeps who voided it and why).
    voided_at = models.DateTimeField(null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    void_reason = models.TextField(blank=True)
    history = HistoricalRecords(bases=[HistorySnapshot])

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Assessment {self.pk} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        if self.status == self.Status.DRAFT:
            return reverse("levelofcare:assessment_edit", args=[self.pk])
        return reverse("levelofcare:assessment_result", args=[self.pk])

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def is_voided(self) -> bool:
        return self.voided_at is not None

    def answers_dict(self) -> dict[str, Any]:
        return dict(self.answers or {})


class RecordView(models.Model):
    """Who opened which client's record, and when (read audit)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="record_views"
    )
    viewed_at = models.DateTimeField(default=timezone.now, db_index=True)
    view_name = models.CharField(max_length=60)
    # Who looked, as they were then (the user may be renamed later). NULL: not
    # recorded (written around `client_record_viewed`): the audit trail falls
    # back to the user's current name.
    username = models.CharField(  # noqa: DJ001 - NULL is "not recorded"
        max_length=150, null=True, blank=True
    )
    full_name = models.CharField(  # noqa: DJ001 - NULL is "not recorded"
        max_length=300, null=True, blank=True
    )

    class Meta:
        ordering = ["-viewed_at", "-id"]

    def __str__(self) -> str:
        return (
            f"{self.user_id} viewed {self.client_id} at {self.viewed_at:%Y-%m-%d %H:%M}"
        )


class PatientReport(models.Model):
    """Answers of one instrument in a draft that the client reported themselves
    (e.g. a PHQ-9 from a patient portal, imported as a FHIR QuestionnaireResponse).

    A coordinator sees them marked in the assessment form, with the source and
    the time the client answered, and reviews them before submitting. One row per
    instrument of a draft: a later import of the same instrument replaces it.
    """

    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="patient_reports"
    )
    instrument = models.CharField(max_length=20)  # a catalogue key: "phq9", "gad7"
    source = models.CharField(
        max_length=200, help_text="Where the answers came from (e.g. a portal)."
    )
    authored_at = models.DateTimeField(help_text="When the client answered.")
    received_at = models.DateTimeField(default=timezone.now)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["instrument"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "instrument"],
                name="one_patient_report_per_instrument",
            )
        ]

    def __str__(self) -> str:
        return f"Patient report {self.instrument} on assessment {self.assessment_id}"

    @property
    def instrument_name(self) -> str:
        instrument = INSTRUMENTS.get(self.instrument)
        return instrument.name if instrument is not None else self.instrument
