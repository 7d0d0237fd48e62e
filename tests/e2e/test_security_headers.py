"""Chromium under the Content-Security-Policy: every page of every role loads
without a single violation and still works (issue 11)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from intake.catalogue import field_name
from tests.conftest import wait_until
from tests.e2e import test_every_page
from tests.e2e.test_every_page import _pages

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

signed_in = test_every_page.signed_in  # the same seeded data and sign-in fixture

# Collects every violation the page sees (an init script runs outside the CSP).
COLLECT = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(e.effectiveDirective + " " + e.blockedURI);
});
"""


def _watch(page: Page) -> list[str]:
    console: list[str] = []
    page.on(
        "console",
        lambda message: (
            console.append(message.text)
            if "Content Security Policy" in message.text
            else None
        ),
    )
    page.add_init_script(COLLECT)
    return console


def _violations(page: Page) -> list[str]:
    found: list[str] = page.evaluate("window.__cspViolations || []")
    return found


@pytest.mark.parametrize("role", ["coordinator", "clinician", "criteria_admin"])
def test_every_page_loads_without_a_csp_violation(
    role: str, signed_in: Any, live_server: Any, page: Page
) -> None:
    console = _watch(page)
    seeded = signed_in(role)
    pages = _pages(role, seeded)
    found: dict[str, list[str]] = {}
    for name, path in pages.items():
        response = page.goto(live_server.url + path)
        assert response is not None
        assert "script-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_load_state("load")
        if violations := _violations(page):
            found[name] = violations
    assert found == {}
    assert console == []


def test_the_pages_still_work_under_the_csp(
    signed_in: Any, live_server: Any, page: Page
) -> None:
    console = _watch(page)
    seeded = signed_in("clinician")
    pages = _pages("clinician", seeded)
    # The assessment form's live totals (static/js/assessment.js, json_script data).
    page.goto(live_server.url + pages["new assessment"])
    total = page.locator('[data-total="phq9"]')
    expect(total).to_have_text("—")
    for i in (1, 2, 3):
        page.locator(f'input[name="{field_name("phq9", i)}"][value="2"]').check()
    expect(total).to_have_text("6 so far")
    # The review page's decision form script (static/js/decision.js) loads.
    page.goto(live_server.url + pages["review page"])
    assert page.evaluate(
        "Array.from(document.scripts).some(s => s.src.endsWith('js/decision.js'))"
    )
    # The navigation toggler (Bootstrap's JS) opens the menu on a phone.
    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_role("button", name="Toggle navigation").click()
    expect(page.get_by_test_id("nav-links")).to_be_visible()
    # The print view's button no longer needs an inline onclick.
    page.goto(live_server.url + pages["print"])
    # (Ending in `null`: Playwright would call a function the script returns.)
    page.evaluate("window.__printed = 0; window.print = () => __printed++; null")
    page.get_by_role("button", name="Print").click()
    assert page.evaluate("window.__printed") == 1
    assert _violations(page) == []
    assert console == []


def test_django_admin_works_under_the_csp(
    signed_in: Any, live_server: Any, page: Page, caplog: pytest.LogCaptureFixture
) -> None:
    console = _watch(page)
    seeded = signed_in("criteria_admin")
    pages = _pages("criteria_admin", seeded)
    page.goto(live_server.url + pages["criteria admin change"])
    # Admin's own scripts run: the theme toggle and the change form's JS.
    expect(page.locator("#criteriaset_form")).to_be_visible()
    assert page.evaluate("typeof django !== 'undefined'")
    page.goto(live_server.url + reverse("admin:index"))
    assert _violations(page) == []
    assert console == []
    # Control: an inline script is blocked, seen here and reported to /csp-report/.
    with caplog.at_level(logging.WARNING, logger="locatr.csp"):
        page.evaluate(
            "const s = document.createElement('script'); s.textContent = '1';"
            "document.body.appendChild(s); null"
        )
        assert wait_until(lambda: _violations(page), timeout=5)
        assert wait_until(lambda: "CSP violation" in caplog.text, timeout=5)
    assert "directive=script-src-elem blocked=inline" in caplog.text
