"""Reads of the audit trail for the viewer."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from .events import EventType, Outcome
from .models import AuditEvent
from .permissions import audit_events_for


@dataclass(frozen=True)
class AuditEventFilters:
    person: str = ""
    action: EventType | None = None
    outcome: Outcome | None = None
    target_type: str = ""
    target_id: str = ""
    case_code: str = ""
    date_from: date | None = None
    date_to: date | None = None

    def used_keys(self) -> list[str]:
        """Return the names of the filters that are set (never their values)."""
        return [f.name for f in fields(self) if getattr(self, f.name) not in (None, "")]


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def audit_event_list(*, user: Any, filters: AuditEventFilters) -> QuerySet[AuditEvent]:
    """Return the events `user` may read that match `filters`, newest first.

    The actor and seal come in the same query, so a page costs one query however long it is.
    """
    events = audit_events_for(user=user).select_related("actor", "seal")
    if filters.person:
        events = events.filter(actor__username__iexact=filters.person)
    if filters.action is not None:
        events = events.filter(event_type=filters.action)
    if filters.outcome is not None:
        events = events.filter(outcome=filters.outcome)
    if filters.target_type:
        events = events.filter(target_type=filters.target_type)
    if filters.target_id:
        events = events.filter(target_id=filters.target_id)
    if filters.case_code:
        events = events.filter(case_code=filters.case_code)
    if filters.date_from is not None:
        events = events.filter(occurred_at__gte=_day_start(filters.date_from))
    if filters.date_to is not None:
        # Inclusive: everything before the start of the following day.
        events = events.filter(occurred_at__lt=_day_start(filters.date_to + timedelta(days=1)))
    return events.order_by("-id")
