"""Sections of one patient's record: notes, plan, consents, safety, attachments, care team.

Each takes a patient returned by `patient_get_for` for the same user and a read action (that
fetch wrote the PATIENT_VIEWED event) and filters again on the policy in the same query, so a
section can never show more than the policy allows. Query counts do not grow with the
number of rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Case, F, QuerySet, Value, When

from carecore.audit.events import EventType

from ..auditing import patient_event_record
from ..exceptions import PatientNotFound
from ..models import (
    Attachment,
    CareTeamMembership,
    ClinicalNote,
    Consent,
    IntakeExplanation,
    Patient,
    SafetyFlag,
    Sensitivity,
    TreatmentGoal,
)
from ..permissions import NOTHING, Action, note_readable_condition, patients_for
from .patients import require_fetched

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from carecore.accounts.models import User

    AnyUser = User | AnonymousUser

CLINICAL_READS = frozenset({Action.VIEW_CLINICAL, Action.READ_RESTRICTED})
METADATA_READS = frozenset({Action.VIEW_METADATA, Action.VIEW_CLINICAL, Action.READ_RESTRICTED})
STAFF_NAME_FIELDS = ("username", "first_name", "last_name")


def _clinical_patients(user: AnyUser) -> QuerySet[Patient]:
    return patients_for(user, Action.VIEW_CLINICAL)


@dataclass(frozen=True)
class NoteEntry:
    """A note as the timeline shows it to one user.

    `body` is None and `hidden` True for a restricted note the user may not read: the entry
    says that it exists (date, type, author), and its ciphertext was never even fetched.
    """

    id: int
    encounter_date: dt.date
    note_type: str
    sensitivity: str
    author_id: int
    author_username: str
    recorded_at: dt.datetime
    amends_id: int | None
    amended_by: tuple[int, ...]
    body: str | None
    hidden: bool

    @property
    def is_restricted(self) -> bool:
        return self.sensitivity == Sensitivity.RESTRICTED


def _note_entries(
    user: AnyUser, patient: Patient, notes: QuerySet[ClinicalNote], limit: int | None = None
) -> list[NoteEntry]:
    readable = note_readable_condition(user)
    body_field = ClinicalNote._meta.get_field("body")
    # The body column is selected only where the user may read it; elsewhere the database
    # returns NULL, so a hidden body is never transferred, decrypted or held in memory.
    visible_body = (
        Value(None, output_field=body_field)
        if readable is NOTHING
        else Case(When(readable, then=F("body")), default=Value(None), output_field=body_field)
    )
    notes = (
        notes.filter(patient_id=patient.pk, patient__in=_clinical_patients(user))
        .select_related("author")
        .only(
            "id",
            "patient_id",
            "encounter_date",
            "note_type",
            "sensitivity",
            "recorded_at",
            "amends_id",
            "author__username",
        )
        .annotate(visible_body=visible_body)
        .order_by("-encounter_date", "-recorded_at", "-id")
    )
    rows = list(notes[:limit] if limit is not None else notes)
    amended_by: dict[int, list[int]] = {}
    if rows:
        links = ClinicalNote.objects.filter(
            patient_id=patient.pk, amends_id__in=[note.pk for note in rows]
        ).values_list("amends_id", "pk")
        for original_id, amendment_id in links:
            amended_by.setdefault(original_id, []).append(amendment_id)
    entries = [
        NoteEntry(
            id=note.pk,
            encounter_date=note.encounter_date,
            note_type=note.note_type,
            sensitivity=note.sensitivity,
            author_id=note.author_id,
            author_username=note.author.username,
            recorded_at=note.recorded_at,
            amends_id=note.amends_id,
            amended_by=tuple(sorted(amended_by.get(note.pk, ()))),
            body=note.visible_body,  # type: ignore[attr-defined]
            hidden=note.visible_body is None,  # type: ignore[attr-defined]
        )
        for note in rows
    ]
    revealed = sorted(entry.id for entry in entries if entry.is_restricted and not entry.hidden)
    if revealed:
        # Standard entries are covered by the page's PATIENT_VIEWED event; restricted ones
        # are named, so the access log shows exactly which sensitive entries were read.
        patient_event_record(
            event_type=EventType.NOTE_VIEWED,
            actor=user,
            patient=patient,
            details={"restricted_notes": revealed},
        )
    return entries


def notes_timeline(*, user: AnyUser, patient: Patient, limit: int | None = None) -> list[NoteEntry]:
    """Return the patient's notes, newest encounter first, with amendments linked both ways.

    Restricted bodies the user may not read come back hidden. Reading restricted bodies
    writes one NOTE_VIEWED event naming them, before anything is returned. Two queries
    (three with that event), whatever the number of notes.
    """
    require_fetched(patient, user, CLINICAL_READS)
    return _note_entries(user, patient, ClinicalNote.objects.all(), limit=limit)


def note_get_for(*, user: AnyUser, patient: Patient, note_id: int) -> NoteEntry:
    """Return one note of the patient as `user` may see it, or raise PatientNotFound."""
    require_fetched(patient, user, CLINICAL_READS)
    entries = _note_entries(user, patient, ClinicalNote.objects.filter(pk=note_id))
    if not entries:
        raise PatientNotFound
    return entries[0]


def treatment_goals_for(*, user: AnyUser, patient: Patient) -> QuerySet[TreatmentGoal]:
    """Return the treatment plan's goals: active first, then by review date."""
    require_fetched(patient, user, CLINICAL_READS)
    return (
        TreatmentGoal.objects.filter(patient_id=patient.pk, patient__in=_clinical_patients(user))
        .select_related("created_by")
        .only(
            "id",
            "patient_id",
            "goal",
            "agreed_on",
            "status",
            "review_on",
            "created_at",
            "updated_at",
            *(f"created_by__{name}" for name in STAFF_NAME_FIELDS),
        )
    )


def consents_for(*, user: AnyUser, patient: Patient) -> QuerySet[Consent]:
    """Return every consent record of the patient, by purpose, newest first within each."""
    require_fetched(patient, user, CLINICAL_READS)
    return Consent.objects.filter(
        patient_id=patient.pk, patient__in=_clinical_patients(user)
    ).select_related("explained_by", "recorded_by", "withdrawn_by")


def safety_flags_for(
    *, user: AnyUser, patient: Patient, include_resolved: bool = False
) -> QuerySet[SafetyFlag]:
    """Return the patient's safety flags in force (and resolved ones if asked), newest first."""
    require_fetched(patient, user, CLINICAL_READS)
    flags = SafetyFlag.objects.filter(patient_id=patient.pk, patient__in=_clinical_patients(user))
    if not include_resolved:
        flags = flags.filter(resolved_at__isnull=True)
    return flags.select_related("raised_by", "resolved_by")


def attachments_for(*, user: AnyUser, patient: Patient) -> QuerySet[Attachment]:
    """Return the patient's attachments without their content (download it with its service)."""
    require_fetched(patient, user, CLINICAL_READS)
    return (
        Attachment.objects.filter(patient_id=patient.pk, patient__in=_clinical_patients(user))
        .defer("content")
        .select_related("uploaded_by")
    )


def intake_explanation_for(*, user: AnyUser, patient: Patient) -> IntakeExplanation | None:
    """Return what was explained at the first consultation, if recorded."""
    require_fetched(patient, user, CLINICAL_READS)
    return (
        IntakeExplanation.objects.filter(
            patient_id=patient.pk, patient__in=_clinical_patients(user)
        )
        .select_related("explained_by")
        .first()
    )


def care_team_for(
    *, user: AnyUser, patient: Patient, include_past: bool = False
) -> QuerySet[CareTeamMembership]:
    """Return the care team (lead first), for the team and for those who see the caseload."""
    require_fetched(patient, user, METADATA_READS)
    memberships = CareTeamMembership.objects.filter(
        patient_id=patient.pk, patient__in=patients_for(user, Action.VIEW_METADATA)
    )
    if not include_past:
        memberships = memberships.active()
    return memberships.select_related("clinician").order_by(
        F("end_date").desc(nulls_first=True), "role", "start_date", "id"
    )
