"""Chromium: the client page is the front of the chart; the search is a
post/redirect/get that Back returns to without resubmitting."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from intake.models import Client
from levelofcare.models import ProgressReview
from levelofcare.recommendations.services import decision_record
from tests.conftest import browser_login
from tests.e2e.checks import PHONE, scrolls_sideways, serious_violations
from tests.factories import PASSWORD, ClientFactory, answers, submit_assessment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _placed_client(coordinator: Any, clinician: Any) -> Client:
    """A client at IOP since now, decided by the clinician: the first progress
    review is a week away (not due, no reminder yet)."""
    person = ClientFactory(
        reference="MRN-CHART-1",
        given_name="Perpetua",
        family_name="Quill",
        date_of_birth=date(1980, 2, 3),
        created_by=coordinator,
    )
    recommendation = submit_assessment(
        user=coordinator,
        client=person,
        answer_dict=answers(phq9=[2, 2, 2, 2, 2, 2, 2, 2, 0]),
    )
    assert recommendation.level == "iop"
    decision_record(
        recommendation=recommendation,
        user=clinician,
        level="iop",
        program="Evening IOP, North site",
    )
    return person


def test_coordinator_searches_by_date_of_birth_and_back_does_not_resubmit(
    coordinator: Any, live_server: Any, page: Page
) -> None:
    ClientFactory(
        reference="MRN-DOB-1", family_name="Quill", date_of_birth=date(1980, 2, 3)
    )
    ClientFactory(reference="MRN-DOB-2", date_of_birth=date(1980, 3, 2))
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    browser_login(page, live_server, coordinator.username, PASSWORD)
    page.goto(f"{live_server.url}/clients/")

    search = page.get_by_role("searchbox", name="Search by name, reference or date")
    expect(search).to_have_attribute("placeholder", re.compile(r"3/2/1980"))
    search.fill("3/2/1980")
    page.get_by_role("button", name="Search").click()

    # Redirected to a GET whose URL carries an opaque id, never the date.
    expect(page).to_have_url(re.compile(r"/clients/\?search=[\w-]+$"))
    results_url = page.url
    assert "1980" not in results_url
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("MRN-DOB-1")
    expect(page.get_by_role("searchbox")).to_have_value("3/2/1980")

    rows.get_by_role("link", name="MRN-DOB-1").click()
    expect(page.get_by_role("heading", name=re.compile("Quill"))).to_be_visible()

    page.go_back()
    # The results page again, loaded as a GET from history: no "Confirm form
    # resubmission", no re-POST.
    expect(page).to_have_url(results_url)
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(page.locator("tbody tr")).to_contain_text("MRN-DOB-1")
    method = page.evaluate("performance.getEntriesByType('navigation')[0].type")
    assert method == "back_forward"
    assert dialogs == []


def test_client_page_at_phone_width_is_accessible_and_does_not_scroll_sideways(
    coordinator: Any,
    clinician: Any,
    live_server: Any,
    page: Page,
    artifacts_dir: Path,
) -> None:
    person = _placed_client(coordinator, clinician)
    # Overdue, so the longest at-a-glance line is on the page.
    ProgressReview.objects.filter(placement__client=person).update(
        due_at=timezone.now() - timedelta(days=2)
    )
    browser_login(page, live_server, clinician.username, PASSWORD)
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}{person.get_absolute_url()}")

    glance = page.get_by_test_id("at-a-glance")
    expect(glance).to_contain_text("IOP")
    expect(glance).to_contain_text("Evening IOP, North site")
    expect(glance.get_by_test_id("glance-clinician")).to_contain_text("Robin")
    expect(glance.get_by_test_id("glance-review")).to_contain_text("overdue by 2 days")
    page.screenshot(path=str(artifacts_dir / "client-chart-390.png"), full_page=True)
    assert not scrolls_sideways(page)
    assert serious_violations(page) == []


def test_clinician_starts_a_progress_review_from_the_client_page_before_it_is_due(
    coordinator: Any, clinician: Any, live_server: Any, page: Page
) -> None:
    person = _placed_client(coordinator, clinician)
    review = ProgressReview.objects.get(placement__client=person)
    assert review.due_at > timezone.now() + timedelta(days=6)
    due_at = review.due_at

    browser_login(page, live_server, clinician.username, PASSWORD)
    page.goto(f"{live_server.url}{person.get_absolute_url()}")
    expect(page.get_by_test_id("glance-review")).not_to_contain_text("overdue")
    page.get_by_role("link", name="Start progress review").click()

    expect(
        page.get_by_role("heading", name="Progress review for Perpetua Quill")
    ).to_be_visible()
    expect(page).to_have_url(re.compile(rf"/progress-reviews/{review.pk}/start/$"))
    page.get_by_role("button", name="Submit assessment").click()
    # The safety questions are asked afresh and left unanswered here: asked first.
    page.get_by_role("button", name="Submit anyway").click()
    expect(page.get_by_role("heading", name="Review: Perpetua Quill")).to_be_visible()
    review.refresh_from_db()
    assert review.due_at == due_at  # the reminder date is unchanged
