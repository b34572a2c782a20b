"""Second factor in a real browser: enrolment with a code computed here, then a recovery code."""

from __future__ import annotations

import base64
import re
from typing import Any
from urllib.parse import urlparse

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from .pages import assert_accessible, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("browser"),
    pytest.mark.django_db(transaction=True),
]


def _code_from_setup_key(setup_key: str) -> str:
    """Return the current 6-digit code for a setup key as an authenticator app would."""
    secret = setup_key.replace(" ", "").upper()
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return f"{totp(key, step=30, digits=6):06d}"


def test_enrol_with_computed_code_then_sign_in_with_a_recovery_code(
    page: Page, demo_password: str, settings: Any
) -> None:
    settings.CARECORE_REQUIRE_2FA = True

    # Password only: sent to enrolment before any other page.
    sign_in(page, "clinician", demo_password)
    assert urlparse(page.url).path == reverse("accounts:otp_setup")
    assert_accessible(page)

    setup_key = page.locator("code.otp-secret").inner_text()
    page.locator("input[name=code]").fill(_code_from_setup_key(setup_key))
    page.get_by_role("button", name="Confirm and continue").click()

    expect(page.get_by_role("heading", name="Your recovery codes", level=1)).to_be_visible()
    assert TOTPDevice.objects.filter(user__username="clinician", confirmed=True).count() == 1
    recovery_code = page.locator("ul.recovery-codes code").first.inner_text()
    assert re.fullmatch(r"\S+-\S+", recovery_code), recovery_code
    page.get_by_role("link", name=re.compile("saved my codes")).click()
    assert urlparse(page.url).path == reverse("home:home")
    expect(page.get_by_role("heading", name="Clinician", exact=True, level=2)).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()

    # Enrolled: the second step now asks for a code, and a recovery code is accepted once.
    sign_in(page, "clinician", demo_password)
    assert urlparse(page.url).path == reverse("accounts:otp_verify")
    assert_accessible(page)
    page.locator("input[name=code]").fill(recovery_code)
    page.get_by_role("button", name="Verify").click()
    page.wait_for_load_state()
    assert urlparse(page.url).path == reverse("home:home")
    expect(page.get_by_role("heading", name="Clinician", exact=True, level=2)).to_be_visible()
