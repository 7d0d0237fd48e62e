"""The idle-timeout warning in Chromium: it appears before the timeout, "Stay
signed in" keeps the session, and without an answer the page ends on the sign-in
page with the reason (issue 11). Short times: a 15-second idle timeout with a
10-second warning."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from tests.conftest import browser_login
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_warning_comes_and_stay_signed_in_keeps_the_session(
    coordinator: Any, live_server: Any, page: Page, settings: Any
) -> None:
    settings.SESSION_IDLE_MINUTES = 0.25  # 15 s
    settings.SESSION_IDLE_WARNING_SECONDS = 10
    browser_login(page, live_server, coordinator.username, PASSWORD)
    page.goto(live_server.url + reverse("levelofcare:client_list"))
    warning = page.get_by_role("alertdialog", name="Are you still there?")
    expect(warning).to_be_hidden()
    # About 5 s after the page loaded: the warning, with the focus on its button.
    expect(warning).to_be_visible(timeout=9000)
    expect(warning).to_contain_text("You will be signed out in 10 seconds")
    stay = warning.get_by_role("button", name="Stay signed in")
    expect(stay).to_be_focused()
    page.wait_for_timeout(7000)  # 12 s idle, 3 s before the timeout: then the click
    stay.click()
    expect(warning).to_be_hidden()
    # The session lives on: the warning's own clock restarted, and pages open.
    expect(warning).to_be_visible(timeout=9000)
    stay.click()
    expect(warning).to_be_hidden()
    page.goto(live_server.url + reverse("levelofcare:client_list"))
    assert page.url.endswith(reverse("levelofcare:client_list"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()

    # No answer: signed out at the timeout, on the sign-in page with the reason.
    expect(warning).to_be_visible(timeout=9000)
    page.wait_for_url("**/accounts/login/**", timeout=12000)
    expect(page.get_by_text("You were signed out after 0.25 minutes")).to_be_visible()
    page.goto(live_server.url + reverse("levelofcare:client_list"))
    assert "/accounts/login/" in page.url
