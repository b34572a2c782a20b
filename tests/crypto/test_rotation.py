"""Field key rotation and verification on real models: re-encrypt, resume, verify, remove a key."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, models
from django.test import override_settings
from django.utils import timezone

from carecore.accounts.roles import Role
from carecore.audit.events import EventType, Outcome
from carecore.audit.models import AuditEvent
from carecore.crypto import rotation
from carecore.crypto.cipher import decrypt_bytes, encrypt_bytes, token_key_id
from carecore.crypto.fields import EncryptedFieldMixin
from carecore.crypto.keys import FieldKey
from carecore.crypto.rotation import (
    BATCH_SIZE_INVALID,
    RESUME_FROM_INVALID,
    RESUME_MODEL_UNKNOWN,
    encrypted_tables,
    field_keys_verify,
)
from patients.models import Attachment, AttachmentType, ClinicalNote, NoteType, Patient, Sensitivity
from staffwellbeing.models import CheckIn
from supervision.models import SessionLog, SessionStatus, SupervisionSession
from tests.conftest import CANARY_MARKER, canary
from tests.factories import UserFactory
from tests.staffwellbeing.factories import answers, cfs_v1
from tests.supervision.factories import SessionFactory
from tests.testapp.models import Secret

from .conftest import SECOND_FIELD_KEY, raw_column, write_raw_column

pytestmark = pytest.mark.django_db

KEY_A = settings.CARECORE_FIELD_ENCRYPTION_KEYS[0]
KEY_B = SECOND_FIELD_KEY
BOTH_KEYS = override_settings(CARECORE_FIELD_ENCRYPTION_KEYS=[KEY_B, KEY_A])
NEW_KEY_ONLY = override_settings(CARECORE_FIELD_ENCRYPTION_KEYS=[KEY_B])
TRACKED_MODELS: tuple[type[models.Model], ...] = (
    Attachment,
    CheckIn,
    ClinicalNote,
    Patient,
    SessionLog,
    Secret,
    SupervisionSession,
)
ALLOWED_DETAIL_KEYS = {
    "newest_key_id",
    "keys_configured",
    "dry_run",
    "batch_size",
    "resumed",
    "interrupted",
    "values",
    "current",
    "stale",
    "rotated",
    "conflicts",
    "undecryptable",
    "undecryptable_by_field",
}


def encrypted_names(model: type[models.Model]) -> list[str]:
    return [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedFieldMixin)]


def generate() -> int:
    """Write patients, notes, attachments, check-ins, supervision logs and test secrets."""
    clinician = UserFactory(roles=[Role.CLINICIAN])
    supervisor = UserFactory(roles=[Role.SUPERVISOR, Role.CLINICIAN])
    patients = Patient.objects.bulk_create(
        Patient(
            registered_by=clinician,
            preferred_name=canary(f"preferred {n}"),
            legal_name=canary(f"legal {n}") if n % 2 else None,
            date_of_birth=dt.date(1980, 1, 1) + dt.timedelta(days=n) if n % 2 else None,
            approximate_age=None if n % 2 else 30 + n % 40,
            languages=["ti", "ar"] if n % 3 else [],
            interpreter_needed=bool(n % 2),
            email=f"p{n}@example.org" if n % 4 else None,
            phone=f"+44 7000 {n:06d}" if n % 5 else None,
            current_location=canary(f"shelter {n}") if n % 3 == 0 else None,
        )
        for n in range(150)
    )
    ClinicalNote.objects.bulk_create(
        ClinicalNote(
            patient=patients[n % len(patients)],
            author=clinician,
            encounter_date=dt.date(2026, 1, 1),
            note_type=NoteType.CONSULTATION,
            sensitivity=Sensitivity.STANDARD,
            body=canary(f"note {n} ünïcode ✓"),
        )
        for n in range(600)
    )
    Attachment.objects.bulk_create(
        Attachment(
            patient=patients[n],
            uploaded_by=clinician,
            original_filename=f"scan-{n}.pdf",
            description=canary(f"scan {n}") if n % 2 else None,
            content_type=AttachmentType.PDF,
            size=2048,
            content=encrypt_bytes(b"%PDF-1.7 " + bytes(range(256)) * 8),
        )
        for n in range(12)
    )
    CheckIn.objects.bulk_create(
        CheckIn(
            person=clinician,
            version=cfs_v1(),
            answered_at=timezone.now() - dt.timedelta(days=n),
            answers=answers(n % 6),
            scores={"total": n, "note": "ß"},
        )
        for n in range(200)
    )
    sessions = SessionFactory.create_batch(
        40, host=supervisor, supervisee=clinician, status=SessionStatus.HELD
    )
    SessionLog.objects.bulk_create(
        SessionLog(
            session=session,
            topics=canary("topics"),
            notes=canary(f"supervision notes {n}"),
            summary="",
            logged_by=supervisor,
        )
        for n, session in enumerate(sessions)
    )
    Secret.objects.bulk_create(
        Secret(
            body=canary(f"secret {n}"),
            name=f"name {n}",
            email=f"s{n}@example.org",
            born_on=dt.date(1990, 5, 17) if n % 2 else None,
            seen_at=timezone.now() - dt.timedelta(minutes=n) if n % 3 else None,
            answers={"n": n, "ok": True, "list": [1, "two", None]} if n % 4 else None,
        )
        for n in range(300)
    )
    return (
        sum(value is not None for values in snapshot().values() for value in values)
        + Attachment.objects.count()
    )


def snapshot() -> dict[tuple[str, Any], tuple[Any, ...]]:
    """Return every encrypted value of the tracked models, decrypted, by model and id."""
    found: dict[tuple[str, Any], tuple[Any, ...]] = {}
    for model in TRACKED_MODELS:
        names = encrypted_names(model)
        for pk, *values in model._base_manager.values_list("pk", *names):
            found[(model._meta.label, pk)] = tuple(values)
    return found


def attachment_files() -> dict[int, bytes]:
    return {
        pk: decrypt_bytes(content, model_label="patients.Attachment", field_name="content")
        for pk, content in Attachment.objects.values_list("pk", "content")
    }


def null_counts() -> dict[str, int]:
    """Return how many NULLs each encrypted column of the tracked models holds, in SQL."""
    counts = {}
    with connection.cursor() as cursor:
        for model in TRACKED_MODELS:
            for name in encrypted_names(model):
                column = model._meta.get_field(name).column
                table = model._meta.db_table
                cursor.execute(f"SELECT count(*) FROM {table} WHERE {column} IS NULL")
                counts[f"{table}.{column}"] = cursor.fetchone()[0]
    return counts


def updated_at() -> dict[tuple[str, int], dt.datetime]:
    return {
        **{("patient", pk): at for pk, at in Patient.objects.values_list("pk", "updated_at")},
        **{
            ("session", pk): at
            for pk, at in SupervisionSession.objects.values_list("pk", "updated_at")
        },
    }


def run(command: str, **options: Any) -> tuple[int, str]:
    """Run a management command and return its exit status and output."""
    out = StringIO()
    try:
        call_command(command, stdout=out, stderr=StringIO(), **options)
    except CommandError as error:
        return error.returncode, out.getvalue() + str(error)
    return 0, out.getvalue()


def events(event_type: EventType) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type=event_type).order_by("id"))


def test_a_few_thousand_values_rotate_and_decrypt_once_the_old_key_is_removed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    total = generate()
    before, files, nulls, stamps = snapshot(), attachment_files(), null_counts(), updated_at()
    assert total > 3000
    assert sum(nulls.values()) > 500
    notes = ClinicalNote.objects.count()

    with BOTH_KEYS:
        status, out = run("verify_field_keys")
        assert status == 1
        assert f"Total: {total} values on an old key, 0 undecryptable, {total} values." in out
        assert f"patients.ClinicalNote.body: {notes} on an old key, 0 undecryptable" in out
        assert "patients.Attachment.content: 12 on an old key" in out

        # Interrupted in the middle of a batch: earlier batches stay done, that one rolls back.
        real_encrypt, calls = rotation.encrypt_bytes, 0

        def failing_encrypt(data: bytes) -> bytes:
            nonlocal calls
            calls += 1
            if calls == 1234:
                raise RuntimeError("lost the database")
            return real_encrypt(data)

        monkeypatch.setattr(rotation, "encrypt_bytes", failing_encrypt)
        with pytest.raises(RuntimeError, match="lost the database"):
            run("rotate_field_keys", batch_size=50)
        monkeypatch.undo()
        (interrupted,) = events(EventType.FIELD_KEYS_ROTATED)
        assert interrupted.outcome == Outcome.FAILURE
        assert interrupted.details["interrupted"] is True
        done = interrupted.details["rotated"]
        assert 0 < done < 1233
        assert field_keys_verify().total.stale == total - done

        status, out = run("rotate_field_keys", batch_size=50)
        assert status == 0, out
        assert (
            f"Re-encrypted {total - done} values; {done} were already on the newest key; "
            "0 changed while running; 0 undecryptable." in out
        )
        assert "patients.Attachment batch 2: up to id" in out  # ten files per batch at most
        assert "patients.ClinicalNote batch 12: up to id" in out
        status, out = run("verify_field_keys")
        assert status == 0, out
        assert f"Total: 0 values on an old key, 0 undecryptable, {total} values." in out

    with NEW_KEY_ONLY:
        status, out = run("verify_field_keys")
        assert status == 0, out
        assert f"Total: 0 values on an old key, 0 undecryptable, {total} values." in out
        assert snapshot() == before
        assert attachment_files() == files
    new_id = FieldKey.derive(KEY_B).key_id_hex
    assert {
        token_key_id(raw_column(pk, "body")) for pk in Secret.objects.values_list("pk", flat=True)
    } == {new_id}
    assert null_counts() == nulls
    assert updated_at() == stamps

    started = events(EventType.FIELD_KEY_ROTATION_STARTED)
    finished = events(EventType.FIELD_KEYS_ROTATED)
    verified = events(EventType.FIELD_KEYS_VERIFIED)
    assert len(started) == len(finished) == 2
    assert [event.outcome for event in verified] == [
        Outcome.FAILURE,
        Outcome.FAILURE,
        Outcome.SUCCESS,
        Outcome.SUCCESS,
    ]
    assert finished[1].outcome == Outcome.SUCCESS
    assert finished[1].details["rotated"] == total - done
    assert finished[1].details["interrupted"] is False
    assert started[0].details["batch_size"] == 50
    assert started[0].details["newest_key_id"] == new_id
    for event in [*started, *finished, *verified]:
        assert set(event.details) <= ALLOWED_DETAIL_KEYS
        assert event.actor_id is None
        assert CANARY_MARKER not in json.dumps(event.details)
    assert events(EventType.INTEGRITY_ERROR) == []


def test_a_tampered_value_is_reported_and_left_as_it_is() -> None:
    kept = Secret.objects.create(body=canary("kept"))
    tampered = Secret.objects.create(body=canary("tampered"))
    token = raw_column(tampered.pk, "body")
    assert token is not None
    broken = bytearray(token)
    broken[-5] ^= 0x01
    write_raw_column(tampered.pk, "body", bytes(broken))

    with BOTH_KEYS:
        status, out = run("verify_field_keys")
        assert status == 2
        assert "testapp.Secret.body: 1 on an old key, 1 undecryptable, 2 values" in out
        assert f"undecryptable in rows with id {tampered.pk}\n" in out

        status, out = run("rotate_field_keys")
        assert status == 2
        assert "1 values could not be decrypted and were left as they are" in out
        assert raw_column(tampered.pk, "body") == bytes(broken)
        assert Secret.objects.get(pk=kept.pk).body == canary("kept")
        assert token_key_id(raw_column(kept.pk, "body")) == FieldKey.derive(KEY_B).key_id_hex

    (finished,) = events(EventType.FIELD_KEYS_ROTATED)
    assert finished.outcome == Outcome.FAILURE
    assert finished.details["undecryptable"] == 1
    assert finished.details["undecryptable_by_field"] == {"testapp.Secret.body": 1}
    # One integrity event per column and run (verify, then rotate), naming no value.
    integrity = events(EventType.INTEGRITY_ERROR)
    assert [event.details for event in integrity] == [
        {"model": "testapp.Secret", "field": "body", "reason": "bad_mac"}
    ] * 2


def test_values_on_a_key_removed_too_early_are_undecryptable() -> None:
    Secret.objects.create(body=canary("under key A"))

    with NEW_KEY_ONLY:
        status, out = run("verify_field_keys")

    assert status == 2
    assert "Total: 0 values on an old key, 3 undecryptable, 3 values." in out
    (integrity_body, _name, _email) = events(EventType.INTEGRITY_ERROR)
    assert integrity_body.details["reason"] == "unknown_key"
    assert integrity_body.details["key_id"] == FieldKey.derive(KEY_A).key_id_hex


def test_a_value_changed_by_the_application_meanwhile_is_not_overwritten(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    secret = Secret.objects.create(body=canary("first"))
    real_encrypt = rotation.encrypt_bytes

    def encrypt_while_the_app_writes(data: bytes) -> bytes:
        # The application saves the row between the rotation's read and its write.
        Secret.objects.filter(pk=secret.pk).update(body=canary("written by the app"))
        return real_encrypt(data)

    with BOTH_KEYS:
        monkeypatch.setattr(rotation, "encrypt_bytes", encrypt_while_the_app_writes)
        status, out = run("rotate_field_keys")
        monkeypatch.undo()
        assert status == 1
        assert "3 values were changed by the application while being rotated" in out
        assert Secret.objects.get(pk=secret.pk).body == canary("written by the app")
        assert field_keys_verify().total.stale == 2  # name and email, still on key A

        status, out = run("rotate_field_keys")
        assert status == 0, out
        assert "Re-encrypted 2 values; 1 were already on the newest key; 0 changed" in out
        assert field_keys_verify().total.stale == 0
        assert Secret.objects.get(pk=secret.pk).body == canary("written by the app")


def test_dry_run_counts_and_writes_nothing() -> None:
    secrets = Secret.objects.bulk_create(Secret(body=canary(str(n))) for n in range(4))
    tokens = [raw_column(secret.pk, "body") for secret in secrets]

    with BOTH_KEYS:
        status, out = run("rotate_field_keys", dry_run=True)

    assert status == 0, out
    assert "Dry run: 12 values would be re-encrypted; 0 are already on the newest key" in out
    assert "testapp.Secret batch 1: up to id" in out
    assert [raw_column(secret.pk, "body") for secret in secrets] == tokens
    (started,) = events(EventType.FIELD_KEY_ROTATION_STARTED)
    assert started.details["dry_run"] is True
    (finished,) = events(EventType.FIELD_KEYS_ROTATED)
    assert finished.details["rotated"] == 0
    assert finished.details["stale"] == 12


def test_resume_from_skips_the_rows_before_it() -> None:
    secrets = Secret.objects.bulk_create(Secret(body=canary(str(n))) for n in range(5))
    key_b = FieldKey.derive(KEY_B).key_id_hex

    with BOTH_KEYS:
        status, out = run("rotate_field_keys", resume_from=f"testapp.secret:{secrets[2].pk}")

        assert status == 0, out
        assert "Re-encrypted 9 values" in out
        assert [token_key_id(raw_column(s.pk, "body")) == key_b for s in secrets] == [
            False,
            False,
            True,
            True,
            True,
        ]
    (started,) = events(EventType.FIELD_KEY_ROTATION_STARTED)
    assert started.details["resumed"] is True


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"resume_from": "testapp.Secret"}, RESUME_FROM_INVALID),
        ({"resume_from": "testapp.Secret:x"}, RESUME_FROM_INVALID),
        ({"resume_from": "accounts.User:1"}, RESUME_MODEL_UNKNOWN.format(label="accounts.User")),
        ({"batch_size": 0}, BATCH_SIZE_INVALID),
    ],
)
def test_unusable_options_are_refused_before_anything_runs(
    options: dict[str, Any], message: str
) -> None:
    status, out = run("rotate_field_keys", **options)

    assert (status, out) == (1, message)
    assert events(EventType.FIELD_KEY_ROTATION_STARTED) == []


def test_every_encrypted_field_of_every_installed_model_is_covered() -> None:
    from django.apps import apps

    declared = {
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models()
        for field in model._meta.local_concrete_fields
        if isinstance(field, EncryptedFieldMixin)
    }
    covered = {column.label: column for table in encrypted_tables() for column in table.columns}

    assert set(covered) == declared | {"patients.Attachment.content"}
    assert covered["patients.Attachment.content"].large is True
    assert {
        "patients.Patient.legal_name",
        "patients.ClinicalNote.body",
        "staffwellbeing.CheckIn.answers",
        "supervision.SessionLog.notes",
    } <= set(covered)
