"""Audit events about patients: case code, break-glass flag and denials added in one place.

Every event about a patient carries its case code (the access log is built from it) and,
while the actor holds a break-glass grant in force for that patient, the grant's id.
Details hold ids and enum values only, never names, field values or free text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models

from carecore.audit.events import EventType, Outcome
from carecore.audit.models import AuditEvent
from carecore.audit.services import audit_access_denied, audit_event_record

from .permissions import Action, active_grant_id

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from carecore.accounts.models import User

    from .models import Patient

BREAK_GLASS_DETAIL = "break_glass_grant"


class _LookUp:
    """Marker: the caller does not know the actor's grant; look it up."""


LOOK_UP = _LookUp()


class DenialReason(models.TextChoices):
    NOT_FOUND = "not_found"  # no such patient, or an unreadable reference
    POLICY = "policy"  # the patient exists; the policy refuses this user
    ROLE = "role"  # the action needs a role or designation the user lacks
    NO_REASON = "no_reason"  # break-glass without a stated reason
    CREDENTIALS = "credentials"  # break-glass with a wrong password
    THROTTLED = "throttled"  # break-glass after too many wrong passwords


def patient_event_record(
    *,
    event_type: EventType,
    actor: User | AnonymousUser | None,
    patient: Patient,
    target: models.Model | None = None,
    outcome: Outcome = Outcome.SUCCESS,
    details: dict[str, Any] | None = None,
    grant_id: int | _LookUp | None = LOOK_UP,
) -> AuditEvent:
    """Write one event about `patient` (target defaults to it), flagged if under break-glass.

    Pass `grant_id` (an id, or None for "no grant") when the caller already knows it.
    """
    details = dict(details or {})
    if isinstance(grant_id, _LookUp):
        grant_id = active_grant_id(actor, patient) if actor is not None else None
    if grant_id is not None:
        details[BREAK_GLASS_DETAIL] = grant_id
    return audit_event_record(
        event_type=event_type,
        actor=actor,
        outcome=outcome,
        target=target if target is not None else patient,
        case_code=patient.case_code,
        details=details,
    )


def access_denied_record(
    *,
    actor: User | AnonymousUser | None,
    action: Action | str,
    reason: DenialReason,
    patient: Patient | None = None,
    target_type: str = "patients.patient",
    target_id: str | int = "",
    grant_id: int | _LookUp | None = LOOK_UP,
) -> AuditEvent:
    """Write the ACCESS_DENIED event for a refusal; call it outside the refused transaction.

    For a patient that does not exist nothing identifying is stored: not even the reference
    that was tried, which is free text from the user.
    """
    details = {"action": str(action), "reason": str(reason)}
    if patient is not None:
        return patient_event_record(
            event_type=EventType.ACCESS_DENIED,
            actor=actor,
            patient=patient,
            outcome=Outcome.DENIED,
            details=details,
            grant_id=grant_id,
        )
    return audit_access_denied(
        actor=actor, action=action, reason=reason, target_type=target_type, target_id=target_id
    )
