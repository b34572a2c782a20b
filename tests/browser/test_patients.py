"""Journeys through patient records in a real browser: register, consent, note, isolation,
break-glass and its review, each page checked with axe-core."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from playwright.sync_api import BrowserContext, Page, expect

from carecore.accounts.models import User
from patients.models import Patient, name_dob_index
from patients.services import ConsentDetails, ExplanationDetails, PatientDetails, patient_register

from .pages import assert_accessible, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("browser"),
    # The live server thread reads what the test commits.
    pytest.mark.django_db(transaction=True),
]

# Invented for these tests; the date is fixed so the duplicate check is deterministic.
NEW_NAME = "Oriel Pennyworth"
NEW_BIRTH_DATE = "1994-07-23"
NOTE_TEXT = "Browser test note: discussed sleep and agreed a weekly appointment."
RESEARCH_EXPLANATION = "Anonymised figures only; saying no changes nothing about care."
EMERGENCY_REASON = "Arrived at the evening clinic unwell; the lead is away (browser test)."


def _label(text: str) -> re.Pattern[str]:
    # The whole label, with or without the form's trailing colon.
    return re.compile(rf"^\s*{re.escape(text)}:?\s*$")


def _switch_user(context: BrowserContext, page: Page, username: str, password: str) -> None:
    # A fresh session, as a different person at another computer would have.
    context.clear_cookies()
    sign_in(page, username, password)


def _patient_of_clinician() -> Patient:
    clinician = User.objects.get(username="clinician")
    return patient_register(
        actor=clinician,
        details=PatientDetails(preferred_name=NEW_NAME),
        explanation=ExplanationDetails(
            scope_and_purpose_explained=True,
            services_available_explained=True,
            services_not_available_explained=True,
            privacy_explained=True,
        ),
        consents=[
            ConsentDetails(
                purpose="care_and_data",
                status="given",
                explanation="Explained how the record is used (browser test).",
            )
        ],
    )


def test_clinician_registers_a_patient_records_consent_and_adds_a_note(
    page: Page, demo_password: str
) -> None:
    sign_in(page, "clinician", demo_password)

    page.goto(reverse("patients:register"))
    assert_accessible(page)
    page.get_by_label(_label("Name")).fill(NEW_NAME)
    page.get_by_label(_label("Date of birth")).fill(NEW_BIRTH_DATE)
    page.get_by_role("button", name="Check for an existing record").click()

    expect(page.get_by_text("Step 2 of 2", exact=False)).to_be_visible()
    expect(page.get_by_label(_label("Name to use"))).to_have_value(NEW_NAME)
    assert_accessible(page)
    page.get_by_label(_label("The scope and purpose of the consultation were explained")).check()
    page.get_by_label(_label("The services available here were explained")).check()
    page.get_by_label(_label("The services not available here were explained")).check()
    page.get_by_label(_label("How privacy is protected was explained")).check()
    page.get_by_label(_label("Given")).check()
    page.get_by_label(_label("What was explained about how the data will be used")).fill(
        "Who reads the record and why; that she may change her mind."
    )
    page.get_by_role("button", name="Register", exact=True).click()
    # Wait for the redirect: the registration has committed once the record page is asked for.
    expect(page).to_have_url(re.compile(r"/patients/[0-9a-f-]{36}/$"))

    patient = Patient.objects.get(
        preferred_name_dob_index=name_dob_index(NEW_NAME, dt.date.fromisoformat(NEW_BIRTH_DATE))
    )
    overview = reverse("patients:overview", kwargs={"patient_uuid": patient.uuid})
    expect(page).to_have_url(re.compile(re.escape(overview) + "$"))
    expect(page.get_by_text(patient.case_code).first).to_be_visible()
    assert_accessible(page)

    page.goto(reverse("patients:consents", kwargs={"patient_uuid": patient.uuid}))
    research = page.locator("section").filter(
        has=page.get_by_role("heading", name="Research use", exact=True)
    )
    expect(research).to_contain_text("Use not permitted now")
    page.get_by_label(_label("Purpose")).select_option("research")
    page.get_by_label(_label("Given")).check()
    page.get_by_label(_label("What was explained")).fill(RESEARCH_EXPLANATION)
    page.get_by_role("button", name="Record decision").click()
    expect(research).to_contain_text("Use permitted now")
    expect(research).to_contain_text(RESEARCH_EXPLANATION)
    assert_accessible(page)

    page.goto(reverse("patients:notes", kwargs={"patient_uuid": patient.uuid}))
    page.get_by_label(_label("Type")).select_option("consultation")
    page.get_by_label(_label("Note")).fill(NOTE_TEXT)
    page.get_by_role("button", name="Save note").click()
    expect(page.get_by_text(NOTE_TEXT)).to_be_visible()
    assert_accessible(page)


def test_another_clinician_cannot_find_the_patient(page: Page, demo_password: str) -> None:
    patient = _patient_of_clinician()
    sign_in(page, "clinician2", demo_password)

    page.goto(reverse("patients:list"))
    expect(page.get_by_role("heading", name="My patients", level=1)).to_be_visible()
    expect(page.get_by_text(patient.case_code)).to_have_count(0)
    assert_accessible(page)

    response = page.goto(reverse("patients:overview", kwargs={"patient_uuid": patient.uuid}))
    assert response is not None and response.status == 404
    expect(page.get_by_text(NEW_NAME)).to_have_count(0)
    assert_accessible(page)


def test_break_glass_opens_the_record_and_lands_in_the_review_queue(
    page: Page, context: BrowserContext, demo_password: str
) -> None:
    patient = _patient_of_clinician()
    overview = reverse("patients:overview", kwargs={"patient_uuid": patient.uuid})
    sign_in(page, "clinician2", demo_password)

    page.goto(reverse("patients:break_glass_start"))
    assert_accessible(page)
    page.get_by_label(_label("Case code")).fill(patient.case_code)
    page.get_by_label(_label("Why do you need emergency access?")).fill(EMERGENCY_REASON)
    page.get_by_label(_label("Your password")).fill(demo_password)
    page.get_by_role("button", name="Open the record in an emergency").click()

    expect(page).to_have_url(re.compile(re.escape(overview) + "$"))
    expect(page.get_by_text(NEW_NAME).first).to_be_visible()
    assert_accessible(page)

    _switch_user(context, page, "privacy", demo_password)
    page.goto(reverse("patients:break_glass_reviews"))
    row = page.get_by_role("row").filter(has_text=patient.case_code)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("clinician2")
    assert_accessible(page)
