"""Recording and withdrawing consent, and the one answer later features ask for.

`consent_permits(patient=..., purpose=...)` says whether the patient's data may be used for a
purpose now. Referrals, exports and research data (later issues) must ask it, not read
consent rows themselves.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from carecore.audit.events import EventType

from ..auditing import patient_event_record
from ..exceptions import (
    CONSENT_EXPIRY_IN_PAST,
    CONSENT_EXPLANATION_REQUIRED,
    CONSENT_NOT_WITHDRAWABLE,
    CONSENT_ORGANISATION_NOT_APPLICABLE,
    CONSENT_ORGANISATION_REQUIRED,
    CONSENT_REASON_REQUIRED,
    CONSENT_STATUS_NOT_RECORDABLE,
    INVALID_CHOICE,
    InvalidRequest,
)
from ..models import Consent, ConsentPurpose, ConsentStatus, Patient, organisation_index
from ..permissions import Action
from .access import access_require, clean_text, patient_identity

if TYPE_CHECKING:
    from carecore.accounts.models import User

RECORDABLE_STATUSES = frozenset(
    {ConsentStatus.GIVEN, ConsentStatus.REFUSED, ConsentStatus.NOT_OBTAINED}
)


@dataclass(frozen=True)
class ConsentDetails:
    """One consent decision as a form collects it (`explained_by` defaults to the actor)."""

    purpose: str
    status: str
    explanation: str | None = None
    organisation: str | None = None
    scope: str | None = None
    expires_on: dt.date | None = None
    not_obtained_reason: str | None = None
    explained_by: User | None = None


def consent_details_validate(details: ConsentDetails) -> ConsentDetails:
    """Return `details` cleaned, or raise InvalidRequest naming the first broken rule."""
    try:
        purpose = ConsentPurpose(details.purpose)
        status = ConsentStatus(details.status)
    except ValueError:
        raise InvalidRequest(INVALID_CHOICE) from None
    if status not in RECORDABLE_STATUSES:
        raise InvalidRequest(CONSENT_STATUS_NOT_RECORDABLE)
    explanation = clean_text(details.explanation)
    organisation = clean_text(details.organisation)
    reason = clean_text(details.not_obtained_reason)
    if status == ConsentStatus.NOT_OBTAINED and reason is None:
        raise InvalidRequest(CONSENT_REASON_REQUIRED)
    if status == ConsentStatus.GIVEN and explanation is None:
        raise InvalidRequest(CONSENT_EXPLANATION_REQUIRED)
    if purpose == ConsentPurpose.SHARING_WITH_ORGANISATION:
        if organisation is None or not organisation_index(organisation):
            raise InvalidRequest(CONSENT_ORGANISATION_REQUIRED)
    elif organisation is not None:
        raise InvalidRequest(CONSENT_ORGANISATION_NOT_APPLICABLE)
    if details.expires_on is not None and details.expires_on < timezone.localdate():
        raise InvalidRequest(CONSENT_EXPIRY_IN_PAST)
    return ConsentDetails(
        purpose=purpose.value,
        status=status.value,
        explanation=explanation,
        organisation=organisation,
        scope=clean_text(details.scope),
        expires_on=details.expires_on,
        # A reason only belongs to consent that could not be obtained.
        not_obtained_reason=reason if status == ConsentStatus.NOT_OBTAINED else None,
        explained_by=details.explained_by,
    )


def consent_create(*, actor: User, patient: Patient, details: ConsentDetails) -> Consent:
    """Save one validated consent record; the caller holds the transaction and audits it."""
    return Consent.objects.create(
        patient=patient,
        purpose=details.purpose,
        status=details.status,
        organisation=details.organisation,
        organisation_index=organisation_index(details.organisation),
        explanation=details.explanation,
        scope=details.scope,
        expires_on=details.expires_on,
        not_obtained_reason=details.not_obtained_reason,
        explained_by=details.explained_by or actor,
        recorded_by=actor,
    )


def consent_record(*, actor: User, patient: Patient, details: ConsentDetails) -> Consent:
    """Record a consent decision (given, refused or could not be obtained) for one purpose."""
    grant_id = access_require(actor=actor, action=Action.EDIT_CLINICAL, patient=patient)
    cleaned = consent_details_validate(details)
    with transaction.atomic():
        consent = consent_create(actor=actor, patient=patient, details=cleaned)
        patient_event_record(
            event_type=EventType.CONSENT_RECORDED,
            actor=actor,
            patient=patient,
            target=consent,
            details={"purpose": cleaned.purpose, "status": cleaned.status},
            grant_id=grant_id,
        )
    return consent


def consent_withdraw(*, actor: User, consent: Consent) -> Consent:
    """Withdraw a given consent, effective at once (consent_permits answers False from now)."""
    grant_id = access_require(actor=actor, action=Action.EDIT_CLINICAL, patient=consent.patient_id)
    with transaction.atomic():
        locked = Consent.objects.select_for_update().get(pk=consent.pk)
        if locked.status != ConsentStatus.GIVEN:
            raise InvalidRequest(CONSENT_NOT_WITHDRAWABLE)
        locked.status = ConsentStatus.WITHDRAWN
        locked.withdrawn_at = timezone.now()
        locked.withdrawn_by = actor
        locked.save(update_fields=["status", "withdrawn_at", "withdrawn_by"])
        patient_event_record(
            event_type=EventType.CONSENT_WITHDRAWN,
            actor=actor,
            patient=patient_identity(locked.patient_id),
            target=locked,
            details={"purpose": locked.purpose},
            grant_id=grant_id,
        )
    return locked


def consent_permits(
    *,
    patient: Patient,
    purpose: ConsentPurpose | str,
    organisation: str | None = None,
    at: dt.datetime | None = None,
) -> bool:
    """Return whether the patient's data may be used for `purpose` at `at` (default: now).

    The latest record for the purpose (for sharing: for that organisation, matched by blind
    index) recorded by `at` decides: given, not withdrawn by `at` and not expired (`expires_on`
    is the last valid day) means True; refused, withdrawn, could not be obtained, expired, or
    no record means False. Research is its own purpose: consent to care never implies it.
    """
    moment = at or timezone.now()
    purpose = ConsentPurpose(purpose)
    records = Consent.objects.filter(
        patient_id=patient.pk, purpose=purpose, recorded_at__lte=moment
    )
    if purpose == ConsentPurpose.SHARING_WITH_ORGANISATION:
        index = organisation_index(organisation)
        if not index:
            return False
        records = records.filter(organisation_index=index)
    latest = (
        records.order_by("-recorded_at", "-id")
        .values("status", "expires_on", "withdrawn_at")
        .first()
    )
    if latest is None:
        return False
    status = latest["status"]
    withdrawn_at = latest["withdrawn_at"]
    if status == ConsentStatus.WITHDRAWN and withdrawn_at is not None and withdrawn_at <= moment:
        return False
    if status not in (ConsentStatus.GIVEN, ConsentStatus.WITHDRAWN):
        return False
    expires_on = latest["expires_on"]
    return expires_on is None or timezone.localdate(moment) <= expires_on
