"""Sharing one result with a supervisor: explicit, revocable, audited, by the person only."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carecore.audit.events import EventType
from carecore.audit.services import audit_event_record

from ..models import CheckIn, ResultShare
from ..permissions import can_share_checkin
from ..selectors.checkins import (
    CheckInNotFound,
    DenialReason,
    Purpose,
    supervisors_of,
    wellbeing_denial_record,
)

if TYPE_CHECKING:
    from carecore.accounts.models import User

NOT_YOUR_SUPERVISOR = _("You can share a result only with someone who supervises you now.")
ALREADY_SHARED = _("This result is already shared with that supervisor.")
NOT_SHARED = _("This result is not shared with that supervisor.")


class ShareRefused(ValueError):
    """The share or unshare cannot be done; `str()` is one of the constants above."""


def _require_owner(actor: User, checkin: CheckIn) -> None:
    if not can_share_checkin(actor, checkin):
        wellbeing_denial_record(
            actor=actor, purpose=Purpose.SHARE, reason=DenialReason.POLICY, target_id=checkin.pk
        )
        raise CheckInNotFound


def result_share(*, actor: User, checkin: CheckIn, supervisor: User) -> ResultShare:
    """Share `checkin` with `supervisor`, who must actively supervise `actor`."""
    _require_owner(actor, checkin)
    if supervisor.pk not in {person.pk for person in supervisors_of(actor)}:
        raise ShareRefused(str(NOT_YOUR_SUPERVISOR))
    try:
        with transaction.atomic():
            share = ResultShare.objects.create(checkin=checkin, supervisor=supervisor)
            audit_event_record(
                event_type=EventType.RESULT_SHARED,
                actor=actor,
                target=share,
                details={"checkin_id": checkin.pk, "supervisor_id": supervisor.pk},
            )
    except IntegrityError:
        # The partial unique constraint: one active share per result and supervisor.
        raise ShareRefused(str(ALREADY_SHARED)) from None
    return share


def result_unshare(*, actor: User, checkin: CheckIn, supervisor_id: int) -> ResultShare:
    """Revoke the active share of `checkin` with supervisor `supervisor_id`."""
    _require_owner(actor, checkin)
    with transaction.atomic():
        share = (
            ResultShare.objects.select_for_update()
            .filter(checkin_id=checkin.pk, supervisor_id=supervisor_id, revoked_at__isnull=True)
            .first()
        )
        if share is None:
            raise ShareRefused(str(NOT_SHARED))
        share.revoked_at = timezone.now()
        share.save(update_fields=["revoked_at"])
        audit_event_record(
            event_type=EventType.RESULT_SHARE_REVOKED,
            actor=actor,
            target=share,
            details={"checkin_id": checkin.pk, "supervisor_id": supervisor_id},
        )
    return share
