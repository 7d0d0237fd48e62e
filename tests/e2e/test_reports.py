"""Chromium: a clinician opens /reports/, reads a report with its chart and
downloads its CSV; a criteria admin follows "try a threshold" from the overrides
report to the criteria admin, prefilled, and previews its impact. The pages pass
axe-core and fit a 390 px phone."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from levelofcare.recommendations.services import decision_record
from tests.conftest import browser_login
from tests.e2e.checks import PHONE, scrolls_sideways, serious_violations
from tests.factories import PASSWORD, ClientFactory, answers, submit_assessment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHQ9_16 = [2, 2, 2, 2, 2, 2, 2, 2, 0]  # IOP through PHQ9_IOP


def _seed(coordinator: Any, clinician: Any) -> None:
    """Six IOP recommendations set by PHQ9_IOP; clinicians move five down."""
    for i in range(6):
        recommendation = submit_assessment(
            user=coordinator,
            client=ClientFactory(reference=f"MRN-REP{i}", created_by=coordinator),
            answer_dict=answers(phq9=PHQ9_16),
        )
        assert recommendation.level == "iop"
        if i < 5:
            decision_record(
                recommendation=recommendation,
                user=clinician,
                level="outpatient",
                reason_code="client_preference",
                rationale="Prefers weekly sessions.",
            )
        else:
            decision_record(recommendation=recommendation, user=clinician, level="iop")


def test_a_clinician_reads_a_report_and_downloads_its_csv(
    coordinator: Any,
    clinician: Any,
    live_server: Any,
    page: Page,
    artifacts_dir: Path,
    tmp_path: Path,
) -> None:
    _seed(coordinator, clinician)
    browser_login(page, live_server, clinician.username, PASSWORD)
    page.get_by_role("link", name="Reports", exact=True).click()
    expect(page.get_by_role("heading", name="Reports", level=1)).to_be_visible()
    assert serious_violations(page) == []
    page.get_by_role("link", name="Overrides").click()

    expect(page.get_by_role("heading", name="Overrides", level=1)).to_be_visible()
    chart = page.get_by_role("img", name="Chart: Override rate by recommended level")
    expect(chart).to_be_visible()
    row = page.get_by_test_id("report-table-by_level").get_by_role(
        "row", name=re.compile("^IOP")
    )
    expect(row).to_contain_text("83%")  # 5 of 6 overridden
    rule = page.get_by_test_id("report-table-by_rule").get_by_role(
        "row", name=re.compile("^PHQ9_IOP")
    )
    expect(rule).to_contain_text("mostly down")
    expect(page.get_by_test_id("try-threshold")).to_have_count(0)  # not for clinicians
    assert serious_violations(page) == []
    page.screenshot(path=str(artifacts_dir / "report-overrides.png"), full_page=True)

    with page.expect_download() as info:
        page.get_by_role(
            "link", name="Download “Override rate by recommended level” as CSV"
        ).click()
    download = info.value
    assert re.fullmatch(
        r"locatr-overrides-by-level-\d{4}-\d\d-\d\d-to-\d{4}-\d\d-\d\d\.csv",
        download.suggested_filename,
    )
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    with saved.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == [
        "Recommended level",
        "Decisions",
        "Overrides",
        "Override rate",
        "Moved up",
        "Moved down",
    ]
    assert rows[2] == ["IOP (intensive outpatient)", "6", "5", "83.3", "0", "5"]

    # A bad date: a message next to the field, not an error page.
    page.get_by_label("From", exact=True).fill("2026-03-01")
    page.get_by_label("To", exact=True).fill("2026-01-01")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_test_id("field-error")).to_have_text(
        "“To” must be on or after “From”."
    )
    assert serious_violations(page) == []

    page.set_viewport_size(PHONE)
    for name in ("volume", "overrides", "timeliness", "outcomes", "service-gaps"):
        page.goto(f"{live_server.url}/reports/{name}/")
        assert not scrolls_sideways(page), name
    page.screenshot(path=str(artifacts_dir / "report-390.png"), full_page=True)


def test_a_criteria_admin_tries_the_suggested_threshold(
    coordinator: Any,
    clinician: Any,
    criteria_admin: Any,
    live_server: Any,
    page: Page,
) -> None:
    _seed(coordinator, clinician)
    browser_login(page, live_server, criteria_admin.username, PASSWORD)
    page.goto(f"{live_server.url}/reports/overrides/")
    expect(page.get_by_test_id("suppression-note")).to_be_visible()
    assert serious_violations(page) == []
    page.get_by_role("link", name="Try PHQ-9 IOP threshold 15 → 16").click()

    expect(page).to_have_url(re.compile(r"/admin/levelofcare/criteriaset/\d+/change/"))
    expect(page.get_by_text("Prefilled from the overrides report")).to_be_visible()
    expect(page.get_by_label("PHQ-9 total for IOP")).to_have_value("16")
    page.get_by_role("button", name="Preview impact").click()
    expect(page.get_by_text("Nothing was saved.")).to_be_visible()
    expect(
        page.get_by_text(re.compile(r"\d+ of 6 submitted assessments"))
    ).to_be_visible()
