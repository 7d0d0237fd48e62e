"""Criteria versions, recommendations, decisions, placements and progress reviews."""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from intake.models import HistorySnapshot
from levelofcare import rules
from levelofcare.rules import INSUFFICIENT_LABEL, Level, Threshold


class LevelChoices(models.TextChoices):
    """The levels as model choices, most intensive first (from `rules.Level`)."""

    INPATIENT = Level.INPATIENT.slug, Level.INPATIENT.label
    IOP = Level.IOP.slug, Level.IOP.label
    OUTPATIENT = Level.OUTPATIENT.slug, Level.OUTPATIENT.label


# Queue order: inpatient first, then "insufficient information" (risk unknown),
# then IOP, then outpatient. Stored as Recommendation.priority (40, 30, 20, 10).
QUEUE_ORDER: Final = (Level.INPATIENT, None, Level.IOP, Level.OUTPATIENT)
LEVEL_PRIORITY: Final = {
    (None if level is None else level.slug): 10 * (len(QUEUE_ORDER) - i)
    for i, level in enumerate(QUEUE_ORDER)
}
LEVEL_RANK: Final = {level.slug: int(level) for level in Level}

# The review schedule's settings; with the rules' THRESHOLDS, every number of a
# criteria version, each defined once (bounds, default, labels).
SCHEDULE_SETTINGS: Final = (
    Threshold(
        "review_interval_inpatient_days",
        "Review interval: inpatient (days)",
        "Inpatient review interval",
        default=3,
        low=1,
        high=365,
        unit="days",
        why="greater than 0",
    ),
    Threshold(
        "review_interval_iop_days",
        "Review interval: IOP (days)",
        "IOP review interval",
        default=7,
        low=1,
        high=365,
        unit="days",
        why="greater than 0",
    ),
    Threshold(
        "review_interval_outpatient_days",
        "Review interval: outpatient (days)",
        "Outpatient review interval",
        default=90,
        low=1,
        high=365,
        unit="days",
        why="greater than 0",
    ),
    Threshold(
        "reminder_lead_hours",
        "Reminder lead time (hours before due)",
        "Reminder lead time",
        default=24,
        low=1,
        high=720,
        unit="hours",
        why="greater than 0",
    ),
    Threshold(
        "overdue_grace_hours",
        "Overdue grace period (hours after due)",
        "Overdue grace period",
        default=24,
        low=1,
        high=720,
        unit="hours",
        why="greater than 0",
    ),
)
SETTINGS: Final = {spec.name: spec for spec in (*rules.THRESHOLDS, *SCHEDULE_SETTINGS)}


def _setting_field(name: str) -> models.PositiveSmallIntegerField[int, int]:
    spec = SETTINGS[name]
    return models.PositiveSmallIntegerField(
        spec.label,
        default=spec.default,
        validators=[MinValueValidator(spec.low), MaxValueValidator(spec.high)],
        help_text=spec.help_text,
    )


class CriteriaSet(models.Model):
    """One version of the admin-editable thresholds. Never changed once saved."""

    version = models.PositiveIntegerField(unique=True, editable=False)
    is_active = models.BooleanField(default=False, editable=False)
    phq9_iop_min = _setting_field("phq9_iop_min")
    gad7_iop_min = _setting_field("gad7_iop_min")
    moderate_min = _setting_field("moderate_min")
    persistent_weeks_min = _setting_field("persistent_weeks_min")
    stepdown_window_days = _setting_field("stepdown_window_days")
    review_interval_inpatient_days = _setting_field("review_interval_inpatient_days")
    review_interval_iop_days = _setting_field("review_interval_iop_days")
    review_interval_outpatient_days = _setting_field("review_interval_outpatient_days")
    reminder_lead_hours = _setting_field("reminder_lead_hours")
    overdue_grace_hours = _setting_field("overdue_grace_hours")
    change_note = models.TextField(help_text="Why this version was made.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    history = HistoricalRecords(bases=[HistorySnapshot])

    THRESHOLD_FIELDS: Final = tuple(spec.name for spec in rules.THRESHOLDS)
    SETTING_FIELDS: Final = tuple(SETTINGS)

    class Meta:
        ordering = ["-version"]
        verbose_name = "criteria version"
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"],
                condition=models.Q(is_active=True),
                name="one_active_criteria_set",
            )
        ]

    def __str__(self) -> str:
        return f"Criteria v{self.version}{' (active)' if self.is_active else ''}"

    def to_criteria(self) -> rules.Criteria:
        return rules.Criteria(**{f: getattr(self, f) for f in self.THRESHOLD_FIELDS})

    def review_interval(self, level: str) -> timedelta:
        days = {
            Level.INPATIENT: self.review_interval_inpatient_days,
            Level.IOP: self.review_interval_iop_days,
            Level.OUTPATIENT: self.review_interval_outpatient_days,
        }[Level.from_slug(level)]
        return timedelta(days=days)


class Recommendation(models.Model):
    """The rules' output for one submitted assessment, with the version it used."""

    assessment = models.OneToOneField(
        "intake.Assessment", on_delete=models.PROTECT, related_name="recommendation"
    )
    client = models.ForeignKey(
        "intake.Client", on_delete=models.PROTECT, related_name="recommendations"
    )
    # NULL means "insufficient information" (a real outcome, distinct from "").
    level = models.CharField(  # noqa: DJ001
        max_length=12, choices=LevelChoices.choices, null=True, blank=True
    )
    priority = models.PositiveSmallIntegerField(default=0)
    reasons = models.JSONField(default=list)
    notes = models.JSONField(default=list)
    missing = models.JSONField(default=list)
    scores = models.JSONField(default=dict)
    # Copies of scores["phq9"]["total"] and scores["gad7"]["total"] for the
    # reports' aggregates (fixed at submission; `reports.facts.score_totals`).
    # (PostgreSQL also has a covering index on id with these and the other
    # narrow columns the reports join: migration 0016.)
    phq9_total = models.PositiveSmallIntegerField(null=True, blank=True)
    gad7_total = models.PositiveSmallIntegerField(null=True, blank=True)
    safety_flag = models.BooleanField(
        default=False, help_text="C-SSRS high risk or PHQ-9 item 9 above 0."
    )
    criteria = models.ForeignKey(
        CriteriaSet, on_delete=models.PROTECT, related_name="recommendations"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # A newer submitted assessment of the client took this undecided one out of
    # the queue (recorded, never deleted).
    superseded_by = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="supersedes",
    )
    superseded_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords(bases=[HistorySnapshot])

    class Meta:
        ordering = ["-priority", "created_at", "id"]
        indexes = [models.Index(fields=["-priority", "created_at"])]

    def __str__(self) -> str:
        return f"Recommendation {self.pk}: {self.level or 'insufficient information'}"

    def get_absolute_url(self) -> str:
        return reverse("levelofcare:review", args=[self.pk])

    @property
    def level_label(self) -> str:
        return self.get_level_display() if self.level else INSUFFICIENT_LABEL

    @property
    def top_reason(self) -> dict[str, object] | None:
        return self.reasons[0] if self.reasons else None

    @property
    def inpatient_reasons(self) -> list[dict[str, object]]:
        """The reasons whose criterion points to inpatient care (the safety criteria
        a clinician acknowledges before deciding a lower level)."""
        return [
            r
            for r in self.reasons
            if rules.RULE_LEVELS.get(r["code"]) is Level.INPATIENT
        ]

    def as_contract(self) -> dict[str, object]:
        return {
            "level": self.level,
            "reasons": self.reasons,
            "notes": self.notes,
            "missing": self.missing,
            "scores": self.scores,
            "criteria_version": self.criteria.version,
        }


class RecommendationReason(models.Model):
    """The code of one rule that fired for a recommendation (a copy of
    `reasons[position]["code"]`, fixed at submission), for the reports'
    per-rule counts without unpacking JSON."""

    recommendation = models.ForeignKey(
        Recommendation, on_delete=models.CASCADE, related_name="reason_codes"
    )
    position = models.PositiveSmallIntegerField()  # 0: the reason that set the level
    code = models.CharField(max_length=64)

    class Meta:
        ordering = ["recommendation", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["recommendation", "code"], name="reason_code_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.recommendation_id})"


class Program(models.Model):
    """A program of the clinic's directory: its level, schedule, modality, places
    and accepted payers. Kept by criteria admins in Django admin (with history).

    `open_places` is the clinic's count, taken when a placement in the program
    starts and released when it ends (`levelofcare.programs.services`, under a
    row lock). The waitlist is rows (`WaitlistEntry`), so its length is counted,
    never typed.
    """

    class Hours(models.TextChoices):
        DAYTIME = "daytime", "Daytime"
        EVENING = "evening", "Evening"

    class Modality(models.TextChoices):
        IN_PERSON = "in_person", "In person"
        VIRTUAL = "virtual", "Virtual (telehealth)"
        HYBRID = "hybrid", "Hybrid (in person and virtual)"

    # Monday first; stored as comma-separated codes ("mon,wed,fri"): portable to
    # SQLite, where the laptop runs (no ArrayField).
    DAYS: Final = (
        ("mon", "Monday"),
        ("tue", "Tuesday"),
        ("wed", "Wednesday"),
        ("thu", "Thursday"),
        ("fri", "Friday"),
        ("sat", "Saturday"),
        ("sun", "Sunday"),
    )

    name = models.CharField(max_length=200, unique=True)
    level = models.CharField(max_length=12, choices=LevelChoices.choices)
    days = models.CharField(
        "days of the week",
        max_length=27,
        blank=True,
        help_text="The days the program meets.",
    )
    hours = models.CharField(
        max_length=10, choices=Hours.choices, default=Hours.DAYTIME
    )
    modality = models.CharField(
        max_length=10, choices=Modality.choices, default=Modality.IN_PERSON
    )
    location = models.CharField(
        max_length=200, blank=True, help_text="Address or site; blank when virtual."
    )
    capacity = models.PositiveIntegerField(help_text="Places in the program.")
    open_places = models.PositiveIntegerField(
        help_text="Places free today (taken and released as placements start and end)."
    )
    accepted_payers = models.TextField(
        blank=True, help_text="One payer per line, as written on clients' records."
    )
    is_active = models.BooleanField("active", default=True)
    history = HistoricalRecords(bases=[HistorySnapshot])

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["level", "is_active"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(open_places__lte=models.F("capacity")),
                name="program_open_places_within_capacity",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def day_codes(self) -> tuple[str, ...]:
        return tuple(code for code in self.days.split(",") if code)

    @property
    def days_label(self) -> str:
        names = dict(self.DAYS)
        return ", ".join(names[code][:3] for code in self.day_codes if code in names)

    @property
    def payer_list(self) -> tuple[str, ...]:
        return tuple(
            line.strip() for line in self.accepted_payers.splitlines() if line.strip()
        )


class WaitlistEntry(models.Model):
    """A client waiting for a place in a program: who, which program, since when,
    and when (and why) they left the waitlist."""

    class LeftReason(models.TextChoices):
        PLACED = "placed", "Placed in the program"
        WITHDRAWN = "withdrawn", "Withdrawn"

    program = models.ForeignKey(
        Program, on_delete=models.PROTECT, related_name="waitlist"
    )
    client = models.ForeignKey(
        "intake.Client", on_delete=models.PROTECT, related_name="waitlist_entries"
    )
    decision = models.ForeignKey(
        "Decision",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="waitlist_entries",
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now)
    left_at = models.DateTimeField(null=True, blank=True)
    left_reason = models.CharField(
        max_length=10, choices=LeftReason.choices, blank=True
    )
    history = HistoricalRecords(bases=[HistorySnapshot])

    class Meta:
        ordering = ["added_at", "id"]
        verbose_name_plural = "waitlist entries"
        constraints = [
            models.UniqueConstraint(
                fields=["program", "client"],
                condition=models.Q(left_at__isnull=True),
                name="one_open_waitlist_entry_per_client_and_program",
            )
        ]
        indexes = [
            models.Index(
                fields=["program"],
                condition=models.Q(left_at__isnull=True),
                name="waitlistentry_waiting",
            )
        ]

    def __str__(self) -> str:
        return f"Client {self.client_id} waiting for program {self.program_id}"


class Decision(models.Model):
    """A clinician's signed decision on a recommendation. Never edited afterwards."""

    class Kind(models.TextChoices):
        ACCEPT = "accept", "Accepted"
        OVERRIDE = "override", "Overridden"
        # On an "insufficient information" recommendation there is nothing to
        # accept or override: the clinician decides the level.
        DECIDED_WITHOUT_RECOMMENDATION = (
            "decided_without_recommendation",
            "Decided without a recommendation",
        )

    class ReasonCode(models.TextChoices):
        CLIENT_PREFERENCE = "client_preference", "Client preference"
        NOT_AVAILABLE = "not_available", "Level not available / waitlist"
        CLINICAL_JUDGEMENT = "clinical_judgement", "Clinical judgement"
        ACCESS = "access", "Transportation or access"
        FINANCIAL = "financial", "Financial / insurance"
        COURT_ORDERED = "court_ordered", "Court ordered"
        HIGHER_LEVEL_REQUIRED = (
            "higher_level_required",
            "Higher level clinically required",
        )
        OTHER = "other", "Other"

    class ServiceGap(models.TextChoices):
        """Why no program at the decided level could take the client."""

        NO_PROGRAM = "no_program", "No program at this level"
        FULL = "full", "Programs at this level are full"
        SCHEDULE = "schedule", "No program with a schedule that fits"
        PAYER = "payer", "No program accepts the client's payer"
        DISTANCE = "distance", "Programs are too far away"

    recommendation = models.ForeignKey(
        Recommendation, on_delete=models.PROTECT, related_name="decisions"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    level = models.CharField(max_length=12, choices=LevelChoices.choices)
    reason_code = models.CharField(
        max_length=30, choices=ReasonCode.choices, blank=True
    )
    rationale = models.TextField(blank=True)
    # A program outside the directory (free text); `referred_program` for one in it.
    program = models.CharField("program referred to", max_length=200, blank=True)
    referred_program = models.ForeignKey(
        Program,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="decisions",
    )
    # No program at the decided level could take the client: why (the placement
    # then records the level the client was placed at instead).
    service_gap = models.CharField(
        max_length=20, choices=ServiceGap.choices, blank=True
    )
    safety_acknowledged = models.BooleanField(default=False)
    corrects = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="correction",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="decisions"
    )
    decided_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords(bases=[HistorySnapshot])

    class Meta:
        ordering = ["-decided_at", "-id"]
        constraints = [
            # Exactly one original decision per recommendation; corrections chain.
            models.UniqueConstraint(
                fields=["recommendation"],
                condition=models.Q(corrects__isnull=True),
                name="one_original_decision_per_recommendation",
            )
        ]

    def __str__(self) -> str:
        return f"Decision {self.pk}: {self.get_kind_display()} {self.level}"

    @property
    def acknowledged_criteria(self) -> list[dict[str, object]]:
        """The safety criteria the clinician acknowledged (none unless they did)."""
        if not self.safety_acknowledged:
            return []
        return self.recommendation.inpatient_reasons


class Placement(models.Model):
    """A client at a level of care since a date (until closed).

    `level` is where the client is placed; `indicated_level` the level the
    clinician decided. They differ only on a service gap (no program at the
    decided level could take the client): `service_gap` then holds the reason,
    so reports count gaps by indicated level and month in SQL.
    """

    client = models.ForeignKey(
        "intake.Client", on_delete=models.PROTECT, related_name="placements"
    )
    level = models.CharField(max_length=12, choices=LevelChoices.choices)
    indicated_level = models.CharField(
        "clinically indicated level",
        max_length=12,
        choices=LevelChoices.choices,
        blank=True,
    )
    service_gap = models.CharField(
        max_length=20, choices=Decision.ServiceGap.choices, blank=True
    )
    decision = models.OneToOneField(
        Decision, on_delete=models.PROTECT, related_name="placement"
    )
    program = models.ForeignKey(
        Program,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="placements",
    )
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords(bases=[HistorySnapshot])

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["client"],
                condition=models.Q(ended_at__isnull=True),
                name="one_open_placement_per_client",
            ),
            models.CheckConstraint(
                condition=models.Q(service_gap="") | ~models.Q(indicated_level=""),
                name="placement_service_gap_has_indicated_level",
            ),
        ]
        indexes = [
            models.Index(
                fields=["indicated_level", "started_at"],
                condition=~models.Q(service_gap=""),
                name="placement_service_gaps",
            )
        ]

    def __str__(self) -> str:
        return f"Placement {self.pk}: {self.level}"

    @property
    def has_service_gap(self) -> bool:
        return bool(self.service_gap)

    @property
    def is_open(self) -> bool:
        return self.ended_at is None


class ProgressReview(models.Model):
    """A scheduled re-assessment of a placement. Reminders are swept, not queued."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"

    placement = models.ForeignKey(
        Placement, on_delete=models.PROTECT, related_name="reviews"
    )
    due_at = models.DateTimeField()
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.SCHEDULED
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews"
    )
    due_soon_sent_at = models.DateTimeField(null=True, blank=True)
    overdue_sent_at = models.DateTimeField(null=True, blank=True)
    # Earlier assignees already reminded "due soon", as [{"user": pk, "due_at":
    # ISO date-time}]: reassigning back to one of them for the same due date does
    # not remind them again (the current assignee's is `due_soon_sent_at`).
    due_soon_reminded = models.JSONField(default=list, blank=True, editable=False)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords(bases=[HistorySnapshot])

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [models.Index(fields=["status", "due_at"])]

    def __str__(self) -> str:
        return f"Progress review {self.pk} due {self.due_at:%Y-%m-%d}"


class ProgressReviewReassignment(models.Model):
    """A progress review given from one clinician to another, by someone: shown on
    the client's timeline (a reassignment also changes who may read the client's
    audit trail, so it is never silent)."""

    review = models.ForeignKey(
        ProgressReview, on_delete=models.PROTECT, related_name="reassignments"
    )
    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return (
            f"Progress review {self.review_id} reassigned from {self.from_user_id} "
            f"to {self.to_user_id}"
        )


class ProgressReviewAssessment(models.Model):
    """The reassessment made for a progress review (drafts included).

    Owned by levelofcare so that intake never refers to levelofcare: an intake
    Assessment knows nothing of progress reviews. Replaces the former
    `intake.Assessment.progress_review` foreign key (migration 0005 copied it).
    """

    progress_review = models.ForeignKey(
        ProgressReview, on_delete=models.PROTECT, related_name="assessment_links"
    )
    assessment = models.OneToOneField(
        "intake.Assessment",
        on_delete=models.PROTECT,
        related_name="progress_review_link",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return (
            f"Assessment {self.assessment_id} for progress review "
            f"{self.progress_review_id}"
        )


class Notification(models.Model):
    """An in-app reminder. Text never holds patient-identifying data."""

    class Kind(models.TextChoices):
        DUE_SOON = "due_soon", "Review due soon"
        OVERDUE = "overdue", "Review overdue"
        REASSIGNED = "reassigned", "Review reassigned"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    review = models.ForeignKey(
        ProgressReview, on_delete=models.CASCADE, related_name="notifications"
    )
    text = models.CharField(max_length=200)
    url = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    # A pending item of the user's next email digest (set by the sweep, in the
    # claim's transaction); cleared when the digest is written to the outbox.
    email_pending = models.BooleanField(default=False)
    digest = models.ForeignKey(
        "OutboxEmail",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="items",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "read_at"]),
            models.Index(
                fields=["user"],
                condition=models.Q(email_pending=True),
                name="notification_email_pending",
            ),
        ]

    def __str__(self) -> str:
        return self.text


class OutboxEmail(models.Model):
    """One email to send (a reminder digest), delivered and retried on its own.

    `last_error` holds the exception class and a short message, never a body.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="outbox_emails",
    )
    to_address = models.CharField(max_length=254)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(sent_at=None, failed_at=None),
                name="outboxemail_due",
            ),
            models.Index(fields=["user", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.subject} to {self.to_address}"

    @property
    def status(self) -> str:
        if self.sent_at:
            return "sent"
        return "failed" if self.failed_at else "pending"


class ReminderPreference(models.Model):
    """A user's choice about reminder email; in-app notifications are always on."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="reminder_preference",
    )
    email = models.BooleanField(
        default=True, help_text="Send me a digest email of due and overdue reviews."
    )

    def __str__(self) -> str:
        return f"reminder email {'on' if self.email else 'off'}"


class AuthEvent(models.Model):
    """Sign-in, sign-out, failed sign-in and second-factor events, for the audit
    trail. `actor` and `reason` are set when someone acts on another's account
    (a criteria admin resetting a lost second factor)."""

    class Kind(models.TextChoices):
        LOGIN = "login", "Signed in"
        LOGOUT = "logout", "Signed out"
        LOGIN_FAILED = "login_failed", "Failed sign-in"
        MFA_ENROLLED = "mfa_enrolled", "Set up a second factor"
        MFA_VERIFIED = "mfa_verified", "Verified the second factor"
        MFA_FAILED = "mfa_failed", "Failed second-factor code"
        MFA_CODES = "mfa_codes", "New backup codes"
        MFA_RESET = "mfa_reset", "Second factor reset"

    kind = models.CharField(max_length=15, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # The username typed (failed sign-ins) or the user's, as it was then.
    username = models.CharField(max_length=150, blank=True)
    # The user's full name as it was then. NULL: not recorded (the audit trail
    # falls back to the user's current name).
    full_name = models.CharField(  # noqa: DJ001 - NULL is "not recorded"
        max_length=300, null=True, blank=True
    )
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who acted, when not the user themselves (a second-factor reset).",
    )
    actor_username = models.CharField(max_length=150, blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        permissions = [
            ("view_audit", "Can read the whole audit trail"),
            ("view_own_audit", "Can read the audit trail of own clients"),
            ("reset_second_factor", "Can reset another user's lost second factor"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.username} {self.at:%Y-%m-%d %H:%M}"


class BreakGlassAccess(models.Model):
    """A clinician opened the audit trail of a client outside their caseload,
    giving a reason ("break the glass"). Shown on that client's audit trail and
    listed for criteria admins; it opens the trail for a limited time only."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # Who, as they were then (a later rename does not rewrite it).
    username = models.CharField(max_length=150)
    full_name = models.CharField(max_length=300, blank=True)
    client = models.ForeignKey(
        "intake.Client", on_delete=models.PROTECT, related_name="break_glass"
    )
    reason = models.TextField()
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = "break-the-glass access"
        verbose_name_plural = "break-the-glass accesses"

    def __str__(self) -> str:
        return f"Break the glass by {self.username} on client {self.client_id}"
