"""Factories for retention tests. They write rows directly (no audit): for arranging only.

`rich_patient` builds a closed case with a row in every table that can hold a patient's data,
so the destruction tests can check that nothing is left behind.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from typing import Any

import factory
from django.utils import timezone

from carecore.accounts.roles import Role
from carecore.crypto.cipher import encrypt_bytes
from lifecycle.models import (
    DestructionRequest,
    DisclosureEntry,
    DisclosureKind,
    LegalBasis,
    LegalHold,
    LegalRequest,
    LegalRequestStatus,
    PackageKind,
    PartnerKind,
    PartnerOrganisation,
    PatientAccessRequest,
    Referral,
    ReferralKind,
    ReleasePackage,
    RequesterKind,
)
from patients.models import (
    Attachment,
    AttachmentType,
    CareTeamRole,
    ConsentPurpose,
    IntakeExplanation,
    NotificationKind,
    Patient,
    PatientStatus,
    PrivacyNotification,
    Stage,
)
from supervision.models import CaseDiscussed, SessionStatus
from tests.factories import UserFactory
from tests.patients.factories import (
    ConsentFactory,
    FlagFactory,
    GoalFactory,
    GrantFactory,
    MembershipFactory,
    NoteFactory,
    PatientFactory,
    clinician,
)
from tests.supervision.factories import SessionFactory, TransferFactory


def officer(**kwargs: Any):
    """Return a new privacy officer (a manager with the designation)."""
    return UserFactory(roles=[Role.MANAGER], is_privacy_officer=True, **kwargs)


def closed_patient(
    closed_on: dt.date,
    *,
    date_of_birth: dt.date | None = None,
    approximate_age: int | None = None,
    **kwargs: Any,
) -> Patient:
    """Return a patient whose case closed on `closed_on` (an adult unless a birth date says not)."""
    if date_of_birth is None and approximate_age is None:
        date_of_birth = dt.date(1980, 1, 1)
    return PatientFactory(
        status=PatientStatus.CLOSED,
        stage=Stage.CLOSED,
        closed_on=closed_on,
        registered_on=closed_on - dt.timedelta(days=700),
        date_of_birth=date_of_birth,
        approximate_age=approximate_age,
        **kwargs,
    )


def long_closed_patient(**kwargs: Any) -> Patient:
    """Return an adult's case closed long enough ago to be past every default period."""
    return closed_patient(timezone.localdate() - dt.timedelta(days=365 * 12), **kwargs)


class LegalHoldFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LegalHold

    patient = factory.SubFactory(PatientFactory)
    reason = "court order pending"
    placed_by = factory.LazyFunction(officer)
    lifted_at = None


class ProposalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DestructionRequest

    patient = factory.SubFactory(PatientFactory)
    case_code = factory.SelfAttribute("patient.case_code")
    proposed_by = factory.LazyFunction(officer)


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PartnerOrganisation

    name = factory.Sequence(lambda n: f"Partner {n}")
    country = "Somewhere"
    kind = PartnerKind.HEALTH_PROVIDER
    secure_contact_route = "secure portal"
    created_by = factory.LazyFunction(officer)


ATTACHMENT_PLAINTEXT = b"%PDF-1.4 retention test attachment"


@dataclass
class RichPatient:
    """A closed case with a row in every table that can hold its data."""

    patient: Patient
    other_staff: list[Any] = field(default_factory=list)
    attachment_content: bytes = b""
    package_archive: bytes = b""


def _package(patient: Patient, creator: Any, kind: PackageKind, marker: bytes) -> ReleasePackage:
    return ReleasePackage.objects.create(
        patient=patient,
        kind=kind,
        archive=b"ZIPDATA-" + marker + secrets.token_bytes(16),
        archive_sha256="0" * 64,
        manifest=[{"name": "record.html", "sha256": "1" * 64}],
        created_by=creator,
    )


def rich_patient(**kwargs: Any) -> RichPatient:
    """Return a long-closed case with notes (one amended), plan, consents, flags, attachment,
    care team, break-glass grant and notice, intake explanation, supervision discussion and
    transfer request, referral, legal request with a lifted hold, access copy and disclosures."""
    patient = long_closed_patient(**kwargs)
    lead = clinician()
    officer_user = officer()
    MembershipFactory(patient=patient, clinician=lead, role=CareTeamRole.LEAD)
    note = NoteFactory(patient=patient, author=lead)
    amendment = NoteFactory(patient=patient, author=lead, amends=note)
    NoteFactory(patient=patient, author=lead, amends=amendment)
    GoalFactory(patient=patient, created_by=lead)
    ConsentFactory(patient=patient, explained_by=lead)
    sharing = ConsentFactory(
        patient=patient, explained_by=lead, purpose=ConsentPurpose.EXTERNAL_SHARING
    )
    FlagFactory(patient=patient, raised_by=lead)
    content = encrypt_bytes(ATTACHMENT_PLAINTEXT)
    Attachment.objects.create(
        patient=patient,
        uploaded_by=lead,
        original_filename="passport.pdf",
        content_type=AttachmentType.PDF,
        size=len(ATTACHMENT_PLAINTEXT),
        content=content,
    )
    IntakeExplanation.objects.create(patient=patient, explained_by=lead, note="explained")
    grant = GrantFactory(patient=patient)
    PrivacyNotification.objects.create(
        recipient=officer_user, kind=NotificationKind.BREAK_GLASS_GRANTED, break_glass_grant=grant
    )
    session = SessionFactory(supervisee=lead, status=SessionStatus.HELD)
    CaseDiscussed.objects.create(session=session, patient=patient, presented_by=lead)
    TransferFactory(patient=patient, requester=lead)

    partner = PartnerFactory()
    referral_package = _package(patient, lead, PackageKind.REFERRAL, b"referral")
    referral = Referral.objects.create(
        patient=patient,
        partner=partner,
        kind=ReferralKind.REFERRAL,
        purpose="continuing care",
        consent=sharing,
        prepared_by=lead,
        package=referral_package,
    )
    legal_package = _package(patient, officer_user, PackageKind.LEGAL_RELEASE, b"legal")
    legal = LegalRequest.objects.create(
        patient=patient,
        requester_kind=RequesterKind.COURT,
        requester_name="District court",
        request_summary="records for a hearing",
        received_by=officer_user,
        status=LegalRequestStatus.RECEIVED,
        package=legal_package,
    )
    LegalHoldFactory(
        patient=patient,
        legal_request=legal,
        placed_by=officer_user,
        lifted_by=officer_user,
        lifted_at=timezone.now() - dt.timedelta(days=30),
    )
    access_package = _package(patient, officer_user, PackageKind.PATIENT_ACCESS, b"access")
    access = PatientAccessRequest.objects.create(
        patient=patient, received_by=officer_user, package=access_package
    )
    for kind, extra in (
        (DisclosureKind.REFERRAL, {"referral": referral, "partner": partner, "consent": sharing}),
        (DisclosureKind.LEGAL_RELEASE, {"legal_request": legal, "recipient": "court"}),
        (DisclosureKind.PATIENT_ACCESS, {"access_request": access, "recipient": "patient"}),
    ):
        DisclosureEntry.objects.create(
            patient=patient,
            kind=kind,
            purpose="purpose",
            legal_basis=LegalBasis.CONSENT,
            recorded_by=officer_user,
            # Long ago, so the register's own period has ended too.
            disclosed_at=timezone.now() - dt.timedelta(days=365 * 12),
            **extra,
        )
    return RichPatient(
        patient=patient,
        other_staff=[lead, officer_user],
        attachment_content=content,
        package_archive=referral_package.archive,
    )
