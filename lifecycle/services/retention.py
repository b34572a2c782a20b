"""Retention review and destruction: list the cases due, propose, decide, destroy.

Destruction is a two-person decision by privacy officers, refused while a legal hold is in
force. It deletes every row of the patient in one transaction and leaves a tombstone (case
code, dates, who decided, rows destroyed by kind). Audit events about the patient are kept:
they hold ids and case codes only, and they are the hash chain, so `audit_verify` still passes.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.core.files.storage import Storage
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carecore.audit.events import EventType, Outcome
from carecore.audit.services import audit_event_record
from patients import case_codes
from patients.models import Patient, PatientStatus

from ..models import (
    DestructionRequest,
    DestructionStatus,
    DestructionTombstone,
    RetentionCandidate,
)
from ..permissions.retention import (
    NOT_A_PRIVACY_OFFICER,
    ONLY_PROPOSER_CANCELS,
    PROPOSER_CANNOT_DECIDE,
    REQUEST_TARGET,
    DenialReason,
    RetentionAction,
    RetentionRefused,
    can_manage_retention,
    retention_denial_record,
)
from ..selectors.retention import (
    destroyed_kinds,
    legal_hold_active,
    patient_links,
    patient_rows,
    retention_due_cases,
    retention_end_of,
)

if TYPE_CHECKING:
    from carecore.accounts.models import User

logger = logging.getLogger(__name__)

ALREADY_PROPOSED = _("A destruction of this case has already been proposed and awaits a decision.")
NOT_OPEN = _("This proposal has already been decided or cancelled.")
LEGAL_HOLD_ACTIVE = _(
    "A legal hold is in force on this case. It cannot be destroyed until the hold is lifted."
)
CASE_NOT_CLOSED = _("This case is no longer closed. It cannot be destroyed.")
RETENTION_NOT_ENDED = _("The retention period of this case has not ended. It cannot be destroyed.")
CONFIRMATION_MISMATCH = _("Type the case code exactly as shown to confirm the destruction.")

ADMIN_LOG_LABEL = "admin.logentry"


class BlockReason(models.TextChoices):
    LEGAL_HOLD = "legal_hold"
    NOT_CLOSED = "not_closed"
    NOT_DUE = "not_due"


_BLOCK_MESSAGES = {
    BlockReason.LEGAL_HOLD: LEGAL_HOLD_ACTIVE,
    BlockReason.NOT_CLOSED: CASE_NOT_CLOSED,
    BlockReason.NOT_DUE: RETENTION_NOT_ENDED,
}


class DestructionBlocked(RetentionRefused):
    """The case may not be destroyed now (a hold, reopened, not due); audited as blocked."""

    def __init__(self, reason: BlockReason) -> None:
        self.reason = reason
        super().__init__(_BLOCK_MESSAGES[reason])


class _Blocked(Exception):
    """Raised inside the transaction so it rolls back; turned into DestructionBlocked outside."""

    def __init__(self, reason: BlockReason, *, patient_id: int, case_code: str) -> None:
        self.reason = reason
        self.patient_id = patient_id
        self.case_code = case_code
        super().__init__(str(reason))


# --- The review --------------------------------------------------------------------------------


def retention_review_run(*, today: dt.date | None = None) -> int:
    """List every closed case past retention as a candidate, drop the rest; return how many.

    Idempotent: a second run on the same day changes nothing. Open proposals of cases that no
    longer qualify (reopened, or a later disclosure extended retention) are cancelled.
    """
    today = today or timezone.localdate()
    with transaction.atomic():
        due = retention_due_cases(today=today)
        listed = dict(RetentionCandidate.objects.values_list("patient_id", "retention_ends_on"))
        stale = sorted(set(listed) - set(due))
        cancelled = _proposals_of_stale_cases_cancel(patient_ids=stale)
        RetentionCandidate.objects.filter(patient_id__in=stale).delete()
        added = [
            RetentionCandidate(patient_id=patient_id, retention_ends_on=ends_on)
            for patient_id, ends_on in due.items()
            if patient_id not in listed
        ]
        # A concurrent run may have listed the same case: its row stands.
        RetentionCandidate.objects.bulk_create(added, ignore_conflicts=True)
        moved = [pid for pid, ends_on in due.items() if pid in listed and listed[pid] != ends_on]
        for patient_id in moved:
            RetentionCandidate.objects.filter(patient_id=patient_id).update(
                retention_ends_on=due[patient_id]
            )
        audit_event_record(
            event_type=EventType.RETENTION_REVIEW_RUN,
            target_type="lifecycle.retentioncandidate",
            details={
                "listed": len(due),
                "added": len(added),
                "removed": len(stale),
                "updated": len(moved),
                "proposals_cancelled": cancelled,
            },
        )
    logger.info(
        "retention review: %s listed, %s added, %s removed", len(due), len(added), len(stale)
    )
    return len(due)


def _proposals_of_stale_cases_cancel(*, patient_ids: list[int]) -> int:
    proposals = list(
        DestructionRequest.objects.select_for_update().filter(
            patient_id__in=patient_ids, status=DestructionStatus.PROPOSED
        )
    )
    now = timezone.now()
    for proposal in proposals:
        proposal.status = DestructionStatus.CANCELLED
        proposal.decided_at = now
        proposal.save(update_fields=["status", "decided_at"])
        audit_event_record(
            event_type=EventType.DESTRUCTION_CANCELLED,
            target=proposal,
            case_code=proposal.case_code,
            details={"reason": "no_longer_due"},
        )
    return len(proposals)


# --- Proposals and decisions ------------------------------------------------------------------


def _require_officer(actor: User, action: RetentionAction, request_id: int | str = "") -> None:
    if not can_manage_retention(actor):
        retention_denial_record(
            user=actor,
            action=action,
            reason=DenialReason.ROLE,
            target_type=REQUEST_TARGET,
            target_id=request_id,
        )
        raise RetentionRefused(NOT_A_PRIVACY_OFFICER)


def _blocked_record(
    *,
    actor: User,
    blocked: _Blocked,
    stage: RetentionAction,
    request_id: int | None = None,
) -> DestructionBlocked:
    audit_event_record(
        event_type=EventType.DESTRUCTION_BLOCKED,
        actor=actor,
        outcome=Outcome.DENIED,
        target_type="patients.patient",
        target_id=blocked.patient_id,
        case_code=blocked.case_code,
        details={
            "reason": str(blocked.reason),
            "stage": str(stage),
            "destruction_request": request_id,
        },
    )
    return DestructionBlocked(blocked.reason)


def _destroyable_patient(*, patient_id: int, today: dt.date) -> Patient:
    """Lock the patient and check it is closed, past retention and under no hold."""
    patient = (
        Patient.objects.select_for_update()
        .only("id", "case_code", "status", "closed_on", "registered_on")
        .get(pk=patient_id)
    )
    reason = None
    if patient.status != PatientStatus.CLOSED or patient.closed_on is None:
        reason = BlockReason.NOT_CLOSED
    elif (ends_on := retention_end_of(patient_id=patient.pk)) is None or ends_on > today:
        reason = BlockReason.NOT_DUE
    elif legal_hold_active(patient_id=patient.pk):
        reason = BlockReason.LEGAL_HOLD
    if reason is not None:
        raise _Blocked(reason, patient_id=patient.pk, case_code=patient.case_code)
    return patient


def destruction_propose(*, actor: User, candidate: RetentionCandidate) -> DestructionRequest:
    """Propose destroying a listed case; a second privacy officer decides.

    Refused (audited, nothing saved) for a case under a legal hold, reopened or not due.
    """
    _require_officer(actor, RetentionAction.PROPOSE)
    try:
        return _propose(actor=actor, patient_id=candidate.patient_id)
    except _Blocked as blocked:
        raise _blocked_record(actor=actor, blocked=blocked, stage=RetentionAction.PROPOSE) from None


@transaction.atomic
def _propose(*, actor: User, patient_id: int) -> DestructionRequest:
    patient = _destroyable_patient(patient_id=patient_id, today=timezone.localdate())
    if DestructionRequest.objects.filter(
        case_code=patient.case_code, status=DestructionStatus.PROPOSED
    ).exists():
        raise RetentionRefused(ALREADY_PROPOSED)
    try:
        with transaction.atomic():
            request = DestructionRequest.objects.create(
                patient=patient, case_code=patient.case_code, proposed_by=actor
            )
    except IntegrityError:
        # Another officer proposed it a moment ago (one open proposal per case code).
        raise RetentionRefused(ALREADY_PROPOSED) from None
    audit_event_record(
        event_type=EventType.DESTRUCTION_PROPOSED,
        actor=actor,
        target=request,
        case_code=patient.case_code,
        details={"patient": patient.pk},
    )
    return request


def _open_request_lock(request_id: int) -> DestructionRequest:
    request = DestructionRequest.objects.select_for_update().get(pk=request_id)
    if request.status != DestructionStatus.PROPOSED:
        raise RetentionRefused(NOT_OPEN)
    return request


def destruction_reject(*, actor: User, request: DestructionRequest) -> DestructionRequest:
    """Record a second privacy officer's refusal to destroy the case."""
    _require_officer(actor, RetentionAction.DECIDE, request.pk)
    if request.proposed_by_id == actor.pk:
        retention_denial_record(
            user=actor,
            action=RetentionAction.DECIDE,
            reason=DenialReason.SECOND_PERSON,
            target_type=REQUEST_TARGET,
            target_id=request.pk,
            case_code=request.case_code,
        )
        raise RetentionRefused(PROPOSER_CANNOT_DECIDE)
    return _close(
        actor=actor,
        request_id=request.pk,
        status=DestructionStatus.REJECTED,
        event_type=EventType.DESTRUCTION_REJECTED,
    )


def destruction_cancel(*, actor: User, request: DestructionRequest) -> DestructionRequest:
    """Withdraw one's own proposal before it is decided."""
    _require_officer(actor, RetentionAction.CANCEL, request.pk)
    if request.proposed_by_id != actor.pk:
        retention_denial_record(
            user=actor,
            action=RetentionAction.CANCEL,
            reason=DenialReason.NOT_PROPOSER,
            target_type=REQUEST_TARGET,
            target_id=request.pk,
            case_code=request.case_code,
        )
        raise RetentionRefused(ONLY_PROPOSER_CANCELS)
    return _close(
        actor=actor,
        request_id=request.pk,
        status=DestructionStatus.CANCELLED,
        event_type=EventType.DESTRUCTION_CANCELLED,
    )


@transaction.atomic
def _close(
    *, actor: User, request_id: int, status: DestructionStatus, event_type: EventType
) -> DestructionRequest:
    request = _open_request_lock(request_id)
    request.status = status
    request.decided_at = timezone.now()
    # A cancellation is the proposer's own act, not a decision: `decided_by` stays empty, and
    # the second-person constraint (decider is not the proposer) keeps holding.
    request.decided_by = actor if status == DestructionStatus.REJECTED else None
    request.save(update_fields=["status", "decided_at", "decided_by"])
    audit_event_record(
        event_type=event_type, actor=actor, target=request, case_code=request.case_code
    )
    return request


def destruction_approve(
    *, actor: User, request: DestructionRequest, confirmation: str
) -> DestructionTombstone:
    """Approve a proposal, confirmed by typing its case code, and destroy the case at once."""
    try:
        typed = case_codes.normalise(confirmation or "")
    except ValueError:
        typed = ""
    if typed != request.case_code:
        raise RetentionRefused(CONFIRMATION_MISMATCH)
    return patient_destroy(actor=actor, request=request)


# --- Destruction -------------------------------------------------------------------------------


def patient_destroy(*, actor: User, request: DestructionRequest) -> DestructionTombstone:
    """Destroy every row of the proposal's patient in one transaction; return the tombstone.

    `actor` is the second privacy officer. Closure, retention and legal holds are checked
    again under a lock on the patient; a refusal is audited and changes nothing.
    """
    _require_officer(actor, RetentionAction.DECIDE, request.pk)
    if request.proposed_by_id == actor.pk:
        retention_denial_record(
            user=actor,
            action=RetentionAction.DECIDE,
            reason=DenialReason.SECOND_PERSON,
            target_type=REQUEST_TARGET,
            target_id=request.pk,
            case_code=request.case_code,
        )
        raise RetentionRefused(PROPOSER_CANNOT_DECIDE)
    try:
        tombstone, files = _destroy(actor=actor, request_id=request.pk)
    except _Blocked as blocked:
        raise _blocked_record(
            actor=actor, blocked=blocked, stage=RetentionAction.DECIDE, request_id=request.pk
        ) from None
    # Files (if a model ever stores any) go only once the rows are gone for good.
    transaction.on_commit(lambda: _stored_files_delete(files), robust=True)
    return tombstone


StoredFile = tuple[Storage, str]


@transaction.atomic
def _destroy(*, actor: User, request_id: int) -> tuple[DestructionTombstone, list[StoredFile]]:
    request = _open_request_lock(request_id)
    if request.patient_id is None:
        raise RetentionRefused(NOT_OPEN)
    patient = _destroyable_patient(patient_id=request.patient_id, today=timezone.localdate())
    rows = patient_rows(patient_id=patient.pk)
    destroyed = destroyed_kinds(rows)
    files = _stored_files(rows)
    log_entries = _admin_log_entries(rows)
    if log_entries is not None:
        count, _per_model = log_entries.delete()
        if count:
            destroyed[ADMIN_LOG_LABEL] = count
    _rows_delete(rows)
    request.status = DestructionStatus.DESTROYED
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.patient = None
    request.save(update_fields=["status", "decided_by", "decided_at", "patient"])
    tombstone = DestructionTombstone.objects.create(
        case_code=patient.case_code,
        registered_on=patient.registered_on,
        closed_on=patient.closed_on,
        request=request,
        proposed_by_id=request.proposed_by_id,
        approved_by=actor,
        destroyed=destroyed,
    )
    audit_event_record(
        event_type=EventType.DESTRUCTION_APPROVED,
        actor=actor,
        target=request,
        case_code=patient.case_code,
    )
    audit_event_record(
        event_type=EventType.PATIENT_DESTROYED,
        actor=actor,
        target_type="patients.patient",
        target_id=patient.pk,
        case_code=patient.case_code,
        details={
            "destruction_request": request.pk,
            "tombstone": tombstone.pk,
            "destroyed": destroyed,
        },
    )
    return tombstone, files


def _rows_delete(rows: dict[type[models.Model], set[Any]]) -> None:
    """Delete the rows children first, so no PROTECT foreign key ever refuses."""
    links = patient_links()
    remaining = set(rows)
    while remaining:
        # A model goes once no other remaining model still points at it.
        ready = [
            model
            for model in remaining
            if not any(
                link.parent is model and link.model is not model and link.model in remaining
                for link in links
            )
        ]
        if not ready:
            raise RuntimeError("The patient's models reference each other in a cycle.")
        for model in sorted(ready, key=lambda m: m._meta.label_lower):
            _model_rows_delete(
                model,
                rows[model],
                [link.field for link in links if link.model is model and link.parent is model],
            )
            remaining.discard(model)


def _model_rows_delete(
    model: type[models.Model], keys: set[Any], self_fields: list[models.ForeignKey[Any, Any]]
) -> None:
    keys = set(keys)
    while keys:
        batch = keys
        if self_fields:
            # Amendments before the notes they amend: each round takes the rows nothing left
            # in the set points at.
            pointed: set[Any] = set()
            for field in self_fields:
                pointed |= set(
                    model._base_manager.filter(
                        pk__in=keys, **{f"{field.attname}__isnull": False}
                    ).values_list(field.attname, flat=True)
                )
            batch = keys - pointed
            if not batch:
                raise RuntimeError("Rows of one model reference each other in a cycle.")
        # Primary keys only: deleting must not decrypt the values it removes (one that fails
        # its integrity check would otherwise make the case impossible to destroy).
        _count, per_model = model._base_manager.filter(pk__in=batch).only("pk").delete()
        if per_model.get(model._meta.label, 0) != len(batch):
            # Someone changed the rows under us: roll the whole destruction back.
            raise RuntimeError("The rows to destroy changed during the destruction.")
        keys -= batch


def _stored_files(rows: dict[type[models.Model], set[Any]]) -> list[StoredFile]:
    """Return (storage, name) of every file a destroyed row points at (none today)."""
    files: list[StoredFile] = []
    for model, keys in rows.items():
        for field in model._meta.concrete_fields:
            if isinstance(field, models.FileField):
                names = model._base_manager.filter(pk__in=keys).values_list(
                    field.attname, flat=True
                )
                files += [(field.storage, name) for name in names if name]
    return files


def _stored_files_delete(files: list[StoredFile]) -> None:
    failed = 0
    for storage, name in files:
        try:
            storage.delete(name)
        except OSError:
            failed += 1
    if failed:
        # Counts only: a file name can say whose file it is.
        logger.error("destruction left %s of %s files to remove by hand", failed, len(files))


def _admin_log_entries(rows: dict[type[models.Model], set[Any]]) -> Any:
    """Return the admin history rows about the destroyed rows (their titles are case codes)."""
    if not apps.is_installed("django.contrib.admin"):
        return None
    from django.contrib.admin.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    types = ContentType.objects.get_for_models(*rows.keys())
    match = Q(pk__in=[])
    for model, keys in rows.items():
        match |= Q(content_type=types[model], object_id__in=[str(key) for key in keys])
    return LogEntry.objects.filter(match)
