"""Who may read the audit trail: privacy officers and holders of `accounts.view_audit_log`."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from .models import AuditEvent

VIEW_AUDIT_LOG_PERMISSION = "accounts.view_audit_log"


def audit_log_may_view(*, user: Any) -> bool:
    """Return whether `user` may read the audit log."""
    if not (user.is_authenticated and user.is_active):
        return False
    # The designation is checked first: it costs no query, the permission check loads two.
    return bool(getattr(user, "is_privacy_officer", False)) or user.has_perm(
        VIEW_AUDIT_LOG_PERMISSION
    )


def audit_events_for(*, user: Any) -> QuerySet[AuditEvent]:
    """Return the audit events `user` may read: all of them, or none."""
    if audit_log_may_view(user=user):
        return AuditEvent.objects.all()
    return AuditEvent.objects.none()
