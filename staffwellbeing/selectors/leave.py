"""Reading a person's own leave records and the time since their last leave."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from carecore.accounts.models import User
from carecore.audit.events import EventType
from carecore.audit.services import audit_event_record

from ..models import LeaveRecord


def leave_own(*, user: User) -> list[LeaveRecord]:
    """Return `user`'s own leave records, latest first; the read is audited."""
    # The dates are encrypted, so they are sorted here rather than by the database.
    records = sorted(
        LeaveRecord.objects.filter(person_id=user.pk),
        key=lambda leave: (leave.starts_on, leave.pk),
        reverse=True,
    )
    audit_event_record(
        event_type=EventType.LEAVE_VIEWED,
        actor=user,
        target_type="staffwellbeing.leaverecord",
        details={"count": len(records)},
    )
    return records


def days_since_last_leave(user: User, today: dt.date | None = None) -> int | None:
    """Return the days since `user`'s last leave ended (0 while on leave), or None if none."""
    today = today or timezone.localdate()
    ends = [
        min(leave.ends_on, today)
        for leave in LeaveRecord.objects.filter(person_id=user.pk).only("starts_on", "ends_on")
        if leave.starts_on <= today
    ]
    if not ends:
        return None
    return (today - max(ends)).days
