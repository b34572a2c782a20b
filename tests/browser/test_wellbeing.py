"""A clinician takes the scale, sees scores and the chart, shares a result; the supervisor sees it;
the manager sees only aggregate or suppressed figures. Every page checked with axe-core."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import BrowserContext, Page, expect

from carecore.accounts.models import User
from staffwellbeing.models import CheckIn
from supervision.models import SupervisionAgreement
from tests.staffwellbeing.factories import cfs_v1

from .pages import assert_accessible, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("browser"),
    pytest.mark.django_db(transaction=True),
]


def _switch_user(context: BrowserContext, page: Page, username: str, password: str) -> None:
    context.clear_cookies()
    sign_in(page, username, password)


def test_take_the_scale_share_and_oversee(context: BrowserContext, page: Page, demo_password):
    cfs_v1()  # a transactional test may have flushed the migrated structure
    clinician = User.objects.get(username="clinician")
    supervisor = User.objects.get(username="supervisor")
    SupervisionAgreement.objects.get_or_create(
        supervisor=supervisor, supervisee=clinician, defaults={"active": True}
    )

    before = CheckIn.objects.filter(person=clinician).count()
    sign_in(page, "clinician", demo_password)
    page.goto(reverse("wellbeing:checkin"))
    assert_accessible(page)
    page.get_by_role("button", name="Save and see my scores").click()
    expect(page.locator(".errorlist.nonfield")).to_contain_text("13 items need an answer")
    assert CheckIn.objects.filter(person=clinician).count() == before
    assert_accessible(page)

    for letter in "abcdefghijklm":
        page.locator(f"#id_item_{letter}_6").check()  # the seventh option: 7
    page.get_by_role("button", name="Save and see my scores").click()
    expect(page.get_by_role("heading", name="Check-in result")).to_be_visible()
    expect(page.locator("table").first).to_contain_text("91")
    assert_accessible(page)

    page.get_by_role("link", name="Share with my supervisor").click()
    assert_accessible(page)
    page.get_by_role("button", name="Share this result").click()
    expect(page.get_by_role("link", name="Stop sharing")).to_be_visible()
    assert_accessible(page)

    page.goto(reverse("wellbeing:mine"))
    chart = page.locator("figure img")
    expect(chart).to_be_visible()
    assert chart.evaluate("img => img.naturalWidth") > 0
    assert_accessible(page)

    _switch_user(context, page, "supervisor", demo_password)
    page.goto(reverse("wellbeing:shared_with_me"))
    expect(page.locator("tbody")).to_contain_text("91")
    assert_accessible(page)

    _switch_user(context, page, "manager", demo_password)
    page.goto(reverse("wellbeing:overview"))
    # The demo teams: one large enough to show, the others hidden (one by the complementary
    # rule), and the organisation's figures.
    expect(page.locator("tbody")).to_contain_text("North clinic")
    expect(page.locator("tbody")).to_contain_text("Not shown")
    expect(page.locator("tfoot")).to_contain_text("Whole organisation")
    assert_accessible(page)
