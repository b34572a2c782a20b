"""Recording a check-in: validate every answer, score it, store both encrypted, audit ids only."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from carecore.audit.events import EventType
from carecore.audit.services import audit_event_record

from ..models import CheckIn, InstrumentVersion
from ..permissions import can_check_in
from ..scoring import structure_of, subscale_scores, validated_answers
from ..selectors.checkins import (
    CheckInNotFound,
    DenialReason,
    Purpose,
    version_with_structure,
    wellbeing_denial_record,
)

if TYPE_CHECKING:
    from carecore.accounts.models import User


def checkin_record(
    *,
    actor: User,
    version: InstrumentVersion,
    answers: Mapping[str, object],
    answered_at: datetime | None = None,
) -> CheckIn:
    """Store `actor`'s answers on `version` with their subscale scores; raise InvalidAnswers.

    Nothing is written when any answer is missing, out of range or not a whole number.
    `answered_at` defaults to now (the demo seed back-dates its check-ins).
    """
    if not can_check_in(actor):
        wellbeing_denial_record(
            actor=actor, purpose=Purpose.CHECK_IN, reason=DenialReason.ROLE, target_type=""
        )
        raise CheckInNotFound
    structure = structure_of(version_with_structure(version.pk))
    valid = validated_answers(structure, answers)
    scores = subscale_scores(structure, valid)
    with transaction.atomic():
        checkin = CheckIn.objects.create(
            person=actor,
            version_id=version.pk,
            answers=valid,
            scores=scores,
            answered_at=answered_at or timezone.now(),
        )
        audit_event_record(
            event_type=EventType.CHECKIN_RECORDED,
            actor=actor,
            target=checkin,
            details={"checkin_id": checkin.pk, "version_id": version.pk},
        )
    return checkin
