"""Patient access copies: safety review first, a second person releases, staff redacted."""

from __future__ import annotations

import json

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from carecore.audit.events import EventType
from carecore.audit.models import AuditEvent
from lifecycle.models import (
    AccessRequestStatus,
    DisclosureEntry,
    DisclosureKind,
    LegalBasis,
    PatientAccessRequest,
    ReleasePackage,
    Section,
)
from lifecycle.permissions.legal import LifecycleNotFound
from lifecycle.services.access import (
    ACCESS_NOT_SAFE,
    ACCESS_RECIPIENT,
    ACCESS_REVIEW_CHANGED,
    ACCESS_REVIEW_FIRST,
    ACCESS_SECOND_PERSON,
    ACCESS_STAFF_REASON_REQUIRED,
    access_copy_release,
    access_request_record,
    access_request_refuse,
    access_safety_review,
)
from patients.exceptions import InvalidRequest
from patients.models import Sensitivity
from tests.conftest import CANARY_MARKER, canary
from tests.factories import UserFactory
from tests.patients.factories import (
    FlagFactory,
    GrantFactory,
    MembershipFactory,
    NoteFactory,
    PatientFactory,
    clinician,
)

from .factories_legal import AccessRequestFactory, privacy_officer
from .factories_referrals import open_archive, team

pytestmark = pytest.mark.django_db

ALL = list(Section.values)


def _mark() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def _events(mark: int):
    return list(AuditEvent.objects.filter(id__gt=mark).order_by("id"))


@pytest.fixture
def world():
    """A patient (canaries everywhere) with a lead and a member; staff with canary names."""
    patient = PatientFactory(
        preferred_name=canary("preferred"),
        current_location=canary("location"),
        phone=canary("phone"),
        emergency_contact_name=canary("emergency"),
    )
    patient, lead, member = team(patient)
    author = UserFactory(
        username="access_author_sentinel",
        first_name=canary("author-first"),
        last_name=canary("author-last"),
        roles=["clinician"],
    )
    NoteFactory(patient=patient, author=author, body=canary("standard-note"))
    NoteFactory(patient=patient, author=lead, body=canary("lead-note"))
    NoteFactory(
        patient=patient,
        author=author,
        body=canary("restricted-note"),
        sensitivity=Sensitivity.RESTRICTED,
    )
    FlagFactory(patient=patient, raised_by=author, details=canary("flag-details"))
    return {"patient": patient, "lead": lead, "member": member, "author": author}


def _reviewed(world, *, safe=True, **kwargs):
    access_request = AccessRequestFactory(patient=world["patient"], received_by=world["member"])
    return access_safety_review(
        actor=world["lead"],
        access_request=access_request,
        review=canary("review"),
        safe_to_release=safe,
        sections=kwargs.pop("sections", ALL),
        **kwargs,
    )


def _archive_text(built) -> str:
    package = ReleasePackage.objects.get(pk=built.package.pk)
    files = open_archive(bytes(package.archive), built.passphrase)
    return "\n".join(data.decode("utf-8") for data in files.values())


def test_a_copy_goes_through_review_and_release_and_is_registered(world):
    mark = _mark()

    access_request = access_request_record(actor=world["member"], patient=world["patient"])
    access_safety_review(
        actor=world["lead"],
        access_request=access_request,
        review=canary("review"),
        safe_to_release=True,
        sections=ALL,
    )
    built = access_copy_release(actor=world["member"], access_request=access_request)

    access_request.refresh_from_db()
    assert access_request.status == AccessRequestStatus.RELEASED
    assert access_request.reviewed_by == world["lead"]
    assert access_request.closed_by == world["member"]
    assert access_request.package_id == built.package.pk
    entry = DisclosureEntry.objects.get()
    assert entry.kind == DisclosureKind.PATIENT_ACCESS
    assert entry.legal_basis == LegalBasis.PATIENT_REQUEST
    assert entry.recipient == ACCESS_RECIPIENT
    assert entry.access_request == access_request
    assert entry.approved_by == world["member"]
    assert [event.event_type for event in _events(mark)] == [
        EventType.ACCESS_REQUEST_RECEIVED,
        EventType.ACCESS_SAFETY_REVIEWED,
        EventType.PACKAGE_BUILT,
        EventType.DISCLOSURE_RECORDED,
        EventType.ACCESS_COPY_RELEASED,
    ]
    for event in AuditEvent.objects.all():
        assert CANARY_MARKER not in json.dumps(event.details)


def test_staff_identities_are_redacted_by_default(world):
    access_request = _reviewed(world)

    text = _archive_text(access_copy_release(actor=world["member"], access_request=access_request))

    assert canary("standard-note") in text and canary("lead-note") in text
    for staff in (world["author"], world["lead"], world["member"]):
        assert staff.username not in text
        assert staff.last_name not in text
    for hidden in ("author-first", "author-last", "restricted-note", "location", "emergency"):
        assert canary(hidden) not in text, hidden
    assert canary("flag-details") not in text and canary("phone") not in text


def test_naming_staff_needs_a_reason_and_then_names_them(world):
    access_request = AccessRequestFactory(patient=world["patient"])
    with pytest.raises(InvalidRequest) as refusal:
        access_safety_review(
            actor=world["lead"],
            access_request=access_request,
            review="fine",
            safe_to_release=True,
            sections=ALL,
            redact_staff=False,
        )
    assert refusal.value.message is ACCESS_STAFF_REASON_REQUIRED

    reviewed = _reviewed(world, redact_staff=False, staff_reason="the patient's lawyer asks")
    text = _archive_text(access_copy_release(actor=world["member"], access_request=reviewed))

    assert canary("author-first") in text
    assert "the patient's lawyer asks" in reviewed.safety_review


def test_the_safety_review_is_required_before_release(world):
    access_request = AccessRequestFactory(patient=world["patient"])

    with pytest.raises(InvalidRequest) as refusal:
        access_copy_release(actor=world["member"], access_request=access_request)

    assert refusal.value.message is ACCESS_REVIEW_FIRST
    assert not ReleasePackage.objects.exists()
    assert not DisclosureEntry.objects.exists()


def test_a_copy_found_not_safe_is_not_released(world):
    access_request = _reviewed(world, safe=False)

    with pytest.raises(InvalidRequest) as refusal:
        access_copy_release(actor=world["member"], access_request=access_request)

    assert refusal.value.message is ACCESS_NOT_SAFE
    assert not ReleasePackage.objects.exists()


def test_the_reviewer_cannot_release_their_own_review(world):
    access_request = _reviewed(world)
    mark = _mark()

    with pytest.raises(InvalidRequest) as refusal:
        access_copy_release(actor=world["lead"], access_request=access_request)

    assert refusal.value.message is ACCESS_SECOND_PERSON
    assert not ReleasePackage.objects.exists()
    (denial,) = _events(mark)
    assert denial.event_type == EventType.ACCESS_DENIED
    assert denial.details == {"action": "access.release", "reason": "second_person"}


def test_a_refused_request_leaves_no_copy(world):
    access_request = _reviewed(world, safe=False)
    mark = _mark()

    access_request_refuse(actor=world["lead"], access_request=access_request, reason="unsafe")

    access_request.refresh_from_db()
    assert access_request.status == AccessRequestStatus.REFUSED
    assert access_request.outcome_reason == "unsafe"
    assert not ReleasePackage.objects.exists()
    assert not DisclosureEntry.objects.exists()
    assert [event.event_type for event in _events(mark)] == [EventType.ACCESS_REQUEST_REFUSED]


def test_only_the_care_team_or_a_privacy_officer_records_and_only_the_lead_reviews(world):
    outsider = clinician()
    emergency = GrantFactory(patient=world["patient"]).clinician
    mark = _mark()

    for actor in (outsider, emergency, UserFactory(roles=["manager"])):
        with pytest.raises(LifecycleNotFound):
            access_request_record(actor=actor, patient=world["patient"])
    access_request = access_request_record(actor=privacy_officer(), patient=world["patient"])
    with pytest.raises(LifecycleNotFound):
        access_safety_review(
            actor=world["member"],
            access_request=access_request,
            review="x",
            safe_to_release=True,
            sections=ALL,
        )

    assert PatientAccessRequest.objects.count() == 1
    denials = [e for e in _events(mark) if e.event_type == EventType.ACCESS_DENIED]
    assert [e.details["action"] for e in denials] == ["access.record"] * 3 + ["access.review"]


# --- Pages -----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["reception", "admin_user", "manager"])
@pytest.mark.parametrize("name", ["lifecycle:access_requests", "lifecycle:access_request_new"])
def test_access_pages_are_a_404_for_other_roles(request, client, sign_in, persona, name):
    sign_in(request.getfixturevalue(persona))
    mark = _mark()

    response = client.get(reverse(name))

    assert response.status_code == 404
    assert [e.event_type for e in _events(mark)] == [EventType.ACCESS_DENIED]


@pytest.mark.parametrize(
    "name",
    [
        "lifecycle:access_request_detail",
        "lifecycle:access_request_review",
        "lifecycle:access_request_release",
        "lifecycle:access_request_refuse",
        "lifecycle:access_request_package",
    ],
)
def test_a_clinician_outside_the_team_gets_a_404(world, client, sign_in, name):
    access_request = _reviewed(world)
    sign_in(clinician())
    mark = _mark()

    response = client.get(reverse(name, kwargs={"request_uuid": access_request.uuid}))

    assert response.status_code == 404
    (denial,) = _events(mark)
    assert denial.event_type == EventType.ACCESS_DENIED
    assert denial.case_code == world["patient"].case_code


def test_the_copy_is_released_and_downloaded_through_the_pages(world, client, sign_in):
    access_request = _reviewed(world)
    kwargs = {"request_uuid": access_request.uuid}
    sign_in(world["member"])

    early = client.get(reverse("lifecycle:access_request_package", kwargs=kwargs))
    released = client.post(
        reverse("lifecycle:access_request_release", kwargs=kwargs), {"confirm": "on"}
    )
    download = client.get(reverse("lifecycle:access_request_package", kwargs=kwargs))

    assert early.status_code == 404
    assert released.status_code == 200
    assert "no-store" in released["Cache-Control"]
    passphrase = released.context["passphrase"]
    assert download.status_code == 200
    assert download["Content-Type"] == "application/zip"
    assert "no-store" in download["Cache-Control"]
    html = open_archive(download.content, passphrase)["record.html"].decode()
    assert canary("standard-note") in html
    assert world["author"].username not in html
    assert AuditEvent.objects.filter(event_type=EventType.PACKAGE_DOWNLOADED).count() == 1


def test_a_review_redone_while_the_releaser_reads_it_is_not_released(world, client, sign_in):
    access_request = _reviewed(world, sections=["summary"])
    kwargs = {"request_uuid": access_request.uuid}
    sign_in(world["member"])
    shown = client.get(reverse("lifecycle:access_request_release", kwargs=kwargs))
    seen = shown.context["form"]["review_seen"].value()
    assert seen
    # Meanwhile a privacy officer redoes the review: every part, staff named.
    access_safety_review(
        actor=privacy_officer(),
        access_request=access_request,
        review="redone",
        safe_to_release=True,
        sections=ALL,
        redact_staff=False,
        staff_reason="the patient asked who treated them",
    )

    stale = client.post(
        reverse("lifecycle:access_request_release", kwargs=kwargs),
        {"confirm": "on", "review_seen": seen},
    )

    assert stale.status_code == 200
    assert str(ACCESS_REVIEW_CHANGED) in stale.content.decode()
    assert "passphrase" not in stale.context
    access_request.refresh_from_db()
    assert access_request.status == AccessRequestStatus.SAFETY_REVIEWED
    assert ReleasePackage.objects.count() == 0
    assert DisclosureEntry.objects.count() == 0
    fresh = stale.context["form"]["review_seen"].value()
    assert fresh == access_request.reviewed_at.isoformat() != seen
    released = client.post(
        reverse("lifecycle:access_request_release", kwargs=kwargs),
        {"confirm": "on", "review_seen": fresh},
    )
    assert released.status_code == 200
    assert released.context["passphrase"]


def test_the_review_page_records_the_review(world, client, sign_in):
    access_request = AccessRequestFactory(patient=world["patient"])
    sign_in(world["lead"])

    response = client.post(
        reverse("lifecycle:access_request_review", kwargs={"request_uuid": access_request.uuid}),
        {"review": "lives alone, safe", "safe_to_release": "yes", "sections": ["summary"]},
    )

    assert response.status_code == 302
    access_request.refresh_from_db()
    assert access_request.status == AccessRequestStatus.SAFETY_REVIEWED
    assert access_request.safe_to_release is True
    assert access_request.redact_staff is True
    assert access_request.sections == ["summary"]


def _count_queries(client, url) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("viewer", ["privacy_officer", "clinician"])
def test_the_access_list_does_not_grow_in_queries(request, client, sign_in, viewer):
    user = request.getfixturevalue(viewer)
    sign_in(user)
    counts = []
    for size in (5, 50):
        for _ in range(size - PatientAccessRequest.objects.count()):
            patient, _lead, _member = team()
            if viewer == "clinician":
                MembershipFactory(patient=patient, clinician=user)
            AccessRequestFactory(patient=patient)
        counts.append(_count_queries(client, reverse("lifecycle:access_requests")))

    assert counts[0] == counts[1]


def test_the_database_refuses_a_copy_released_by_its_own_reviewer():
    officer = privacy_officer()
    access = AccessRequestFactory(reviewed_by=officer, safe_to_release=True)
    package = ReleasePackage.objects.create(
        patient=access.patient, kind="patient_access", archive=b"x", created_by=officer
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        type(access).objects.filter(pk=access.pk).update(
            status=AccessRequestStatus.RELEASED, closed_by=officer, package=package
        )
