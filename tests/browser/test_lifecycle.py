"""The data lifecycle in a real browser: a care team member prepares a referral, the lead
approves it and the sealed package downloads and opens with the passphrase shown once; a privacy
officer handles a legal request end to end, a second privacy officer releases it, and a legal
hold is placed and lifted. Every lifecycle page visited is checked with axe-core, and the page
fixtures fail the test on any CSP violation or JavaScript error."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, Page, expect

from carecore.accounts.models import User
from lifecycle.models import (
    DisclosureEntry,
    DisclosureKind,
    LegalBasis,
    LegalHold,
    LegalRequest,
    LegalRequestStatus,
    PatientAccessRequest,
    Referral,
    ReferralStatus,
)
from lifecycle.packaging.build import HTML_NAME
from lifecycle.seeding import demo_patient
from patients.models import ConsentPurpose, ConsentStatus, Patient
from patients.services import ConsentDetails, consent_record

from .conftest import PageLog
from .lifecycle_pages import (
    SECOND_OFFICER_PASSWORD,
    download_from,
    package_open,
    passphrase_on,
    second_privacy_officer,
)
from .pages import assert_accessible, sign_in
from .supervision_pages import label, other_person, table_row

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("browser"),
    # The live server thread reads what the test commits.
    pytest.mark.django_db(transaction=True),
]

# Invented for these tests; unique so that finding them proves the page shows this test's data.
PARTNER = "Riverside Community Health Centre (demo)"
REFERRAL_PURPOSE = "Browser test purpose: X-ray follow-up of the left hand at the partner clinic."
REQUESTER = "Demo Crown Court, browser test chamber"
REQUEST_SUMMARY = "Browser test: treatment summary for the hearing on the demo date."
ASSESSMENT = "Browser test assessment: a signed court order was received and checked."
HOLD_REASON = "Browser test hold: proceedings pending."


def _demo_patient(preferred_name: str) -> Patient:
    patient = demo_patient(preferred_name)
    assert patient is not None, f"the demo caseload has {preferred_name}"
    return patient


def test_a_team_member_prepares_a_referral_the_lead_approves_and_the_package_opens(
    page: Page, browser: Browser, live_server: Any, page_log: PageLog, demo_password: str
) -> None:
    # Teodor Brisk: clinician2 leads the team, clinician is a member. He agreed to sharing
    # outside the organisation, recorded by his lead.
    patient = _demo_patient("Teodor Brisk")
    lead = User.objects.get(username="clinician2")
    consent_record(
        actor=lead,
        patient=patient,
        details=ConsentDetails(
            purpose=ConsentPurpose.EXTERNAL_SHARING,
            status=ConsentStatus.GIVEN,
            explanation="Browser test: explained what would be shared and with whom.",
        ),
    )
    sign_in(page, "clinician", demo_password)

    page.goto(f"{reverse('lifecycle:referrals')}?patient={patient.uuid}")
    expect(page.get_by_role("heading", name=f"Referrals for {patient.case_code}")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Prepare a referral").click()
    expect(
        page.get_by_role("heading", name=f"Prepare a referral for {patient.case_code}")
    ).to_be_visible()
    assert_accessible(page)

    page.get_by_label(label("Partner organisation")).select_option(label=PARTNER)
    page.get_by_label("Referral", exact=True).check()
    page.get_by_label(label("Purpose")).fill(REFERRAL_PURPOSE)
    page.get_by_label("Summary (identity, stage, safety needs)").check()
    page.get_by_label("Selected notes").check()
    page.get_by_label(re.compile(r"· Assessment$")).check()
    page.get_by_role("button", name="Prepare for approval").click()
    expect(page.get_by_text("The referral was prepared.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/lifecycle/referrals/[0-9a-f-]{36}/$"))

    referral = Referral.objects.get(patient=patient)
    assert referral.purpose == REFERRAL_PURPOSE
    assert referral.status == ReferralStatus.AWAITING_APPROVAL
    assert referral.prepared_by.username == "clinician"
    assert referral.sections == ["summary", "notes"]
    assert len(referral.note_ids) == 1
    assert referral.consent.purpose == ConsentPurpose.EXTERNAL_SHARING
    assert referral.package_id is None
    detail_url = reverse("lifecycle:referral_detail", kwargs={"uuid": referral.uuid})
    assert page.url.endswith(detail_url)
    # The preparer cannot approve their own referral.
    expect(page.get_by_role("link", name="Review for approval")).to_have_count(0)
    assert_accessible(page)

    with other_person(browser, live_server, page_log, "clinician2", demo_password) as theirs:
        theirs.goto(f"{reverse('lifecycle:referrals')}?show=awaiting")
        expect(theirs.get_by_role("link", name="Awaiting my approval")).to_have_attribute(
            "aria-current", "page"
        )
        row = table_row(theirs, "table", patient.case_code)
        expect(row).to_contain_text(PARTNER)
        assert_accessible(theirs)
        row.get_by_role("link").click()
        expect(theirs.get_by_text(REFERRAL_PURPOSE)).to_be_visible()
        assert_accessible(theirs)

        theirs.get_by_role("link", name="Review for approval").click()
        expect(theirs.get_by_role("heading", name="Approve this referral?")).to_be_visible()
        assert_accessible(theirs)
        theirs.get_by_role("button", name="Approve and build the package").click()
        expect(theirs.get_by_role("heading", name="Passphrase (shown once)")).to_be_visible()
        passphrase = passphrase_on(theirs)
        assert_accessible(theirs)

        download = download_from(
            theirs, theirs.get_by_role("link", name="Download the encrypted package")
        )
        assert download.filename.endswith(".zip")
        files = package_open(download.content, passphrase)
        assert patient.case_code in files[HTML_NAME].decode()
        # Shown once: the referral page never shows it again.
        theirs.goto(detail_url)
        expect(theirs.get_by_text(passphrase)).to_have_count(0)

    referral.refresh_from_db()
    assert referral.status == ReferralStatus.APPROVED
    assert referral.decided_by_id == lead.pk
    assert hashlib.sha256(download.content).hexdigest() == referral.package.archive_sha256
    entry = DisclosureEntry.objects.get(referral=referral)
    assert entry.kind == DisclosureKind.REFERRAL
    assert entry.legal_basis == LegalBasis.CONSENT
    assert entry.partner.name == PARTNER
    assert entry.approved_by_id == lead.pk
    assert entry.consent_id == referral.consent_id


def test_a_privacy_officer_handles_a_legal_request_and_a_second_one_releases_it(
    page: Page, browser: Browser, live_server: Any, page_log: PageLog, demo_password: str
) -> None:
    patient = _demo_patient("Samir Oakhurst")
    code = patient.case_code
    second = second_privacy_officer()
    sign_in(page, "privacy", demo_password)

    page.goto(reverse("lifecycle:legal_requests"))
    expect(page.get_by_role("heading", name="Legal requests", level=1)).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Register a legal request").click()
    expect(page.get_by_role("heading", name="Register a legal request")).to_be_visible()
    assert_accessible(page)
    page.get_by_label(label("Case code")).fill(code)
    page.get_by_label(label("Request from")).select_option(label="Court")
    page.get_by_label(label("Requesting court, authority or person")).fill(REQUESTER)
    page.get_by_label(label("Their reference")).fill("BT-2026-7")
    page.get_by_label(label("What is asked for")).fill(REQUEST_SUMMARY)
    page.get_by_role("button", name="Register the request").click()
    expect(page.get_by_text("The legal request was registered.")).to_be_visible()
    expect(page.get_by_role("heading", name=f"Legal request about {code}")).to_be_visible()
    legal_request = LegalRequest.objects.get(patient=patient)
    assert legal_request.status == LegalRequestStatus.RECEIVED
    assert legal_request.requester_name == REQUESTER
    detail_url = reverse(
        "lifecycle:legal_request_detail", kwargs={"request_uuid": legal_request.uuid}
    )
    assert page.url.endswith(detail_url)
    assert_accessible(page)

    page.get_by_role("link", name="Review the legal basis").click()
    expect(page.get_by_role("heading", name="Review the legal basis", level=1)).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Court order", exact=True).check()
    page.get_by_label(label("Assessment")).fill(ASSESSMENT)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The legal basis was recorded.")).to_be_visible()

    page.get_by_role("link", name="Decide scope and redaction").click()
    expect(
        page.get_by_role("heading", name="Decide the scope and redaction", level=1)
    ).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Summary (identity, stage, safety needs)").check()
    page.get_by_label("Treatment plan").check()
    expect(page.get_by_label(label("Redact staff identities"))).to_be_checked()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The scope and redaction were decided.")).to_be_visible()
    legal_request.refresh_from_db()
    assert legal_request.status == LegalRequestStatus.SCOPE_DECIDED
    assert legal_request.legal_basis == LegalBasis.COURT_ORDER
    assert legal_request.sections == ["summary", "treatment_plan"]
    assert (legal_request.redact_third_parties, legal_request.redact_staff) == (True, True)
    # Whoever decided the scope cannot approve the release.
    expect(page.get_by_role("link", name="Approve the release")).to_have_count(0)
    assert_accessible(page)

    # A hold while the proceedings run, placed from the request.
    page.get_by_role("link", name="Place a legal hold").click()
    expect(page.get_by_role("heading", name="Place a legal hold")).to_be_visible()
    expect(page.get_by_label(label("Case code"))).to_have_value(code)
    assert_accessible(page)
    page.get_by_label(label("Reason")).fill(HOLD_REASON)
    page.get_by_role("button", name="Place the hold").click()
    expect(page.get_by_text("The legal hold was placed.")).to_be_visible()
    hold = LegalHold.objects.get(patient=patient)
    assert (hold.legal_request_id, hold.lifted_at) == (legal_request.pk, None)
    expect(table_row(page, "table", code)).to_have_count(1)
    assert_accessible(page)

    with other_person(
        browser, live_server, page_log, second.username, SECOND_OFFICER_PASSWORD
    ) as theirs:
        theirs.goto(detail_url)
        theirs.get_by_role("link", name="Approve the release").click()
        expect(theirs.get_by_role("heading", name="Approve the release", level=1)).to_be_visible()
        assert_accessible(theirs)
        theirs.get_by_label(re.compile("I have checked the basis")).check()
        theirs.get_by_role("button", name="Approve and build the package").click()
        expect(theirs.get_by_role("heading", name="Passphrase (shown once)")).to_be_visible()
        passphrase = passphrase_on(theirs)
        assert_accessible(theirs)
        download = download_from(
            theirs, theirs.get_by_role("link", name="Download the encrypted package")
        )
        files = package_open(download.content, passphrase)
        assert code in files[HTML_NAME].decode()

    legal_request.refresh_from_db()
    assert legal_request.status == LegalRequestStatus.RELEASED
    assert legal_request.approved_by_id == second.pk
    assert legal_request.scope_decided_by.username == "privacy"
    entry = DisclosureEntry.objects.get(legal_request=legal_request)
    assert (entry.kind, entry.recipient) == (DisclosureKind.LEGAL_RELEASE, REQUESTER)
    assert entry.approved_by_id == second.pk

    # The register shows the release, approved by the second officer.
    page.goto(reverse("lifecycle:register"))
    expect(page.get_by_role("heading", name="Disclosure register")).to_be_visible()
    row = table_row(page, "table", code)
    expect(row).to_contain_text("Release for a legal request")
    expect(row).to_contain_text(second.username)
    assert_accessible(page)
    row.get_by_role("link", name=code).click()
    expect(page.get_by_role("heading", name=f"Disclosures of {code}")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Report for the patient").click()
    expect(page.get_by_role("heading", name="Who received my information")).to_be_visible()
    expect(page.get_by_text("Release for a legal request")).to_be_visible()
    assert_accessible(page)

    # The hold is lifted after a confirmation step.
    page.goto(reverse("lifecycle:legal_holds"))
    page.get_by_role("link", name=f"Lift the hold on {code}").click()
    expect(page.get_by_role("heading", name=f"Lift the legal hold on {code}")).to_be_visible()
    assert_accessible(page)
    page.get_by_label(re.compile("Lift this hold")).check()
    page.get_by_role("button", name="Lift the hold").click()
    expect(page.get_by_text("The legal hold was lifted.")).to_be_visible()
    hold.refresh_from_db()
    assert hold.lifted_by.username == "privacy"
    expect(page.get_by_role("link", name=f"Lift the hold on {code}")).to_have_count(0)


def test_the_other_lifecycle_pages_are_accessible_to_a_privacy_officer(
    page: Page, demo_password: str
) -> None:
    sign_in(page, "privacy", demo_password)
    pages = [
        (reverse("lifecycle:partners"), "Partner organisations"),
        (reverse("lifecycle:referrals"), "Referrals and transfers of care"),
        (reverse("lifecycle:legal_holds"), "Legal holds in force"),
        (reverse("lifecycle:access_requests"), "Patient access requests"),
        (reverse("lifecycle:access_request_new"), "Record a patient access request"),
        (reverse("lifecycle:retention"), "Retention candidates"),
        (reverse("lifecycle:research_export"), "Research and statistics export"),
    ]
    access_request = PatientAccessRequest.objects.select_related("patient").get()
    pages.append(
        (
            reverse(
                "lifecycle:access_request_detail", kwargs={"request_uuid": access_request.uuid}
            ),
            f"Copy of the record for {access_request.patient.case_code}",
        )
    )
    spoken = DisclosureEntry.objects.select_related("patient").get(kind=DisclosureKind.SPOKEN)
    pages.append(
        (
            reverse("lifecycle:disclosure_new", kwargs={"patient_uuid": spoken.patient.uuid}),
            f"Record a disclosure about {spoken.patient.case_code}",
        )
    )
    for url, heading in pages:
        response = page.goto(url)
        assert response is not None and response.status == 200, url
        expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
        assert_accessible(page)
