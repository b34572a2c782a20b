"""Recording leave privately: only the person ever reads their leave records."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from carecore.accounts.models import User
from carecore.audit.events import EventType
from carecore.audit.services import audit_event_record

from ..models import LeaveRecord
from ..permissions_support import WellbeingInvalid, owned_or_404

ENDS_BEFORE_START = _("The last day of leave cannot be before the first.")


@transaction.atomic
def leave_record(
    *, actor: User, starts_on: dt.date, ends_on: dt.date, note: str = ""
) -> LeaveRecord:
    """Record leave `actor` took, from `starts_on` to `ends_on` inclusive."""
    if ends_on < starts_on:
        raise WellbeingInvalid(ENDS_BEFORE_START, field="ends_on")
    leave = LeaveRecord.objects.create(
        person=actor, starts_on=starts_on, ends_on=ends_on, note=note.strip()
    )
    audit_event_record(event_type=EventType.LEAVE_RECORDED, actor=actor, target=leave)
    return leave


def leave_delete(*, actor: User, leave_id: int) -> None:
    """Delete one of `actor`'s own leave records; anyone else's answers 404."""
    leave = owned_or_404(LeaveRecord.objects.all(), actor=actor, pk=leave_id, action="leave_delete")
    with transaction.atomic():
        audit_event_record(
            event_type=EventType.LEAVE_DELETED,
            actor=actor,
            target_type="staffwellbeing.leaverecord",
            target_id=leave.pk,
        )
        leave.delete()
