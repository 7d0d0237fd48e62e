"""Create one demo account per role and a few demo clients. Idempotent: re-running
never duplicates or changes anything that is already there.

The demo clients go through the real services (register, submit, decide), so
their recommendations are what the rules say under the active criteria. Their
references start with `DEMO-` and their names are obviously made up.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Final

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from intake import catalogue
from intake.models import Assessment, Client
from intake.services import client_create
from levelofcare.models import Program, ProgressReview, Recommendation
from levelofcare.programs.services import waitlist_join
from levelofcare.recommendations.services import assessment_submit, decision_record
from locatr.roles import CLINICIANS, COORDINATORS, CRITERIA_ADMINS

DEMO_ACCOUNTS = (
    # username, first name, last name, group, staff (Django admin access)
    ("coordinator", "Casey", "Coordinator", COORDINATORS, False),
    ("clinician", "Dr Robin", "Clinician", CLINICIANS, False),
    ("criteria-admin", "Alex", "Admin", CRITERIA_ADMINS, True),
)
DEMO_PREFIX: Final = "DEMO-"

# Complete answers under which nothing fires (outpatient); each demo client
# changes a few of them. Yes/no questions take the catalogue's answer of no
# concern, so a question added to the catalogue is answered here too.
_NOT_YES_NO: Final[dict[str, Any]] = {
    "cssrs": {"wish_dead": False, "suicidal_thoughts": False, "behavior_ever": False},
    "harm_to_others": "none",
    "phq9": [1, 1, 0, 1, 0, 0, 1, 0, 0],
    "gad7": [1, 0, 1, 0, 0, 1, 0],
    "discharged_inpatient_days_ago": None,
    "weeks_weekly_therapy_without_improvement": None,
}
_NOTHING_FIRES: Final[dict[str, Any]] = {
    q.key: q.no_concern if q.kind == catalogue.YES_NO else _NOT_YES_NO[q.key]
    for q in catalogue.QUESTIONS
}


def _answers(**changes: Any) -> dict[str, Any]:
    """The answers above with some changed (a value of ... leaves it unanswered)."""
    answers = copy.deepcopy(_NOTHING_FIRES)
    for key, value in changes.items():
        if value is ...:
            answers.pop(key)
        else:
            answers[key] = value
    return answers


# PHQ-9 item lists (item 9 = 0) with totals 19, 14 and 9: a client improving.
PHQ9_19: Final = [3, 3, 2, 2, 2, 3, 2, 2, 0]
PHQ9_14: Final = [2, 2, 2, 2, 1, 2, 2, 1, 0]
PHQ9_9: Final = [1, 1, 1, 1, 1, 2, 1, 1, 0]
PHQ9_16: Final = [2, 2, 2, 2, 2, 2, 2, 2, 0]


@dataclass(frozen=True)
class Visit:
    """One submitted assessment, `ago` before the run; with `decide`, the demo
    clinician accepts its recommendation an hour later."""

    answers: dict[str, Any]
    ago: timedelta
    decide: bool = False


@dataclass(frozen=True)
class DemoClient:
    reference: str
    given_name: str
    family_name: str
    date_of_birth: date
    story: str
    visits: tuple[Visit, ...] = field(default_factory=tuple)
    payer: str = ""


DAY: Final = timedelta(days=1)

# The IOP interval is 7 days: visits 7 days apart, the last one 6.5 days ago,
# leave the next progress review due in about 12 hours ("due soon").
DEMO_CLIENTS: Final = (
    DemoClient(
        "DEMO-001",
        "Marlow",
        "Pretendsworth",
        date(1986, 5, 17),
        "safety-flagged inpatient (C-SSRS high risk), waiting for a clinician",
        (
            Visit(
                _answers(
                    cssrs={
                        "wish_dead": True,
                        "suicidal_thoughts": True,
                        "method": True,
                        "intent": True,
                        "plan": True,
                        "behavior_ever": False,
                    },
                    phq9=[3, 3, 2, 2, 2, 3, 2, 1, 2],
                ),
                ago=timedelta(hours=2),
            ),
        ),
    ),
    DemoClient(
        "DEMO-002",
        "Juniper",
        "Makebelieve",
        date(1992, 11, 3),
        "IOP, works full time and cannot attend 3 days a week, waiting",
        (
            Visit(
                _answers(
                    phq9=PHQ9_16,
                    work_or_school_commitment=True,
                    can_attend_3_days_week=False,
                ),
                ago=timedelta(hours=5),
            ),
        ),
        payer="Acme Health",
    ),
    DemoClient(
        "DEMO-003",
        "Tobias",
        "Fictitious",
        date(1975, 2, 28),
        "outpatient (mild symptoms), waiting",
        (Visit(_answers(), ago=timedelta(hours=26)),),
    ),
    DemoClient(
        "DEMO-004",
        "Wren",
        "Samplesby",
        date(2001, 8, 9),
        "insufficient information (no PHQ-9, no C-SSRS), waiting",
        (Visit(_answers(phq9=..., cssrs=...), ago=timedelta(hours=30)),),
    ),
    DemoClient(
        "DEMO-005",
        "Ottilie",
        "Notarealperson",
        date(1968, 12, 12),
        "IOP after an inpatient stay, PHQ-9 19 -> 14 -> 9, progress review due soon",
        (
            Visit(
                _answers(phq9=PHQ9_19, discharged_inpatient_days_ago=3),
                ago=20 * DAY + timedelta(hours=12),
                decide=True,
            ),
            Visit(
                _answers(phq9=PHQ9_14, discharged_inpatient_days_ago=10),
                ago=13 * DAY + timedelta(hours=12),
                decide=True,
            ),
            Visit(
                _answers(phq9=PHQ9_9, discharged_inpatient_days_ago=17),
                ago=6 * DAY + timedelta(hours=13),
                decide=True,
            ),
        ),
    ),
    # The client page's score trends: an episode of five weeks, PHQ-9 18 -> 7 and
    # GAD-7 16 -> 6 (a response on both), stepped down to outpatient, the last
    # review waiting for a decision (its level shows as recommended).
    DemoClient(
        "DEMO-006",
        "Rosalind",
        "Inventedly",
        date(1979, 4, 22),
        "score trends: PHQ-9 18 -> 15 -> 11 -> 7, GAD-7 16 -> 6, IOP then "
        "outpatient, latest review waiting",
        (
            Visit(
                _answers(phq9=[3, 3, 2, 2, 2, 2, 2, 2, 0], gad7=[3, 2, 2, 2, 3, 2, 2]),
                ago=35 * DAY,
                decide=True,
            ),
            Visit(
                _answers(phq9=[2, 2, 2, 2, 2, 2, 2, 1, 0], gad7=[2, 2, 2, 2, 2, 2, 1]),
                ago=28 * DAY,
                decide=True,
            ),
            Visit(
                _answers(phq9=[2, 1, 1, 2, 1, 1, 2, 1, 0], gad7=[2, 1, 2, 1, 2, 1, 1]),
                ago=21 * DAY,
                decide=True,
            ),
            Visit(
                _answers(phq9=[1, 1, 1, 1, 1, 1, 1, 0, 0], gad7=[1, 1, 1, 1, 1, 1, 0]),
                ago=6 * DAY + timedelta(hours=12),
            ),
        ),
    ),
)


@dataclass(frozen=True)
class DemoProgram:
    name: str
    level: str
    days: str
    hours: str
    modality: str
    location: str
    capacity: int
    open_places: int
    payers: tuple[str, ...]
    # Demo clients (references) on its waitlist.
    waitlist: tuple[str, ...] = ()


_ALL_PAYERS: Final = ("Acme Health", "Blue Meadow Insurance", "Medicaid")

# A daytime, an evening and a virtual IOP; an inpatient unit; two outpatient
# programs, one of them full with a waitlist. DEMO-002 (IOP, works full time,
# payer Acme Health) sees the evening and the virtual IOP first.
DEMO_PROGRAMS: Final = (
    DemoProgram(
        "Daytime IOP, Harbour Street",
        "iop",
        "mon,tue,wed,thu",
        "daytime",
        "in_person",
        "12 Harbour Street",
        capacity=12,
        open_places=3,
        payers=_ALL_PAYERS,
    ),
    DemoProgram(
        "Evening IOP, Harbour Street",
        "iop",
        "mon,tue,thu",
        "evening",
        "in_person",
        "12 Harbour Street",
        capacity=10,
        open_places=2,
        payers=("Acme Health", "Medicaid"),
    ),
    DemoProgram(
        "Virtual IOP (telehealth)",
        "iop",
        "mon,wed,fri",
        "daytime",
        "virtual",
        "",
        capacity=15,
        open_places=4,
        payers=("Acme Health", "Blue Meadow Insurance"),
    ),
    DemoProgram(
        "Inpatient unit, St Brigid's",
        "inpatient",
        "mon,tue,wed,thu,fri,sat,sun",
        "daytime",
        "in_person",
        "St Brigid's Hospital, ward 4",
        capacity=20,
        open_places=2,
        payers=_ALL_PAYERS,
    ),
    DemoProgram(
        "Outpatient therapy, Harbour Street",
        "outpatient",
        "mon,tue,wed,thu,fri",
        "daytime",
        "hybrid",
        "12 Harbour Street",
        capacity=40,
        open_places=6,
        payers=_ALL_PAYERS,
    ),
    DemoProgram(
        "Outpatient clinicians, Northside",
        "outpatient",
        "tue,thu",
        "evening",
        "in_person",
        "3 North Road",
        capacity=25,
        open_places=0,
        payers=("Medicaid",),
        waitlist=("DEMO-003", "DEMO-004"),
    ),
)


def demo_programs_seed(*, clinician: User) -> int:
    """Create the demo programs that are missing (by name) and their waitlists;
    returns how many programs were created."""
    created = 0
    with transaction.atomic():
        for demo in DEMO_PROGRAMS:
            program, made = Program.objects.get_or_create(
                name=demo.name,
                defaults={
                    "level": demo.level,
                    "days": demo.days,
                    "hours": demo.hours,
                    "modality": demo.modality,
                    "location": demo.location,
                    "capacity": demo.capacity,
                    "open_places": demo.open_places,
                    "accepted_payers": "\n".join(demo.payers),
                },
            )
            created += made
            if not made:
                continue
            for client in Client.objects.filter(reference__in=demo.waitlist):
                waitlist_join(
                    program=program, client_id=client.pk, decision=None, user=clinician
                )
    return created


class Command(BaseCommand):
    help = (
        "Create the demo accounts (one per role) and demo clients (references "
        "DEMO-...), and print the accounts' password."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--password",
            default=os.environ.get("DEMO_PASSWORD", ""),
            help="Password for all demo accounts (default: $DEMO_PASSWORD).",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Allow demo data when DEBUG is off (never in production).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "Refusing to create demo accounts and clients with DEBUG off; use "
                "--force if this really is not production.",
                returncode=2,
            )
        password = options["password"]
        if not password:
            raise CommandError(
                "No demo password: pass --password or set DEMO_PASSWORD "
                "(`make run` writes one to .env).",
                returncode=2,
            )
        self._check_password(password)
        users = self._accounts(password)
        for demo in DEMO_CLIENTS:
            created = demo_client_seed(
                demo, coordinator=users["coordinator"], clinician=users["clinician"]
            )
            verb = "created" if created else "exists "
            self.stdout.write(f"  {verb} {demo.reference}  ({demo.story})")
        made = demo_programs_seed(clinician=users["clinician"])
        self.stdout.write(f"  programs: {made} created, {len(DEMO_PROGRAMS)} in all")
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo accounts ready. Sign in at {settings.SITE_URL}/accounts/login/ "
                f"with any of the usernames above and the password: {password}"
            )
        )

    def _check_password(self, password: str) -> None:
        """The settings' password validators, against each demo account (the
        similarity check compares the password with the username and names)."""
        problems: list[str] = []
        for username, first, last, _, _ in DEMO_ACCOUNTS:
            account = User(username=username, first_name=first, last_name=last)
            try:
                password_validation.validate_password(password, user=account)
            except ValidationError as error:
                problems.extend(m for m in error.messages if m not in problems)
        if problems:
            raise CommandError(
                "The demo password does not pass the password policy: "
                + " ".join(problems),
                returncode=2,
            )

    def _accounts(self, password: str) -> dict[str, User]:
        user_model = get_user_model()
        users = {}
        with transaction.atomic():
            for username, first, last, group_name, staff in DEMO_ACCOUNTS:
                user, created = user_model.objects.get_or_create(
                    username=username,
                    defaults={"first_name": first, "last_name": last},
                )
                user.is_staff = staff
                user.is_active = True
                if created or not user.check_password(password):
                    user.set_password(password)
                user.save()
                user.groups.set([Group.objects.get(name=group_name)])
                verb = "created" if created else "updated"
                self.stdout.write(f"  {verb} {username:<15} ({group_name})")
                users[username] = user
        return users


def demo_client_seed(
    demo: DemoClient,
    *,
    coordinator: User,
    clinician: User,
    now: datetime | None = None,
) -> bool:
    """Register one demo client with its history; False if it already exists.

    1. Register the client (as the coordinator).
    2. For each visit, oldest first: submit the assessment through the real
       service (the first as an intake, later ones as the reassessment of the
       progress review then scheduled), then date it `ago` before `now`.
    3. With `decide`, the clinician accepts the recommendation an hour later
       (opening or keeping the placement and scheduling the next review).
    """
    now = now or timezone.now()
    with transaction.atomic():
        if Client.objects.filter(reference=demo.reference).exists():
            return False
        first_at = now - max((v.ago for v in demo.visits), default=timedelta(0))
        client = client_create(
            user=coordinator,
            reference=demo.reference,
            given_name=demo.given_name,
            family_name=demo.family_name,
            date_of_birth=demo.date_of_birth,
            payer=demo.payer,
        )
        Client.objects.filter(pk=client.pk).update(created_at=first_at)
        for visit in sorted(demo.visits, key=lambda v: v.ago, reverse=True):
            _visit_record(
                visit,
                client=client,
                now=now,
                coordinator=coordinator,
                clinician=clinician,
            )
    return True


def _visit_record(
    visit: Visit,
    *,
    client: Client,
    now: datetime,
    coordinator: User,
    clinician: User,
) -> None:
    submitted_at = now - visit.ago
    review = ProgressReview.objects.filter(
        placement__client=client,
        placement__ended_at__isnull=True,
        status=ProgressReview.Status.SCHEDULED,
    ).first()
    recommendation = assessment_submit(
        assessment=None,
        client=client,
        user=clinician if review else coordinator,
        answers=visit.answers,
        partial_items={},
        notes="",
        progress_review=review,
    )
    # Dated in the past explicitly (no clock tricks): the timeline and the PHQ-9
    # trend read as weeks of care.
    Assessment.objects.filter(pk=recommendation.assessment_id).update(
        created_at=submitted_at, updated_at=submitted_at, submitted_at=submitted_at
    )
    Recommendation.objects.filter(pk=recommendation.pk).update(created_at=submitted_at)
    Client.objects.filter(pk=client.pk).update(last_activity_at=submitted_at)
    if not visit.decide:
        return
    recommendation.refresh_from_db()
    if recommendation.level is None or recommendation.safety_flag:
        raise CommandError(
            f"{client.reference}: a demo decision needs a level and no safety flag."
        )
    decision_record(
        recommendation=recommendation,
        user=clinician,
        level=recommendation.level,
        now=submitted_at + timedelta(hours=1),
    )
