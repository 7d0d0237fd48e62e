"""Chromium: a clinician works the review queue, overrides a recommendation with a
reason, and sees the decision on the client's timeline; safety flags stand out."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import browser_login
from tests.factories import PASSWORD, ClientFactory, answers, submit_assessment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HIGH_RISK_CSSRS = {
    "wish_dead": True,
    "suicidal_thoughts": True,
    "method": True,
    "intent": True,
    "plan": False,
    "behavior_ever": False,
}
DANGER_ROW = re.compile(r"\btable-danger\b")


def queue_rows(page: Page) -> Any:
    return page.get_by_test_id("queue").locator("tbody tr")


def test_clinician_overrides_the_top_of_the_queue_and_the_timeline_shows_it(
    coordinator: Any,
    clinician: Any,
    live_server: Any,
    page: Page,
    artifacts_dir: Path,
) -> None:
    # Older and outpatient, then newer and IOP: the queue puts the IOP one first.
    older = submit_assessment(
        user=coordinator,
        client=ClientFactory(reference="MRN-OLD-OUT", created_by=coordinator),
        answer_dict=answers(),
    )
    client = ClientFactory(
        reference="MRN-NEW-IOP",
        given_name="Avery",
        family_name="Nguyen",
        created_by=coordinator,
    )
    newer = submit_assessment(
        user=coordinator, client=client, answer_dict=answers(harm_to_others="thoughts")
    )
    assert older.level == "outpatient" and newer.level == "iop"
    assert older.created_at < newer.created_at

    browser_login(page, live_server, clinician.username, PASSWORD)
    nav = page.get_by_role("navigation", name="Main navigation")
    nav.get_by_role("link", name="Review queue", exact=True).click()
    rows = queue_rows(page)
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("MRN-NEW-IOP")
    expect(rows.nth(0)).to_contain_text("IOP")
    expect(rows.nth(0)).to_contain_text("RISK_HARM_OTHERS_THOUGHTS")
    expect(rows.nth(1)).to_contain_text("MRN-OLD-OUT")
    expect(rows.nth(1)).to_contain_text("Outpatient")
    expect(page.get_by_test_id("queue-safety-banner")).to_have_count(0)

    rows.nth(0).get_by_role("link", name="Review MRN-NEW-IOP").click()
    expect(page.get_by_role("heading", name="Review: Avery Nguyen")).to_be_visible()
    expect(page.get_by_test_id("rec-level")).to_have_text("IOP (intensive outpatient)")
    expect(page.get_by_test_id("reasons")).to_contain_text(
        "Thoughts of harming others (without intent)."
    )

    form = page.locator("#decision-form")
    override_fields = form.locator("#override-fields")
    form.get_by_label("Accept the recommended level").check()
    expect(override_fields).to_be_hidden()
    form.get_by_label("Choose another level").check()
    expect(override_fields).to_be_visible()
    # No safety acknowledgement unless inpatient is recommended.
    expect(form.get_by_label("I have considered the safety criteria")).to_have_count(0)
    form.get_by_label("Level of care").select_option(label="Outpatient")
    form.get_by_label("Reason").select_option(label="Client preference")
    form.get_by_label("Rationale").fill(
        "Declines IOP; agrees to weekly therapy and a safety plan."
    )
    form.get_by_label("A program outside the directory").check()
    form.get_by_label("Name of the program").fill("Northside weekly group")
    form.get_by_role("button", name="Sign decision").click()

    # Back on the client's page: the decision and the new placement are on top.
    expect(page.get_by_role("heading", name="Avery Nguyen")).to_be_visible()
    expect(page.get_by_text("Decision recorded and signed.")).to_be_visible()
    timeline = page.get_by_test_id("timeline")
    decision = timeline.locator('[data-kind="decision"]')
    expect(decision).to_have_count(1)
    expect(decision).to_contain_text("Decision: overridden")
    expect(decision).to_contain_text("Outpatient")
    expect(decision).to_contain_text("reason: Client preference")
    expect(decision).to_contain_text(
        "“Declines IOP; agrees to weekly therapy and a safety plan.”"
    )
    expect(decision).to_contain_text("referred to Northside weekly group")
    placement = timeline.locator('[data-kind="placement_start"]')
    expect(placement).to_contain_text("Outpatient")
    expect(placement).to_contain_text("(current)")
    page.screenshot(
        path=str(artifacts_dir / "review-override-timeline.png"), full_page=True
    )

    # The decided recommendation has left the queue.
    nav.get_by_role("link", name="Review queue", exact=True).click()
    expect(rows).to_have_count(1)
    expect(rows.nth(0)).to_contain_text("MRN-OLD-OUT")


def test_a_safety_flagged_recommendation_shows_the_red_banner_in_the_queue(
    coordinator: Any,
    clinician: Any,
    live_server: Any,
    page: Page,
    artifacts_dir: Path,
) -> None:
    submit_assessment(
        user=coordinator,
        client=ClientFactory(reference="MRN-CALM", created_by=coordinator),
        answer_dict=answers(),
    )
    flagged = submit_assessment(
        user=coordinator,
        client=ClientFactory(reference="MRN-FLAGGED", created_by=coordinator),
        answer_dict=answers(cssrs=HIGH_RISK_CSSRS),
    )
    assert flagged.safety_flag and flagged.level == "inpatient"

    browser_login(page, live_server, clinician.username, PASSWORD)
    page.goto(f"{live_server.url}/reviews/")
    banner = page.get_by_test_id("queue-safety-banner")
    expect(banner).to_be_visible()
    expect(banner).to_have_class(re.compile(r"\balert-danger\b"))
    expect(banner).to_contain_text(
        "1 recommendation on this page carries a safety flag"
    )
    rows = queue_rows(page)
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("MRN-FLAGGED")
    expect(rows.nth(0)).to_contain_text("Safety flag")
    expect(rows.nth(0)).to_have_class(DANGER_ROW)
    expect(rows.nth(0)).to_contain_text("RISK_CSSRS_HIGH")
    expect(rows.nth(1)).to_contain_text("MRN-CALM")
    expect(rows.nth(1)).not_to_contain_text("Safety flag")
    expect(rows.nth(1)).not_to_have_class(DANGER_ROW)
    page.screenshot(path=str(artifacts_dir / "review-queue-safety.png"), full_page=True)

    # Opening it shows the same flag on the review page, with the acknowledgement.
    rows.nth(0).get_by_role("link", name="Review MRN-FLAGGED").click()
    expect(page.get_by_test_id("safety-banner")).to_contain_text(
        "high suicide risk on the C-SSRS screener"
    )
    expect(page.get_by_test_id("rec-level")).to_have_text("Inpatient")
    expect(
        page.locator("#decision-form").get_by_label(
            "I have considered the safety criteria"
        )
    ).to_have_count(1)
