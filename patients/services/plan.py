"""The treatment plan: goals agreed with the patient, and their status over time."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from carecore.audit.events import EventType

from ..auditing import patient_event_record
from ..exceptions import GOAL_REQUIRED, INVALID_CHOICE, REVIEW_BEFORE_AGREEMENT, InvalidRequest
from ..models import GoalStatus, Patient, TreatmentGoal
from ..permissions import Action
from .access import access_require, patient_identity

if TYPE_CHECKING:
    from carecore.accounts.models import User


def treatment_goal_add(
    *,
    actor: User,
    patient: Patient,
    goal: str,
    agreed_on: dt.date | None = None,
    review_on: dt.date | None = None,
) -> TreatmentGoal:
    """Add a goal agreed with the patient to the treatment plan."""
    grant_id = access_require(actor=actor, action=Action.EDIT_CLINICAL, patient=patient)
    text = (goal or "").strip()
    if not text:
        raise InvalidRequest(GOAL_REQUIRED)
    agreed_on = agreed_on or timezone.localdate()
    if review_on is not None and review_on < agreed_on:
        raise InvalidRequest(REVIEW_BEFORE_AGREEMENT)
    with transaction.atomic():
        created = TreatmentGoal.objects.create(
            patient_id=patient.pk,
            goal=text,
            agreed_on=agreed_on,
            review_on=review_on,
            created_by=actor,
        )
        patient_event_record(
            event_type=EventType.PLAN_GOAL_ADDED,
            actor=actor,
            patient=patient,
            target=created,
            grant_id=grant_id,
        )
    return created


def treatment_goal_update_status(
    *,
    actor: User,
    goal: TreatmentGoal,
    status: str,
    review_on: dt.date | None = None,
) -> TreatmentGoal:
    """Set a goal's status (and its next review date, when given). The text never changes."""
    grant_id = access_require(actor=actor, action=Action.EDIT_CLINICAL, patient=goal.patient_id)
    try:
        status = GoalStatus(status).value
    except ValueError:
        raise InvalidRequest(INVALID_CHOICE) from None
    with transaction.atomic():
        locked = TreatmentGoal.objects.select_for_update().get(pk=goal.pk)
        old_status = locked.status
        if review_on is not None:
            if review_on < locked.agreed_on:
                raise InvalidRequest(REVIEW_BEFORE_AGREEMENT)
            locked.review_on = review_on
        locked.status = status
        locked.save(update_fields=["status", "review_on", "updated_at"])
        patient_event_record(
            event_type=EventType.PLAN_GOAL_UPDATED,
            actor=actor,
            patient=patient_identity(locked.patient_id),
            target=locked,
            details={"status": [old_status, status], "review_date_changed": review_on is not None},
            grant_id=grant_id,
        )
    return locked
