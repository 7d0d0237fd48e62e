"""System checks of locatr's settings."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.checks import run_checks


@pytest.mark.parametrize(
    ("debug", "site_url", "warned"),
    [
        (False, "", True),
        (False, "http://127.0.0.1:8000", True),
        (False, "http://localhost:8000", True),
        (False, "https://locatr.clinic.test", False),
        (True, "http://127.0.0.1:8000", False),
    ],
)
def test_a_system_check_warns_about_a_missing_or_local_site_url(
    settings: Any, debug: bool, site_url: str, warned: bool
) -> None:
    settings.DEBUG = debug
    settings.SITE_URL = site_url

    ids = [m.id for m in run_checks()]

    assert ("locatr.W001" in ids) == warned
