"""The bytes API (attachments) and the stored format: round trip, key ids, tampering."""

from __future__ import annotations

import logging

import pytest
from django.db import DatabaseError, transaction
from django.test import override_settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from carecore.audit.events import EventType, Outcome
from carecore.audit.models import AuditEvent
from carecore.crypto.cipher import (
    AUDIT_WRITE_FAILED_LOG_MESSAGE,
    FORMAT_VERSION,
    HEADER_LENGTH,
    MIN_TOKEN_LENGTH,
    decrypt_bytes,
    encrypt_bytes,
    needs_rotation,
    token_key_id,
)
from carecore.crypto.exceptions import (
    INTEGRITY_ERROR_MESSAGE,
    KEY_NOT_FOUND_MESSAGE,
    IntegrityError,
    KeyNotFoundError,
    MalformedCiphertextError,
)
from carecore.crypto.keys import FieldKey, field_key_ring
from tests.conftest import canary

from .conftest import SECOND_FIELD_KEY
from .test_keys import KNOWN_KEY

WHERE = {"model_label": "patients.Attachment", "field_name": "content"}
# Written once by encrypt_bytes under KNOWN_KEY: format v1 must stay readable for ever.
KNOWN_PLAINTEXT = b"format v1 stays readable"
KNOWN_TOKEN = bytes.fromhex(
    "01fb59f58580000000006b061daa9ab035649b01ad490bc02ecdb2cf583ab9c0ba9929be5c8865bd38358a"
    "153f31f34dbebed9843a5141ac892dfc3174ed89205e8b9f748c7b56b2cede199409bc333b09c61b8338a8"
    "8051a8ee5c6222d8"
)


def flip(token: bytes, position: int) -> bytes:
    """Return `token` with one bit of the byte at `position` flipped."""
    changed = bytearray(token)
    changed[position] ^= 0x01
    return bytes(changed)


def integrity_events() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type=EventType.INTEGRITY_ERROR).order_by("id"))


@hypothesis_settings(max_examples=200)
@given(data=st.binary())
def test_bytes_round_trip(data: bytes) -> None:
    assert decrypt_bytes(encrypt_bytes(data), **WHERE) == data


def test_token_is_version_key_id_then_fernet_token() -> None:
    token = encrypt_bytes(b"attachment")
    newest = field_key_ring().newest

    assert token[:1] == FORMAT_VERSION == b"\x01"
    assert token[1:HEADER_LENGTH] == newest.key_id
    assert token[HEADER_LENGTH : HEADER_LENGTH + 1] == b"\x80"
    # version + key id + Fernet version + timestamp + IV + one AES block + HMAC-SHA256
    assert len(token) == 5 + 1 + 8 + 16 + 16 + 32 == MIN_TOKEN_LENGTH


def test_same_plaintext_encrypts_differently_each_time() -> None:
    assert encrypt_bytes(b"same") != encrypt_bytes(b"same")


def test_plaintext_does_not_appear_in_the_token() -> None:
    value = canary("attachment").encode()

    assert value not in encrypt_bytes(value)


def test_token_written_by_format_v1_still_decrypts() -> None:
    with override_settings(CARECORE_FIELD_ENCRYPTION_KEYS=[KNOWN_KEY]):
        assert decrypt_bytes(KNOWN_TOKEN, **WHERE) == KNOWN_PLAINTEXT


def test_decrypt_accepts_a_memoryview() -> None:
    assert decrypt_bytes(memoryview(encrypt_bytes(b"from psycopg2")), **WHERE) == b"from psycopg2"


def test_key_id_and_rotation_status_are_read_without_decrypting() -> None:
    old_id = FieldKey.derive(KNOWN_KEY).key_id_hex
    new_id = FieldKey.derive(SECOND_FIELD_KEY).key_id_hex
    with override_settings(CARECORE_FIELD_ENCRYPTION_KEYS=[SECOND_FIELD_KEY, KNOWN_KEY]):
        new_token = encrypt_bytes(b"new")

        assert token_key_id(KNOWN_TOKEN) == old_id
        assert token_key_id(new_token) == new_id
        assert needs_rotation(KNOWN_TOKEN) is True
        assert needs_rotation(new_token) is False
        assert decrypt_bytes(KNOWN_TOKEN, **WHERE) == KNOWN_PLAINTEXT


@pytest.mark.parametrize(
    "token", [b"", b"\x01", KNOWN_TOKEN[: MIN_TOKEN_LENGTH - 1], b"\x02" + KNOWN_TOKEN[1:]]
)
def test_key_id_of_a_malformed_token_is_refused(token: bytes) -> None:
    with pytest.raises(MalformedCiphertextError):
        token_key_id(token)
    with pytest.raises(MalformedCiphertextError):
        needs_rotation(token)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("position", "error_type", "reason"),
    [
        (0, MalformedCiphertextError, "malformed"),  # format version
        (HEADER_LENGTH, IntegrityError, "bad_mac"),  # Fernet version
        (HEADER_LENGTH + 3, IntegrityError, "bad_mac"),  # timestamp
        (HEADER_LENGTH + 9, IntegrityError, "bad_mac"),  # IV
        (HEADER_LENGTH + 30, IntegrityError, "bad_mac"),  # ciphertext
        (-1, IntegrityError, "bad_mac"),  # MAC
    ],
)
def test_a_flipped_byte_raises_and_audits(
    position: int, error_type: type[IntegrityError], reason: str
) -> None:
    token = flip(encrypt_bytes(canary("attachment").encode()), position)

    with pytest.raises(IntegrityError) as raised:
        decrypt_bytes(token, **WHERE)

    assert type(raised.value) is error_type
    assert str(raised.value) == INTEGRITY_ERROR_MESSAGE
    [event] = integrity_events()
    assert event.outcome == Outcome.FAILURE
    assert event.target_type == "patients.attachment"
    assert event.target_id == ""
    assert event.details == {"model": "patients.Attachment", "field": "content", "reason": reason}


@pytest.mark.django_db
def test_a_flipped_key_id_byte_names_the_unknown_key_and_audits() -> None:
    token = flip(encrypt_bytes(b"attachment"), 1)
    unknown_id = token[1:HEADER_LENGTH].hex()

    with pytest.raises(KeyNotFoundError) as raised:
        decrypt_bytes(token, **WHERE)

    assert str(raised.value) == KEY_NOT_FOUND_MESSAGE.format(key_id=unknown_id)
    [event] = integrity_events()
    assert event.details == {
        "model": "patients.Attachment",
        "field": "content",
        "reason": "unknown_key",
        "key_id": unknown_id,
    }


@pytest.mark.django_db
@pytest.mark.parametrize("length", [0, 1, MIN_TOKEN_LENGTH - 1])
def test_a_truncated_token_raises_and_audits(length: int) -> None:
    with pytest.raises(MalformedCiphertextError):
        decrypt_bytes(encrypt_bytes(b"attachment")[:length], **WHERE)

    assert [event.details["reason"] for event in integrity_events()] == ["malformed"]


@pytest.mark.django_db
def test_a_value_from_another_ring_fails_its_mac() -> None:
    # Same key id (the header is copied) but a different key: only the MAC can tell.
    foreign = encrypt_bytes(b"attachment")
    with override_settings(CARECORE_FIELD_ENCRYPTION_KEYS=[SECOND_FIELD_KEY]):
        other = encrypt_bytes(b"attachment")
    spliced = foreign[:HEADER_LENGTH] + other[HEADER_LENGTH:]

    with pytest.raises(IntegrityError) as raised:
        decrypt_bytes(spliced, **WHERE)

    assert type(raised.value) is IntegrityError


@pytest.mark.django_db
def test_the_failure_is_logged_without_the_value(caplog: pytest.LogCaptureFixture) -> None:
    token = flip(encrypt_bytes(canary("attachment").encode()), -1)

    with caplog.at_level(logging.ERROR, logger="carecore.crypto"), pytest.raises(IntegrityError):
        decrypt_bytes(token, **WHERE)

    assert [record.getMessage() for record in caplog.records] == [
        "encrypted value failed its integrity check: patients.Attachment.content (bad_mac)"
    ]


@pytest.mark.django_db
def test_inside_a_transaction_that_the_failure_rolls_back_only_the_log_remains(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The documented trade-off (ADR 0003): no second connection, so the event shares the
    # caller's transaction; the log line is the record that survives.
    token = flip(encrypt_bytes(b"attachment"), -1)

    with (
        caplog.at_level(logging.ERROR, logger="carecore.crypto"),
        pytest.raises(IntegrityError),
        transaction.atomic(),
    ):
        decrypt_bytes(token, **WHERE)

    assert integrity_events() == []
    assert [record.getMessage() for record in caplog.records] == [
        "encrypted value failed its integrity check: patients.Attachment.content (bad_mac)"
    ]


@pytest.mark.django_db
def test_a_failing_audit_write_does_not_hide_the_integrity_error(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def refuse(**kwargs: object) -> None:
        raise DatabaseError("audit table unavailable")

    monkeypatch.setattr("carecore.audit.services.audit_event_record", refuse)
    token = flip(encrypt_bytes(b"attachment"), -1)

    with caplog.at_level(logging.ERROR, logger="carecore.crypto"), pytest.raises(IntegrityError):
        decrypt_bytes(token, **WHERE)

    assert AUDIT_WRITE_FAILED_LOG_MESSAGE % ("patients.Attachment", "content") in [
        record.getMessage() for record in caplog.records
    ]
    assert integrity_events() == []


# The autouse canary guard spans all examples of one test, which is what it should do here.
@hypothesis_settings(max_examples=50, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(min_size=1), position=st.integers(min_value=HEADER_LENGTH))
def test_any_flipped_byte_after_the_header_fails_the_mac(data: bytes, position: int) -> None:
    token = encrypt_bytes(data)
    position %= len(token)
    position = max(position, HEADER_LENGTH)

    with (
        pytest.raises(IntegrityError) as raised,
        pytest.MonkeyPatch.context() as patch,
    ):
        # Not a database test: the audit write is checked above, here only the MAC is.
        patch.setattr("carecore.crypto.cipher.integrity_failure_record", lambda *a, **k: None)
        decrypt_bytes(flip(token, position), **WHERE)

    assert type(raised.value) is IntegrityError
