"""Periodic audit-trail work: sealing new events and verifying the chain (beat schedule in
settings). Both take no arguments and are idempotent: a second run finds nothing to do or
reports the same result."""

from __future__ import annotations

from celery import shared_task

from . import sealing, services


@shared_task(name="carecore.audit.tasks.audit_seal", time_limit=120, soft_time_limit=100)
def audit_seal() -> int:
    """Seal pending audit events; stand aside if another sealer is running."""
    # Not waiting for the lock: the next run, five seconds later, picks up whatever is left.
    return sealing.audit_seal_pending(wait=False).sealed


@shared_task(name="carecore.audit.tasks.audit_verify", time_limit=3300, soft_time_limit=3000)
def audit_verify() -> str:
    """Verify the hash chain, record the outcome as an audit event and return its status."""
    # No sealing first: a stopped sealer must show up here as overdue events.
    return str(services.audit_chain_check(seal_first=False, source="task").status)
