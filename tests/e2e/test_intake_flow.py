"""Chromium: a coordinator registers a client, fills in an assessment as a person
would (mouse and keyboard), watches the live scores, and reads the recommendation."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from intake import catalogue
from intake.catalogue import field_name, gate_field_name
from intake.models import Assessment
from levelofcare.models import Recommendation
from tests.baseline import BASELINE
from tests.conftest import browser_login
from tests.e2e.checks import PHONE, scrolls_sideways, serious_violations
from tests.factories import PASSWORD, ClientFactory, answers, submit_assessment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FREQUENCY = {int(value): label for value, label in catalogue.FREQUENCY}


def cssrs(part: str) -> str:
    """The form field of a C-SSRS question."""
    return field_name(f"{catalogue.CSSRS.key}.{part}")


# C-SSRS questions 3-5: asked only after "yes" to question 2.
GATED = tuple(
    cssrs(q) for q, g in catalogue.CSSRS_PARENT.items() if g == "suicidal_thoughts"
)


def question(page: Page, name: str) -> Any:
    """The wrapper crispy-forms renders around one question."""
    return page.locator(f"#div_id_{name}")


def choose(page: Page, name: str, label: str) -> None:
    """Click the answer labelled `label` of question `name` (a mouse click)."""
    question(page, name).get_by_label(label, exact=True).click()


def test_coordinator_registers_a_client_and_gets_a_recommendation(
    coordinator: Any, live_server: Any, page: Page, artifacts_dir: Path
) -> None:
    browser_login(page, live_server, coordinator.username, PASSWORD)

    # --- register the client -------------------------------------------------------
    nav = page.get_by_role("navigation", name="Main navigation")
    nav.get_by_role("link", name="New client", exact=True).click()
    expect(page.get_by_role("heading", name="Register a client")).to_be_visible()
    page.get_by_label("Clinic reference / MRN").fill("mrn-e2e-001")
    page.get_by_label("Given name").fill("Jordan")
    page.get_by_label("Family name").fill("Rivera")
    page.get_by_label("Date of birth").fill("1988-03-14")
    page.get_by_label("Contact").fill("+1 555 0100")
    page.get_by_role("button", name="Register client").click()

    expect(page.get_by_role("heading", name="Jordan Rivera")).to_be_visible()
    expect(page.get_by_text("Client MRN-E2E-001 registered.")).to_be_visible()
    expect(page.get_by_text("No assessments yet.")).to_be_visible()

    # --- the assessment form ---------------------------------------------------------
    page.get_by_role("link", name="New assessment").click()
    expect(
        page.get_by_role("heading", name="Assessment for Jordan Rivera")
    ).to_be_visible()

    # C-SSRS questions 3-5 are asked only after "yes" to question 2.
    for name in GATED:
        expect(question(page, name)).to_be_hidden()
    choose(page, cssrs("wish_dead"), "Yes")
    choose(page, cssrs("suicidal_thoughts"), "Yes")
    for name in GATED:
        expect(question(page, name)).to_be_visible()
    choose(page, cssrs("method"), "Yes")
    choose(page, cssrs("suicidal_thoughts"), "No")
    for name in GATED:
        expect(question(page, name)).to_be_hidden()
    choose(page, cssrs("suicidal_thoughts"), "Yes")
    for name in GATED:
        expect(question(page, name)).to_be_visible()
    # Hiding cleared the answer given before: it has to be given again.
    expect(
        question(page, cssrs("method")).get_by_label("Yes", exact=True)
    ).not_to_be_checked()
    choose(page, cssrs("method"), "Yes")
    choose(page, cssrs("intent"), "No")
    choose(page, cssrs("plan"), "No")
    expect(question(page, cssrs("behavior_past_3_months"))).to_be_hidden()
    choose(page, cssrs("behavior_ever"), "No")
    choose(page, "harm_to_others", "None")

    # PHQ-9 with the mouse, watching the live total and band.
    total = page.locator('[data-total="phq9"]')
    band = page.locator('[data-band="phq9"]')
    answered = page.locator('[data-answered="phq9"]')
    expect(total).to_have_text("—")
    phq9 = [2, 2, 2, 2, 2, 2, 1, 1, 0]  # 14 first: moderate
    for i, value in enumerate(phq9[:4], start=1):
        choose(page, field_name("phq9", i), FREQUENCY[value])
    expect(total).to_have_text("8 so far")
    expect(answered).to_have_text("(4 of 9 answered)")
    expect(band).to_have_text("")
    for i, value in enumerate(phq9[4:8], start=5):
        choose(page, field_name("phq9", i), FREQUENCY[value])
    expect(total).to_have_text("14 so far")
    # Item 9 above 0 shows the safety banner where the user is: right after item 9
    # (in the viewport) and in the progress summary; back to 0 hides them.
    banner = page.locator("#flag-banner-phq9")
    summary_banner = page.locator("#flag-summary-phq9")
    expect(banner).to_be_hidden()
    choose(page, field_name("phq9", 9), FREQUENCY[1])
    expect(banner).to_be_visible()
    expect(banner).to_be_in_viewport()
    expect(banner).to_contain_text("PHQ-9 item 9 shows thoughts of death")
    expect(summary_banner).to_be_visible()
    expect(summary_banner).to_be_in_viewport()
    expect(total).to_have_text("15")
    expect(band).to_have_text("moderately severe")
    choose(page, field_name("phq9", 9), FREQUENCY[0])
    expect(banner).to_be_hidden()
    expect(summary_banner).to_be_hidden()
    expect(total).to_have_text("14")
    expect(band).to_have_text("moderate")
    expect(answered).to_have_text("")
    choose(page, field_name("phq9", 7), FREQUENCY[2])
    expect(total).to_have_text("15")
    expect(band).to_have_text("moderately severe")
    choose(page, field_name("phq9", 8), FREQUENCY[2])
    expect(total).to_have_text("16")
    expect(band).to_have_text("moderately severe")

    # GAD-7 with the keyboard only: Space picks the first answer, the arrow keys
    # move along the answers of one question, Tab goes to the next question.
    gad7 = [1, 2, 1, 0, 1, 1, 1]  # 7: mild
    page.locator(f"#id_{field_name('gad7', 1)}_0").focus()
    for value in gad7:
        page.keyboard.press("Space")
        for _ in range(value):
            page.keyboard.press("ArrowRight")
        page.keyboard.press("Tab")
    for i, value in enumerate(gad7, start=1):
        item = question(page, field_name("gad7", i))
        expect(item.get_by_label(FREQUENCY[value], exact=True)).to_be_checked()
    expect(page.locator('[data-total="gad7"]')).to_have_text("7")
    expect(page.locator('[data-band="gad7"]')).to_have_text("mild")

    # 2-4. Every other yes/no question (severity, home, commitments): the baseline's
    # answer, in the form's order.
    for q in catalogue.QUESTIONS:
        if q.kind == catalogue.YES_NO:
            label = dict(q.choices)["yes" if BASELINE[q.key] else "no"]
            choose(page, field_name(q.key), label)
    # 5. History: the count of weeks is asked only after "yes".
    choose(page, gate_field_name("discharged_inpatient_days_ago"), "No")
    weeks = page.get_by_label("Weeks of weekly therapy without improvement")
    expect(weeks).to_be_hidden()
    choose(page, gate_field_name("weeks_weekly_therapy_without_improvement"), "Yes")
    expect(weeks).to_be_visible()
    weeks.click()
    page.keyboard.type("3")
    # 6. Notes
    page.get_by_label("Coordinator notes").click()
    page.keyboard.type("Seen at the walk-in clinic; came with a partner.")

    # Every section reports complete in the progress card.
    progress = page.locator("#section-progress")
    for number, part in enumerate(catalogue.SECTIONS, start=1):
        section = f"{number}. {part.title}"
        expect(progress.get_by_role("listitem").filter(has_text=section)).to_have_text(
            f"{section}: complete"
        )
    page.screenshot(path=str(artifacts_dir / "intake-form-filled.png"), full_page=True)

    page.get_by_role("button", name="Submit assessment").click()

    # --- the recommendation --------------------------------------------------------
    expect(page.get_by_role("heading", name="Recommendation")).to_be_visible()
    expect(page.get_by_text("Assessment submitted.")).to_be_visible()
    expect(page.get_by_test_id("rec-level")).to_have_text("IOP (intensive outpatient)")
    reasons = page.get_by_test_id("reasons")
    phq9_reason = reasons.get_by_role("listitem").filter(has_text="PHQ9_IOP")
    expect(phq9_reason).to_contain_text(
        "PHQ-9 total 16 (moderately severe) is at or above the IOP threshold of 15."
    )
    expect(phq9_reason.locator("code")).to_have_text("PHQ9_IOP")
    cssrs_reason = reasons.get_by_role("listitem").filter(
        has_text="RISK_CSSRS_MODERATE"
    )
    expect(cssrs_reason).to_contain_text("Moderate suicide risk on the C-SSRS screener")
    # Every question was answered: nothing is missing.
    expect(page.get_by_test_id("missing")).to_have_count(0)
    scores = page.get_by_test_id("scores")
    expect(scores).to_contain_text("16 / 27 (moderately severe)")
    expect(scores).to_contain_text("7 / 21 (mild)")
    expect(scores).to_contain_text("moderate")
    expect(page.get_by_test_id("safety-banner")).to_have_count(0)
    expect(page.get_by_role("link", name="Printable view")).to_be_visible()
    page.screenshot(
        path=str(artifacts_dir / "intake-recommendation.png"), full_page=True
    )

    # The printable view carries the same level and reasons.
    page.get_by_role("link", name="Printable view").click()
    expect(
        page.get_by_role("heading", name="level-of-care recommendation")
    ).to_be_visible()
    expect(page.get_by_test_id("rec-level")).to_have_text("IOP (intensive outpatient)")
    expect(page.get_by_test_id("reasons")).to_contain_text("PHQ9_IOP")
    page.get_by_role("link", name="Back").click()
    expect(page.get_by_role("heading", name="Recommendation")).to_be_visible()

    # The client list finds the client by name, with the latest recommendation.
    nav.get_by_role("link", name="Clients", exact=True).click()
    page.get_by_label("Search by name, reference or date of birth").fill("rivera")
    page.get_by_role("button", name="Search").click()
    row = page.get_by_role("row").filter(has_text="MRN-E2E-001")
    expect(row).to_contain_text("Rivera, Jordan")
    expect(row).to_contain_text("IOP")
    row.get_by_role("link", name="MRN-E2E-001").click()
    timeline = page.get_by_test_id("timeline")
    expect(timeline.locator('[data-kind="assessment"]')).to_contain_text(
        "Intake assessment submitted by"
    )


def test_a_saved_draft_keeps_the_answered_phq9_items(
    coordinator: Any, live_server: Any, page: Page
) -> None:
    client = ClientFactory(
        given_name="Morgan", family_name="Lee", created_by=coordinator
    )
    browser_login(page, live_server, coordinator.username, PASSWORD)
    page.goto(f"{live_server.url}/clients/{client.pk}/")
    page.get_by_role("link", name="New assessment").click()

    partial = {1: 3, 2: 1, 3: 0, 5: 2}  # items 4 and 6-9 left blank
    for i, value in partial.items():
        choose(page, field_name("phq9", i), FREQUENCY[value])
    choose(page, cssrs("wish_dead"), "No")
    expect(page.locator('[data-total="phq9"]')).to_have_text("6 so far")
    page.get_by_role("button", name="Save draft").click()

    expect(page).to_have_url(re.compile(r"/assessments/\d+/edit/$"))
    expect(page.get_by_text("Draft saved.")).to_be_visible()

    def assert_kept() -> None:
        for i in range(1, 10):
            group = question(page, field_name("phq9", i))
            if i in partial:
                expect(
                    group.get_by_label(FREQUENCY[partial[i]], exact=True)
                ).to_be_checked()
            else:
                for label in FREQUENCY.values():
                    expect(group.get_by_label(label, exact=True)).not_to_be_checked()
        expect(
            question(page, cssrs("wish_dead")).get_by_label("No", exact=True)
        ).to_be_checked()
        expect(page.locator('[data-total="phq9"]')).to_have_text("6 so far")
        expect(page.locator('[data-answered="phq9"]')).to_have_text("(4 of 9 answered)")

    page.reload()
    assert_kept()

    # The draft is on the client's timeline and opens with the same answers.
    page.goto(f"{live_server.url}/clients/{client.pk}/")
    draft = page.get_by_test_id("timeline").locator('[data-kind="draft"]')
    expect(draft).to_contain_text("Draft assessment")
    draft.get_by_role("link", name="continue").click()
    assert_kept()


# --- the form says what is missing and where --------------------------------------


def test_a_missing_answer_link_brings_the_gate_question_with_a_hint(
    coordinator: Any, live_server: Any, page: Page
) -> None:
    # Question 2 unanswered: questions 3-5 (among them intent) are missing too.
    screener = {"wish_dead": True, "behavior_ever": False}
    rec = submit_assessment(user=coordinator, answer_dict=answers(cssrs=screener))
    assert "cssrs.intent" in rec.missing
    browser_login(page, live_server, coordinator.username, PASSWORD)
    page.goto(f"{live_server.url}/assessments/{rec.assessment_id}/")

    missing = page.get_by_test_id("missing")
    missing.get_by_role("link", name="C-SSRS question 4: intent").click()

    expect(page).to_have_url(re.compile(rf"#div_id_{cssrs('intent')}$"))
    expect(question(page, cssrs("intent"))).to_be_hidden()
    gate = question(page, cssrs("suicidal_thoughts"))
    expect(gate.get_by_label("Yes", exact=True)).to_be_focused()
    hint = gate.locator(".gate-hint")
    expect(hint).to_have_text("Answer “Yes” here to open C-SSRS question 4: intent.")
    expect(hint).to_be_in_viewport()
    # The hint is read with the focused answer.
    expect(gate.get_by_label("Yes", exact=True)).to_have_accessible_description(
        re.compile("open C-SSRS question 4")
    )
    page.keyboard.press("Space")  # "Yes" opens questions 3-5; the hint has done its job
    expect(question(page, cssrs("intent"))).to_be_visible()
    expect(hint).to_have_count(0)


def test_every_unanswered_question_is_marked_radios_included(
    coordinator: Any, live_server: Any, page: Page
) -> None:
    client = ClientFactory(created_by=coordinator)
    browser_login(page, live_server, coordinator.username, PASSWORD)
    page.goto(f"{live_server.url}/clients/{client.pk}/assessments/new/")

    harm = question(page, "harm_to_others")
    marker = harm.locator("legend .unanswered-marker")
    expect(marker).to_be_visible()
    expect(marker).to_have_text("Not answered")
    # The section list is not a live region; one short sentence says what changed.
    expect(page.locator("#section-progress")).not_to_have_attribute(
        "aria-live", re.compile(".*")
    )
    choose(page, "harm_to_others", "None")
    expect(marker).to_be_hidden()
    expect(page.locator("#progress-announcer")).to_have_text(
        "Risk of self-harm: 3 of 4 unanswered."
    )
    # A count asked after "yes" is an input with a label: marked the same way.
    choose(page, gate_field_name("discharged_inpatient_days_ago"), "Yes")
    days = question(page, "discharged_inpatient_days_ago")
    expect(days.locator("label .unanswered-marker")).to_be_visible()
    expect(page.locator("#progress-announcer")).to_have_text(
        "History: 2 of 3 unanswered."
    )
    days.get_by_role("spinbutton").fill("12")
    expect(days.locator("label .unanswered-marker")).to_be_hidden()


def test_submit_with_unanswered_questions_asks_first_then_submits_anyway(
    coordinator: Any, live_server: Any, page: Page
) -> None:
    client = ClientFactory(created_by=coordinator)
    browser_login(page, live_server, coordinator.username, PASSWORD)
    page.goto(f"{live_server.url}/clients/{client.pk}/assessments/new/")
    choose(page, field_name("phq9", 9), FREQUENCY[1])
    choose(page, cssrs("wish_dead"), "No")

    page.get_by_role("button", name="Submit assessment").click()
    box = page.locator("#confirm-unanswered")
    expect(box).to_be_visible()
    expect(box).to_be_focused()
    expect(box.get_by_role("heading")).to_have_text("28 questions are unanswered:")
    expect(box).to_contain_text("Submit anyway?")
    expect(box.get_by_role("listitem")).to_have_count(28)
    assert not Assessment.objects.exists()  # nothing was posted yet

    # The links lead to the questions.
    box.get_by_role("link", name="Risk of harming others").click()
    expect(question(page, "harm_to_others").get_by_label("None")).to_be_focused()

    # Checks on the form as it is now: a box, a banner, markers.
    assert serious_violations(page) == []
    page.set_viewport_size(PHONE)
    assert not scrolls_sideways(page)
    assert serious_violations(page) == []

    box.get_by_role("button", name="Submit anyway").click()
    expect(page.get_by_role("heading", name="Recommendation")).to_be_visible()
    expect(page.get_by_text("Assessment submitted.")).to_be_visible()
    assert Recommendation.objects.count() == 1
    assert Assessment.objects.get().submitted_at is not None
