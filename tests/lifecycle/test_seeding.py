"""The lifecycle demo data: partners, a referral awaiting the lead, a sent referral in the
register, a telephone disclosure, a legal request at the basis step with a hold, a patient's
access request; written through the services, once."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from carecore.accounts.models import User
from carecore.audit.events import EventType
from carecore.audit.models import AuditEvent
from carecore.home.seeding import DEMO_USERS, SEED_STEPS, seed_lifecycle, seed_supervision
from lifecycle.models import (
    AccessRequestStatus,
    DestructionRequest,
    DisclosureEntry,
    DisclosureKind,
    LegalBasis,
    LegalHold,
    LegalRequest,
    LegalRequestStatus,
    PartnerOrganisation,
    PatientAccessRequest,
    Referral,
    ReferralStatus,
    ReleasePackage,
)
from lifecycle.seeding import (
    ACCESS_PATIENT,
    AWAITING_PATIENT,
    DEMO_PARTNERS,
    LEGAL_PATIENT,
    SENT_PATIENT,
    SPOKEN_PATIENT,
    SPOKEN_RECIPIENT,
    demo_patient,
)
from lifecycle.selectors.referrals import LIST_AWAITING, referrals_list
from lifecycle.services.referrals import sharing_consent_for
from patients.models import CareTeamMembership, CareTeamRole, ConsentPurpose
from staffwellbeing.seeding import roster_usernames

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_settings(settings):
    settings.CARECORE_DEMO = True
    settings.DEBUG = False
    return settings


def _seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def _user(username: str) -> User:
    return User.objects.get(username=username)


def _is_lead(user: User, patient_id: int) -> bool:
    return (
        CareTeamMembership.objects.active()
        .filter(patient_id=patient_id, clinician=user, role=CareTeamRole.LEAD)
        .exists()
    )


def test_the_step_runs_after_supervision():
    # It needs the demo caseload and accounts the earlier steps make.
    assert SEED_STEPS.index(seed_lifecycle) == SEED_STEPS.index(seed_supervision) + 1


def test_counts_and_the_report_line(demo_settings):
    output = _seed()

    assert (
        "Data lifecycle: 4 partner organisations, 2 consents to share, 2 referrals (one "
        "awaiting approval, one sent), 2 disclosure register entries" in output
    )
    assert "no retention candidates." in output
    assert PartnerOrganisation.objects.count() == len(DEMO_PARTNERS) == 4
    assert Referral.objects.count() == 2
    assert DisclosureEntry.objects.count() == 2
    assert ReleasePackage.objects.count() == 1
    assert LegalRequest.objects.count() == 1
    assert LegalHold.objects.count() == 1
    assert PatientAccessRequest.objects.count() == 1
    assert not DestructionRequest.objects.exists()
    # No account is added: the second privacy officer of a legal release is not in the demo.
    assert User.objects.count() == len(DEMO_USERS) + len(roster_usernames())
    assert User.objects.filter(is_privacy_officer=True).count() == 1


def test_partners_are_marked_demo_and_registered_by_the_privacy_officer(demo_settings):
    _seed()

    privacy = _user("privacy")
    for partner in PartnerOrganisation.objects.all():
        assert partner.name.endswith("(demo)")
        assert partner.active
        assert partner.created_by_id == privacy.pk
    created = AuditEvent.objects.filter(event_type=EventType.PARTNER_CREATED)
    assert created.count() == 4
    assert set(created.values_list("actor_id", flat=True)) == {privacy.pk}


def test_a_referral_awaits_the_lead_who_did_not_prepare_it(demo_settings):
    _seed()

    patient = demo_patient(AWAITING_PATIENT)
    clinician, clinician2 = _user("clinician"), _user("clinician2")
    referral = Referral.objects.get(status=ReferralStatus.AWAITING_APPROVAL)
    assert referral.patient_id == patient.pk
    assert referral.prepared_by_id == clinician2.pk
    assert not _is_lead(clinician2, patient.pk)
    assert _is_lead(clinician, patient.pk)
    assert referral.package_id is None
    assert referral.consent.purpose == ConsentPurpose.SHARING_WITH_ORGANISATION
    assert sharing_consent_for(patient=patient, partner=referral.partner) is not None
    awaiting = referrals_list(user=clinician, show=LIST_AWAITING, patient=None)
    assert [r.pk for r in awaiting] == [referral.pk]


def test_a_sent_referral_was_approved_by_the_lead_and_registered(demo_settings):
    _seed()

    patient = demo_patient(SENT_PATIENT)
    referral = Referral.objects.get(status=ReferralStatus.SENT)
    assert referral.patient_id == patient.pk
    assert referral.prepared_by == _user("supervisor")
    assert referral.decided_by == _user("clinician")
    assert _is_lead(referral.decided_by, patient.pk)
    assert not _is_lead(referral.prepared_by, patient.pk)
    assert referral.package is not None
    entry = DisclosureEntry.objects.get(referral=referral)
    assert entry.kind == DisclosureKind.REFERRAL
    assert entry.legal_basis == LegalBasis.CONSENT
    assert entry.partner_id == referral.partner_id
    assert entry.consent_id == referral.consent_id
    assert entry.approved_by_id == referral.decided_by_id


def test_every_disclosure_names_its_recipient_and_approver(demo_settings):
    _seed()

    for entry in DisclosureEntry.objects.all():
        assert entry.partner_id is not None or entry.recipient, entry.pk
        assert entry.approved_by_id is not None, entry.pk
        assert entry.approved_at is not None, entry.pk
    spoken = DisclosureEntry.objects.get(kind=DisclosureKind.SPOKEN)
    assert spoken.patient_id == demo_patient(SPOKEN_PATIENT).pk
    assert spoken.recipient == SPOKEN_RECIPIENT
    assert spoken.legal_basis == LegalBasis.VITAL_INTERESTS
    assert spoken.recorded_by == _user("supervisor")
    assert spoken.approved_by == _user("privacy")
    assert spoken.disclosed_at < spoken.recorded_at


def test_a_legal_request_at_the_basis_step_with_a_hold(demo_settings):
    _seed()

    privacy = _user("privacy")
    legal_request = LegalRequest.objects.get()
    assert legal_request.patient_id == demo_patient(LEGAL_PATIENT).pk
    assert legal_request.status == LegalRequestStatus.BASIS_REVIEWED
    assert legal_request.received_by_id == privacy.pk
    assert legal_request.basis_reviewed_by_id == privacy.pk
    assert legal_request.legal_basis == LegalBasis.CONSENT
    assert legal_request.scope_decided_by_id is None
    assert legal_request.package_id is None
    hold = LegalHold.objects.get()
    assert (hold.patient_id, hold.legal_request_id) == (legal_request.patient_id, legal_request.pk)
    assert hold.placed_by_id == privacy.pk
    assert hold.lifted_at is None


def test_an_access_request_was_received(demo_settings):
    _seed()

    access_request = PatientAccessRequest.objects.get()
    assert access_request.patient_id == demo_patient(ACCESS_PATIENT).pk
    assert access_request.status == AccessRequestStatus.RECEIVED
    assert access_request.received_by == _user("clinician2")


def test_running_twice_adds_nothing(demo_settings):
    _seed()
    counts = (
        PartnerOrganisation.objects.count(),
        Referral.objects.count(),
        DisclosureEntry.objects.count(),
        LegalRequest.objects.count(),
        LegalHold.objects.count(),
        PatientAccessRequest.objects.count(),
    )
    events = AuditEvent.objects.count()

    output = _seed()

    assert "Data lifecycle: already present (left unchanged)." in output
    assert (
        PartnerOrganisation.objects.count(),
        Referral.objects.count(),
        DisclosureEntry.objects.count(),
        LegalRequest.objects.count(),
        LegalHold.objects.count(),
        PatientAccessRequest.objects.count(),
    ) == counts
    assert AuditEvent.objects.count() == events
