"""Chromium: with the second factor required, a new user enrols (the test reads
the secret from the page and computes the TOTP), keeps ten backup codes, signs in
again with password + TOTP, and with a backup code that then no longer works.
The enrolment and verify pages pass axe and fit a 390 px phone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from levelofcare.models import AuthEvent
from tests.conftest import browser_login
from tests.e2e.checks import PHONE, scrolls_sideways, serious_violations
from tests.factories import PASSWORD
from tests.mfa_helpers import secret_key, totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _page_checks(page: Any, name: str, artifacts_dir: Path) -> None:
    assert serious_violations(page) == [], name
    size = page.viewport_size
    page.set_viewport_size(PHONE)
    assert not scrolls_sideways(page), name
    page.screenshot(path=str(artifacts_dir / f"mfa-{name}-390.png"), full_page=True)
    page.set_viewport_size(size)


def _sign_out(page: Any, live_server: Any) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{live_server.url}/accounts/login/")


def _verify(page: Any, code: str) -> None:
    page.get_by_label("Code", exact=True).fill(code)
    page.get_by_role("button", name="Verify").click()
    page.wait_for_load_state()


def test_enrol_then_sign_in_with_totp_and_with_a_backup_code(
    settings: Any, live_server: Any, page: Any, coordinator: Any, artifacts_dir: Path
) -> None:
    settings.LOCATR_MFA_REQUIRED = True
    base = live_server.url

    # 1. The password alone leads to enrolment, and nowhere else.
    browser_login(page, live_server, coordinator.username, PASSWORD)
    assert page.url.startswith(f"{base}/account/two-factor/enrol/")
    page.goto(f"{base}/clients/")
    assert page.url.startswith(f"{base}/account/two-factor/enrol/?next=/clients/")
    assert page.get_by_role(
        "img", name="QR code for your authenticator app"
    ).is_visible()
    _page_checks(page, "enrol", artifacts_dir)

    # 2. Type the key by hand (as an app would) and confirm with its code.
    key = secret_key(page.get_by_test_id("totp-secret").inner_text())
    page.get_by_label("Code from the app").fill(totp_code(key))
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(f"{base}/account/two-factor/backup-codes/**")
    codes = page.get_by_test_id("backup-codes").locator("li").all_inner_texts()
    assert len(codes) == 10 == len(set(codes))
    page.get_by_role("link", name="I have saved them: continue").click()
    page.wait_for_url(f"{base}/clients/")
    _sign_out(page, live_server)

    # 3. Password + TOTP (the next time step: the enrolment's code is used up).
    browser_login(page, live_server, coordinator.username, PASSWORD)
    assert page.url.startswith(f"{base}/account/two-factor/verify/")
    _page_checks(page, "verify", artifacts_dir)
    _verify(page, totp_code(key, ahead=30))
    assert page.url == f"{base}/"
    page.goto(f"{base}/clients/")
    assert page.url == f"{base}/clients/"
    _sign_out(page, live_server)

    # 4. Password + a backup code, which works once.
    browser_login(page, live_server, coordinator.username, PASSWORD)
    _verify(page, codes[0])
    assert page.url == f"{base}/"
    assert "You used a backup code: 9 left" in page.content()
    _sign_out(page, live_server)

    browser_login(page, live_server, coordinator.username, PASSWORD)
    _verify(page, codes[0])
    assert page.url.startswith(f"{base}/account/two-factor/verify/")
    assert "That code is not right" in page.get_by_test_id("code-errors").inner_text()
    page.goto(f"{base}/clients/")
    assert page.url.startswith(f"{base}/account/two-factor/verify/")

    kinds = list(
        AuthEvent.objects.filter(user=coordinator, kind__startswith="mfa_")
        .order_by("at", "id")
        .values_list("kind", flat=True)
    )
    assert kinds == ["mfa_enrolled", "mfa_verified", "mfa_verified", "mfa_failed"]
