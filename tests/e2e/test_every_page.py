"""Chromium visits every page each role can reach: no serious or critical axe-core
violation, and nothing scrolls sideways on a 390 px phone.

The seeded data reaches every detail page: a client (with a 100-character family
name, which must wrap) whose recommendation waits for review, and a client whose
decided placement has an overdue progress review and a notification.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.template import loader
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page

from intake.services import assessment_patient_report_save
from levelofcare.criteria.selectors import criteria_active
from levelofcare.models import ProgressReview, WaitlistEntry
from levelofcare.progress.reminders import reminders_sweep
from levelofcare.recommendations.services import decision_record
from tests.conftest import browser_login
from tests.e2e.checks import PHONE, scrolls_sideways, serious_violations
from tests.factories import (
    PASSWORD,
    ClientFactory,
    ProgramFactory,
    answers,
    submit_assessment,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG_NAME = ("Wolfeschlegelsteinhausenbergerdorff" * 3)[
    :100
]  # 100 characters, no break
DESKTOP = {"width": 1280, "height": 900}


@dataclass(frozen=True)
class Seeded:
    pending_assessment: int  # its recommendation waits in the review queue
    pending_recommendation: int
    pending_client: int
    placed_client: int
    placed_reference: str
    progress_review: int
    criteria_set: int
    patient_reported_draft: int  # a draft holding an imported (FHIR) PHQ-9
    program: int = 0


def _seed(coordinator: Any, clinician: Any) -> Seeded:
    # The directory (issue 13): the review page ranks the IOPs, one of them full
    # with a long name; the placed client is in the inpatient unit.
    ProgramFactory(name="Evening IOP, Harbour Street", hours="evening")
    ProgramFactory(name="Virtual IOP (telehealth)", modality="virtual")
    full_iop = ProgramFactory(name="Daytime IOP " + LONG_NAME[:60], open_places=0)
    unit = ProgramFactory(name="Inpatient unit", level="inpatient")
    pending = submit_assessment(
        user=coordinator,
        client=ClientFactory(
            reference="MRN-PENDING",
            given_name="Avery",
            family_name=LONG_NAME,
            created_by=coordinator,
        ),
        answer_dict=answers(phq9=[2, 2, 2, 2, 2, 2, 2, 2, 0]),  # IOP
    )
    placed = submit_assessment(
        user=coordinator,
        client=ClientFactory(reference="MRN-PLACED", created_by=coordinator),
        answer_dict=answers(harm_to_others="intent"),  # inpatient
    )
    # Decided 4 days ago: the 3-day inpatient review is overdue.
    decision_record(
        recommendation=placed,
        user=clinician,
        level="inpatient",
        referred_program=unit,
        now=timezone.now() - timedelta(days=4),
    )
    # The placed client also waits for the full IOP (its waitlist on the chart).
    WaitlistEntry.objects.create(
        program=full_iop, client=placed.client, added_by=coordinator
    )
    reminders_sweep(now=timezone.now())  # the clinician's notification
    review = ProgressReview.objects.get(placement__client=placed.client)
    draft, _ = assessment_patient_report_save(
        client=placed.client,
        user=coordinator,
        instrument="phq9",
        items=[1, 2, 1, 0, 1, 2, 1, 0, 0],
        source="https://portal.example.org/a-rather-long-source-name-that-must-wrap",
        authored_at=timezone.now() - timedelta(hours=3),
    )
    return Seeded(
        pending_assessment=pending.assessment_id,
        pending_recommendation=pending.pk,
        pending_client=pending.client_id,
        placed_client=placed.client_id,
        placed_reference=placed.client.reference,
        progress_review=review.pk,
        criteria_set=criteria_active().pk,
        program=unit.pk,
        patient_reported_draft=draft.pk,
    )


def _pages(role: str, s: Seeded) -> dict[str, str]:
    """Every page `role` reaches (name -> path), from the navigation and the seed."""
    common = {
        "home": reverse("home"),
        "criteria book": reverse("levelofcare:criteria_book"),
        "programs": reverse("levelofcare:program_list"),
        "404 page": "/no-such-page/",
        # Reports: every role (aggregates only for coordinators and criteria admins).
        "reports": reverse("levelofcare:reports"),
        **{
            f"report {name}": reverse(f"levelofcare:report_{name}")
            for name in ("volume", "overrides", "timeliness", "outcomes")
        },
        "report service gaps": reverse("levelofcare:report_service_gaps"),
        "report with a bad date": reverse("levelofcare:report_volume")
        + "?from=2026-02-31",
    }
    caseload = {
        "client list": reverse("levelofcare:client_list"),
        "client page": reverse("levelofcare:client_detail", args=[s.pending_client]),
        "placed client page": reverse(
            "levelofcare:client_detail", args=[s.placed_client]
        ),
        "new assessment": reverse(
            "levelofcare:assessment_create", args=[s.pending_client]
        ),
        "result": reverse("levelofcare:assessment_result", args=[s.pending_assessment]),
        "print": reverse("levelofcare:assessment_print", args=[s.pending_assessment]),
        "draft with patient-reported answers": reverse(
            "levelofcare:assessment_edit", args=[s.patient_reported_draft]
        ),
    }
    # The home dashboard's tiles link to filtered lists (issue 14).
    caseload["client list: drafts"] = reverse("levelofcare:client_list") + (
        "?show=drafts"
    )
    caseload["client list: mine at inpatient"] = reverse("levelofcare:client_list") + (
        "?show=mine&level=inpatient"
    )
    if role == "coordinator":
        return {
            **common,
            **caseload,
            "new client": reverse("intake:client_create"),
            "403 page": reverse("levelofcare:review_queue"),
        }
    if role == "clinician":
        return {
            **common,
            **caseload,
            "review queue": reverse("levelofcare:review_queue"),
            "review page": reverse(
                "levelofcare:review", args=[s.pending_recommendation]
            ),
            "reviews due": reverse("levelofcare:progress_reviews_due"),
            "review queue: safety-flagged": reverse("levelofcare:review_queue")
            + "?flag=safety",
            "reviews due: overdue": reverse("levelofcare:progress_reviews_due")
            + "?status=overdue",
            "start progress review": reverse(
                "levelofcare:progress_review_start", args=[s.progress_review]
            ),
            "notifications": reverse("levelofcare:notifications"),
            "audit log": reverse("levelofcare:audit_log")
            + f"?client={s.placed_reference}",
            "403 page": reverse("levelofcare:audit_log"),  # no client chosen
            "break the glass": reverse("levelofcare:break_glass")
            + f"?client={s.placed_reference}",
        }
    return {
        **common,
        "audit log": reverse("levelofcare:audit_log"),
        "break-the-glass list": reverse("levelofcare:break_glass_list"),
        "criteria admin list": reverse("admin:levelofcare_criteriaset_changelist"),
        "criteria admin change": reverse(
            "admin:levelofcare_criteriaset_change", args=[s.criteria_set]
        ),
        "program admin list": reverse("admin:levelofcare_program_changelist"),
        "program admin change": reverse(
            "admin:levelofcare_program_change", args=[s.program]
        ),
        "criteria admin prefilled from a report": reverse(
            "admin:levelofcare_criteriaset_change", args=[s.criteria_set]
        )
        + "?phq9_iop_min=16",
        "403 page": reverse("levelofcare:client_list"),
    }


# Pages other branches own that fail here today, checked one by one and expected
# to fail until those branches are merged (strict=False: they pass afterwards).
def _problems(page: Page, url: str) -> list[str]:
    """What is wrong with the page at `url`: axe findings, sideways scrolling."""
    page.set_viewport_size(DESKTOP)
    response = page.goto(url)
    assert response is not None
    found = [f"axe {v}" for v in serious_violations(page)]
    page.set_viewport_size(PHONE)
    if scrolls_sideways(page):
        width = page.evaluate("document.documentElement.scrollWidth")
        found.append(f"scrolls sideways at 390 px ({width} px wide)")
    return found


@pytest.fixture
def signed_in(
    request: pytest.FixtureRequest,
    coordinator: Any,
    clinician: Any,
    criteria_admin: Any,
    live_server: Any,
    page: Page,
) -> Any:
    def sign_in(role: str) -> Seeded:
        seeded = _seed(coordinator, clinician)
        user = {
            "coordinator": coordinator,
            "clinician": clinician,
            "criteria_admin": criteria_admin,
        }[role]
        browser_login(page, live_server, user.username, PASSWORD)
        return seeded

    return sign_in


@pytest.mark.parametrize("role", ["coordinator", "clinician", "criteria_admin"])
def test_every_page_of_every_role_passes_axe_and_fits_a_phone(
    role: str, signed_in: Any, live_server: Any, page: Page
) -> None:
    seeded = signed_in(role)
    pages = _pages(role, seeded)
    problems = {
        name: found
        for name, path in pages.items()
        if (found := _problems(page, live_server.url + path))
    }
    assert problems == {}
    assert len(pages) >= 7


def test_signed_out_pages_pass_axe_and_fit_a_phone(
    coordinator: Any, live_server: Any, page: Page, settings: Any
) -> None:
    settings.PASSWORD_RESET_BY_EMAIL = False
    problems = {
        name: found
        for name, path in {
            "sign in": reverse("login"),
            "404 page": "/no-such-page/",
            "password reset": reverse("password_reset"),
        }.items()
        if (found := _problems(page, live_server.url + path))
    }
    # The lockout page: the response to one sign-in too many.
    page.set_viewport_size(DESKTOP)
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        browser_login(page, live_server, coordinator.username, "wrong")
    assert page.get_by_test_id("locked-out").is_visible()
    problems["lockout"] = [f"axe {v}" for v in serious_violations(page)]
    page.set_viewport_size(PHONE)
    if scrolls_sideways(page):
        problems["lockout"].append("scrolls sideways at 390 px")
    # The 500 page stands alone: render it into a page of the live server.
    page.goto(live_server.url + reverse("login"))
    page.set_content(loader.get_template("500.html").render())
    page.set_viewport_size(DESKTOP)
    problems["500 page"] = [f"axe {v}" for v in serious_violations(page)]
    page.set_viewport_size(PHONE)
    if scrolls_sideways(page):
        problems["500 page"].append("scrolls sideways at 390 px")
    assert {name: found for name, found in problems.items() if found} == {}


def test_start_review_is_reachable_on_a_phone(
    signed_in: Any, live_server: Any, page: Page
) -> None:
    signed_in("clinician")
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + reverse("levelofcare:progress_reviews_due"))
    start = page.get_by_role("link", name="Start review for client ref MRN-PLACED")
    box = start.bounding_box()
    assert box is not None
    assert start.is_visible()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert not scrolls_sideways(page)
    start.click()
    page.wait_for_url("**/progress-reviews/*/start/")


def test_a_100_character_name_wraps_on_a_phone(
    signed_in: Any, live_server: Any, page: Page
) -> None:
    seeded = signed_in("clinician")
    assert len(LONG_NAME) == 100
    page.set_viewport_size(PHONE)
    for name in ("client page", "review page"):
        page.goto(live_server.url + _pages("clinician", seeded)[name])
        shown = page.locator("main").get_by_text(LONG_NAME).first
        box = shown.bounding_box(timeout=3000)
        assert box is not None, name
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], name
