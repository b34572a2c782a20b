"""The research export: a de-identified CSV of consenting patients, audited with counts."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import TYPE_CHECKING

from carecore.audit.events import EventType, Outcome
from carecore.audit.services import audit_event_record

from ..permissions.legal import (
    RESEARCH_TARGET,
    DenialReason,
    LegalAction,
    LifecycleNotFound,
    can_export_research,
)
from ..selectors.research import RESEARCH_COLUMNS, research_rows

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from carecore.accounts.models import User

    AnyUser = User | AnonymousUser


@dataclass(frozen=True)
class ResearchExport:
    """The CSV text and how many rows it holds."""

    content: str
    rows: int


def research_export_require(*, user: AnyUser) -> None:
    """Raise LifecycleNotFound (404), audited RESEARCH_EXPORT_REFUSED, unless `user` may export."""
    if can_export_research(user):
        return
    audit_event_record(
        event_type=EventType.RESEARCH_EXPORT_REFUSED,
        actor=user,
        outcome=Outcome.DENIED,
        target_type=RESEARCH_TARGET,
        details={"action": str(LegalAction.RESEARCH_EXPORT), "reason": str(DenialReason.ROLE)},
    )
    raise LifecycleNotFound


def research_export_produce(*, actor: User) -> ResearchExport:
    """Return the de-identified CSV; audit RESEARCH_EXPORTED with counts only."""
    research_export_require(user=actor)
    result = research_rows()
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=RESEARCH_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(result.rows)
    # The event is written before the file is served: no audit row, no export.
    audit_event_record(
        event_type=EventType.RESEARCH_EXPORTED,
        actor=actor,
        target_type=RESEARCH_TARGET,
        details={"rows": len(result.rows), "excluded": result.excluded},
    )
    return ResearchExport(content=buffer.getvalue(), rows=len(result.rows))
