"""Raising and resolving safety flags."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from carecore.audit.events import EventType

from ..auditing import patient_event_record
from ..exceptions import FLAG_ALREADY_RESOLVED, INVALID_CHOICE, InvalidRequest
from ..models import Patient, SafetyFlag, SafetyFlagKind
from ..permissions import Action
from .access import access_require, clean_text, patient_identity

if TYPE_CHECKING:
    from carecore.accounts.models import User


def safety_flag_raise(
    *, actor: User, patient: Patient, kind: str, details: str | None = None
) -> SafetyFlag:
    """Raise a safety flag; "do not confirm presence" also warns reception on every lookup."""
    grant_id = access_require(actor=actor, action=Action.EDIT_CLINICAL, patient=patient)
    try:
        kind = SafetyFlagKind(kind).value
    except ValueError:
        raise InvalidRequest(INVALID_CHOICE) from None
    with transaction.atomic():
        flag = SafetyFlag.objects.create(
            patient_id=patient.pk, kind=kind, details=clean_text(details), raised_by=actor
        )
        patient_event_record(
            event_type=EventType.SAFETY_FLAG_RAISED,
            actor=actor,
            patient=patient,
            target=flag,
            details={"kind": kind},
            grant_id=grant_id,
        )
    return flag


def safety_flag_resolve(*, actor: User, flag: SafetyFlag) -> SafetyFlag:
    """Mark a flag resolved; it leaves the care team's and reception's warnings at once."""
    grant_id = access_require(actor=actor, action=Action.EDIT_CLINICAL, patient=flag.patient_id)
    with transaction.atomic():
        locked = SafetyFlag.objects.select_for_update().get(pk=flag.pk)
        if locked.resolved_at is not None:
            raise InvalidRequest(FLAG_ALREADY_RESOLVED)
        locked.resolved_at = timezone.now()
        locked.resolved_by = actor
        locked.save(update_fields=["resolved_at", "resolved_by"])
        patient_event_record(
            event_type=EventType.SAFETY_FLAG_RESOLVED,
            actor=actor,
            patient=patient_identity(locked.patient_id),
            target=locked,
            details={"kind": locked.kind},
            grant_id=grant_id,
        )
    return locked
