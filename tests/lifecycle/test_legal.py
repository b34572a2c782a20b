"""Legal requests and holds: each step, the second approval, refusal, redaction, pages."""

from __future__ import annotations

import json

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from carecore.audit.events import EventType, Outcome
from carecore.audit.models import AuditEvent
from lifecycle.forms_legal import TEXT_MAX_LENGTH, LegalBasisForm, RefuseForm
from lifecycle.models import (
    DisclosureEntry,
    DisclosureKind,
    LegalBasis,
    LegalHold,
    LegalRequest,
    LegalRequestStatus,
    ReleasePackage,
    Section,
)
from lifecycle.permissions.legal import LifecycleNotFound
from lifecycle.selectors.retention import legal_hold_active
from lifecycle.services import legal as legal_services
from lifecycle.services.legal import (
    HOLD_ALREADY_LIFTED,
    HOLD_REQUEST_MISMATCH,
    LEGAL_BASIS_NONE,
    LEGAL_CLOSED,
    LEGAL_CONSENT_MISSING,
    LEGAL_SCOPE_CHANGED,
    LEGAL_SECOND_PERSON,
    legal_basis_review,
    legal_hold_lift,
    legal_hold_place,
    legal_release_approve,
    legal_request_refuse,
    legal_request_register,
    legal_scope_decide,
)
from patients.exceptions import PATIENT_NOT_FOUND, InvalidRequest
from patients.models import ConsentPurpose, Sensitivity
from tests.conftest import CANARY_MARKER, canary
from tests.factories import UserFactory
from tests.patients.factories import (
    ConsentFactory,
    FlagFactory,
    NoteFactory,
    PatientFactory,
)

from .factories_legal import (
    AccessRequestFactory,
    DisclosureFactory,
    HoldFactory,
    LegalRequestFactory,
    privacy_officer,
    scoped_request,
)
from .factories_referrals import open_archive

pytestmark = pytest.mark.django_db


def _mark() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def _events(mark: int, event_type: EventType | None = None):
    events = AuditEvent.objects.filter(id__gt=mark)
    if event_type is not None:
        events = events.filter(event_type=event_type)
    return list(events.order_by("id"))


def _types(mark: int) -> list[int]:
    return [event.event_type for event in _events(mark)]


def _no_canary_in_audit() -> None:
    for event in AuditEvent.objects.all():
        assert CANARY_MARKER not in json.dumps(event.details)
        assert CANARY_MARKER not in event.case_code


@pytest.fixture
def record():
    """A patient whose record is full of canaries: names, location, contacts, notes."""
    author = UserFactory(
        username="legal_author_sentinel",
        first_name=canary("author-first"),
        last_name=canary("author-last"),
        roles=["clinician"],
    )
    patient = PatientFactory(
        preferred_name=canary("preferred"),
        current_location=canary("location"),
        phone=canary("phone"),
        document_number=canary("document"),
        emergency_contact_name=canary("emergency"),
    )
    NoteFactory(patient=patient, author=author, body=canary("standard-note"))
    NoteFactory(
        patient=patient,
        author=author,
        body=canary("restricted-note"),
        sensitivity=Sensitivity.RESTRICTED,
    )
    FlagFactory(patient=patient, raised_by=author, details=canary("flag-details"))
    return patient


def _archive_text(built) -> str:
    package = ReleasePackage.objects.get(pk=built.package.pk)
    files = open_archive(bytes(package.archive), built.passphrase)
    return "\n".join(data.decode("utf-8") for data in files.values())


# --- The whole path through the services -----------------------------------------------------


def test_a_legal_request_goes_through_every_step_to_a_release(record):
    first, second = privacy_officer(), privacy_officer()
    mark = _mark()

    request = legal_request_register(
        actor=first,
        patient=record,
        requester_kind="court",
        requester_name=canary("court"),
        reference="AB/1",
        request_summary=canary("summary"),
    )
    legal_basis_review(
        actor=first,
        legal_request=request,
        legal_basis=LegalBasis.COURT_ORDER,
        assessment=canary("assessment"),
    )
    legal_scope_decide(
        actor=first,
        legal_request=request,
        sections=[Section.SUMMARY, Section.NOTES],
    )
    built = legal_release_approve(actor=second, legal_request=request)

    request.refresh_from_db()
    assert request.status == LegalRequestStatus.RELEASED
    assert request.received_by == first
    assert request.basis_reviewed_by == first and request.basis_reviewed_at is not None
    assert request.scope_decided_by == first and request.scope_decided_at is not None
    assert request.approved_by == second and request.approved_at is not None
    assert request.package_id == built.package.pk
    entry = DisclosureEntry.objects.get()
    assert entry.kind == DisclosureKind.LEGAL_RELEASE
    assert entry.legal_request_id == request.pk
    assert entry.legal_basis == LegalBasis.COURT_ORDER
    assert entry.approved_by == second
    assert entry.recipient == canary("court")
    assert entry.sections == [Section.SUMMARY, Section.NOTES]
    assert _types(mark) == [
        EventType.LEGAL_REQUEST_RECEIVED,
        EventType.LEGAL_BASIS_REVIEWED,
        EventType.LEGAL_SCOPE_DECIDED,
        EventType.PACKAGE_BUILT,
        EventType.DISCLOSURE_RECORDED,
        EventType.LEGAL_RELEASE_APPROVED,
    ]
    assert {event.case_code for event in _events(mark)} == {record.case_code}
    _no_canary_in_audit()


def test_the_release_is_redacted_by_default(record):
    request = scoped_request(patient=record)

    built = legal_release_approve(actor=privacy_officer(), legal_request=request)

    text = _archive_text(built)
    assert canary("standard-note") in text
    assert canary("preferred") in text
    for hidden in (
        "restricted-note",
        "location",
        "emergency",
        "flag-details",
        "author-first",
        "author-last",
        "phone",
        "document",
    ):
        assert canary(hidden) not in text, hidden
    assert "legal_author_sentinel" not in text


def test_unredacted_location_and_staff_go_when_the_scope_says_so(record):
    request = scoped_request(patient=record, redact_location=False, redact_staff=False)

    text = _archive_text(legal_release_approve(actor=privacy_officer(), legal_request=request))

    assert canary("location") in text
    assert canary("author-first") in text
    # Restricted notes never go in a legal release.
    assert canary("restricted-note") not in text


# --- Nothing leaves without the second approval ----------------------------------------------


def test_the_privacy_officer_who_decided_the_scope_cannot_approve(record):
    decider = privacy_officer()
    request = scoped_request(patient=record, decided_by=decider)
    mark = _mark()

    with pytest.raises(InvalidRequest) as refusal:
        legal_release_approve(actor=decider, legal_request=request)

    assert refusal.value.message is LEGAL_SECOND_PERSON
    request.refresh_from_db()
    assert request.status == LegalRequestStatus.SCOPE_DECIDED
    assert request.package_id is None
    assert not ReleasePackage.objects.exists()
    assert not DisclosureEntry.objects.exists()
    (denial,) = _events(mark)
    assert denial.event_type == EventType.ACCESS_DENIED
    assert denial.outcome == Outcome.DENIED
    assert denial.details == {"action": "legal.approve", "reason": "second_person"}


def test_the_database_refuses_an_approval_by_the_scope_decider(record):
    request = scoped_request(patient=record)

    with pytest.raises(IntegrityError), transaction.atomic():
        LegalRequest.objects.filter(pk=request.pk).update(approved_by=request.scope_decided_by)


def test_approval_before_the_scope_is_decided_is_refused(record):
    request = LegalRequestFactory(patient=record)

    with pytest.raises(InvalidRequest) as refusal:
        legal_release_approve(actor=privacy_officer(), legal_request=request)

    assert refusal.value.message is legal_services.LEGAL_SCOPE_FIRST
    assert not ReleasePackage.objects.exists()


def test_no_valid_basis_cannot_be_scoped_or_released(record):
    officer = privacy_officer()
    request = LegalRequestFactory(patient=record)
    legal_basis_review(
        actor=officer, legal_request=request, legal_basis=LegalBasis.NONE, assessment="no order"
    )

    with pytest.raises(InvalidRequest) as scoping:
        legal_scope_decide(actor=officer, legal_request=request, sections=[Section.SUMMARY])
    forced = scoped_request(patient=record, basis=LegalBasis.NONE)
    with pytest.raises(InvalidRequest) as release:
        legal_release_approve(actor=privacy_officer(), legal_request=forced)

    assert scoping.value.message is LEGAL_BASIS_NONE
    assert release.value.message is LEGAL_BASIS_NONE
    assert not ReleasePackage.objects.exists()
    assert not DisclosureEntry.objects.exists()


def test_consent_as_the_basis_needs_consent_to_legal_use(record):
    request = scoped_request(patient=record, basis=LegalBasis.CONSENT)

    with pytest.raises(InvalidRequest) as refusal:
        legal_release_approve(actor=privacy_officer(), legal_request=request)
    consent = ConsentFactory(patient=record, purpose=ConsentPurpose.LEGAL_PROCEEDINGS)
    legal_release_approve(actor=privacy_officer(), legal_request=request)

    assert refusal.value.message is LEGAL_CONSENT_MISSING
    assert DisclosureEntry.objects.get().consent == consent


# --- Refusal ---------------------------------------------------------------------------------


def test_a_refused_request_leaves_no_package_and_no_disclosure(record):
    request = scoped_request(patient=record)
    officer = privacy_officer()
    mark = _mark()

    legal_request_refuse(actor=officer, legal_request=request, reason=canary("why not"))
    with pytest.raises(InvalidRequest) as late:
        legal_release_approve(actor=privacy_officer(), legal_request=request)

    request.refresh_from_db()
    assert request.status == LegalRequestStatus.REFUSED
    assert request.outcome_reason == canary("why not")
    assert request.closed_by == officer
    assert late.value.message is LEGAL_CLOSED
    assert not ReleasePackage.objects.exists()
    assert not DisclosureEntry.objects.exists()
    assert _types(mark) == [EventType.LEGAL_REQUEST_REFUSED]
    _no_canary_in_audit()


# --- Holds -----------------------------------------------------------------------------------


def test_placing_and_lifting_a_hold_is_audited_and_read_by_retention(record):
    officer = privacy_officer()
    request = LegalRequestFactory(patient=record)
    mark = _mark()

    hold = legal_hold_place(
        actor=officer, patient=record, reason=canary("hold"), legal_request=request
    )
    on_hold = legal_hold_active(patient_id=record.pk)
    legal_hold_lift(actor=privacy_officer(), hold=hold)

    assert on_hold is True
    assert legal_hold_active(patient_id=record.pk) is False
    hold.refresh_from_db()
    assert hold.lifted_at is not None and hold.legal_request == request
    placed, lifted = _events(mark)
    assert placed.event_type == EventType.LEGAL_HOLD_PLACED
    assert placed.details == {"hold": hold.pk, "legal_request": request.pk}
    assert lifted.event_type == EventType.LEGAL_HOLD_LIFTED
    assert placed.case_code == lifted.case_code == record.case_code
    _no_canary_in_audit()


def test_a_hold_is_lifted_once_and_links_only_its_own_patients_request(record):
    hold = HoldFactory(patient=record)
    legal_hold_lift(actor=privacy_officer(), hold=hold)
    other_request = LegalRequestFactory()

    with pytest.raises(InvalidRequest) as twice:
        legal_hold_lift(actor=privacy_officer(), hold=hold)
    with pytest.raises(InvalidRequest) as mismatch:
        legal_hold_place(
            actor=privacy_officer(), patient=record, reason="x", legal_request=other_request
        )

    assert twice.value.message is HOLD_ALREADY_LIFTED
    assert mismatch.value.message is HOLD_REQUEST_MISMATCH
    assert LegalHold.objects.count() == 1


def test_services_refuse_anyone_but_a_privacy_officer_with_an_audited_404(record, manager):
    mark = _mark()

    with pytest.raises(LifecycleNotFound):
        legal_hold_place(actor=manager, patient=record, reason="x")
    with pytest.raises(LifecycleNotFound):
        legal_release_approve(actor=manager, legal_request=scoped_request(patient=record))

    assert not LegalHold.objects.exists()
    assert not ReleasePackage.objects.exists()
    denials = _events(mark, EventType.ACCESS_DENIED)
    assert [event.details["action"] for event in denials] == ["legal.hold_place", "legal.approve"]


# --- Pages -----------------------------------------------------------------------------------

PAGES = [
    ("lifecycle:legal_requests", False),
    ("lifecycle:legal_request_new", False),
    ("lifecycle:legal_request_detail", True),
    ("lifecycle:legal_request_basis", True),
    ("lifecycle:legal_request_scope", True),
    ("lifecycle:legal_request_approve", True),
    ("lifecycle:legal_request_refuse", True),
    ("lifecycle:legal_request_package", True),
    ("lifecycle:legal_holds", False),
    ("lifecycle:legal_hold_new", False),
]


@pytest.mark.parametrize("persona", ["clinician", "manager", "reception", "admin_user"])
@pytest.mark.parametrize(("name", "with_uuid"), PAGES)
def test_legal_pages_are_a_404_for_anyone_but_a_privacy_officer(
    request, client, sign_in, persona, name, with_uuid
):
    legal_request = scoped_request()
    sign_in(request.getfixturevalue(persona))
    url = reverse(name, kwargs={"request_uuid": legal_request.uuid} if with_uuid else {})
    mark = _mark()

    response = client.get(url)

    assert response.status_code == 404
    (denial,) = _events(mark)
    assert denial.event_type == EventType.ACCESS_DENIED
    assert denial.details["reason"] == "role"
    assert "District court" not in response.content.decode()


@pytest.mark.parametrize("persona", ["clinician", "manager"])
def test_lifting_a_hold_is_a_404_for_others(request, client, sign_in, persona):
    hold = HoldFactory()
    sign_in(request.getfixturevalue(persona))
    mark = _mark()

    response = client.post(reverse("lifecycle:legal_hold_lift", kwargs={"hold_id": hold.pk}))

    assert response.status_code == 404
    assert [e.event_type for e in _events(mark)] == [EventType.ACCESS_DENIED]
    hold.refresh_from_db()
    assert hold.lifted_at is None


def test_the_package_cannot_be_downloaded_before_the_release(client, sign_in, privacy_officer):
    legal_request = scoped_request()
    sign_in(privacy_officer)
    mark = _mark()

    response = client.get(
        reverse("lifecycle:legal_request_package", kwargs={"request_uuid": legal_request.uuid})
    )

    assert response.status_code == 404
    assert _types(mark) == [EventType.ACCESS_DENIED]
    assert _events(mark)[0].details == {"action": "legal.download", "reason": "not_found"}


def test_a_scope_decided_again_while_the_approver_reviews_is_not_released(client, sign_in, record):
    decider, approver = privacy_officer(), privacy_officer()
    legal_request = scoped_request(patient=record, decided_by=decider)
    kwargs = {"request_uuid": legal_request.uuid}
    sign_in(approver)
    shown = client.get(reverse("lifecycle:legal_request_approve", kwargs=kwargs))
    seen = shown.context["form"]["scope_seen"].value()
    assert seen
    # Meanwhile the first officer decides again: the location is no longer redacted.
    legal_scope_decide(
        actor=decider,
        legal_request=legal_request,
        sections=["summary", "notes"],
        redact_location=False,
    )

    stale = client.post(
        reverse("lifecycle:legal_request_approve", kwargs=kwargs),
        {"confirm": "on", "scope_seen": seen},
    )

    assert stale.status_code == 200
    assert str(LEGAL_SCOPE_CHANGED) in stale.content.decode()
    assert "passphrase" not in stale.context
    legal_request.refresh_from_db()
    assert legal_request.status == LegalRequestStatus.SCOPE_DECIDED
    assert ReleasePackage.objects.count() == 0
    assert DisclosureEntry.objects.count() == 0
    # The page now carries the scope as it is: approving that goes ahead.
    fresh = stale.context["form"]["scope_seen"].value()
    assert fresh == legal_request.scope_decided_at.isoformat() != seen
    approved = client.post(
        reverse("lifecycle:legal_request_approve", kwargs=kwargs),
        {"confirm": "on", "scope_seen": fresh},
    )
    assert approved.status_code == 200
    assert approved.context["passphrase"]
    legal_request.refresh_from_db()
    assert legal_request.status == LegalRequestStatus.RELEASED


def test_a_privacy_officer_handles_a_request_end_to_end_in_the_browser(client, sign_in, record):
    first, second = privacy_officer(), privacy_officer()
    sign_in(first)

    response = client.post(
        reverse("lifecycle:legal_request_new"),
        {
            "case_code": record.case_code,
            "requester_kind": "police",
            "requester_name": "Regional police",
            "reference": "",
            "request_summary": "statement of injuries",
            "received_on": "2024-01-10",
        },
    )
    legal_request = LegalRequest.objects.get()
    assert response.status_code == 302
    assert response.url == reverse(
        "lifecycle:legal_request_detail", kwargs={"request_uuid": legal_request.uuid}
    )
    kwargs = {"request_uuid": legal_request.uuid}
    response = client.post(
        reverse("lifecycle:legal_request_basis", kwargs=kwargs),
        {"legal_basis": "legal_obligation", "assessment": "statutory duty to report"},
    )
    assert response.status_code == 302
    # Unticked boxes are not posted: redaction is switched off only by leaving them out.
    response = client.post(
        reverse("lifecycle:legal_request_scope", kwargs=kwargs),
        {
            "sections": ["summary", "notes"],
            "redact_third_parties": "on",
            "redact_staff": "on",
            "redact_location": "on",
        },
    )
    assert response.status_code == 302
    own = client.post(reverse("lifecycle:legal_request_approve", kwargs=kwargs), {"confirm": "on"})
    assert own.status_code == 200
    assert str(LEGAL_SECOND_PERSON) in own.content.decode()

    sign_in(second)
    approved = client.post(
        reverse("lifecycle:legal_request_approve", kwargs=kwargs), {"confirm": "on"}
    )
    download = client.get(reverse("lifecycle:legal_request_package", kwargs=kwargs))

    assert approved.status_code == 200
    assert "no-store" in approved["Cache-Control"]
    passphrase = approved.context["passphrase"]
    assert passphrase in approved.content.decode()
    assert download.status_code == 200
    assert download["Content-Type"] == "application/zip"
    assert download["Content-Disposition"].startswith("attachment;")
    assert "no-store" in download["Cache-Control"]
    files = open_archive(download.content, passphrase)
    assert canary("standard-note") in files["record.html"].decode()
    assert AuditEvent.objects.filter(event_type=EventType.PACKAGE_DOWNLOADED).count() == 1
    legal_request.refresh_from_db()
    assert legal_request.status == LegalRequestStatus.RELEASED
    assert DisclosureEntry.objects.get().legal_request == legal_request
    detail = client.get(reverse("lifecycle:legal_request_detail", kwargs=kwargs))
    assert passphrase not in detail.content.decode()


def test_an_unknown_case_code_saves_nothing(client, sign_in, privacy_officer):
    sign_in(privacy_officer)

    response = client.post(
        reverse("lifecycle:legal_request_new"),
        {
            "case_code": "ZZZZ-ZZZZ-Z",
            "requester_kind": "court",
            "requester_name": "A court",
            "request_summary": "everything",
            "received_on": "2024-01-10",
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors["case_code"] == [str(PATIENT_NOT_FOUND)]
    assert not LegalRequest.objects.exists()


def test_a_hold_is_placed_and_lifted_through_the_pages(client, sign_in, privacy_officer, record):
    sign_in(privacy_officer)

    placed = client.post(
        reverse("lifecycle:legal_hold_new"), {"case_code": record.case_code, "reason": "trial"}
    )
    hold = LegalHold.objects.get()
    unconfirmed = client.post(reverse("lifecycle:legal_hold_lift", kwargs={"hold_id": hold.pk}))
    hold.refresh_from_db()
    still_on = hold.lifted_at is None
    lifted = client.post(
        reverse("lifecycle:legal_hold_lift", kwargs={"hold_id": hold.pk}), {"confirm": "on"}
    )

    assert placed.status_code == 302
    assert unconfirmed.status_code == 200 and still_on
    assert lifted.status_code == 302
    hold.refresh_from_db()
    assert hold.lifted_by == privacy_officer


def test_the_detail_page_is_audited_without_free_text(client, sign_in, privacy_officer):
    legal_request = LegalRequestFactory(requester_name=canary("court"))
    sign_in(privacy_officer)
    mark = _mark()

    response = client.get(
        reverse("lifecycle:legal_request_detail", kwargs={"request_uuid": legal_request.uuid})
    )

    assert response.status_code == 200
    assert canary("court") in response.content.decode()
    (viewed,) = _events(mark)
    assert viewed.event_type == EventType.LEGAL_REQUEST_VIEWED
    assert viewed.details == {"legal_request": legal_request.pk}
    _no_canary_in_audit()


def _count_queries(client, url) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_request_and_hold_lists_do_not_grow_in_queries(client, sign_in, privacy_officer):
    sign_in(privacy_officer)
    counts = []
    for size in (5, 50):
        for _ in range(size - LegalRequest.objects.count()):
            legal_request = LegalRequestFactory()
            HoldFactory(patient=legal_request.patient, legal_request=legal_request)
        counts.append(
            (
                _count_queries(client, reverse("lifecycle:legal_requests")),
                _count_queries(client, reverse("lifecycle:legal_holds") + "?all=1"),
            )
        )

    assert counts[0] == counts[1]


def test_every_page_renders_for_a_privacy_officer(client, sign_in, privacy_officer, record):
    legal_request = scoped_request(patient=record)
    hold = HoldFactory(patient=record, legal_request=legal_request)
    access_request = AccessRequestFactory(patient=record)
    DisclosureFactory(patient=record)
    sign_in(privacy_officer)
    legal = {"request_uuid": legal_request.uuid}
    access = {"request_uuid": access_request.uuid}
    patient = {"patient_uuid": record.uuid}
    urls = [
        reverse("lifecycle:legal_requests"),
        reverse("lifecycle:legal_request_new"),
        reverse("lifecycle:legal_request_detail", kwargs=legal),
        reverse("lifecycle:legal_request_basis", kwargs=legal),
        reverse("lifecycle:legal_request_scope", kwargs=legal),
        reverse("lifecycle:legal_request_approve", kwargs=legal),
        reverse("lifecycle:legal_request_refuse", kwargs=legal),
        reverse("lifecycle:legal_holds"),
        reverse("lifecycle:legal_hold_new") + f"?request={legal_request.uuid}",
        reverse("lifecycle:legal_hold_lift", kwargs={"hold_id": hold.pk}),
        reverse("lifecycle:access_requests"),
        reverse("lifecycle:access_request_new"),
        reverse("lifecycle:access_request_detail", kwargs=access),
        reverse("lifecycle:access_request_review", kwargs=access),
        reverse("lifecycle:access_request_release", kwargs=access),
        reverse("lifecycle:access_request_refuse", kwargs=access),
        reverse("lifecycle:register"),
        reverse("lifecycle:patient_register", kwargs=patient),
        reverse("lifecycle:disclosure_new", kwargs=patient),
        reverse("lifecycle:patient_report", kwargs=patient),
        reverse("lifecycle:research_export"),
    ]
    for url in urls:
        response = client.get(url)

        assert response.status_code == 200, url
        content = response.content.decode()
        assert "style=" not in content and "onclick" not in content, url


def test_free_text_fields_refuse_a_pasted_document():
    too_long = "x" * (TEXT_MAX_LENGTH + 1)

    basis = LegalBasisForm(data={"legal_basis": "court_order", "assessment": too_long})
    refusal = RefuseForm(data={"reason": too_long})

    assert not basis.is_valid()
    assert "assessment" in basis.errors
    assert not refusal.is_valid()
    assert "reason" in refusal.errors
