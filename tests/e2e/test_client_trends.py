"""Chromium: the client page's score trends (server-drawn SVG charts with their
data tables) and the home dashboard's tiles, on a desktop and a 390 px phone."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from intake.models import Client
from locatr.management.commands.create_demo_data import DEMO_CLIENTS, demo_client_seed
from tests.conftest import browser_login
from tests.e2e.checks import PHONE, scrolls_sideways, serious_violations
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _demo_client(coordinator: Any, clinician: Any) -> Client:
    """DEMO-006: PHQ-9 18 -> 15 -> 11 -> 7 and GAD-7 16 -> 13 -> 10 -> 6 over five
    weeks (IOP, then outpatient; the last review waits for a decision)."""
    demo = next(d for d in DEMO_CLIENTS if d.reference == "DEMO-006")
    assert demo_client_seed(demo, coordinator=coordinator, clinician=clinician)
    return Client.objects.get(reference="DEMO-006")


def test_client_page_draws_the_trend_charts_with_readable_tables(
    coordinator: Any,
    clinician: Any,
    live_server: Any,
    page: Page,
    artifacts_dir: Path,
) -> None:
    person = _demo_client(coordinator, clinician)
    browser_login(page, live_server, clinician.username, PASSWORD)
    page.goto(f"{live_server.url}{person.get_absolute_url()}")

    trends = page.get_by_test_id("score-trends")
    expect(trends.get_by_role("heading", name="Score trends")).to_be_visible()
    phq9 = trends.get_by_test_id("trend-phq9")
    # The chart: an image named by its title and described by its summary.
    chart = phq9.get_by_role("img", name="PHQ-9 totals over time")
    expect(chart).to_be_visible()
    expect(chart).to_have_attribute(
        "aria-labelledby", "trend-phq9-title trend-phq9-desc"
    )
    expect(chart.locator("desc")).to_have_text(
        re.compile(r"^PHQ-9 from 18 on .+ to 7 on .+; response$")
    )
    points = chart.locator("g.chart-point")
    expect(points).to_have_count(4)
    assert [points.nth(i).get_attribute("data-total") for i in range(4)] == [
        "18",
        "15",
        "11",
        "7",
    ]
    # The points go down the drawing as the totals go down.
    heights = [points.nth(i).locator("circle").bounding_box()["y"] for i in range(4)]
    assert heights == sorted(heights)
    # The bands and the level strip name themselves in text.
    expect(chart.locator("g.chart-band text")).to_have_text(
        ["minimal", "mild", "moderate", "moderately severe", "severe"]
    )
    expect(chart.locator("g.chart-level text")).to_have_text(
        ["IOP", "IOP", "OP", "OP*"]
    )
    # The flags of the latest point, in words.
    expect(phq9.get_by_test_id("trend-flags")).to_contain_text(
        "PHQ-9 18 → 7 (−61%, response). Response: yes. Remission: no."
    )
    # The data table: a table with a caption, one row per point.
    table = phq9.get_by_role("table", name="PHQ-9 totals, oldest first")
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(4)
    expect(rows.nth(0)).to_contain_text("18")
    expect(rows.nth(0)).to_contain_text("baseline")
    expect(rows.nth(3)).to_contain_text("Outpatient (recommended, not decided)")
    expect(rows.nth(3)).to_contain_text("PHQ-9 18 → 7 (−61%, response)")
    gad7 = trends.get_by_test_id("trend-gad7")
    expect(gad7.get_by_role("img", name="GAD-7 totals over time")).to_be_visible()
    expect(gad7.get_by_test_id("trend-flags")).to_contain_text(
        "GAD-7 16 → 6 (−62%, response)"
    )
    assert serious_violations(page) == []
    chart.screenshot(path=str(artifacts_dir / "client-trend-phq9-desktop.png"))

    # A 390 px phone: the chart fits, its writing stays readable, nothing scrolls.
    page.set_viewport_size(PHONE)
    box = chart.bounding_box()
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    label = chart.locator("g.chart-point text").first.bounding_box()
    assert label is not None and label["height"] >= 8
    chart.screenshot(path=str(artifacts_dir / "client-trend-phq9-390.png"))
    page.screenshot(path=str(artifacts_dir / "client-trends-390.png"), full_page=True)
    assert not scrolls_sideways(page)
    assert serious_violations(page) == []


def test_clinician_dashboard_tile_leads_to_the_caseload_at_that_level(
    coordinator: Any, clinician: Any, live_server: Any, page: Page
) -> None:
    _demo_client(coordinator, clinician)
    browser_login(page, live_server, clinician.username, PASSWORD)
    page.goto(f"{live_server.url}/")
    caseload = page.get_by_test_id("tile-caseload")
    expect(caseload).to_contain_text("1 client whose progress review you hold")
    assert serious_violations(page) == []
    page.set_viewport_size(PHONE)
    assert not scrolls_sideways(page)
    page.get_by_role("link", name="1 at outpatient").click()
    expect(page).to_have_url(re.compile(r"/clients/\?show=mine&level=outpatient$"))
    expect(page.get_by_test_id("client-filter")).to_contain_text(
        "currently at Outpatient"
    )
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(page.locator("tbody tr")).to_contain_text("DEMO-006")
    assert serious_violations(page) == []
    assert not scrolls_sideways(page)


def test_progress_review_page_shows_each_change_next_to_the_verdict(
    coordinator: Any, clinician: Any, live_server: Any, page: Page
) -> None:
    from levelofcare.models import Recommendation

    person = _demo_client(coordinator, clinician)
    latest = Recommendation.objects.filter(client=person).latest("created_at")
    browser_login(page, live_server, clinician.username, PASSWORD)
    page.goto(f"{live_server.url}{latest.get_absolute_url()}")
    comparison = page.get_by_test_id("comparison")
    expect(comparison.get_by_test_id("change")).to_have_text("No change")
    expect(comparison.get_by_test_id("score-change")).to_have_text(
        ["PHQ-9 18 → 7 (−61%, response)", "GAD-7 16 → 6 (−62%, response)"]
    )
    assert serious_violations(page) == []
    page.set_viewport_size(PHONE)
    assert not scrolls_sideways(page)
