"""Page checks every browser test can run: axe-core and the 390 px phone width."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

SERIOUS = {"serious", "critical"}
PHONE = {"width": 390, "height": 844}


def serious_violations(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now."""
    results = Axe().run(page)
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes)"
        for v in results.response["violations"]
        if v.get("impact") in SERIOUS
    ]


def scrolls_sideways(page: Page) -> bool:
    """Whether the page is wider than the window (it scrolls sideways)."""
    return bool(
        page.evaluate(
            "document.documentElement.scrollWidth > "
            "document.documentElement.clientWidth"
        )
    )
