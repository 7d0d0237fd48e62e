"""Chromium: a clinician opens another clinician's client's audit trail, is asked
why, gives a reason, and sees the trail with the break-the-glass row on it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from levelofcare.models import BreakGlassAccess
from tests.conftest import browser_login
from tests.e2e.checks import PHONE, scrolls_sideways, serious_violations
from tests.factories import PASSWORD, DecisionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_clinician_breaks_the_glass_to_read_another_clinicians_client(
    clinician: Any,
    other_clinician: Any,
    live_server: Any,
    page: Page,
    artifacts_dir: Path,
) -> None:
    reference = DecisionFactory(decided_by=clinician).recommendation.client.reference
    browser_login(page, live_server, other_clinician.username, PASSWORD)

    page.goto(f"{live_server.url}/audit/?client={reference}")
    expect(page).to_have_url(
        re.compile(rf"/audit/break-glass/new/\?client={re.escape(reference)}$")
    )
    expect(page.get_by_role("heading", name="Break the glass")).to_be_visible()
    expect(page.get_by_label("Client reference")).to_have_value(reference)
    assert serious_violations(page) == []
    page.set_viewport_size(PHONE)
    assert not scrolls_sideways(page)

    # No reason: refused, nothing logged.
    page.get_by_role("button", name="Log my reason and open the audit trail").click()
    expect(page.get_by_label("Why do you need this client")).to_be_visible()
    assert not BreakGlassAccess.objects.exists()

    page.get_by_label("Why do you need this client").fill(
        "Covering Robin's caseload on call tonight"
    )
    page.get_by_role("button", name="Log my reason and open the audit trail").click()
    expect(page).to_have_url(re.compile(rf"/audit/\?client={re.escape(reference)}$"))
    expect(page.get_by_test_id("break-glass-notice")).to_be_visible()
    row = page.get_by_test_id("audit-row").filter(has_text="broke the glass")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Covering Robin's caseload on call tonight")
    expect(row).to_contain_text(reference)
    page.screenshot(path=str(artifacts_dir / "break-glass-390.png"), full_page=True)
    assert not scrolls_sideways(page)
    assert serious_violations(page) == []
