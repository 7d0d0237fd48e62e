"""Chromium: a clinician follows a reason on a recommendation to its rule in the
criteria book; the book passes axe-core and fits a 390 px phone screen."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import browser_login
from tests.e2e.checks import scrolls_sideways, serious_violations
from tests.factories import PASSWORD, ClientFactory, answers, submit_assessment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_reason_links_to_its_rule_in_the_book(
    coordinator: Any,
    clinician: Any,
    live_server: Any,
    page: Page,
    artifacts_dir: Path,
) -> None:
    client = ClientFactory(reference="MRN-BOOK", given_name="Jo", family_name="Okafor")
    recommendation = submit_assessment(  # PHQ-9 total 16: IOP
        user=coordinator,
        client=client,
        answer_dict=answers(phq9=[2, 2, 2, 2, 2, 2, 2, 2, 0]),
    )
    assert recommendation.level == "iop"

    browser_login(page, live_server, clinician.username, PASSWORD)
    page.goto(f"{live_server.url}/reviews/{recommendation.pk}/")
    expect(page.get_by_role("heading", name="Review: Jo Okafor")).to_be_visible()
    page.get_by_test_id("reasons").get_by_role(
        "link", name=re.compile("PHQ9_IOP")
    ).click()

    expect(page).to_have_url(re.compile(r"/criteria/\?version=1#rule-PHQ9_IOP$"))
    heading = page.locator("#rule-PHQ9_IOP-title")
    expect(heading).to_have_text("PHQ9_IOP")
    expect(heading).to_be_in_viewport()
    rule = page.locator("#rule-PHQ9_IOP")
    expect(rule).to_contain_text("PHQ-9 total at or above 15")
    expect(rule).to_contain_text("IOP (intensive outpatient)")
    page.screenshot(path=str(artifacts_dir / "criteria-book-rule.png"))

    assert serious_violations(page) == []

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/criteria/")
    expect(page.get_by_role("heading", name="Criteria book", level=1)).to_be_visible()
    assert not scrolls_sideways(page)
    page.screenshot(path=str(artifacts_dir / "criteria-book-390.png"), full_page=True)
