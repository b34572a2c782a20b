"""Overdue supervision and caseload reviews due: the idempotent sweep and reading reminders.

The due state is a row per person, kind and start of the period (`SupervisionDue`), so the
sweep can run any number of times (or catch up after an outage) and remind once per period.
A period ends when the person is no longer due, or when a new period with another start
replaces it (a session was held, or the cadence changed): its row is then resolved.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from carecore.audit.events import EventType
from carecore.audit.services import audit_event_record

from ..models import DueKind, SupervisionDue, SupervisionNotification
from ..permissions.arrangements import ArrangementNotFound, access_denied_record
from ..selectors.reviews_due import review_statuses
from ..selectors.status import supervision_statuses

if TYPE_CHECKING:
    from carecore.accounts.models import User

_EVENT_FOR_KIND = {
    DueKind.SUPERVISION_OVERDUE: EventType.SUPERVISION_OVERDUE_NOTIFIED,
    DueKind.CASELOAD_REVIEW_DUE: EventType.CASELOAD_REVIEW_DUE_NOTIFIED,
}


@dataclass(frozen=True)
class _Due:
    person_id: int
    supervisor_id: int
    due_since: dt.datetime


def _start_of_day(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _current_dues(kind: DueKind, now: dt.datetime) -> list[_Due]:
    if kind == DueKind.SUPERVISION_OVERDUE:
        return [
            _Due(status.supervisee_id, status.supervisor_id, status.due_at)
            for status in supervision_statuses(now=now)
            if status.overdue
        ]
    return [
        _Due(status.clinician_id, status.supervisor_id, _start_of_day(status.due_on))
        for status in review_statuses(today=timezone.localdate(now))
        if status.due
    ]


@transaction.atomic
def _due_open(kind: DueKind, due: _Due, now: dt.datetime) -> bool:
    row, created = SupervisionDue.objects.get_or_create(
        person_id=due.person_id,
        kind=kind,
        due_since=due.due_since,
        defaults={"created_at": now},
    )
    if not created:
        return False
    recipients = [due.person_id, due.supervisor_id]
    SupervisionNotification.objects.bulk_create(
        [
            SupervisionNotification(due=row, recipient_id=recipient, created_at=now)
            for recipient in recipients
        ],
        ignore_conflicts=True,
    )
    audit_event_record(
        event_type=_EVENT_FOR_KIND[kind],
        target=row,
        details={
            "person": due.person_id,
            "supervisor": due.supervisor_id,
            "recipients": recipients,
            "kind": str(kind),
        },
    )
    return True


def _sweep_kind(kind: DueKind, now: dt.datetime) -> int:
    current = _current_dues(kind, now)
    keys = {(due.person_id, due.due_since) for due in current}
    open_rows = SupervisionDue.objects.filter(kind=kind, resolved_at__isnull=True)
    # A period closes when the person is no longer due or a new period has replaced it.
    stale = [
        pk
        for pk, person_id, due_since in open_rows.values_list("pk", "person_id", "due_since")
        if (person_id, due_since) not in keys
    ]
    if stale:
        SupervisionDue.objects.filter(pk__in=stale).update(resolved_at=now)
    rows = list(
        SupervisionDue.objects.filter(
            kind=kind, person_id__in={due.person_id for due in current}
        ).values_list("pk", "person_id", "due_since", "resolved_at")
    )
    known = {(person_id, due_since) for _pk, person_id, due_since, _resolved in rows}
    # The same period back again (a held session was corrected): reopen, without a reminder.
    reopened = [pk for pk, p, since, resolved in rows if resolved and (p, since) in keys]
    if reopened:
        SupervisionDue.objects.filter(pk__in=reopened).update(resolved_at=None)
    return sum(
        _due_open(kind, due, now) for due in current if (due.person_id, due.due_since) not in known
    )


def supervision_reminders_sweep(*, now: dt.datetime | None = None) -> int:
    """Open a due row, with reminders to both parties, for each new period; resolve ended ones.

    Covers overdue individual supervision and caseload reviews due. Return how many new due
    rows (reminders) were opened; a second run at the same moment opens none.
    """
    now = now or timezone.now()
    return sum(
        _sweep_kind(kind, now)
        for kind in (DueKind.SUPERVISION_OVERDUE, DueKind.CASELOAD_REVIEW_DUE)
    )


def supervision_notification_read(*, actor: User, notification_id: int) -> SupervisionNotification:
    """Mark one of `actor`'s reminders read; anyone else's is an audited 404."""
    notification = SupervisionNotification.objects.filter(
        pk=notification_id, recipient_id=actor.pk
    ).first()
    if notification is None:
        access_denied_record(
            actor=actor,
            action="reminder_read",
            target_type="supervision.supervisionnotification",
            target_id=notification_id,
            reason="not_found",
        )
        raise ArrangementNotFound
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification
