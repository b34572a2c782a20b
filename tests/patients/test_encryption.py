"""Encryption at rest: no canary in any column of any patient table; tampering is caught."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, models
from django.utils import timezone

from carecore.audit.events import EventType
from carecore.audit.models import AuditEvent
from carecore.crypto.exceptions import IntegrityError
from carecore.crypto.fields import EncryptedFieldMixin
from patients import selectors, services
from patients.models import ClinicalNote
from patients.permissions import Action
from patients.services import ConsentDetails, ExplanationDetails, PatientDetails
from tests.conftest import CANARY_MARKER, canary

from .conftest import PATIENT_MODELS, last_event_id

pytestmark = pytest.mark.django_db


@pytest.fixture
def everything(world, clinician):
    """Write every encrypted field of every patient model through the services, with canaries."""
    patient = services.patient_register(
        actor=clinician,
        details=PatientDetails(
            preferred_name=canary("preferred"),
            legal_name=canary("legal"),
            date_of_birth=dt.date(1991, 2, 3),
            approximate_age=33,
            sex="female",
            gender=canary("gender"),
            nationality=canary("nationality"),
            languages=(canary("language"),),
            interpreter_needed=True,
            document_number=canary("document"),
            phone=canary("phone"),
            email="canaryd41d8c@example.org",
            postal_address=canary("address"),
            safe_contact_channel="text_message",
            safe_contact_times=canary("times"),
            voicemail_safe=True,
            letters_safe=True,
            code_word=canary("code-word"),
            emergency_contact_name=canary("emergency"),
            emergency_contact_relationship=canary("relationship"),
            emergency_contact_phone=canary("emergency-phone"),
            current_location=canary("location"),
        ),
        explanation=ExplanationDetails(True, True, True, True, note=canary("explanation-note")),
        consents=[
            ConsentDetails(
                purpose="sharing_with_organisation",
                status="given",
                explanation=canary("explained"),
                organisation=canary("org"),
                scope=canary("scope"),
            ),
            ConsentDetails(
                purpose="research", status="not_obtained", not_obtained_reason=canary("why-not")
            ),
        ],
    )
    withheld = services.patient_register(
        actor=clinician,
        details=PatientDetails(
            preferred_name=canary("alias"),
            legal_name_withheld=True,
            legal_name_withheld_reason=canary("withheld"),
        ),
        explanation=ExplanationDetails(True, True, True, True),
    )
    services.note_add(
        actor=clinician,
        patient=patient,
        encounter_date=timezone.localdate(),
        note_type="consultation",
        body=canary("note"),
    )
    services.treatment_goal_add(actor=clinician, patient=patient, goal=canary("goal"))
    services.safety_flag_raise(
        actor=clinician, patient=patient, kind="other", details=canary("flag")
    )
    services.attachment_upload(
        actor=clinician,
        patient=patient,
        filename=canary("file") + ".pdf",
        content=b"%PDF-1.4 " + canary("pdf").encode(),
        description=canary("description"),
    )
    outsider = world["not_on_team"]
    grant = services.break_glass_grant(
        actor=outsider,
        patient=patient,
        reason=canary("reason"),
        password="correct horse battery staple 42",
    )
    services.break_glass_review(
        actor=world["privacy_officer"], grant=grant, outcome="justified", note=canary("review")
    )
    return patient, withheld


def _raw_rows(model: type[models.Model]) -> list[tuple]:
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")  # table name from the model, not input
        return cursor.fetchall()


def _as_bytes(value: object) -> bytes:
    if isinstance(value, memoryview | bytes):
        return bytes(value)
    return str(value).encode("utf-8")


def test_no_canary_in_any_column_of_any_patient_table(everything):
    marker = CANARY_MARKER.encode()
    leaks = []
    for model in PATIENT_MODELS:
        for row in _raw_rows(model):
            leaks += [model.__name__ for value in row if marker in _as_bytes(value)]
        # Case-insensitive too: the email canary is lower case.
        for row in _raw_rows(model):
            leaks += [model.__name__ for value in row if marker.lower() in _as_bytes(value).lower()]

    assert leaks == []


def test_every_encrypted_column_was_written(everything):
    empty = []
    for model in PATIENT_MODELS:
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedFieldMixin):
                filled = model.objects.filter(**{f"{field.name}__isnull": False}).exists()
                if not filled:
                    empty.append(f"{model.__name__}.{field.name}")

    assert empty == []


def test_encrypted_columns_are_bytea(everything):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT data_type FROM information_schema.columns "
            "WHERE table_name = 'patients_patient' AND column_name = 'preferred_name'"
        )
        assert cursor.fetchone() == ("bytea",)


def test_values_read_back_through_the_selectors(everything, clinician):
    patient, _ = everything

    fetched = selectors.patient_get_for(
        user=clinician, action=Action.READ_RESTRICTED, uuid=patient.uuid
    )

    assert (fetched.preferred_name, fetched.current_location, fetched.languages) == (
        canary("preferred"),
        canary("location"),
        [canary("language")],
    )
    assert (fetched.interpreter_needed, fetched.approximate_age) == (True, 33)


def _flip_last_byte(table: str, column: str, pk: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])
        (value,) = cursor.fetchone()
        value = bytes(value)
        cursor.execute(
            f"UPDATE {table} SET {column} = %s WHERE id = %s",
            [value[:-1] + bytes([value[-1] ^ 0x01]), pk],
        )


def test_a_tampered_name_raises_the_handled_error_and_is_audited(everything, clinician):
    patient, _ = everything
    _flip_last_byte("patients_patient", "preferred_name", patient.pk)
    mark = last_event_id()

    with pytest.raises(IntegrityError):
        selectors.patient_get_for(user=clinician, action=Action.VIEW_CLINICAL, uuid=patient.uuid)

    integrity = AuditEvent.objects.filter(id__gt=mark, event_type=EventType.INTEGRITY_ERROR)
    assert [e.details for e in integrity] == [
        {"model": "patients.Patient", "field": "preferred_name", "reason": "bad_mac"}
    ]


def test_a_tampered_note_is_never_shown_as_garbage_or_blank(everything, clinician):
    patient, _ = everything
    note = ClinicalNote.objects.get(patient_id=patient.pk)
    _flip_last_byte("patients_clinicalnote", "body", note.pk)
    fetched = selectors.patient_get_for(
        user=clinician, action=Action.VIEW_CLINICAL, uuid=patient.uuid
    )

    with pytest.raises(IntegrityError):
        selectors.notes_timeline(user=clinician, patient=fetched)
