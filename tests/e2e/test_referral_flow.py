"""Chromium: from an IOP recommendation for a client who works (and cannot attend
3 days a week) to a referral into the evening IOP. The schedule note links to
the ranked programs, evening and virtual first with their reasons; the service
gap's fields show only when chosen; the placement takes the evening IOP's place.
Checked with axe-core and at 390 px."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from levelofcare.models import Decision, Placement, Program
from tests.conftest import browser_login
from tests.e2e.checks import PHONE, scrolls_sideways, serious_violations
from tests.factories import (
    PASSWORD,
    PHQ9_20,
    ClientFactory,
    ProgramFactory,
    answers,
    submit_assessment,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _checks(page: Page) -> None:
    assert serious_violations(page) == []
    assert not scrolls_sideways(page)


def test_clinician_refers_a_working_client_to_the_evening_iop(
    coordinator: Any,
    clinician: Any,
    live_server: Any,
    page: Page,
    artifacts_dir: Path,
) -> None:
    ProgramFactory(name="Daytime IOP, Harbour Street")
    evening = ProgramFactory(
        name="Evening IOP, Harbour Street", hours="evening", open_places=2
    )
    ProgramFactory(name="Virtual IOP (telehealth)", modality="virtual")
    ProgramFactory(name="Outpatient clinic", level="outpatient")
    client = ClientFactory(
        reference="MRN-EVENING", payer="Acme Health", created_by=coordinator
    )
    rec = submit_assessment(
        user=coordinator,
        client=client,
        answer_dict=answers(
            phq9=PHQ9_20, work_or_school_commitment=True, can_attend_3_days_week=False
        ),
    )
    assert rec.level == "iop"

    page.set_viewport_size(PHONE)
    browser_login(page, live_server, clinician.username, PASSWORD)
    page.goto(f"{live_server.url}/reviews/{rec.pk}/")
    expect(page.get_by_test_id("rec-level")).to_have_text("IOP (intensive outpatient)")

    # The IOP schedule note leads to the ranked programs.
    page.get_by_test_id("iop-schedule-matches").click()
    expect(page).to_have_url(re.compile(r"#programs$"))
    matches = page.get_by_test_id("program-match")
    expect(matches).to_have_count(3)
    expect(matches.nth(0)).to_contain_text("Evening IOP, Harbour Street")
    expect(matches.nth(0)).to_contain_text(
        "evening: fits a work, school or caregiving commitment"
    )
    expect(matches.nth(0)).to_contain_text("accepts Acme Health")
    expect(matches.nth(1)).to_contain_text("Virtual IOP (telehealth)")
    expect(matches.nth(1)).to_contain_text("virtual: no travel")
    expect(matches.nth(2)).to_contain_text("may clash with a work")
    expect(page.get_by_test_id("programs")).not_to_contain_text("Outpatient clinic")
    _checks(page)

    # The service gap's fields appear only when a gap is chosen.
    form = page.locator("#decision-form")
    gap_fields = form.get_by_test_id("gap-fields")
    expect(gap_fields).to_be_hidden()
    form.get_by_label("No program fits: record a service gap").check()
    expect(gap_fields).to_be_visible()
    expect(form.get_by_label("Why no program fits")).to_be_visible()

    # Accept IOP with the evening program, with the keyboard-reachable radio.
    form.get_by_label("Accept the recommended level").check()
    form.get_by_label("1. Evening IOP, Harbour Street").check()
    expect(gap_fields).to_be_hidden()
    _checks(page)
    page.screenshot(path=str(artifacts_dir / "referral-evening-iop-390.png"))
    form.get_by_role("button", name="Sign decision").click()

    expect(page.get_by_text("Decision recorded and signed.")).to_be_visible()
    expect(page.get_by_test_id("glance-program")).to_have_text(
        "Evening IOP, Harbour Street"
    )
    _checks(page)
    decision = Decision.objects.get()
    assert (decision.kind, decision.level, decision.referred_program) == (
        "accept",
        "iop",
        evening,
    )
    assert Placement.objects.get().program == evening
    assert Program.objects.get(pk=evening.pk).open_places == 1
