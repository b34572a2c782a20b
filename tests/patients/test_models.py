"""Invariants the database itself enforces, and model behaviour that is not a service's."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from patients.models import Patient, PatientStatus, Stage
from supervision.models import SupervisionAgreement
from tests.factories import UserFactory

from .factories import GoalFactory, GrantFactory, NoteFactory, PatientFactory, SupervisionFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "fields",
    [
        {"complexity": 0},
        {"complexity": 6},
        {"risk_level": "extreme"},
        {"stage": "limbo"},
        {"status": PatientStatus.CLOSED},  # closed needs a closing date and stage
        {"stage": Stage.CLOSED},  # a closed stage on an active record
        {"legal_name": "Known", "legal_name_withheld": True},
        {"legal_name_withheld_reason": "why"},  # a reason without withholding
    ],
)
def test_the_database_refuses_inconsistent_patients(fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        PatientFactory(**fields)


def test_a_closed_patient_is_consistent():
    patient = PatientFactory(
        status=PatientStatus.CLOSED, stage=Stage.CLOSED, closed_on=timezone.localdate()
    )

    assert patient.status == PatientStatus.CLOSED


def test_case_codes_are_unique():
    existing = PatientFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        PatientFactory(case_code=existing.case_code)


def test_str_is_the_case_code_never_a_name():
    patient = PatientFactory(preferred_name="Amal")

    assert str(patient) == patient.case_code


def test_blind_indexes_follow_the_values_on_save():
    patient = PatientFactory(preferred_name="Amal", date_of_birth=dt.date(1990, 1, 1))
    first = patient.preferred_name_dob_index
    patient.preferred_name = "Amira"
    patient.save(update_fields=["preferred_name"])

    stored = Patient.objects.get(pk=patient.pk)
    assert first and stored.preferred_name_dob_index not in ("", first)
    assert stored.legal_name_dob_index == ""  # no legal name: no index, no false match


def test_a_note_cannot_amend_itself():
    note = NoteFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        type(note).objects.filter(pk=note.pk).update(amends=note.pk)


def test_a_goal_is_reviewed_after_it_was_agreed():
    with pytest.raises(IntegrityError), transaction.atomic():
        GoalFactory(agreed_on=dt.date(2026, 1, 2), review_on=dt.date(2026, 1, 1))


def test_break_glass_grants_are_consistent():
    grant = GrantFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        GrantFactory(patient=grant.patient, clinician=grant.clinician)  # two open grants
    with pytest.raises(IntegrityError), transaction.atomic():
        type(grant).objects.filter(pk=grant.pk).update(review_outcome="justified")
    with pytest.raises(IntegrityError), transaction.atomic():
        type(grant).objects.filter(pk=grant.pk).update(
            review_outcome="justified", reviewed_by=grant.clinician, reviewed_at=timezone.now()
        )


def test_supervision_agreements_are_between_two_people_once():
    agreement = SupervisionFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        SupervisionAgreement.objects.create(
            supervisor=agreement.supervisee, supervisee=agreement.supervisee
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        SupervisionAgreement.objects.create(
            supervisor=agreement.supervisor, supervisee=agreement.supervisee
        )
    SupervisionAgreement.objects.create(
        supervisor=agreement.supervisor, supervisee=UserFactory(), active=False
    )
