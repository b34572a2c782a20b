"""Factories for partners and referrals. They write rows directly (no audit): arrange only."""

from __future__ import annotations

import io

import factory
import pyzipper

from carecore.crypto.cipher import encrypt_bytes
from lifecycle.models import PartnerKind, PartnerOrganisation, Referral, ReferralKind, Section
from patients.models import (
    Attachment,
    AttachmentType,
    CareTeamRole,
    ConsentPurpose,
    Patient,
)
from tests.factories import UserFactory
from tests.patients.factories import (
    ConsentFactory,
    MembershipFactory,
    PatientFactory,
    clinician,
)

# A valid 1x1 PNG, enough for the magic-byte check and a browser.
PNG_BYTES = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PartnerOrganisation

    name = factory.Sequence(lambda n: f"Partner clinic {n}")
    country = "Netherlands"
    kind = PartnerKind.HEALTH_PROVIDER
    secure_contact_route = "secure mail via the regional portal"
    created_by = factory.SubFactory(UserFactory)


class ReferralFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Referral

    patient = factory.SubFactory(PatientFactory)
    partner = factory.SubFactory(PartnerFactory)
    kind = ReferralKind.REFERRAL
    purpose = "continuity of care"
    sections = factory.LazyFunction(lambda: [Section.SUMMARY.value])
    prepared_by = factory.LazyFunction(clinician)


def attachment_add(patient: Patient, *, by=None, data: bytes = PNG_BYTES, name: str = "scan.png"):
    """Store an encrypted PNG on `patient`'s record and return it."""
    return Attachment.objects.create(
        patient=patient,
        uploaded_by=by or clinician(),
        original_filename=name,
        description="scanned letter",
        content_type=AttachmentType.PNG,
        size=len(data),
        content=encrypt_bytes(data),
    )


def team(patient: Patient | None = None):
    """Return (patient, lead, member): a patient with a care team of two clinicians."""
    patient = patient or PatientFactory()
    lead = MembershipFactory(patient=patient, role=CareTeamRole.LEAD).clinician
    member = MembershipFactory(patient=patient).clinician
    return patient, lead, member


def sharing_consent(patient: Patient, partner: PartnerOrganisation | None = None, **kwargs):
    """Record consent to share with `partner` (or, without one, outside the organisation)."""
    if partner is None:
        return ConsentFactory(patient=patient, purpose=ConsentPurpose.EXTERNAL_SHARING, **kwargs)
    return ConsentFactory(
        patient=patient,
        purpose=ConsentPurpose.SHARING_WITH_ORGANISATION,
        organisation=partner.name,
        **kwargs,
    )


def open_archive(archive: bytes, passphrase: str | None) -> dict[str, bytes]:
    """Return every file of an AES zip, read with `passphrase`."""
    with pyzipper.AESZipFile(io.BytesIO(archive)) as zipped:
        if passphrase is not None:
            zipped.setpassword(passphrase.encode())
        return {name: zipped.read(name) for name in zipped.namelist()}
