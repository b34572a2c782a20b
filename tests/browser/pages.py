"""What a person does in the browser tests, and the checks every page must pass."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse
from playwright.sync_api import Page

# WCAG 2.1 A and AA, the level the issue asks for.
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}


def sign_in(page: Page, username: str, password: str) -> None:
    """Fill and submit the sign-in form as a person would."""
    page.goto(reverse("accounts:login"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.locator("form:has(input[name=password]) [type=submit]").click()
    page.wait_for_load_state()


def assert_accessible(page: Page) -> None:
    """Fail with axe-core's report if the current page has WCAG 2.1 A/AA violations."""
    results = Axe().run(page, options=AXE_OPTIONS)
    assert results.violations_count == 0, f"{page.url}:\n{results.generate_report()}"
