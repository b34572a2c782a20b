"""Individual supervision status per supervisee: last held, next scheduled, overdue.

A supervisee is overdue when their last held individual clinical session is older than the
agreed cadence allows: at `last_held + cadence_weeks` they are due, one instant later overdue.
With no held session yet, the clock starts at the agreement's start date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Max, Min, OuterRef, Subquery
from django.utils import timezone

from ..models import (
    SessionKind,
    SessionPurpose,
    SessionStatus,
    SupervisionAgreement,
    SupervisionSession,
)


@dataclass(frozen=True)
class SupervisionStatus:
    """The individual clinical supervision status of one supervisee."""

    supervisee_id: int
    supervisor_id: int
    agreement_id: int
    cadence_weeks: int
    last_held_at: dt.datetime | None
    next_scheduled_at: dt.datetime | None
    due_at: dt.datetime
    overdue: bool

    @property
    def overdue_days(self) -> int:
        """Return whole days past the due moment (0 when not overdue)."""
        if not self.overdue:
            return 0
        return max(0, (timezone.now() - self.due_at).days)


def _agreement_start(agreement_started_on: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(agreement_started_on, dt.time.min))


def due_moment(
    *, last_held_at: dt.datetime | None, started_on: dt.date, cadence_weeks: int
) -> dt.datetime:
    """Return the moment the next individual session is due (overdue strictly after it)."""
    base = last_held_at if last_held_at is not None else _agreement_start(started_on)
    return base + dt.timedelta(weeks=cadence_weeks)


def supervision_statuses(
    *,
    supervisee_ids: Iterable[int] | None = None,
    supervisor_id: int | None = None,
    now: dt.datetime | None = None,
) -> list[SupervisionStatus]:
    """Return the status of each active agreement, in one query, most overdue first.

    Filter by `supervisee_ids`, by `supervisor_id`, or neither (the whole organisation).
    """
    now = now or timezone.now()
    individual = SupervisionSession.objects.filter(
        supervisee_id=OuterRef("supervisee_id"),
        kind=SessionKind.INDIVIDUAL,
        purpose=SessionPurpose.CLINICAL,
    ).order_by()
    agreements = SupervisionAgreement.objects.filter(active=True)
    if supervisee_ids is not None:
        agreements = agreements.filter(supervisee_id__in=list(supervisee_ids))
    if supervisor_id is not None:
        agreements = agreements.filter(supervisor_id=supervisor_id)
    rows = agreements.annotate(
        last_held_at=Subquery(
            individual.filter(status=SessionStatus.HELD, starts_at__lte=now)
            .values("supervisee_id")
            .annotate(latest=Max("starts_at"))
            .values("latest")
        ),
        next_scheduled_at=Subquery(
            individual.filter(status=SessionStatus.SCHEDULED, starts_at__gt=now)
            .values("supervisee_id")
            .annotate(earliest=Min("starts_at"))
            .values("earliest")
        ),
    ).values_list(
        "pk",
        "supervisee_id",
        "supervisor_id",
        "cadence_weeks",
        "started_on",
        "last_held_at",
        "next_scheduled_at",
    )
    statuses = []
    for pk, supervisee_id, supervisor, cadence, started_on, last_held, next_at in rows:
        due_at = due_moment(last_held_at=last_held, started_on=started_on, cadence_weeks=cadence)
        statuses.append(
            SupervisionStatus(
                supervisee_id=supervisee_id,
                supervisor_id=supervisor,
                agreement_id=pk,
                cadence_weeks=cadence,
                last_held_at=last_held,
                next_scheduled_at=next_at,
                due_at=due_at,
                overdue=now > due_at,
            )
        )
    statuses.sort(key=lambda s: (not s.overdue, s.due_at, s.supervisee_id))
    return statuses
