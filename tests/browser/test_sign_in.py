"""Journeys through sign-in in a real browser: each role's home, lockout, accessibility."""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from carecore.home.seeding import DEMO_USERS, DemoUser

from .pages import assert_accessible, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("browser"),
    # The live server thread reads what the test commits.
    pytest.mark.django_db(transaction=True),
]

# The heading of the home section each role, and the privacy officer designation, brings.
SECTION_HEADINGS = {
    "clinician": "Clinician",
    "supervisor": "Supervisor",
    "manager": "Manager",
    "admin": "Accounts and access",
    "reception": "Reception",
    "privacy": "Privacy officer",
}


def _expected_headings(spec: DemoUser) -> list[str]:
    keys = [role.value for role in spec.roles] + (["privacy"] if spec.is_privacy_officer else [])
    return [SECTION_HEADINGS[key] for key in keys]


def test_sign_in_page_is_accessible(page: Page) -> None:
    page.goto(reverse("accounts:login"))
    expect(page.get_by_label("Username")).to_be_visible()
    assert_accessible(page)


@pytest.mark.parametrize("spec", DEMO_USERS, ids=lambda spec: spec.username)
def test_demo_user_lands_on_their_home(page: Page, demo_password: str, spec: DemoUser) -> None:
    headings = _expected_headings(spec)
    assert headings, f"seed_demo gives {spec.username} no role"

    sign_in(page, spec.username, demo_password)

    expect(page).to_have_url(re.compile(re.escape(reverse("home:home")) + "$"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    for heading in headings:
        expect(page.get_by_role("heading", name=heading, exact=True, level=2)).to_be_visible()
    expect(page.locator(".demo-banner")).to_be_visible()
    assert_accessible(page)


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(
    page: Page, demo_password: str
) -> None:
    for attempt in range(1, 6):
        sign_in(page, "clinician", f"not the password {attempt}")
        if attempt < 5:
            expect(page.get_by_label("Password")).to_be_visible()
    locked = page.get_by_role("heading", name=re.compile("locked", re.IGNORECASE))
    expect(locked).to_be_visible()

    sign_in(page, "clinician", demo_password)
    expect(locked).to_be_visible()
    assert_accessible(page)
    # Still signed out: home sends the visitor back to sign-in.
    page.goto(reverse("home:home"))
    assert urlparse(page.url).path == reverse("accounts:login")
