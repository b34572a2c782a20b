"""Changing the caseload guidelines and recording caseload reviews, each audited in its transaction.

A guideline change never edits a row: it adds a new version (the newest applies), so the
history shows who changed what and when. A review stores the figures computed here, at save
time, never figures sent by a form.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carecore.audit.events import EventType
from carecore.audit.services import audit_event_record
from patients.selectors.caseload import OPEN_STAGES

from ..models import CaseloadGuideline, CaseloadReview, ReviewOutcome, SupervisionAgreement
from ..permissions.caseload import (
    NOT_A_MANAGER,
    NOT_THE_SUPERVISOR,
    CaseloadAction,
    CaseloadActionRefused,
    CaseloadInvalid,
    DenialReason,
    access_denied_record,
    can_change_guidelines,
    can_record_review_for,
)
from ..selectors.caseload import caseload_assessment_of, caseload_snapshot, guideline_current

if TYPE_CHECKING:
    from carecore.accounts.models import User

MAX_PATIENTS_LIMIT = 500
MAX_POINTS_LIMIT = 2500
MAX_STAGES = len(OPEN_STAGES)
MAX_REVIEW_CADENCE_WEEKS = 52
ACTIONS_MAX_LENGTH = 4000

MAX_PATIENTS_RANGE = _("Enter a whole number of active patients from 1 to 500.")
MAX_POINTS_RANGE = _("Enter a whole number of complexity points from 1 to 2500.")
MIN_STAGES_RANGE = _("Enter a number of stages of care from 1 to 4 (1 switches the check off).")
REVIEW_CADENCE_RANGE = _("Enter a number of weeks from 1 to 52.")
NOTHING_CHANGED = _("These values are already the guidelines in force: nothing was saved.")
INVALID_OUTCOME = _("Choose whether the caseload is balanced or needs adjustment.")
HELD_ON_IN_FUTURE = _("A review cannot be recorded for a date in the future.")
ACTIONS_REQUIRED = _("Write the agreed actions: the caseload needs adjustment.")
ACTIONS_TOO_LONG = _("Keep the agreed actions under 4000 characters.")

GUIDELINE_FIELDS: tuple[str, ...] = (
    "max_active_patients",
    "max_complexity_points",
    "min_stages",
    "review_cadence_weeks",
)
# field: (lowest, highest, message); the form shows the same bounds.
GUIDELINE_BOUNDS: dict[str, tuple[int, int, Any]] = {
    "max_active_patients": (1, MAX_PATIENTS_LIMIT, MAX_PATIENTS_RANGE),
    "max_complexity_points": (1, MAX_POINTS_LIMIT, MAX_POINTS_RANGE),
    "min_stages": (1, MAX_STAGES, MIN_STAGES_RANGE),
    "review_cadence_weeks": (1, MAX_REVIEW_CADENCE_WEEKS, REVIEW_CADENCE_RANGE),
}


def guideline_values(guideline: CaseloadGuideline) -> dict[str, int]:
    """Return the settings of `guideline` by field name."""
    return {name: int(getattr(guideline, name)) for name in GUIDELINE_FIELDS}


def _validate_guideline(values: dict[str, int]) -> None:
    for name, (lowest, highest, message) in GUIDELINE_BOUNDS.items():
        value = values[name]
        if isinstance(value, bool) or not isinstance(value, int) or not lowest <= value <= highest:
            raise CaseloadInvalid(message, field=name)


def caseload_guideline_change(
    *,
    actor: User,
    max_active_patients: int,
    max_complexity_points: int,
    min_stages: int,
    review_cadence_weeks: int,
) -> CaseloadGuideline:
    """Save a new version of the caseload guidelines (a manager's action), audited old and new."""
    if not can_change_guidelines(actor):
        access_denied_record(
            actor=actor,
            action=CaseloadAction.CHANGE_GUIDELINES,
            reason=DenialReason.ROLE,
            target=CaseloadGuideline,
        )
        raise CaseloadActionRefused(NOT_A_MANAGER)
    new = {
        "max_active_patients": max_active_patients,
        "max_complexity_points": max_complexity_points,
        "min_stages": min_stages,
        "review_cadence_weeks": review_cadence_weeks,
    }
    _validate_guideline(new)
    with transaction.atomic():
        # Lock the version in force so two managers saving at once both see what they replace.
        previous = CaseloadGuideline.objects.select_for_update().order_by("-changed_at", "-id")
        current = previous.first()
        old = guideline_values(current if current is not None else CaseloadGuideline())
        if current is not None and old == new:
            raise CaseloadInvalid(NOTHING_CHANGED)
        guideline = CaseloadGuideline.objects.create(
            **new, changed_by=actor, changed_at=timezone.now()
        )
        audit_event_record(
            event_type=EventType.CASELOAD_GUIDELINES_CHANGED,
            actor=actor,
            target=guideline,
            details={
                "previous_id": current.pk if current is not None else None,
                "old": old,
                "new": new,
                "changed": sorted(name for name in GUIDELINE_FIELDS if old[name] != new[name]),
            },
        )
    return guideline


def _validate_review(*, held_on: dt.date, outcome: str, actions: str) -> None:
    if outcome not in ReviewOutcome.values:
        raise CaseloadInvalid(INVALID_OUTCOME, field="outcome")
    if held_on > timezone.localdate():
        raise CaseloadInvalid(HELD_ON_IN_FUTURE, field="held_on")
    if len(actions) > ACTIONS_MAX_LENGTH:
        raise CaseloadInvalid(ACTIONS_TOO_LONG, field="actions")
    if outcome == ReviewOutcome.NEEDS_ADJUSTMENT and not actions:
        raise CaseloadInvalid(ACTIONS_REQUIRED, field="actions")


def _refuse_review(actor: User) -> CaseloadActionRefused:
    access_denied_record(
        actor=actor,
        action=CaseloadAction.RECORD_REVIEW,
        reason=DenialReason.RELATIONSHIP,
        target=CaseloadReview,
    )
    return CaseloadActionRefused(NOT_THE_SUPERVISOR)


def caseload_review_record(
    *, actor: User, clinician: User, held_on: dt.date, outcome: str, actions: str
) -> CaseloadReview:
    """Record a caseload review held by `clinician`'s active supervisor, with today's figures."""
    if not can_record_review_for(actor, clinician):
        raise _refuse_review(actor)
    actions = (actions or "").strip()
    _validate_review(held_on=held_on, outcome=outcome, actions=actions)
    with transaction.atomic():
        # The agreement must still be in force when the review is written, not only when asked.
        agreement_id = (
            SupervisionAgreement.objects.select_for_update()
            .filter(supervisor_id=actor.pk, supervisee_id=clinician.pk, active=True)
            .values_list("pk", flat=True)
            .first()
        )
        if agreement_id is not None:
            guideline = guideline_current()
            assessment = caseload_assessment_of(clinician.pk, guideline=guideline)
            review = CaseloadReview.objects.create(
                clinician=clinician,
                reviewer=actor,
                held_on=held_on,
                snapshot=caseload_snapshot(assessment, guideline=guideline),
                outcome=outcome,
                actions=actions,
                recorded_at=timezone.now(),
            )
            audit_event_record(
                event_type=EventType.CASELOAD_REVIEW_RECORDED,
                actor=actor,
                target=review,
                details={
                    "clinician": clinician.pk,
                    "reviewer": actor.pk,
                    "outcome": outcome,
                    "guideline": guideline.pk,
                    "flags": list(assessment.flags),
                },
            )
            return review
    # The agreement ended between the check and the write: refused, audited, nothing saved.
    raise _refuse_review(actor)
