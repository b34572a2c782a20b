"""Writing audit events. Call inside the same transaction as the change being audited."""

from __future__ import annotations

from typing import Any

from django.db import models

from . import context
from .events import EventType, Outcome
from .models import AuditEvent


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
    field values or free text from a record.
    """
    if target is not None:
        target_type = target._meta.label_lower
        target_id = target.pk
    ctx = context.current()
    actor_id = actor.pk if actor is not None and getattr(actor, "is_authenticated", False) else None
    return AuditEvent.objects.create(
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
