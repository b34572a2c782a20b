"""Demo data for the data lifecycle: partners, referrals, the disclosure register, legal work.

`seed_demo_lifecycle` is a seed step (`carecore.home.seeding.SEED_STEPS`), run after the demo
caseload. Everything is written through the services, as the demo staff, so the audit trail
reads as it would in use: the privacy officer registers a few partner organisations; two
patients consent to sharing with a named partner; one referral waits for its lead's approval
(the lead sees it under "Awaiting my approval"), another was approved and marked sent (its
passphrase is discarded, as an approver who noted it elsewhere would leave it); a telephone
disclosure is entered by hand; a legal request stands at "legal basis reviewed" with a legal
hold on its patient; a patient has asked for a copy of their record.

No retention candidates are made: the demo's one closed case is far from the end of its
retention period. A legal release needs a second privacy officer, which the demo accounts do
not include (adding one would change the documented accounts), so the demo stops before it.

Every name, reference and text here is invented for this project.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from patients.models import (
    ClinicalNote,
    ConsentPurpose,
    ConsentStatus,
    NoteType,
    Patient,
    name_dob_index,
)
from patients.seeding import DEMO_PATIENTS
from patients.services import ConsentDetails, consent_record

from .models import (
    DisclosureKind,
    LegalBasis,
    PartnerKind,
    PartnerOrganisation,
    ReferralKind,
    ReferralStatus,
    RequesterKind,
    Section,
)
from .services.access import access_request_record
from .services.disclosures import disclosure_record
from .services.legal import legal_basis_review, legal_hold_place, legal_request_register
from .services.partners import PartnerDetails, partner_create
from .services.referrals import (
    ReferralChoice,
    referral_approve,
    referral_prepare,
    referral_status_set,
)

if TYPE_CHECKING:
    from carecore.accounts.models import User
    from carecore.home.seeding import SeedContext

NEEDED_USERS = ("clinician", "clinician2", "supervisor", "privacy")


@dataclass(frozen=True)
class DemoPartner:
    name: str
    country: str
    kind: str
    route: str


# The first name marks the demo data as present (see `demo_lifecycle_present`).
DEMO_PARTNERS: tuple[DemoPartner, ...] = (
    DemoPartner(
        "Riverside Community Health Centre (demo)",
        "Demo country",
        PartnerKind.HEALTH_PROVIDER,
        "Secure e-mail: referrals@riverside-health.example.org; passphrase by phone to the "
        "duty physiotherapist on 07700 900301.",
    ),
    DemoPartner(
        "Eastgate Dental Clinic (demo)",
        "Demo country",
        PartnerKind.HEALTH_PROVIDER,
        "Upload portal at https://eastgate-dental.example.org/referrals; passphrase by phone "
        "to the practice manager.",
    ),
    DemoPartner(
        "Northbridge Housing Trust (demo)",
        "Demo country",
        PartnerKind.SHELTER,
        "Named contact: the trust's safeguarding lead, 07700 900302, in person only.",
    ),
    DemoPartner(
        "Harbour Legal Advice Service (demo)",
        "Demo country",
        PartnerKind.LEGAL_AID,
        "Secure e-mail: intake@harbour-legal.example.org.",
    ),
)
RIVERSIDE, EASTGATE = DEMO_PARTNERS[0].name, DEMO_PARTNERS[1].name

# Patients by preferred name (patients/seeding/demo_caseload.py).
SENT_PATIENT = "Jonas Kestrelby"  # lead clinician; supervisor on the team prepares
AWAITING_PATIENT = "Ana Pelliston"  # lead clinician; clinician2 on the team prepares
SPOKEN_PATIENT = "Elif Carrowmore"  # lead supervisor
LEGAL_PATIENT = "Mira Orvanne"  # consented to use in legal proceedings
ACCESS_PATIENT = "Ravi Denholm"  # lead clinician2

SHARING_EXPLANATION = (
    "Explained what the partner would receive, why, and that she or he can say no or change "
    "their mind at any time before it is sent (demo)."
)
SENT_PURPOSE = (
    "Physiotherapy for long-standing back pain from heavy lifting; he hopes to return to part "
    "time work (demo)."
)
AWAITING_PURPOSE = (
    "Dental treatment she has been putting off; she asked for a female dentist (demo)."
)
SPOKEN_RECIPIENT = "Duty nurse, emergency department of the Demo City Hospital"
SPOKEN_PURPOSE = (
    "She was brought to the emergency department after a fall; the nurse needed her "
    "allergies and current medication (demo)."
)
SPOKEN_SCOPE = "Allergies and current medication only, by telephone."
LEGAL_REQUESTER = "Fairweather & Lund Solicitors (demo)"
LEGAL_REFERENCE = "FL/DEMO/0042"
LEGAL_SUMMARY = (
    "A medical report on her injuries and treatment since arrival, for her residence permit "
    "appeal; requested by her own solicitor, within four weeks (demo)."
)
LEGAL_ASSESSMENT = (
    "The request comes from her own solicitor for her own case, and she gave consent to use "
    "in legal proceedings after it was explained. Consent is the basis; no court order is "
    "needed (demo)."
)
HOLD_REASON = (
    "Residence permit appeal pending; the record may be needed as evidence until it is "
    "decided (demo)."
)


def demo_lifecycle_present() -> bool:
    """Return whether the lifecycle demo data is already there."""
    return PartnerOrganisation.objects.filter(name=DEMO_PARTNERS[0].name).exists()


def demo_patient(preferred_name: str) -> Patient | None:
    """Return the seeded demo patient with this preferred name, or None."""
    spec = next(s for s in DEMO_PATIENTS if s.details.preferred_name == preferred_name)
    index = name_dob_index(spec.details.preferred_name, spec.details.date_of_birth)
    return Patient.objects.filter(preferred_name_dob_index=index).first()


def _note_ids(patient: Patient, note_type: str) -> tuple[int, ...]:
    return tuple(
        ClinicalNote.objects.filter(patient_id=patient.pk, note_type=note_type)
        .order_by("pk")
        .values_list("pk", flat=True)[:1]
    )


def _sharing_consent(*, actor: User, patient: Patient, organisation: str) -> None:
    consent_record(
        actor=actor,
        patient=patient,
        details=ConsentDetails(
            purpose=ConsentPurpose.SHARING_WITH_ORGANISATION,
            status=ConsentStatus.GIVEN,
            organisation=organisation,
            explanation=SHARING_EXPLANATION,
        ),
    )


@transaction.atomic
def demo_lifecycle_seed(*, users: dict[str, User], patients: dict[str, Patient]) -> dict[str, int]:
    """Write the lifecycle demo data through the services, as the demo staff; return counts."""
    privacy, clinician = users["privacy"], users["clinician"]
    partners = {
        spec.name: partner_create(
            actor=privacy,
            details=PartnerDetails(
                name=spec.name,
                country=spec.country,
                kind=spec.kind,
                secure_contact_route=spec.route,
            ),
        )
        for spec in DEMO_PARTNERS
    }

    # Sent: the supervisor (on the team, not the lead) prepares, the lead approves and the
    # preparer records that it went. The passphrase is not kept: it existed once, here.
    jonas = patients[SENT_PATIENT]
    _sharing_consent(actor=clinician, patient=jonas, organisation=RIVERSIDE)
    sent = referral_prepare(
        actor=users["supervisor"],
        patient=jonas,
        choice=ReferralChoice(
            partner=partners[RIVERSIDE],
            kind=ReferralKind.REFERRAL,
            purpose=SENT_PURPOSE,
            sections=(Section.SUMMARY, Section.TREATMENT_PLAN, Section.NOTES),
            note_ids=_note_ids(jonas, NoteType.ASSESSMENT),
        ),
    )
    referral_approve(actor=clinician, referral=sent)
    referral_status_set(actor=users["supervisor"], referral=sent, status=ReferralStatus.SENT)

    # Awaiting: clinician2 (on the team) prepares; the lead, clinician, has it to approve.
    ana = patients[AWAITING_PATIENT]
    _sharing_consent(actor=clinician, patient=ana, organisation=EASTGATE)
    referral_prepare(
        actor=users["clinician2"],
        patient=ana,
        choice=ReferralChoice(
            partner=partners[EASTGATE],
            kind=ReferralKind.REFERRAL,
            purpose=AWAITING_PURPOSE,
            sections=(Section.SUMMARY, Section.NOTES),
            note_ids=_note_ids(ana, NoteType.REFERRAL),
        ),
    )

    # A telephone disclosure in an emergency, entered by hand by the lead afterwards.
    now = timezone.now()
    disclosure_record(
        actor=users["supervisor"],
        patient=patients[SPOKEN_PATIENT],
        kind=DisclosureKind.SPOKEN,
        legal_basis=LegalBasis.VITAL_INTERESTS,
        purpose=SPOKEN_PURPOSE,
        sections=(Section.SUMMARY,),
        recipient=SPOKEN_RECIPIENT,
        scope_note=SPOKEN_SCOPE,
        # The lead phoned the privacy officer before telling the hospital.
        approved_by=privacy,
        approved_at=now - dt.timedelta(days=12, minutes=15),
        disclosed_at=now - dt.timedelta(days=12),
    )

    # A legal request at its second step, with a hold on the patient while it runs.
    mira = patients[LEGAL_PATIENT]
    legal_request = legal_request_register(
        actor=privacy,
        patient=mira,
        requester_kind=RequesterKind.LAWYER,
        requester_name=LEGAL_REQUESTER,
        reference=LEGAL_REFERENCE,
        request_summary=LEGAL_SUMMARY,
        received_on=timezone.localdate() - dt.timedelta(days=6),
    )
    legal_basis_review(
        actor=privacy,
        legal_request=legal_request,
        legal_basis=LegalBasis.CONSENT,
        assessment=LEGAL_ASSESSMENT,
    )
    legal_hold_place(actor=privacy, patient=mira, reason=HOLD_REASON, legal_request=legal_request)

    # A patient asked their lead for a copy of their record; the safety review comes next.
    access_request_record(
        actor=users["clinician2"],
        patient=patients[ACCESS_PATIENT],
        received_on=timezone.localdate() - dt.timedelta(days=3),
    )
    return {
        "partners": len(partners),
        "consents": 2,
        "referrals": 2,
        "disclosures": 2,
        "legal_requests": 1,
        "legal_holds": 1,
        "access_requests": 1,
    }


def seed_demo_lifecycle(ctx: SeedContext) -> None:
    """Seed step: add the lifecycle demo data unless it is already there."""
    if demo_lifecycle_present():
        ctx.report.append("Data lifecycle: already present (left unchanged).")
        return
    missing_users = [u for u in NEEDED_USERS if u not in ctx.users]
    names = (SENT_PATIENT, AWAITING_PATIENT, SPOKEN_PATIENT, LEGAL_PATIENT, ACCESS_PATIENT)
    patients = {name: demo_patient(name) for name in names}
    found = {name: patient for name, patient in patients.items() if patient is not None}
    if missing_users or len(found) != len(names):
        ctx.report.append("Data lifecycle: demo accounts or patients missing, nothing added.")
        return
    counts = demo_lifecycle_seed(users=ctx.users, patients=found)
    ctx.report.append(
        f"Data lifecycle: {counts['partners']} partner organisations, "
        f"{counts['consents']} consents to share, {counts['referrals']} referrals (one awaiting "
        f"approval, one sent), {counts['disclosures']} disclosure register entries (the sent "
        "referral and a telephone disclosure), a legal request at the legal basis step with "
        f"a legal hold, and {counts['access_requests']} patient access request; no retention "
        "candidates."
    )
