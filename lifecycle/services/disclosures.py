"""Writing the disclosure register: one entry each time a patient's information leaves.

Release services (referrals, legal releases, patient access copies) call `disclosure_record`
inside their own transaction; a hand-entered spoken or written disclosure calls it alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carecore.audit.events import EventType
from patients.auditing import patient_event_record
from patients.exceptions import InvalidRequest
from patients.models import Consent, Patient

from ..models import (
    DisclosureEntry,
    DisclosureKind,
    LegalBasis,
    LegalRequest,
    PartnerOrganisation,
    PatientAccessRequest,
    Referral,
    Section,
)

if TYPE_CHECKING:
    from carecore.accounts.models import User

DISCLOSURE_KIND_INVALID = _("Choose what kind of disclosure this was.")
DISCLOSURE_BASIS_INVALID = _("Choose the legal basis for the disclosure.")
DISCLOSURE_PURPOSE_REQUIRED = _("State the purpose of the disclosure.")
DISCLOSURE_RECIPIENT_REQUIRED = _("Name the recipient or choose a partner organisation.")
DISCLOSURE_SECTIONS_INVALID = _("Choose the parts of the record that were disclosed.")
DISCLOSURE_CONSENT_MISMATCH = _("The consent relied on belongs to another patient.")
DISCLOSURE_IN_FUTURE = _("The disclosure cannot be dated in the future.")


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _sections(sections: Iterable[str]) -> list[str]:
    cleaned: list[str] = []
    for value in sections:
        try:
            section = Section(value).value
        except ValueError:
            raise InvalidRequest(DISCLOSURE_SECTIONS_INVALID) from None
        if section not in cleaned:
            cleaned.append(section)
    return cleaned


@transaction.atomic
def disclosure_record(
    *,
    actor: User,
    patient: Patient,
    kind: DisclosureKind | str,
    legal_basis: LegalBasis | str,
    purpose: str,
    sections: Iterable[str],
    partner: PartnerOrganisation | None = None,
    recipient: str | None = None,
    consent: Consent | None = None,
    approved_by: User | None = None,
    approved_at: dt.datetime | None = None,
    scope_note: str | None = None,
    referral: Referral | None = None,
    legal_request: LegalRequest | None = None,
    access_request: PatientAccessRequest | None = None,
    disclosed_at: dt.datetime | None = None,
) -> DisclosureEntry:
    """Add one entry to the disclosure register and audit it (DISCLOSURE_RECORDED).

    The caller has already decided the disclosure may happen (consent, legal basis, second
    approval); this records who received what, why, on what basis and who approved it.
    Bad input raises InvalidRequest with a constant message and saves nothing.
    """
    try:
        kind = DisclosureKind(kind)
    except ValueError:
        raise InvalidRequest(DISCLOSURE_KIND_INVALID) from None
    try:
        legal_basis = LegalBasis(legal_basis)
    except ValueError:
        raise InvalidRequest(DISCLOSURE_BASIS_INVALID) from None
    purpose_text = _clean(purpose)
    if purpose_text is None:
        raise InvalidRequest(DISCLOSURE_PURPOSE_REQUIRED)
    recipient_text = _clean(recipient)
    if partner is None and recipient_text is None:
        raise InvalidRequest(DISCLOSURE_RECIPIENT_REQUIRED)
    scope = _sections(sections)
    if consent is not None and consent.patient_id != patient.pk:
        raise InvalidRequest(DISCLOSURE_CONSENT_MISMATCH)
    now = timezone.now()
    if disclosed_at is not None and disclosed_at > now:
        raise InvalidRequest(DISCLOSURE_IN_FUTURE)
    entry = DisclosureEntry.objects.create(
        patient_id=patient.pk,
        kind=kind.value,
        partner=partner,
        recipient=recipient_text,
        purpose=purpose_text,
        legal_basis=legal_basis.value,
        consent=consent,
        sections=scope,
        scope_note=_clean(scope_note),
        approved_by=approved_by,
        approved_at=approved_at,
        disclosed_at=disclosed_at or now,
        recorded_by=actor,
        recorded_at=now,
        referral=referral,
        legal_request=legal_request,
        access_request=access_request,
    )
    patient_event_record(
        event_type=EventType.DISCLOSURE_RECORDED,
        actor=actor,
        patient=patient,
        target=entry,
        details={
            "kind": kind.value,
            "legal_basis": legal_basis.value,
            "sections": scope,
            "partner": partner.pk if partner is not None else None,
            "consent": consent.pk if consent is not None else None,
            "approved_by": approved_by.pk if approved_by is not None else None,
            "referral": referral.pk if referral is not None else None,
            "legal_request": legal_request.pk if legal_request is not None else None,
            "access_request": access_request.pk if access_request is not None else None,
        },
        grant_id=None,
    )
    return entry
