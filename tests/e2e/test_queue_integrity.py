"""Chromium: Back after Submit and Submit again makes no second recommendation; the
review queue on a phone (390 px) names missing answers by their labels, marks an
earlier safety flag, and never scrolls sideways."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from intake.models import Assessment
from levelofcare.models import Recommendation
from tests.conftest import browser_login
from tests.e2e.checks import PHONE, scrolls_sideways, serious_violations
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


def test_back_and_submit_again_makes_one_recommendation(
    coordinator: Any, live_server: Any, page: Page, artifacts_dir: Path
) -> None:
    person = ClientFactory(reference="MRN-BACK-01", created_by=coordinator)
    browser_login(page, live_server, coordinator.username, PASSWORD)
    page.goto(f"{live_server.url}{person.get_absolute_url()}")
    page.get_by_role("link", name="New assessment").click()
    page.locator("#div_id_harm_to_others").get_by_label("Thoughts").click()
    page.get_by_role("button", name="Submit assessment").click()
    # Most questions are unanswered: the page asks first.
    page.get_by_role("button", name="Submit anyway").click()
    expect(page.get_by_text("Assessment submitted.")).to_be_visible()
    result_url = page.url

    # Back: Chromium loads the form's page again; the used form leads to its
    # result. (A browser that shows the form from its cache posts it again with
    # the same token, with the same outcome: tests/levelofcare/test_queue_integrity.)
    page.go_back()
    expect(page.get_by_text("This assessment was already submitted.")).to_be_visible()
    assert page.url == result_url
    page.screenshot(path=str(artifacts_dir / "queue-back-resubmit.png"))
    assert Assessment.objects.filter(client=person).count() == 1
    assert Recommendation.objects.filter(client=person).count() == 1

    # A double click on Submit of a new form: one more assessment, not two.
    page.goto(f"{live_server.url}{person.get_absolute_url()}")
    page.get_by_role("link", name="New assessment").click()
    page.get_by_role("button", name="Submit assessment").click()
    page.get_by_role("button", name="Submit anyway").dblclick()
    expect(page.get_by_role("heading", name="Recommendation")).to_be_visible()
    assert Assessment.objects.filter(client=person).count() == 2
    assert Recommendation.objects.filter(client=person).count() == 2


def test_queue_on_a_phone_reads_in_words_and_does_not_scroll_sideways(
    coordinator: Any,
    clinician: Any,
    live_server: Any,
    page: Page,
    artifacts_dir: Path,
) -> None:
    flagged_client = ClientFactory(reference="MRN-FLAGGED-EARLIER")
    submit_assessment(
        user=coordinator,
        client=flagged_client,
        answer_dict=answers(cssrs=HIGH_RISK_CSSRS),
    )
    submit_assessment(
        user=coordinator,
        client=flagged_client,
        answer_dict=answers(harm_to_others="thoughts"),
    )
    submit_assessment(user=coordinator, answer_dict=answers(cssrs=HIGH_RISK_CSSRS))
    submit_assessment(user=coordinator, answer_dict=answers(cssrs=...))
    submit_assessment(user=coordinator, answer_dict=answers())

    page.set_viewport_size(PHONE)
    browser_login(page, live_server, clinician.username, PASSWORD)
    page.goto(f"{live_server.url}/reviews/")
    rows = page.get_by_test_id("queue-row")
    expect(rows).to_have_count(4)
    marked = rows.filter(has_text="MRN-FLAGGED-EARLIER")
    expect(marked.get_by_text("Earlier assessment flagged safety")).to_be_visible()
    # Missing answers by their question labels, never by contract keys.
    missing = page.get_by_test_id("missing").first
    expect(missing).to_contain_text("C-SSRS")
    expect(missing).not_to_contain_text("cssrs.")
    page.screenshot(path=str(artifacts_dir / "queue-phone.png"), full_page=True)
    assert not scrolls_sideways(page)
    assert serious_violations(page) == []

    # Once the clinician opened that client's review, the marker has done its job.
    marked.get_by_role("link", name="Review").click()
    expect(page.get_by_test_id("earlier-safety")).to_be_visible()
    assert not scrolls_sideways(page)
    page.goto(f"{live_server.url}/reviews/")
    expect(page.get_by_text("Earlier assessment flagged safety")).to_have_count(0)
