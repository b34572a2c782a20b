"""Writing audit events. Call inside the same transaction as the change being audited."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import models, transaction

from . import context
from .events import EventType, Outcome
from .models import AuditEvent
from .sealing import VerifyResult, audit_seal_pending, audit_verify

logger = logging.getLogger(__name__)


def audit_event_record(
    *,
    event_type: EventType,
    actor: Any | None = None,
    outcome: Outcome = Outcome.SUCCESS,
    target: models.Model | None = None,
    target_type: str = "",
    target_id: str | int = "",
    case_code: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Write one audit event with the current request's id and address.

    `details` holds ids and enum values only (for example old and new role names), never
    field values or free text from a record. The event is only inserted here; the sealer
    chains it shortly after commit, off the request's path.
    """
    if target is not None:
        target_type = target._meta.label_lower
        target_id = target.pk
    ctx = context.current()
    actor_id = actor.pk if actor is not None and getattr(actor, "is_authenticated", False) else None
    event = AuditEvent.objects.create(
        event_type=event_type,
        outcome=outcome,
        actor_id=actor_id,
        target_type=target_type,
        target_id=str(target_id),
        case_code=case_code,
        request_id=ctx.request_id,
        ip_address=ctx.ip_address,
        details=details or {},
    )
    if getattr(settings, "CARECORE_AUDIT_SEAL_ON_COMMIT", False):
        # Registered after the insert: outside a transaction on_commit runs at once.
        transaction.on_commit(_seal_after_commit)
    return event


def audit_access_denied(
    *,
    actor: Any | None,
    action: object,
    reason: object | None = None,
    target_type: str = "",
    target_id: str | int = "",
    case_code: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Write the ACCESS_DENIED event for a refusal; call it outside the refused transaction.

    `action` and `reason` are enum values (what was tried, why it was refused); `details`
    adds more ids or enum values, never what the user typed.
    """
    recorded: dict[str, Any] = {"action": str(action)}
    if reason is not None:
        recorded["reason"] = str(reason)
    recorded.update(details or {})
    return audit_event_record(
        event_type=EventType.ACCESS_DENIED,
        actor=actor,
        outcome=Outcome.DENIED,
        target_type=target_type,
        target_id=target_id,
        case_code=case_code,
        details=recorded,
    )


def _seal_after_commit() -> None:
    # The embedded demo has no beat to run the sealer; sealing right after each commit keeps
    # its chain complete. Another sealer holding the lock will pick these events up.
    audit_seal_pending(wait=False)


def audit_chain_check(*, seal_first: bool = False, source: str = "command") -> VerifyResult:
    """Verify the hash chain (sealing pending events first if asked) and audit the outcome.

    `source` says what ran the check ("command", "task"); it is stored in the event.
    """
    if seal_first:
        audit_seal_pending(wait=True)
    result = audit_verify()
    if result.ok:
        audit_event_record(
            event_type=EventType.AUDIT_CHAIN_VERIFIED,
            target_type="audit.auditseal",
            target_id=result.head_sequence,
            details={"source": source, "checked": result.checked},
        )
        # The head hash in the log is an anchor outside the database: a truncated tail (seals
        # and events removed by someone with owner rights) cannot be detected from inside it.
        logger.info(
            "audit chain intact: %d seals, head %d %s",
            result.checked,
            result.head_sequence,
            result.head_hash,
        )
        return result
    audit_event_record(
        event_type=EventType.AUDIT_CHAIN_BROKEN,
        outcome=Outcome.FAILURE,
        target_type="audit.auditevent",
        target_id=result.event_id or "",
        details={
            "source": source,
            "status": str(result.status),
            "reason": str(result.reason),
            "checked": result.checked,
            "unsealed_overdue": result.unsealed_overdue,
        },
    )
    logger.error("audit chain %s at event %d: %s", result.status, result.event_id, result.reason)
    return result
