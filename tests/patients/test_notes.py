"""Notes are never edited: amendments are new linked notes; restricted stays restricted."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from carecore.audit.events import EventType, Outcome
from patients import services
from patients.exceptions import (
    ENCOUNTER_IN_FUTURE,
    NOT_ALLOWED_TO_AMEND,
    NOTE_BODY_REQUIRED,
    ActionRefused,
    InvalidRequest,
    PatientNotFound,
)
from patients.models import ClinicalNote, Sensitivity

from .conftest import events_after, last_event_id, only_event, snapshot
from .factories import NoteFactory

pytestmark = pytest.mark.django_db


def test_there_is_no_way_to_edit_a_note():
    assert not [
        name
        for name in dir(services)
        if name.startswith("note_") and name not in {"note_add", "note_amend"}
    ]


def test_adding_a_note(world):
    mark = last_event_id()

    note = services.note_add(
        actor=world["member"],
        patient=world.patient,
        encounter_date=timezone.localdate(),
        note_type="assessment",
        body="  assessed  ",
        sensitivity="restricted",
    )

    stored = ClinicalNote.objects.get(pk=note.pk)
    assert (stored.body, stored.author, stored.sensitivity) == (
        "assessed",
        world["member"],
        "restricted",
    )
    event = only_event(mark, EventType.NOTE_ADDED)
    assert (event.target_type, event.target_id) == ("patients.clinicalnote", str(note.pk))
    assert event.details == {"note_type": "assessment", "sensitivity": "restricted"}


@pytest.mark.parametrize(
    ("body", "encounter", "message"),
    [
        ("  ", dt.date(2024, 1, 1), NOTE_BODY_REQUIRED),
        ("fine", timezone.localdate() + dt.timedelta(days=1), ENCOUNTER_IN_FUTURE),
    ],
)
def test_invalid_notes_are_refused(world, body, encounter, message):
    before = snapshot()

    with pytest.raises(InvalidRequest) as caught:
        services.note_add(
            actor=world["lead"],
            patient=world.patient,
            encounter_date=encounter,
            note_type="other",
            body=body,
        )

    assert (str(caught.value), snapshot()) == (message, before)


@pytest.mark.parametrize("amender", ["member", "lead"])
def test_the_author_or_the_lead_amends_and_both_notes_remain(world, amender):
    original = NoteFactory(patient=world.patient, author=world["member"], body="first version")
    mark = last_event_id()

    amendment = services.note_amend(
        actor=world[amender], patient=world.patient, note_id=original.pk, body="corrected"
    )

    assert ClinicalNote.objects.get(pk=original.pk).body == "first version"
    stored = ClinicalNote.objects.get(pk=amendment.pk)
    assert (stored.amends_id, stored.body, stored.note_type, stored.encounter_date) == (
        original.pk,
        "corrected",
        original.note_type,
        original.encounter_date,
    )
    event = only_event(mark, EventType.NOTE_AMENDED)
    assert event.details["amends"] == original.pk


def test_another_member_may_not_amend(world):
    original = NoteFactory(patient=world.patient, author=world["member"])
    mark, before = last_event_id(), snapshot()

    with pytest.raises(ActionRefused) as caught:
        services.note_amend(
            actor=world["member_restricted"],
            patient=world.patient,
            note_id=original.pk,
            body="mine now",
        )

    assert str(caught.value) == NOT_ALLOWED_TO_AMEND
    event = only_event(mark, EventType.ACCESS_DENIED)
    assert (event.outcome, event.details) == (
        Outcome.DENIED,
        {"action": "amend_note", "reason": "policy"},
    )
    assert snapshot() == before


def test_an_amendment_of_a_restricted_note_is_restricted(world):
    original = NoteFactory(
        patient=world.patient, author=world["lead"], sensitivity=Sensitivity.RESTRICTED
    )

    amendment = services.note_amend(
        actor=world["lead"],
        patient=world.patient,
        note_id=original.pk,
        body="x",
        sensitivity="standard",
    )

    assert amendment.sensitivity == Sensitivity.RESTRICTED


def test_a_note_of_another_patient_cannot_be_amended_through_this_one(world):
    elsewhere = NoteFactory(author=world["lead"])
    mark = last_event_id()

    with pytest.raises(PatientNotFound):
        services.note_amend(
            actor=world["lead"], patient=world.patient, note_id=elsewhere.pk, body="x"
        )

    [event] = events_after(mark)
    assert event.details == {"action": "amend_note", "reason": "not_found"}
    assert not ClinicalNote.objects.filter(amends=elsewhere).exists()
