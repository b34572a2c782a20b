"""Retention pages: privacy officers only, confirmation steps, the report and its download."""

from __future__ import annotations

import csv
import io
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from carecore.accounts.roles import Role
from carecore.audit.events import EventType, Outcome
from carecore.audit.models import AuditEvent
from lifecycle.forms_retention import CONFIRM_PROPOSAL_REQUIRED
from lifecycle.models import (
    DestructionRequest,
    DestructionStatus,
    DestructionTombstone,
    RetentionCandidate,
)
from lifecycle.permissions.retention import PROPOSER_CANNOT_DECIDE, can_manage_retention
from lifecycle.services.retention import (
    CONFIRMATION_MISMATCH,
    LEGAL_HOLD_ACTIVE,
    destruction_propose,
    retention_review_run,
)
from patients.models import Patient
from tests.factories import UserFactory
from tests.patients.factories import NoteFactory

from .factories_retention import LegalHoldFactory, long_closed_patient, officer

pytestmark = pytest.mark.django_db


def _denials(mark: int):
    return list(AuditEvent.objects.filter(pk__gt=mark, event_type=EventType.ACCESS_DENIED))


def _mark() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def _listed_case(**kwargs):
    patient = long_closed_patient(**kwargs)
    retention_review_run()
    return patient, RetentionCandidate.objects.get(patient=patient)


def _proposal(proposer=None):
    patient, candidate = _listed_case()
    proposer = proposer or officer()
    return patient, destruction_propose(actor=proposer, candidate=candidate)


def _tombstone(n: int, proposer, approver) -> DestructionTombstone:
    request = DestructionRequest.objects.create(
        case_code=f"CODE-{n:04d}",
        status=DestructionStatus.DESTROYED,
        proposed_by=proposer,
        decided_by=approver,
    )
    return DestructionTombstone.objects.create(
        case_code=request.case_code,
        registered_on="2010-01-01",
        closed_on="2012-01-01",
        request=request,
        proposed_by=proposer,
        approved_by=approver,
        destroyed={"patients.patient": 1, "patients.clinicalnote": n},
    )


# --- Who may open the pages --------------------------------------------------------------------


def _urls(patient: Patient, proposal: DestructionRequest) -> list[tuple[str, str]]:
    return [
        ("retention.view", reverse("lifecycle:retention")),
        (
            "retention.propose",
            reverse("lifecycle:retention_propose", kwargs={"patient_uuid": patient.uuid}),
        ),
        (
            "retention.view_request",
            reverse("lifecycle:destruction_detail", kwargs={"pk": proposal.pk}),
        ),
        ("retention.decide", reverse("lifecycle:destruction_decide", kwargs={"pk": proposal.pk})),
        ("retention.cancel", reverse("lifecycle:destruction_cancel", kwargs={"pk": proposal.pk})),
        ("retention.report", reverse("lifecycle:destructions")),
        ("retention.report", reverse("lifecycle:destructions_csv")),
    ]


@pytest.mark.parametrize(
    "roles", [[Role.CLINICIAN], [Role.MANAGER], [Role.ADMIN], [Role.RECEPTION], [Role.SUPERVISOR]]
)
def test_anyone_but_a_privacy_officer_gets_a_404_and_the_refusal_is_audited(client, sign_in, roles):
    patient, proposal = _proposal()
    sign_in(UserFactory(roles=roles))

    for action, url in _urls(patient, proposal):
        mark = _mark()
        response = client.get(url)
        assert response.status_code == 404, url
        denials = _denials(mark)
        assert len(denials) == 1, url
        assert denials[0].details == {"action": action, "reason": "role"}
        assert denials[0].outcome == Outcome.DENIED
        assert patient.case_code not in response.content.decode()
    # Nothing was changed by the refused visits.
    response = client.post(
        reverse("lifecycle:destruction_decide", kwargs={"pk": proposal.pk}),
        {"decision": "approve", "confirmation": patient.case_code},
    )
    assert response.status_code == 404
    assert Patient.objects.filter(pk=patient.pk).exists()


def test_only_active_privacy_officers_manage_retention():
    inactive = officer(is_active=False)

    assert can_manage_retention(officer())
    assert not can_manage_retention(inactive)
    assert not can_manage_retention(UserFactory(roles=[Role.MANAGER]))
    assert not can_manage_retention(None)


def test_privacy_officers_open_every_page(client, sign_in):
    patient, proposal = _proposal()
    sign_in(officer())

    for _action, url in _urls(patient, proposal):
        assert client.get(url).status_code == 200, url


def test_unknown_references_get_the_same_404_audited(client, sign_in):
    sign_in(officer())
    not_listed = long_closed_patient()

    for action, url in [
        (
            "retention.propose",
            reverse("lifecycle:retention_propose", kwargs={"patient_uuid": uuid.uuid4()}),
        ),
        (
            "retention.propose",
            reverse("lifecycle:retention_propose", kwargs={"patient_uuid": not_listed.uuid}),
        ),
        ("retention.view_request", reverse("lifecycle:destruction_detail", kwargs={"pk": 999999})),
        ("retention.decide", reverse("lifecycle:destruction_decide", kwargs={"pk": 999999})),
    ]:
        mark = _mark()
        assert client.get(url).status_code == 404
        assert [event.details for event in _denials(mark)] == [
            {"action": action, "reason": "not_found"}
        ]


# --- The candidate list ------------------------------------------------------------------------


def test_the_list_shows_case_code_dates_holds_and_open_proposals(client, sign_in):
    held, _candidate = _listed_case()
    LegalHoldFactory(patient=held)
    proposed, proposal = _proposal()
    user = officer()
    sign_in(user)

    response = client.get(reverse("lifecycle:retention"))

    html = response.content.decode()
    assert response.status_code == 200
    assert held.case_code in html
    assert proposed.case_code in html
    assert "Yes: cannot be destroyed" in html
    assert reverse("lifecycle:destruction_detail", kwargs={"pk": proposal.pk}) in html
    assert reverse("lifecycle:retention_propose", kwargs={"patient_uuid": held.uuid}) not in html
    assert "Patient " not in html  # no preferred name
    event = AuditEvent.objects.get(event_type=EventType.RETENTION_CANDIDATES_VIEWED)
    assert event.actor == user


def _count_queries(client, url) -> int:
    client.get(url)  # once-only work (session bookkeeping) stays out of the measure
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_candidate_list_query_count_does_not_grow(client, sign_in):
    counts = []
    for size in (5, 50):
        RetentionCandidate.objects.all().delete()
        patients = [long_closed_patient() for _ in range(size)]
        retention_review_run()
        LegalHoldFactory(patient=patients[0])
        destruction_propose(
            actor=officer(), candidate=RetentionCandidate.objects.get(patient=patients[1])
        )
        sign_in(officer())
        counts.append(_count_queries(client, reverse("lifecycle:retention")))

    assert counts[0] == counts[1]


def test_the_report_query_count_does_not_grow(client, sign_in):
    counts = []
    proposer, approver = officer(), officer()
    made = 0
    for size in (5, 50):
        while made < size:
            made += 1
            _tombstone(made, officer() if made % 2 else proposer, approver)
        sign_in(officer())
        counts.append(_count_queries(client, reverse("lifecycle:destructions")))

    assert counts[0] == counts[1]


# --- Proposing ---------------------------------------------------------------------------------


def test_the_propose_page_explains_and_counts_and_needs_the_check(client, sign_in):
    patient, _candidate = _listed_case()
    NoteFactory.create_batch(3, patient=patient)
    sign_in(officer())
    url = reverse("lifecycle:retention_propose", kwargs={"patient_uuid": patient.uuid})

    page = client.get(url).content.decode()
    assert "Clinical notes" in page
    assert "older backups" in page

    response = client.post(url, {})
    assert response.status_code == 200
    assert escape(str(CONFIRM_PROPOSAL_REQUIRED)) in response.content.decode()
    assert not DestructionRequest.objects.exists()

    response = client.post(url, {"checked": "on"})
    proposal = DestructionRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "lifecycle:destruction_detail", kwargs={"pk": proposal.pk}
    )
    assert proposal.case_code == patient.case_code
    assert AuditEvent.objects.filter(event_type=EventType.DESTRUCTION_PROPOSED).count() == 1


def test_proposing_a_held_case_is_refused_on_the_page(client, sign_in):
    patient, _candidate = _listed_case()
    LegalHoldFactory(patient=patient)
    sign_in(officer())

    response = client.post(
        reverse("lifecycle:retention_propose", kwargs={"patient_uuid": patient.uuid}),
        {"checked": "on"},
    )

    assert response.status_code == 200
    assert escape(str(LEGAL_HOLD_ACTIVE)) in response.content.decode()
    assert not DestructionRequest.objects.exists()


# --- Deciding ----------------------------------------------------------------------------------


def _decide(client, proposal, **data):
    return client.post(reverse("lifecycle:destruction_decide", kwargs={"pk": proposal.pk}), data)


def test_the_proposer_cannot_approve_on_the_page(client, sign_in):
    proposer = officer()
    patient, proposal = _proposal(proposer)
    sign_in(proposer)

    page = client.get(reverse("lifecycle:destruction_decide", kwargs={"pk": proposal.pk}))
    assert "Approve and destroy the case" not in page.content.decode()

    response = _decide(client, proposal, decision="approve", confirmation=patient.case_code)

    assert response.status_code == 200
    assert escape(str(PROPOSER_CANNOT_DECIDE)) in response.content.decode()
    rejected = _decide(client, proposal, decision="reject")
    assert rejected.status_code == 200
    assert escape(str(PROPOSER_CANNOT_DECIDE)) in rejected.content.decode()
    proposal.refresh_from_db()
    assert proposal.status == DestructionStatus.PROPOSED
    assert Patient.objects.filter(pk=patient.pk).exists()


def test_approval_under_a_legal_hold_is_refused_with_a_clear_message(client, sign_in):
    patient, proposal = _proposal()
    LegalHoldFactory(patient=patient)
    sign_in(officer())

    page = client.get(reverse("lifecycle:destruction_decide", kwargs={"pk": proposal.pk}))
    assert escape(str(LEGAL_HOLD_ACTIVE)) in page.content.decode()

    response = _decide(client, proposal, decision="approve", confirmation=patient.case_code)

    assert response.status_code == 200
    assert escape(str(LEGAL_HOLD_ACTIVE)) in response.content.decode()
    proposal.refresh_from_db()
    assert proposal.status == DestructionStatus.PROPOSED
    assert Patient.objects.filter(pk=patient.pk).exists()
    assert AuditEvent.objects.filter(event_type=EventType.DESTRUCTION_BLOCKED).count() == 1


def test_approval_needs_the_case_code_typed(client, sign_in):
    patient, proposal = _proposal()
    sign_in(officer())

    response = _decide(client, proposal, decision="approve", confirmation="ABCD")

    assert response.status_code == 200
    assert escape(str(CONFIRMATION_MISMATCH)) in response.content.decode()
    assert Patient.objects.filter(pk=patient.pk).exists()


def test_a_second_officer_approves_and_the_case_appears_in_the_report(client, sign_in):
    patient, proposal = _proposal()
    approver = officer()
    sign_in(approver)

    response = _decide(client, proposal, decision="approve", confirmation=patient.case_code.lower())

    assert response.status_code == 302
    assert response["Location"] == reverse("lifecycle:destructions")
    assert not Patient.objects.filter(pk=patient.pk).exists()
    report = client.get(reverse("lifecycle:destructions")).content.decode()
    assert patient.case_code in report
    assert approver.username in report
    assert AuditEvent.objects.filter(
        event_type=EventType.DESTRUCTION_REPORT_VIEWED, actor=approver
    ).exists()
    # The proposal page still opens: it keeps the code and who decided.
    detail = client.get(reverse("lifecycle:destruction_detail", kwargs={"pk": proposal.pk}))
    assert detail.status_code == 200
    assert "Destroyed" in detail.content.decode()


def test_a_second_officer_rejects_on_the_page(client, sign_in):
    patient, proposal = _proposal()
    sign_in(officer())

    response = _decide(client, proposal, decision="reject")

    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == DestructionStatus.REJECTED
    assert Patient.objects.filter(pk=patient.pk).exists()


def test_the_proposer_cancels_after_a_confirmation_page(client, sign_in):
    proposer = officer()
    _patient, proposal = _proposal(proposer)
    sign_in(proposer)
    url = reverse("lifecycle:destruction_cancel", kwargs={"pk": proposal.pk})

    assert "Cancel the proposal" in client.get(url).content.decode()
    response = client.post(url)

    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == DestructionStatus.CANCELLED


# --- The report download -----------------------------------------------------------------------


def test_the_report_downloads_as_csv_and_is_audited(client, sign_in):
    proposer, approver = officer(username="=cmd"), officer()
    tombstone = _tombstone(7, proposer, approver)
    user = officer()
    sign_in(user)

    response = client.get(reverse("lifecycle:destructions_csv"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == [
        "case_code",
        "registered_on",
        "closed_on",
        "destroyed_at",
        "proposed_by",
        "approved_by",
        "destroyed",
    ]
    assert rows[1][0] == tombstone.case_code
    assert rows[1][1:3] == ["2010-01-01", "2012-01-01"]
    assert rows[1][4] == "'=cmd"  # no formula reaches a spreadsheet
    assert rows[1][6] == "patients.clinicalnote=7; patients.patient=1"
    event = AuditEvent.objects.get(event_type=EventType.DESTRUCTION_REPORT_EXPORTED)
    assert event.actor == user
