"""Case transfer requests: ask, choose the receiving clinician, accept or decline, withdraw.

Each service checks the relationship first (a refusal writes ACCESS_DENIED outside any
transaction and raises TransferNotFound, a 404), validates (TransferInvalid with a constant
message), then locks the request row and re-checks its state, so two people acting at once
cannot both succeed. The change and its audit event commit together. Audit details hold ids
and enum values only, never the reason or the handover note.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from carecore.audit.events import EventType
from patients.auditing import DenialReason, access_denied_record, patient_event_record
from patients.exceptions import InvalidRequest
from patients.models import CareTeamMembership
from patients.services import care_team_transfer

from ..models.transfers import OPEN_STATUSES, CaseTransferRequest, TransferStatus
from ..permissions.transfers import (
    ALREADY_OPEN,
    HANDOVER_REQUIRED,
    HANDOVER_TOO_LONG,
    NOT_ASSIGNED,
    NOT_OPEN,
    REASON_REQUIRED,
    REASON_TOO_LONG,
    RECEIVER_INVALID,
    REQUESTER_LEFT_TEAM,
    SUPERVISOR_INVALID,
    TEXT_MAX_LENGTH,
    TransferInvalid,
    TransferNotFound,
    can_request_transfer,
    is_valid_receiver,
    is_valid_supervisor,
    transfers_assignable_by,
    transfers_offered_to,
    transfers_requested_by,
)
from ..selectors.transfers import TransferPurpose, transfer_denied_record

if TYPE_CHECKING:
    from carecore.accounts.models import User
    from patients.models import Patient

ONE_OPEN_CONSTRAINT = "transfer_one_open_per_case"
# Loaded with the locked row: never the reason (nothing here needs to decrypt it).
_LOCKED_FIELDS = (
    "uuid",
    "status",
    "requested_at",
    "assigned_at",
    "closed_at",
    "patient",
    "requester",
    "supervisor",
    "receiver",
    "assigned_by",
    "patient__uuid",
    "patient__case_code",
    "requester__username",
    "requester__is_active",
)


def _text(value: str | None, *, required: Any, too_long: Any, field: str) -> str:
    text = (value or "").strip()
    if not text:
        raise TransferInvalid(required, field=field)
    if len(text) > TEXT_MAX_LENGTH:
        raise TransferInvalid(too_long, field=field)
    return text


def _on_care_team(user: User, patient_id: int) -> bool:
    return (
        CareTeamMembership.objects.active()
        .filter(patient_id=patient_id, clinician_id=user.pk)
        .exists()
    )


def _require(
    allowed: QuerySet[CaseTransferRequest, Any],
    *,
    actor: User,
    transfer: CaseTransferRequest,
    purpose: TransferPurpose,
) -> None:
    # Checked against the database, not the instance the caller holds: roles and
    # relationships may have changed since it was fetched.
    if not allowed.filter(pk=transfer.pk).exists():
        transfer_denied_record(user=actor, purpose=purpose, transfer_id=transfer.pk)
        raise TransferNotFound


def _lock(transfer: CaseTransferRequest) -> CaseTransferRequest:
    return (
        CaseTransferRequest.objects.select_for_update(of=("self",))
        .select_related("patient", "requester")
        .only(*_LOCKED_FIELDS)
        .get(pk=transfer.pk)
    )


def _record(
    *,
    event_type: EventType,
    actor: User,
    transfer: CaseTransferRequest,
    details: dict[str, Any],
) -> None:
    patient_event_record(
        event_type=event_type,
        actor=actor,
        patient=transfer.patient,
        target=transfer,
        details={"patient": transfer.patient_id, "status": transfer.status, **details},
        grant_id=None,
    )


def _violates(error: IntegrityError, constraint: str) -> bool:
    diag = getattr(error.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None) == constraint


def transfer_request(
    *, actor: User, patient: Patient, supervisor: User, reason: str
) -> CaseTransferRequest:
    """Ask `supervisor` to find another clinician for `patient`; the reason is for them alone."""
    if not (can_request_transfer(actor) and _on_care_team(actor, patient.pk)):
        # Same 404 whether the patient exists or not: no probing for case codes.
        access_denied_record(
            actor=actor,
            action="transfer_request",
            reason=DenialReason.POLICY,
            patient=patient,
            grant_id=None,
        )
        raise TransferNotFound
    text = _text(reason, required=REASON_REQUIRED, too_long=REASON_TOO_LONG, field="reason")
    if not is_valid_supervisor(actor, supervisor):
        raise TransferInvalid(SUPERVISOR_INVALID, field="supervisor")
    try:
        with transaction.atomic():
            if (
                transfers_requested_by(actor)
                .filter(patient_id=patient.pk, status__in=OPEN_STATUSES)
                .exists()
            ):
                raise TransferInvalid(ALREADY_OPEN)
            transfer = CaseTransferRequest.objects.create(
                patient=patient, requester=actor, supervisor=supervisor, reason=text
            )
            _record(
                event_type=EventType.TRANSFER_REQUESTED,
                actor=actor,
                transfer=transfer,
                details={"supervisor": supervisor.pk},
            )
    except IntegrityError as error:
        # Two submissions at once: the constraint lets one through.
        if _violates(error, ONE_OPEN_CONSTRAINT):
            raise TransferInvalid(ALREADY_OPEN) from None
        raise
    return transfer


def transfer_assign(
    *, actor: User, transfer: CaseTransferRequest, receiver: User
) -> CaseTransferRequest:
    """Offer the case to `receiver` (the chosen supervisor or a manager); reassigning is allowed
    until the case is accepted."""
    _require(
        transfers_assignable_by(actor),
        actor=actor,
        transfer=transfer,
        purpose=TransferPurpose.ASSIGN,
    )
    if not is_valid_receiver(transfer, receiver):
        raise TransferInvalid(RECEIVER_INVALID, field="receiver")
    with transaction.atomic():
        locked = _lock(transfer)
        if locked.status not in OPEN_STATUSES:
            raise TransferInvalid(NOT_OPEN)
        previous = locked.receiver_id
        locked.receiver = receiver
        locked.assigned_by = actor
        locked.assigned_at = timezone.now()
        locked.status = TransferStatus.ASSIGNED
        locked.save(update_fields=["receiver", "assigned_by", "assigned_at", "status"])
        _record(
            event_type=EventType.TRANSFER_ASSIGNED,
            actor=actor,
            transfer=locked,
            details={"receiver": receiver.pk, "previous_receiver": previous},
        )
    return locked


def transfer_decline(*, actor: User, transfer: CaseTransferRequest) -> CaseTransferRequest:
    """Turn the offered case down; the request goes back to the supervisor to choose again."""
    _require(
        transfers_offered_to(actor), actor=actor, transfer=transfer, purpose=TransferPurpose.RESPOND
    )
    with transaction.atomic():
        locked = _lock(transfer)
        if locked.status != TransferStatus.ASSIGNED or locked.receiver_id != actor.pk:
            raise TransferInvalid(NOT_ASSIGNED)
        locked.receiver = None
        locked.assigned_by = None
        locked.assigned_at = None
        locked.status = TransferStatus.REQUESTED
        locked.save(update_fields=["receiver", "assigned_by", "assigned_at", "status"])
        _record(
            event_type=EventType.TRANSFER_DECLINED,
            actor=actor,
            transfer=locked,
            details={"receiver": actor.pk},
        )
    return locked


def transfer_accept(
    *, actor: User, transfer: CaseTransferRequest, handover_note: str
) -> CaseTransferRequest:
    """Take the case over: the care team changes and the request closes in one transaction."""
    _require(
        transfers_offered_to(actor), actor=actor, transfer=transfer, purpose=TransferPurpose.RESPOND
    )
    note = _text(
        handover_note, required=HANDOVER_REQUIRED, too_long=HANDOVER_TOO_LONG, field="handover_note"
    )
    try:
        with transaction.atomic():
            locked = _lock(transfer)
            if locked.status != TransferStatus.ASSIGNED or locked.receiver_id != actor.pk:
                raise TransferInvalid(NOT_ASSIGNED)
            if not _on_care_team(locked.requester, locked.patient_id):
                raise TransferInvalid(REQUESTER_LEFT_TEAM)
            care_team_transfer(
                actor=actor,
                patient=locked.patient,
                from_clinician=locked.requester,
                to_clinician=actor,
                transfer_id=locked.pk,
            )
            locked.status = TransferStatus.ACCEPTED
            locked.handover_note = note
            locked.closed_at = timezone.now()
            locked.save(update_fields=["status", "handover_note", "closed_at"])
            _record(
                event_type=EventType.TRANSFER_ACCEPTED,
                actor=actor,
                transfer=locked,
                details={"receiver": actor.pk, "requester": locked.requester_id},
            )
    except InvalidRequest as error:
        # The care team refused the change (for example the receiver lost the clinician role).
        raise TransferInvalid(error.message) from None
    return locked


def transfer_withdraw(*, actor: User, transfer: CaseTransferRequest) -> CaseTransferRequest:
    """Withdraw one's own request before the case is accepted."""
    _require(
        transfers_requested_by(actor),
        actor=actor,
        transfer=transfer,
        purpose=TransferPurpose.WITHDRAW,
    )
    with transaction.atomic():
        locked = _lock(transfer)
        if locked.status not in OPEN_STATUSES:
            raise TransferInvalid(NOT_OPEN)
        locked.status = TransferStatus.WITHDRAWN
        locked.closed_at = timezone.now()
        locked.save(update_fields=["status", "closed_at"])
        _record(
            event_type=EventType.TRANSFER_WITHDRAWN,
            actor=actor,
            transfer=locked,
            details={"receiver": locked.receiver_id},
        )
    return locked
