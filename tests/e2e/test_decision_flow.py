"""Chromium at 390 px: a clinician acknowledges only the inpatient criteria,
overrides a safety-flagged inpatient recommendation to IOP, then corrects the
decision to "Accept" the first time; the page never scrolls sideways."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from levelofcare.models import Decision
from tests.conftest import browser_login
from tests.e2e.checks import PHONE, scrolls_sideways, serious_violations
from tests.factories import PASSWORD, PHQ9_20, ClientFactory, answers, submit_assessment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HIGH_RISK_CSSRS = {
    "wish_dead": True,
    "suicidal_thoughts": True,
    "method": True,
    "intent": True,
    "plan": False,
    "behavior_ever": False,
}


def _phone_checks(page: Page) -> None:
    assert not scrolls_sideways(page)
    assert serious_violations(page) == []


def test_clinician_overrides_an_inpatient_recommendation_then_corrects_to_accept(
    coordinator: Any,
    clinician: Any,
    live_server: Any,
    page: Page,
    artifacts_dir: Path,
) -> None:
    client = ClientFactory(
        reference="MRN-SAFETY",
        given_name="Jordan",
        family_name="Okafor",
        created_by=coordinator,
    )
    # Inpatient for the C-SSRS; PHQ-9 20 also fires the IOP criterion.
    rec = submit_assessment(
        user=coordinator,
        client=client,
        answer_dict=answers(cssrs=HIGH_RISK_CSSRS, phq9=PHQ9_20),
    )
    assert rec.safety_flag and rec.level == "inpatient"
    texts = {r["code"]: r["text"] for r in rec.reasons}
    assert set(texts) == {"RISK_CSSRS_HIGH", "PHQ9_IOP"}

    page.set_viewport_size(PHONE)
    browser_login(page, live_server, clinician.username, PASSWORD)
    page.goto(f"{live_server.url}/reviews/{rec.pk}/")
    expect(page.get_by_test_id("rec-level")).to_have_text("Inpatient")

    # The answers are folded on a phone; "Go to decision" jumps to the form.
    sections = page.get_by_test_id("answer-section")
    expect(sections.first).not_to_have_attribute("open", "")
    expect(sections.first.locator("table")).to_be_hidden()
    page.get_by_role("link", name="Go to decision").click()
    expect(page).to_have_url(re.compile(r"#decision$"))
    form = page.locator("#decision-form")
    expect(form.get_by_label("Accept the recommended level")).to_be_in_viewport()
    _phone_checks(page)

    # Overriding: only the inpatient criteria are listed for acknowledgement.
    form.get_by_label("Choose another level").check()
    criteria = form.get_by_test_id("safety-criteria").locator("li")
    expect(criteria).to_have_count(1)
    expect(criteria).to_have_text(texts["RISK_CSSRS_HIGH"])
    expect(form.get_by_test_id("safety-acknowledgement")).not_to_contain_text(
        texts["PHQ9_IOP"]
    )
    form.get_by_label("Level of care").select_option(label="IOP (intensive outpatient)")
    form.get_by_label("Reason").select_option(label="Level not available / waitlist")
    form.get_by_label("Rationale").fill("No bed today; daily IOP with a safety plan.")
    form.get_by_label("I have considered the safety criteria").check()
    _phone_checks(page)
    page.screenshot(path=str(artifacts_dir / "decision-override-390.png"))
    form.get_by_role("button", name="Sign decision").click()

    expect(page.get_by_text("Decision recorded and signed.")).to_be_visible()
    decision = page.get_by_test_id("timeline").locator('[data-kind="decision"]')
    expect(decision).to_have_count(1)
    expect(decision).to_contain_text("Decision: overridden")
    expect(decision).to_contain_text(
        f"Safety criteria acknowledged: {texts['RISK_CSSRS_HIGH']}"
    )
    expect(decision).not_to_contain_text(texts["PHQ9_IOP"])
    _phone_checks(page)

    # Correct it to "Accept": the rationale stays on the form, first time right.
    page.goto(f"{live_server.url}/reviews/{rec.pk}/")
    history = page.get_by_test_id("decision")
    expect(history).to_have_count(1)
    expect(history).to_contain_text(
        f"Safety criteria acknowledged: {texts['RISK_CSSRS_HIGH']}"
    )
    form.get_by_label("Accept the recommended level").check()
    expect(form.locator("#override-fields")).to_be_hidden()
    rationale = form.get_by_label("Rationale")
    expect(rationale).to_be_visible()
    rationale.fill("A bed became available this afternoon.")
    _phone_checks(page)
    form.get_by_role("button", name="Record correction").click()

    expect(page.get_by_text("Decision recorded and signed.")).to_be_visible()
    decisions = page.get_by_test_id("timeline").locator('[data-kind="decision"]')
    expect(decisions).to_have_count(2)
    expect(decisions.nth(0)).to_contain_text("Decision: accepted")
    expect(decisions.nth(0)).to_contain_text("(corrects an earlier decision)")
    first, correction = Decision.objects.order_by("decided_at", "pk")
    assert (correction.kind, correction.level, correction.corrects_id) == (
        "accept",
        "inpatient",
        first.pk,
    )

    page.goto(f"{live_server.url}/reviews/{rec.pk}/")
    expect(page.get_by_test_id("decision")).to_have_count(2)
    _phone_checks(page)
    # Every answer section opened: still no sideways scroll at 390 px.
    for i in range(sections.count()):
        sections.nth(i).locator("summary").click()
        expect(sections.nth(i).locator("table")).to_be_visible()
    _phone_checks(page)
    page.screenshot(
        path=str(artifacts_dir / "decision-corrected-390.png"), full_page=True
    )

    # On a wide screen the decision form sits beside the answers: they open.
    page.set_viewport_size({"width": 1280, "height": 900})
    page.reload()
    expect(sections.first.locator("table")).to_be_visible()
