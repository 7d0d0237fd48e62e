"""Chromium signs in as each role and sees that role's navigation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import browser_login
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EXPECTED = {
    "coordinator": (["Clients", "New client"], ["Review queue", "Criteria admin"]),
    "clinician": (["Review queue", "Reviews due", "Clients"], ["Criteria admin"]),
    "criteria_admin": (["Criteria admin", "Audit log"], ["Clients", "Review queue"]),
}


@pytest.mark.parametrize("persona", list(EXPECTED))
def test_each_role_signs_in_and_sees_its_navigation(
    persona: str,
    request: pytest.FixtureRequest,
    live_server: Any,
    page: Any,
    artifacts_dir: Path,
) -> None:
    user = request.getfixturevalue(persona)
    browser_login(page, live_server, user.username, PASSWORD)
    nav = page.get_by_role("navigation", name="Main navigation")
    shown, hidden = EXPECTED[persona]
    for label in shown:
        assert nav.get_by_role("link", name=label, exact=True).is_visible(), label
    for label in hidden:
        assert nav.get_by_role("link", name=label, exact=True).count() == 0, label
    page.screenshot(path=str(artifacts_dir / f"nav-{persona}.png"), full_page=True)
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{live_server.url}/accounts/login/")
