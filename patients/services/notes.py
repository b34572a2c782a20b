"""Adding clinical notes and amending them. There is no update: notes are never edited."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from carecore.audit.events import EventType

from ..auditing import DenialReason, access_denied_record, patient_event_record
from ..exceptions import (
    ENCOUNTER_IN_FUTURE,
    INVALID_CHOICE,
    NOT_ALLOWED_TO_AMEND,
    NOTE_BODY_REQUIRED,
    ActionRefused,
    InvalidRequest,
    PatientNotFound,
)
from ..models import CareTeamMembership, CareTeamRole, ClinicalNote, NoteType, Patient, Sensitivity
from ..permissions import Action
from .access import access_require

if TYPE_CHECKING:
    from carecore.accounts.models import User

AMEND_ACTION = "amend_note"


def _validated(
    *, body: str, encounter_date: dt.date, note_type: str, sensitivity: str
) -> tuple[str, str, str]:
    text = (body or "").strip()
    if not text:
        raise InvalidRequest(NOTE_BODY_REQUIRED)
    if encounter_date > timezone.localdate():
        raise InvalidRequest(ENCOUNTER_IN_FUTURE)
    try:
        return text, NoteType(note_type).value, Sensitivity(sensitivity).value
    except ValueError:
        raise InvalidRequest(INVALID_CHOICE) from None


def note_add(
    *,
    actor: User,
    patient: Patient,
    encounter_date: dt.date,
    note_type: str,
    body: str,
    sensitivity: str = Sensitivity.STANDARD,
) -> ClinicalNote:
    """Add a note to the patient's record."""
    grant_id = access_require(actor=actor, action=Action.ADD_NOTE, patient=patient)
    text, note_type, sensitivity = _validated(
        body=body, encounter_date=encounter_date, note_type=note_type, sensitivity=sensitivity
    )
    with transaction.atomic():
        note = ClinicalNote.objects.create(
            patient_id=patient.pk,
            author=actor,
            encounter_date=encounter_date,
            note_type=note_type,
            sensitivity=sensitivity,
            body=text,
        )
        patient_event_record(
            event_type=EventType.NOTE_ADDED,
            actor=actor,
            patient=patient,
            target=note,
            details={"note_type": note_type, "sensitivity": sensitivity},
            grant_id=grant_id,
        )
    return note


def note_amend(
    *,
    actor: User,
    patient: Patient,
    note_id: int,
    body: str,
    encounter_date: dt.date | None = None,
    note_type: str | None = None,
    sensitivity: str | None = None,
) -> ClinicalNote:
    """Add an amendment to note `note_id` of `patient`: a new linked note; both stay.

    Only the note's author or the care team lead may amend it (both can read it, whatever
    its sensitivity). An amendment of a restricted note is restricted too, so the correction
    cannot reveal what the original hides. Type and date default to the original's.
    """
    grant_id = access_require(actor=actor, action=Action.ADD_NOTE, patient=patient)
    original = (
        ClinicalNote.objects.filter(pk=note_id, patient_id=patient.pk)
        .only("id", "patient_id", "author_id", "encounter_date", "note_type", "sensitivity")
        .first()
    )
    if original is None:
        access_denied_record(
            actor=actor,
            action=AMEND_ACTION,
            reason=DenialReason.NOT_FOUND,
            patient=patient,
            grant_id=grant_id,
        )
        raise PatientNotFound
    is_lead = (
        CareTeamMembership.objects.active()
        .filter(patient_id=patient.pk, clinician_id=actor.pk, role=CareTeamRole.LEAD)
        .exists()
    )
    if original.author_id != actor.pk and not is_lead:
        access_denied_record(
            actor=actor,
            action=AMEND_ACTION,
            reason=DenialReason.POLICY,
            patient=patient,
            grant_id=grant_id,
        )
        raise ActionRefused(NOT_ALLOWED_TO_AMEND)
    chosen = sensitivity or original.sensitivity
    if original.sensitivity == Sensitivity.RESTRICTED:
        chosen = Sensitivity.RESTRICTED
    encounter_date = encounter_date or original.encounter_date
    text, kind, chosen = _validated(
        body=body,
        encounter_date=encounter_date,
        note_type=note_type or original.note_type,
        sensitivity=chosen,
    )
    with transaction.atomic():
        amendment = ClinicalNote.objects.create(
            patient_id=patient.pk,
            author=actor,
            encounter_date=encounter_date,
            note_type=kind,
            sensitivity=chosen,
            body=text,
            amends_id=original.pk,
        )
        patient_event_record(
            event_type=EventType.NOTE_AMENDED,
            actor=actor,
            patient=patient,
            target=amendment,
            details={"amends": original.pk, "note_type": kind, "sensitivity": chosen},
            grant_id=grant_id,
        )
    return amendment
