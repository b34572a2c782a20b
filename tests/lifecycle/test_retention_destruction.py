"""Destruction: two privacy officers, legal holds, and nothing of the patient left behind."""

from __future__ import annotations

import datetime as dt

import pytest
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from carecore.accounts.models import User
from carecore.audit.events import EventType, Outcome
from carecore.audit.models import AuditEvent
from carecore.audit.sealing import audit_seal_pending, audit_verify
from lifecycle.models import (
    DestructionRequest,
    DestructionStatus,
    DestructionTombstone,
    RetentionCandidate,
)
from lifecycle.permissions.retention import (
    NOT_A_PRIVACY_OFFICER,
    ONLY_PROPOSER_CANCELS,
    PROPOSER_CANNOT_DECIDE,
    RetentionRefused,
)
from lifecycle.selectors.retention import (
    KEPT_MODELS,
    destroyed_kinds,
    patient_data_models,
    patient_rows,
)
from lifecycle.services.retention import (
    ALREADY_PROPOSED,
    CASE_NOT_CLOSED,
    CONFIRMATION_MISMATCH,
    LEGAL_HOLD_ACTIVE,
    RETENTION_NOT_ENDED,
    DestructionBlocked,
    destruction_approve,
    destruction_cancel,
    destruction_propose,
    destruction_reject,
    patient_destroy,
    retention_review_run,
)
from patients.models import Attachment, Patient, PatientStatus, Stage
from tests.factories import UserFactory
from tests.patients.factories import NoteFactory, clinician

from .factories_retention import (
    LegalHoldFactory,
    ProposalFactory,
    closed_patient,
    long_closed_patient,
    officer,
    rich_patient,
)

pytestmark = pytest.mark.django_db

# Every model whose rows are destroyed with a patient. A new model that references a patient
# (directly or through one of these) fails `test_every_model_with_a_path_to_a_patient_...`:
# check that destroying its rows with the patient is right, add it here and to `rich_patient`.
EXPECTED_PATIENT_DATA = {
    "patients.patient",
    "patients.attachment",
    "patients.breakglassgrant",
    "patients.careteammembership",
    "patients.clinicalnote",
    "patients.consent",
    "patients.intakeexplanation",
    "patients.privacynotification",
    "patients.safetyflag",
    "patients.treatmentgoal",
    "supervision.casediscussed",
    "supervision.casetransferrequest",
    "lifecycle.disclosureentry",
    "lifecycle.legalhold",
    "lifecycle.legalrequest",
    "lifecycle.patientaccessrequest",
    "lifecycle.referral",
    "lifecycle.releasepackage",
    "lifecycle.retentioncandidate",
}
# Kept on purpose: the proposal (case code and who decided) and the tombstone that points at it.
KEPT = {"lifecycle.destructionrequest", "lifecycle.destructiontombstone"}
# Tables allowed to hold the case code after destruction.
CASE_CODE_TABLES_KEPT = {
    "audit_auditevent",
    "lifecycle_destructionrequest",
    "lifecycle_destructiontombstone",
}


def _models_with_a_path_to_patient() -> set[str]:
    """Walk forward foreign keys of every model (a method independent of the service's)."""
    reached: set[type[models.Model]] = {Patient}
    grew = True
    while grew:
        grew = False
        for model in apps.get_models(include_auto_created=True):
            if model in reached:
                continue
            for field in model._meta.concrete_fields:
                if field.is_relation and field.related_model in reached:
                    reached.add(model)
                    grew = True
                    break
    return {model._meta.label_lower for model in reached}


def _text_columns_containing(needle: str) -> list[str]:
    """Return "table.column" of every text-like column outside the kept tables holding `needle`."""
    hits = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND data_type IN "
            "('text', 'character varying', 'character', 'json', 'jsonb') "
            "ORDER BY table_name, column_name"
        )
        columns = cursor.fetchall()
        for table, column in columns:
            if table in CASE_CODE_TABLES_KEPT:
                continue
            cursor.execute(
                f'SELECT count(*) FROM "{table}" WHERE "{column}"::text LIKE %s',
                [f"%{needle}%"],
            )
            if cursor.fetchone()[0]:
                hits.append(f"{table}.{column}")
    return hits


def _binary_columns_containing(needle: bytes) -> list[str]:
    hits = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND data_type = 'bytea'"
        )
        for table, column in cursor.fetchall():
            cursor.execute(
                f'SELECT count(*) FROM "{table}" WHERE position(%s::bytea in "{column}") > 0',
                [needle],
            )
            if cursor.fetchone()[0]:
                hits.append(f"{table}.{column}")
    return hits


def _snapshot(patient_id: int) -> dict[str, set]:
    return {
        model._meta.label_lower: keys for model, keys in patient_rows(patient_id=patient_id).items()
    }


def _propose(patient: Patient, proposer: User) -> DestructionRequest:
    retention_review_run()
    candidate = RetentionCandidate.objects.get(patient=patient)
    return destruction_propose(actor=proposer, candidate=candidate)


# --- Coverage ----------------------------------------------------------------------------------


def test_every_model_with_a_path_to_a_patient_is_destroyed_with_it_or_kept_on_purpose():
    found = _models_with_a_path_to_patient()

    assert found - KEPT == EXPECTED_PATIENT_DATA, (
        "A model now references patients: decide whether destruction deletes its rows, then "
        "update EXPECTED_PATIENT_DATA and rich_patient()."
    )
    assert {model._meta.label_lower for model in patient_data_models()} == EXPECTED_PATIENT_DATA
    assert {"lifecycle.destructionrequest"} == KEPT_MODELS


def test_the_rich_patient_has_rows_in_every_table_of_patient_data():
    rich = rich_patient()
    retention_review_run()

    assert set(_snapshot(rich.patient.pk)) == EXPECTED_PATIENT_DATA


# --- Destruction -------------------------------------------------------------------------------


def test_destruction_leaves_nothing_of_the_patient_but_the_tombstone_and_the_audit_trail():
    rich = rich_patient()
    other = rich_patient()
    patient = rich.patient
    case_code = patient.case_code
    LogEntry.objects.create(
        user=rich.other_staff[1],
        content_type=ContentType.objects.get_for_model(Patient),
        object_id=str(patient.pk),
        object_repr=case_code,
        action_flag=CHANGE,
    )
    proposer, approver = officer(), officer()
    proposal = _propose(patient, proposer)
    before = _snapshot(patient.pk)
    other_before = _snapshot(other.patient.pk)
    expected_counts = {label: len(keys) for label, keys in sorted(before.items())}
    expected_counts["admin.logentry"] = 1
    events_about_patient = AuditEvent.objects.filter(case_code=case_code).count()
    # The searches can fail: before destruction they find the patient's code and bytes.
    assert "patients_patient.case_code" in _text_columns_containing(case_code)
    assert "patients_attachment.content" in _binary_columns_containing(rich.attachment_content)
    assert audit_seal_pending().sealed > 0

    tombstone = destruction_approve(actor=approver, request=proposal, confirmation=case_code)

    for label, keys in before.items():
        model = apps.get_model(label)
        assert not model._base_manager.filter(pk__in=keys).exists(), label
    assert not LogEntry.objects.filter(object_repr=case_code).exists()
    assert _text_columns_containing(case_code) == []
    assert _binary_columns_containing(rich.attachment_content) == []
    assert _binary_columns_containing(rich.package_archive) == []
    # The tombstone: code, dates, people, counts by kind.
    assert tombstone.case_code == case_code
    assert tombstone.registered_on == patient.registered_on
    assert tombstone.closed_on == patient.closed_on
    assert (tombstone.proposed_by, tombstone.approved_by) == (proposer, approver)
    assert tombstone.destroyed == expected_counts
    assert tombstone.destroyed["patients.clinicalnote"] == 3
    assert tombstone.destroyed["patients.attachment"] == 1
    proposal.refresh_from_db()
    assert proposal.status == DestructionStatus.DESTROYED
    assert (proposal.patient_id, proposal.decided_by) == (None, approver)
    assert proposal.case_code == case_code
    # Audit: the old events stay, two new ones join them, and the chain still verifies.
    destroyed = AuditEvent.objects.get(event_type=EventType.PATIENT_DESTROYED)
    assert destroyed.case_code == case_code
    assert destroyed.actor == approver
    assert destroyed.details == {
        "destruction_request": proposal.pk,
        "tombstone": tombstone.pk,
        "destroyed": expected_counts,
    }
    approved = AuditEvent.objects.get(event_type=EventType.DESTRUCTION_APPROVED)
    assert (approved.case_code, approved.target_id) == (case_code, str(proposal.pk))
    assert AuditEvent.objects.filter(case_code=case_code).count() == events_about_patient + 2
    assert audit_seal_pending().sealed >= 2
    assert audit_verify().ok
    # Nobody else's data, and no member of staff, was touched.
    assert _snapshot(other.patient.pk) == other_before
    assert User.objects.filter(pk__in=[user.pk for user in rich.other_staff]).count() == 2


def test_destruction_runs_after_the_rows_are_counted_in_one_transaction(
    django_capture_on_commit_callbacks,
):
    patient = long_closed_patient()
    note = NoteFactory(patient=patient)
    NoteFactory(patient=patient, amends=note)
    proposal = _propose(patient, officer())

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        tombstone = patient_destroy(actor=officer(), request=proposal)

    assert len(callbacks) == 1  # removes stored files, if a model ever holds any
    assert tombstone.destroyed == {
        "lifecycle.retentioncandidate": 1,
        "patients.clinicalnote": 2,
        "patients.patient": 1,
    }
    assert not Patient.objects.filter(pk=patient.pk).exists()


def test_destroyed_kinds_counts_rows_by_model_label():
    patient = long_closed_patient()
    NoteFactory.create_batch(2, patient=patient)

    assert destroyed_kinds(patient_rows(patient_id=patient.pk)) == {
        "patients.clinicalnote": 2,
        "patients.patient": 1,
    }


# --- Legal holds and the other refusals -------------------------------------------------------


def test_a_legal_hold_blocks_approval_nothing_is_deleted_and_the_block_is_audited():
    rich = rich_patient()
    patient = rich.patient
    approver = officer()
    proposal = _propose(patient, officer())
    hold = LegalHoldFactory(patient=patient)
    before = _snapshot(patient.pk)

    with pytest.raises(DestructionBlocked) as refusal:
        destruction_approve(actor=approver, request=proposal, confirmation=patient.case_code)

    assert refusal.value.message is LEGAL_HOLD_ACTIVE
    assert _snapshot(patient.pk) == before
    proposal.refresh_from_db()
    assert proposal.status == DestructionStatus.PROPOSED
    assert proposal.decided_by_id is None
    assert not DestructionTombstone.objects.exists()
    assert not AuditEvent.objects.filter(event_type=EventType.PATIENT_DESTROYED).exists()
    blocked = AuditEvent.objects.get(event_type=EventType.DESTRUCTION_BLOCKED)
    assert blocked.outcome == Outcome.DENIED
    assert blocked.actor == approver
    assert blocked.case_code == patient.case_code
    assert blocked.details == {
        "reason": "legal_hold",
        "stage": "retention.decide",
        "destruction_request": proposal.pk,
    }

    # Once lifted, the same proposal goes through.
    hold.lifted_at, hold.lifted_by = timezone.now(), approver
    hold.save()
    destruction_approve(actor=approver, request=proposal, confirmation=patient.case_code)
    assert not Patient.objects.filter(pk=patient.pk).exists()


def test_a_case_under_a_legal_hold_cannot_be_proposed():
    patient = long_closed_patient()
    LegalHoldFactory(patient=patient)
    retention_review_run()
    proposer = officer()

    with pytest.raises(DestructionBlocked) as refusal:
        destruction_propose(
            actor=proposer, candidate=RetentionCandidate.objects.get(patient=patient)
        )

    assert refusal.value.message is LEGAL_HOLD_ACTIVE
    assert not DestructionRequest.objects.exists()
    blocked = AuditEvent.objects.get(event_type=EventType.DESTRUCTION_BLOCKED)
    assert blocked.details == {
        "reason": "legal_hold",
        "stage": "retention.propose",
        "destruction_request": None,
    }


def test_the_proposer_cannot_approve_their_own_proposal():
    patient = long_closed_patient()
    proposer = officer()
    proposal = _propose(patient, proposer)

    with pytest.raises(RetentionRefused) as refusal:
        destruction_approve(actor=proposer, request=proposal, confirmation=patient.case_code)
    with pytest.raises(RetentionRefused):
        destruction_reject(actor=proposer, request=proposal)

    assert refusal.value.message is PROPOSER_CANNOT_DECIDE
    assert Patient.objects.filter(pk=patient.pk).exists()
    proposal.refresh_from_db()
    assert proposal.status == DestructionStatus.PROPOSED
    denials = AuditEvent.objects.filter(event_type=EventType.ACCESS_DENIED)
    assert [event.details for event in denials] == [
        {"action": "retention.decide", "reason": "second_person"}
    ] * 2
    assert {event.case_code for event in denials} == {patient.case_code}


def test_the_database_refuses_a_decision_by_the_proposer():
    proposal = ProposalFactory(patient=long_closed_patient())
    proposal.decided_by = proposal.proposed_by
    proposal.status = DestructionStatus.REJECTED

    with pytest.raises(IntegrityError), transaction.atomic():
        proposal.save()


def test_only_privacy_officers_may_approve():
    patient = long_closed_patient()
    proposal = _propose(patient, officer())
    outsider = UserFactory(roles=["manager"])

    with pytest.raises(RetentionRefused) as refusal:
        patient_destroy(actor=outsider, request=proposal)

    assert refusal.value.message is NOT_A_PRIVACY_OFFICER
    assert Patient.objects.filter(pk=patient.pk).exists()
    denial = AuditEvent.objects.get(event_type=EventType.ACCESS_DENIED)
    assert denial.details == {"action": "retention.decide", "reason": "role"}
    assert denial.outcome == Outcome.DENIED


def test_a_wrong_confirmation_destroys_nothing():
    patient = long_closed_patient()
    other = long_closed_patient()
    proposal = _propose(patient, officer())

    for typed in ("", "not a code", other.case_code):
        with pytest.raises(RetentionRefused) as refusal:
            destruction_approve(actor=officer(), request=proposal, confirmation=typed)
        assert refusal.value.message is CONFIRMATION_MISMATCH

    assert Patient.objects.filter(pk=patient.pk).exists()
    assert not AuditEvent.objects.filter(event_type=EventType.PATIENT_DESTROYED).exists()


def test_a_case_reopened_after_the_proposal_is_not_destroyed():
    patient = long_closed_patient()
    proposal = _propose(patient, officer())
    Patient.objects.filter(pk=patient.pk).update(
        status=PatientStatus.ACTIVE, stage=Stage.RECOVERY, closed_on=None
    )

    with pytest.raises(DestructionBlocked) as refusal:
        patient_destroy(actor=officer(), request=proposal)

    assert refusal.value.message is CASE_NOT_CLOSED
    assert Patient.objects.filter(pk=patient.pk).exists()
    blocked = AuditEvent.objects.get(event_type=EventType.DESTRUCTION_BLOCKED)
    assert blocked.details["reason"] == "not_closed"


def test_a_case_still_within_retention_is_not_destroyed():
    patient = closed_patient(timezone.localdate() - dt.timedelta(days=30))
    proposal = ProposalFactory(patient=patient)

    with pytest.raises(DestructionBlocked) as refusal:
        patient_destroy(actor=officer(), request=proposal)

    assert refusal.value.message is RETENTION_NOT_ENDED
    assert Patient.objects.filter(pk=patient.pk).exists()


def test_a_case_has_one_open_proposal_at_a_time():
    patient = long_closed_patient()
    _propose(patient, officer())

    with pytest.raises(RetentionRefused) as refusal:
        destruction_propose(
            actor=officer(), candidate=RetentionCandidate.objects.get(patient=patient)
        )

    assert refusal.value.message is ALREADY_PROPOSED
    assert DestructionRequest.objects.count() == 1


# --- Rejecting and cancelling ------------------------------------------------------------------


def test_a_second_officer_rejects_and_the_case_is_kept():
    patient = long_closed_patient()
    proposal = _propose(patient, officer())
    decider = officer()

    destruction_reject(actor=decider, request=proposal)

    proposal.refresh_from_db()
    assert (proposal.status, proposal.decided_by) == (DestructionStatus.REJECTED, decider)
    assert Patient.objects.filter(pk=patient.pk).exists()
    event = AuditEvent.objects.get(event_type=EventType.DESTRUCTION_REJECTED)
    assert (event.actor, event.case_code) == (decider, patient.case_code)
    # Decided: it can no longer be approved.
    with pytest.raises(RetentionRefused):
        destruction_approve(actor=officer(), request=proposal, confirmation=patient.case_code)
    assert Patient.objects.filter(pk=patient.pk).exists()


def test_only_the_proposer_cancels():
    patient = long_closed_patient()
    proposer = officer()
    proposal = _propose(patient, proposer)

    with pytest.raises(RetentionRefused) as refusal:
        destruction_cancel(actor=officer(), request=proposal)
    assert refusal.value.message is ONLY_PROPOSER_CANCELS

    destruction_cancel(actor=proposer, request=proposal)

    proposal.refresh_from_db()
    assert proposal.status == DestructionStatus.CANCELLED
    assert proposal.decided_by_id is None
    assert AuditEvent.objects.filter(
        event_type=EventType.DESTRUCTION_CANCELLED, actor=proposer
    ).exists()
    # A new proposal may follow the cancelled one.
    _propose(patient, proposer)
    assert DestructionRequest.objects.filter(status=DestructionStatus.PROPOSED).count() == 1


def test_an_attachment_row_and_its_encrypted_bytes_go_with_the_patient():
    rich = rich_patient()
    attachment_ids = list(
        Attachment.objects.filter(patient=rich.patient).values_list("pk", flat=True)
    )
    proposal = _propose(rich.patient, officer())

    patient_destroy(actor=officer(), request=proposal)

    assert attachment_ids
    assert not Attachment.objects.filter(pk__in=attachment_ids).exists()
    assert _binary_columns_containing(rich.attachment_content) == []


def test_a_value_that_fails_its_integrity_check_does_not_stop_the_destruction():
    patient = long_closed_patient()
    note = NoteFactory(patient=patient)
    NoteFactory(patient=patient, amends=note)
    proposal = _propose(patient, officer())
    # Corrupt stored ciphertexts of the patient row and of a note: destruction deletes them
    # without decrypting them.
    with connection.cursor() as cursor:
        for table, column, pk in (
            ("patients_patient", "preferred_name", patient.pk),
            ("patients_clinicalnote", "body", note.pk),
        ):
            cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])
            token = bytearray(cursor.fetchone()[0])
            token[-5] ^= 0x01
            cursor.execute(f"UPDATE {table} SET {column} = %s WHERE id = %s", [bytes(token), pk])

    tombstone = patient_destroy(actor=officer(), request=proposal)

    assert tombstone.destroyed["patients.clinicalnote"] == 2
    assert not Patient.objects.filter(pk=patient.pk).exists()
    assert not AuditEvent.objects.filter(event_type=EventType.INTEGRITY_ERROR).exists()


def test_staff_of_the_destroyed_case_remain():
    patient = long_closed_patient()
    author = clinician()
    NoteFactory(patient=patient, author=author)
    proposal = _propose(patient, officer())

    patient_destroy(actor=officer(), request=proposal)

    assert User.objects.filter(pk=author.pk).exists()
