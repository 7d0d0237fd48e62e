"""Chromium: a due progress review reaches the clinician as a notification; the
reassessment steps the client down from inpatient to IOP."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from intake.models import Assessment
from levelofcare.models import Notification, ProgressReview, Recommendation
from levelofcare.progress.reminders import reminders_sweep
from levelofcare.recommendations.services import decision_record
from tests.conftest import browser_login
from tests.factories import PASSWORD, ClientFactory, answers, submit_assessment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_due_progress_review_steps_an_inpatient_client_down_to_iop(
    coordinator: Any,
    clinician: Any,
    other_clinician: Any,
    live_server: Any,
    page: Page,
    artifacts_dir: Path,
) -> None:
    # An inpatient placement the clinician decided 2.5 days ago: with the default
    # 3-day inpatient interval its review is due in about 12 hours, inside the
    # 24-hour reminder lead time.
    client = ClientFactory(
        reference="MRN-STEP-DOWN",
        given_name="Quinn",
        family_name="Harper",
        created_by=coordinator,
    )
    recommendation = submit_assessment(
        user=coordinator,
        client=client,
        answer_dict=answers(harm_to_others="intent", work_or_school_commitment=True),
    )
    assert recommendation.level == "inpatient"
    # Time travel: the intake was submitted an hour before the decision, so the
    # timeline reads in a believable order.
    decided_at = timezone.now() - timedelta(days=2, hours=12)
    submitted_at = decided_at - timedelta(hours=1)
    Assessment.objects.filter(pk=recommendation.assessment_id).update(
        created_at=submitted_at, updated_at=submitted_at, submitted_at=submitted_at
    )
    Recommendation.objects.filter(pk=recommendation.pk).update(created_at=submitted_at)
    recommendation.refresh_from_db()
    decision_record(
        recommendation=recommendation,
        user=clinician,
        level="inpatient",
        now=decided_at,
    )
    review = ProgressReview.objects.get(placement__client=client)
    assert review.assigned_to == clinician
    assert review.due_at == decided_at + timedelta(days=3)

    # The sweep reminds the assigned clinician once, and nobody else.
    assert reminders_sweep(now=timezone.now()).due_soon == 1
    assert reminders_sweep(now=timezone.now()).due_soon == 0
    assert Notification.objects.filter(user=clinician).count() == 1
    assert not Notification.objects.filter(user=other_clinician).exists()

    # --- the clinician sees the bell --------------------------------------------------
    browser_login(page, live_server, clinician.username, PASSWORD)
    bell = page.get_by_test_id("nav-notifications")
    expect(bell).to_have_attribute("aria-label", "Notifications, 1 unread")
    expect(page.get_by_test_id("nav-unread-count")).to_have_text("1")
    bell.click()

    expect(page.get_by_role("heading", name="Notifications")).to_be_visible()
    row = page.get_by_test_id("notifications").locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Due soon")
    expect(row).to_contain_text("A progress review is due (client ref MRN-STEP-DOWN)")
    expect(row).to_contain_text("Unread")
    # Reminders carry a reference only, never the client's name.
    expect(row).not_to_contain_text("Harper")
    row.get_by_role("button", name=re.compile(r"^Open")).click()

    # The notification opens the due list narrowed to this review; it is now read.
    expect(page).to_have_url(
        re.compile(rf"/progress-reviews/due/\?review={review.pk}#review-")
    )
    expect(page.get_by_test_id("nav-unread-count")).to_have_text("0")
    due = page.locator(f"#review-{review.pk}")
    expect(due).to_contain_text("MRN-STEP-DOWN")
    expect(due).to_contain_text("Inpatient")
    expect(due).to_contain_text("Due soon")
    expect(due).to_contain_text("You")
    due.get_by_role("link", name="Start review for client ref MRN-STEP-DOWN").click()

    # --- the reassessment, pre-filled from the last assessment ---------------------
    expect(
        page.get_by_role("heading", name="Progress review for Quinn Harper")
    ).to_be_visible()
    # Safety is asked afresh: the C-SSRS screener and harm to others start empty.
    harm = page.locator("#div_id_harm_to_others")
    expect(harm.get_by_role("radio", checked=True)).to_have_count(0)
    screener = page.locator("#section-risk")
    expect(screener.get_by_role("radio", checked=True)).to_have_count(0)
    # Everything else is carried forward, each answer marked until it is changed.
    expect(page.locator('[data-total="phq9"]')).to_have_text("4")
    on = timezone.localtime(submitted_at)
    carried = f"Carried forward from the assessment of {on.day} {on:%b %Y}; check it."
    commitments = page.locator("#div_id_work_or_school_commitment")
    expect(commitments.get_by_label("Yes", exact=True)).to_be_checked()
    expect(commitments.locator(".carried-forward")).to_have_text(carried)
    expect(page.locator(".carried-forward")).to_have_count(26)
    commitments.get_by_label("No", exact=True).click()
    expect(commitments.locator(".carried-forward")).to_have_count(0)
    expect(page.locator(".carried-forward")).to_have_count(25)
    for part in ("wish_dead", "suicidal_thoughts", "behavior_ever"):
        page.locator(f"#div_id_cssrs_{part}").get_by_label("No", exact=True).click()
    harm.get_by_label("Thoughts of harming others").click()
    page.get_by_role("button", name="Submit assessment").click()

    # --- the review page compares with the current placement -------------------------
    expect(page.get_by_role("heading", name="Review: Quinn Harper")).to_be_visible()
    comparison = page.get_by_test_id("comparison")
    expect(comparison.get_by_test_id("change")).to_have_text("Step down")
    expect(comparison).to_contain_text("Current placement: Inpatient")
    expect(comparison).to_contain_text("recommended now: IOP")
    expect(comparison).to_contain_text("RISK_HARM_OTHERS_THOUGHTS")
    expect(comparison).to_contain_text("No longer fires")
    expect(comparison).to_contain_text("RISK_HARM_OTHERS_INTENT")
    expect(page.get_by_test_id("rec-level")).to_have_text("IOP (intensive outpatient)")
    page.screenshot(
        path=str(artifacts_dir / "progress-review-step-down.png"), full_page=True
    )

    form = page.locator("#decision-form")
    form.get_by_label("Accept the recommended level").check()
    form.get_by_role("button", name="Sign decision").click()

    # --- the client's timeline: inpatient ended, IOP current ---------------------
    expect(page.get_by_role("heading", name="Quinn Harper")).to_be_visible()
    expect(page.get_by_text("Decision recorded and signed.")).to_be_visible()
    timeline = page.get_by_test_id("timeline")
    events = timeline.locator("li[data-kind]")
    expect(events.first).to_have_attribute("data-kind", "placement_start")
    expect(events.first).to_contain_text("Placement started at IOP")
    expect(events.first).to_contain_text("(current)")
    expect(events.last).to_contain_text("Intake assessment submitted by")
    decisions = timeline.locator('[data-kind="decision"]')
    expect(decisions).to_have_count(2)
    expect(decisions.first).to_contain_text("Decision: accepted")
    expect(decisions.first).to_contain_text("IOP")
    expect(timeline.locator('[data-kind="placement_end"]')).to_contain_text(
        "Placement ended at Inpatient"
    )
    expect(timeline.locator('[data-kind="assessment"]').first).to_contain_text(
        "Progress review assessment submitted by"
    )
    page.screenshot(
        path=str(artifacts_dir / "progress-review-timeline.png"), full_page=True
    )

    # The review is completed; the next one (IOP, 7 days) is not due yet.
    review.refresh_from_db()
    assert review.status == ProgressReview.Status.COMPLETED
    page.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="Reviews due", exact=True
    ).click()
    expect(page.get_by_test_id("reviews-due-empty")).to_be_visible()
