"""Supervision and caseload in a real browser: a supervisor schedules and logs a session and the
supervisee reads the notes; a manager sees the overdue and caseload flags; a case is handed over
through a transfer request. Every supervision page is checked with axe-core, and the page
fixtures fail the test on any CSP violation or JavaScript error."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from carecore.accounts.models import User
from carecore.audit.events import EventType
from carecore.audit.models import AuditEvent
from patients.models import CareTeamMembership, Patient
from supervision.models import (
    CaseDiscussed,
    CaseTransferRequest,
    SessionLog,
    SessionStatus,
    SupervisionAction,
    SupervisionSession,
    TransferStatus,
)
from supervision.selectors import caseload_assessments
from supervision.selectors.caseload import CaseloadFlag

from .conftest import PageLog
from .pages import assert_accessible, sign_in
from .supervision_pages import label, other_person, responses_to, switch_user, table_row

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("browser"),
    # The live server thread reads what the test commits.
    pytest.mark.django_db(transaction=True),
]

# Invented for these tests. The markers are unique so that finding them on a page proves the
# page shows what this test wrote, not demo data.
LOCATION = "Supervision room 2 (browser test)"
TOPICS = "Browser test topics: pacing the work with a patient preparing for a hearing."
NOTES_MARKER = "BROWSER-NOTES-7f3c: agreed to slow down and to plan the next three appointments."
ACTION_TEXT = "Browser test action: draft the grounding plan with the patient."
TRANSFER_REASON = "Browser test reason: the story echoes a loss in my own family."
HANDOVER_NOTE = "Browser test handover: met the patient together; next appointment agreed."

# Names of the demo accounts (carecore.home.seeding.DEMO_USERS).
CLINICIAN_NAME = "Amara Lindqvist"
CLINICIAN2_NAME = "Tomas Okonkwo"
SUPERVISOR_NAME = "Ines Marchetti"


def _next_session_with(supervisee: User) -> dt.datetime:
    """Return the local start of the supervisee's next scheduled session (from the demo data)."""
    upcoming = (
        SupervisionSession.objects.filter(
            supervisee=supervisee, status=SessionStatus.SCHEDULED, starts_at__gt=timezone.now()
        )
        .order_by("starts_at")
        .first()
    )
    assert upcoming is not None, "the demo data has upcoming sessions with the clinician"
    return timezone.localtime(upcoming.starts_at)


def _own_case_codes(username: str) -> list[str]:
    return list(
        CareTeamMembership.objects.active()
        .filter(clinician__username=username, patient__status="active")
        .order_by("patient__case_code")
        .values_list("patient__case_code", flat=True)
    )


def _case_to_hand_over(requester: str, receiver: str) -> Patient:
    """Return an active case of `requester` that `receiver` is not on and nobody asked about."""
    receiver_cases = set(_own_case_codes(receiver))
    asked = set(CaseTransferRequest.objects.values_list("patient__case_code", flat=True))
    code = next(c for c in _own_case_codes(requester) if c not in receiver_cases | asked)
    return Patient.objects.get(case_code=code)


def test_supervisor_schedules_and_logs_a_session_and_the_supervisee_reads_the_notes(
    page: Page, browser: Browser, live_server: Any, page_log: PageLog, demo_password: str
) -> None:
    clinician = User.objects.get(username="clinician")
    case_code = _own_case_codes("clinician")[0]
    day = timezone.localdate() + dt.timedelta(days=10)
    sign_in(page, "supervisor", demo_password)

    page.goto(reverse("supervision:dashboard_supervisor"))
    expect(page.get_by_role("heading", name="Supervisor dashboard", level=1)).to_be_visible()
    supervisees = page.locator("#caseload-heading").locator("xpath=..")
    expect(supervisees).to_contain_text(CLINICIAN_NAME)
    expect(supervisees).to_contain_text(CLINICIAN2_NAME)
    assert_accessible(page)

    page.goto(reverse("supervision:sessions"))
    expect(page.get_by_role("heading", name="Supervision sessions", level=1)).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Schedule a session").click()
    expect(page.get_by_role("heading", name="Schedule a supervision session")).to_be_visible()
    assert_accessible(page)

    before = SupervisionSession.objects.count()
    # First at the time of the demo's upcoming session with the clinician: a clash warning,
    # nothing saved.
    taken = _next_session_with(clinician)
    page.get_by_label(label("With")).select_option(label=CLINICIAN_NAME)
    page.get_by_label(label("Date")).fill(taken.date().isoformat())
    page.get_by_label(label("Start time")).fill(taken.strftime("%H:%M"))
    page.get_by_label(label("Place or video link")).fill(LOCATION)
    page.get_by_role("button", name="Schedule", exact=True).click()
    clash = page.get_by_role("heading", name="This time clashes with other sessions")
    expect(clash).to_be_visible()
    expect(page.get_by_label(label("Schedule anyway, despite the clash"))).not_to_be_checked()
    assert SupervisionSession.objects.count() == before
    assert_accessible(page)

    # Another time: checked again, no clash, scheduled.
    page.get_by_label(label("Date")).fill(day.isoformat())
    page.get_by_label(label("Start time")).fill("17:00")
    page.get_by_role("button", name="Schedule", exact=True).click()
    expect(page.get_by_text("The session was scheduled.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/supervision/sessions/[0-9a-f-]{36}/$"))

    assert SupervisionSession.objects.count() == before + 1
    session = SupervisionSession.objects.latest("pk")
    assert session.supervisee_id == clinician.pk
    assert session.status == SessionStatus.SCHEDULED
    assert timezone.localtime(session.starts_at).date() == day
    detail_url = reverse("supervision:session_detail", kwargs={"uuid": session.uuid})
    assert page.url.endswith(detail_url)
    expect(page.get_by_text(LOCATION)).to_be_visible()
    # Not started yet: nothing to log.
    expect(page.get_by_role("link", name="Log this session")).to_have_count(0)
    assert_accessible(page)

    # Time travel for the log step: a session can be logged only after it has started, and
    # none can be scheduled in the past, so the new session is moved an hour back directly.
    SupervisionSession.objects.filter(pk=session.pk).update(
        starts_at=timezone.now() - dt.timedelta(hours=1)
    )
    page.reload()
    page.get_by_role("link", name="Log this session").click()
    expect(page.get_by_role("heading", name="Log a supervision session")).to_be_visible()
    assert_accessible(page)

    page.get_by_label(label("Held")).check()
    expect(page.get_by_label(label(CLINICIAN_NAME))).to_be_checked()
    page.get_by_label(label("Topics")).fill(TOPICS)
    page.get_by_label(label("Notes")).fill(NOTES_MARKER)
    page.get_by_label(label("Cases discussed (case codes)")).fill(case_code)
    page.locator("#id_actions-0-description").fill(ACTION_TEXT)
    page.locator("#id_actions-0-owner").select_option(label=CLINICIAN_NAME)
    page.locator("#id_actions-0-due_on").fill((day + dt.timedelta(days=18)).isoformat())
    page.get_by_role("button", name="Save log").click()
    expect(page.get_by_text("The log was saved. It can no longer be changed.")).to_be_visible()
    assert page.url.endswith(detail_url)

    session.refresh_from_db()
    assert session.status == SessionStatus.HELD
    log = SessionLog.objects.get(session=session)
    assert log.notes == NOTES_MARKER
    assert list(
        CaseDiscussed.objects.filter(session=session).values_list("patient__case_code", flat=True)
    ) == [case_code]
    action = SupervisionAction.objects.get(session=session)
    assert (action.description, action.owner_id) == (ACTION_TEXT, clinician.pk)
    expect(page.get_by_text(NOTES_MARKER)).to_be_visible()
    assert_accessible(page)

    # The supervisee, at another computer, reads the notes; the reading is audited.
    viewed = AuditEvent.objects.filter(
        event_type=EventType.SESSION_NOTES_VIEWED, actor=clinician, target_id=str(session.pk)
    )
    assert viewed.count() == 0
    with other_person(browser, live_server, page_log, "clinician", demo_password) as theirs:
        theirs.goto(reverse("supervision:dashboard_me"))
        expect(theirs.get_by_role("heading", name="My dashboard", level=1)).to_be_visible()
        assert_accessible(theirs)

        response = theirs.goto(detail_url)
        assert response is not None and response.status == 200
        expect(theirs.get_by_text(NOTES_MARKER)).to_be_visible()
        expect(theirs.get_by_text(TOPICS)).to_be_visible()
        expect(theirs.locator(".case-code", has_text=case_code)).to_be_visible()
        expect(theirs.get_by_role("cell", name=ACTION_TEXT)).to_be_visible()
        # The Log link is the host's: the supervisee cannot change anything.
        expect(theirs.get_by_role("link", name="Log this session")).to_have_count(0)
        assert_accessible(theirs)
    assert viewed.count() == 1
    assert viewed.get().details == {"session_id": session.pk, "purpose": "clinical"}

    # Not a party: the same 404 as for a session that does not exist, and a refusal recorded.
    switch_user(page, "clinician2", demo_password)
    response = page.goto(detail_url)
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    expect(page.get_by_text(NOTES_MARKER)).to_have_count(0)
    expect(page.get_by_text(LOCATION)).to_have_count(0)
    assert_accessible(page)
    assert AuditEvent.objects.filter(
        event_type=EventType.ACCESS_DENIED,
        actor__username="clinician2",
        target_type="supervision.supervisionsession",
        target_id=str(session.pk),
    ).exists()
    assert not AuditEvent.objects.filter(
        event_type=EventType.SESSION_NOTES_VIEWED, actor__username="clinician2"
    ).exists()


def test_manager_sees_the_overdue_flag_and_the_caseload_flags(
    page: Page, demo_password: str
) -> None:
    clinician2 = User.objects.get(username="clinician2")
    flags = caseload_assessments(clinician_ids=[clinician2.pk])[clinician2.pk].flags
    # The demo data puts clinician2 over the guidelines; without that this test proves nothing.
    assert flags
    sign_in(page, "manager", demo_password)

    with responses_to(page, "/dashboards/charts/") as charts:
        page.goto(reverse("supervision:dashboard_manager"))
        expect(page.get_by_role("heading", name="Manager dashboard", level=1)).to_be_visible()
    # Two charts, each loaded by the browser as an SVG image.
    assert len(charts) == 2, [r.url for r in charts]
    for response in charts:
        assert response.status == 200, response.url
        assert response.headers["content-type"].startswith("image/svg+xml"), response.url
    images = page.locator("figure.dashboard-chart img")
    expect(images).to_have_count(2)
    for n in range(2):
        expect(images.nth(n)).to_have_attribute("alt", re.compile(r"\S"))
        assert images.nth(n).evaluate("img => img.complete && img.naturalWidth > 0")

    # The table alternatives the figure captions point to.
    for table_id in ("caseload-table", "stages-table"):
        expect(page.locator(f"figure a[href='#{table_id}']")).to_have_text(
            "The same figures as a table"
        )
        expect(page.locator(f"#{table_id}")).to_be_visible()

    overdue_row = table_row(page, "#caseload-table", CLINICIAN2_NAME)
    expect(overdue_row).to_have_count(1)
    expect(overdue_row.locator(".badge", has_text="Overdue by")).to_have_count(1)
    for flag in flags:
        expect(overdue_row.locator(".badge", has_text=str(CaseloadFlag(flag).label))).to_have_count(
            1
        )

    on_time_row = table_row(page, "#caseload-table", CLINICIAN_NAME)
    expect(on_time_row).to_contain_text("On time")
    expect(on_time_row.locator(".badge", has_text="Overdue by")).to_have_count(0)
    assert_accessible(page)


def test_a_clinician_hands_over_a_case_and_the_receiver_accepts_it(
    page: Page, demo_password: str
) -> None:
    clinician = User.objects.get(username="clinician")
    clinician2 = User.objects.get(username="clinician2")
    supervisor = User.objects.get(username="supervisor")
    patient = _case_to_hand_over("clinician", "clinician2")
    sign_in(page, "clinician", demo_password)

    page.goto(reverse("supervision:transfers"))
    expect(page.get_by_role("heading", name="Case transfer requests", level=1)).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Ask to hand over a case").click()
    expect(page.get_by_role("heading", name="Ask to hand over a case", level=1)).to_be_visible()
    assert_accessible(page)
    page.get_by_label(label("Case")).select_option(str(patient.uuid))
    page.get_by_label(label("Supervisor")).select_option(label=SUPERVISOR_NAME)
    page.get_by_label(label("Why do you want to hand over this case?")).fill(TRANSFER_REASON)
    page.get_by_role("button", name="Send the request").click()
    expect(page.get_by_text("Your request was sent.")).to_be_visible()

    transfer = CaseTransferRequest.objects.get(patient=patient, requester=clinician)
    assert (transfer.status, transfer.supervisor_id) == (TransferStatus.REQUESTED, supervisor.pk)
    detail_url = reverse("supervision:transfer_detail", kwargs={"transfer_uuid": transfer.uuid})
    assert page.url.endswith(detail_url)
    # The requester does not see their reason again.
    expect(page.get_by_text(TRANSFER_REASON)).to_have_count(0)
    assert_accessible(page)

    switch_user(page, "supervisor", demo_password)
    page.goto(detail_url)
    expect(page.get_by_text(TRANSFER_REASON)).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Choose the receiving clinician").click()
    expect(
        page.get_by_role("heading", name=f"Choose who receives case {patient.case_code}")
    ).to_be_visible()
    expect(page.get_by_role("columnheader", name="Patient headroom")).to_be_visible()
    receiver_row = table_row(page, "table", CLINICIAN2_NAME)
    expect(receiver_row).to_have_count(1)
    active = caseload_assessments(clinician_ids=[clinician2.pk])[clinician2.pk]
    expect(receiver_row.locator("td").nth(0)).to_contain_text(
        f"{active.figures.active_patients} / "
    )
    expect(receiver_row.locator("td").nth(1)).to_have_text(re.compile(r"^\s*-?\d+([.,]\d+)?\s*$"))
    # The requester is never offered their own case.
    expect(table_row(page, "table", CLINICIAN_NAME)).to_have_count(0)
    assert_accessible(page)
    page.get_by_label(CLINICIAN2_NAME).check()
    page.get_by_role("button", name="Offer the case to this clinician").click()
    expect(page.get_by_text("The case was offered to the receiving clinician.")).to_be_visible()
    transfer.refresh_from_db()
    assert (transfer.status, transfer.receiver_id) == (TransferStatus.ASSIGNED, clinician2.pk)

    switch_user(page, "clinician2", demo_password)
    page.goto(reverse("supervision:transfers"))
    offered = page.locator("section").filter(
        has=page.get_by_role("heading", name="Offered to me (to accept)")
    )
    expect(offered).to_contain_text(patient.case_code)
    page.goto(detail_url)
    # The receiver never reads the requester's reason.
    expect(page.get_by_text(TRANSFER_REASON)).to_have_count(0)
    page.get_by_role("link", name="Accept the case").click()
    expect(page.get_by_role("heading", name=f"Accept case {patient.case_code}?")).to_be_visible()
    assert_accessible(page)
    page.get_by_label(label("Handover note")).fill(HANDOVER_NOTE)
    page.get_by_role("button", name="Accept the case").click()
    expect(page.get_by_text("You accepted the case and are now on its care team.")).to_be_visible()
    expect(page.get_by_text(HANDOVER_NOTE)).to_be_visible()
    assert_accessible(page)

    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.ACCEPTED
    team = CareTeamMembership.objects.filter(patient=patient)
    assert not team.active().filter(clinician=clinician).exists()
    assert team.filter(clinician=clinician, end_date__isnull=False).exists()
    assert team.active().filter(clinician=clinician2).count() == 1
