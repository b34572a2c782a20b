"""The access check every patient service starts with, and small helpers they share."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..auditing import DenialReason, access_denied_record
from ..exceptions import PatientNotFound
from ..models import Patient
from ..permissions import (
    IDENTITY_FIELDS,
    Action,
    action_annotations,
    grant_in_force_subquery,
)

if TYPE_CHECKING:
    from carecore.accounts.models import User


def access_require(*, actor: User, action: Action, patient: Patient | int) -> int | None:
    """Return the id of the actor's break-glass grant in force (or None) if `actor` may do
    `action` to `patient`; otherwise write ACCESS_DENIED and raise PatientNotFound.

    Called before the service opens its transaction: the denial must outlive the refusal,
    and a rolled-back transaction would take the event with it.
    """
    patient_id = patient if isinstance(patient, int) else patient.pk
    row = (
        Patient.objects.filter(pk=patient_id)
        .annotate(
            **action_annotations(actor, (action,)),
            in_force_grant_id=grant_in_force_subquery(actor),
        )
        .values(f"may_{action}", "in_force_grant_id")
        .first()
    )
    if row is None:
        access_denied_record(actor=actor, action=action, reason=DenialReason.NOT_FOUND)
        raise PatientNotFound
    grant_id: int | None = row["in_force_grant_id"]
    if not row[f"may_{action}"]:
        target = patient if isinstance(patient, Patient) else patient_identity(patient_id)
        access_denied_record(
            actor=actor,
            action=action,
            reason=DenialReason.POLICY,
            patient=target,
            grant_id=grant_id,
        )
        raise PatientNotFound
    return grant_id


def patient_identity(patient_id: int) -> Patient:
    """Return a patient loaded with identity fields only (for audit events and references)."""
    return Patient.objects.limited_to(IDENTITY_FIELDS).get(pk=patient_id)


def patient_lock(patient: Patient) -> None:
    """Lock the patient's row until the transaction ends, serialising changes to its record."""
    list(Patient.objects.select_for_update().filter(pk=patient.pk).values_list("pk", flat=True))


def clean_text(value: Any) -> str | None:
    """Return `value` stripped, or None if it is empty (optional encrypted fields store NULL)."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None
