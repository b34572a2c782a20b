"""Encrypt and decrypt bytes under the field key ring: the format every encrypted field stores.

A stored value is `0x01 | key id (4 bytes) | django-cryptography FernetBytes token`, and the
token is `0x80 | timestamp (8) | IV (16) | AES-256-CBC ciphertext | HMAC-SHA256 (32)`. The key id
is outside the MAC on purpose: it only picks the key, and a changed id picks a key whose MAC
check then fails (or no key at all).
"""

from __future__ import annotations

import logging

from django.db import DatabaseError, transaction
from django_cryptography.core.signing import BadSignature
from django_cryptography.utils.crypto import InvalidToken

from .exceptions import IntegrityError, KeyNotFoundError, MalformedCiphertextError
from .keys import KEY_ID_LENGTH, field_key_ring

FORMAT_VERSION = b"\x01"
HEADER_LENGTH = len(FORMAT_VERSION) + KEY_ID_LENGTH
# Fernet version (1) + timestamp (8) + IV (16) + at least one AES block (16) + HMAC (32).
MIN_TOKEN_LENGTH = HEADER_LENGTH + 1 + 8 + 16 + 16 + 32

INTEGRITY_LOG_MESSAGE = "encrypted value failed its integrity check: %s.%s (%s)"
AUDIT_WRITE_FAILED_LOG_MESSAGE = "could not write the integrity failure audit event: %s.%s"

logger = logging.getLogger(__name__)


def encrypt_bytes(data: bytes) -> bytes:
    """Return `data` encrypted and authenticated under the newest field key."""
    key = field_key_ring().newest
    return FORMAT_VERSION + key.key_id + key.cipher.encrypt(data)


def decrypt_bytes(token: bytes | memoryview, *, model_label: str, field_name: str) -> bytes:
    """Return the plaintext of `token`, or raise IntegrityError and audit the failure.

    `model_label` and `field_name` say where the value was stored ("patients.Attachment",
    "content"); they go into the audit event, the value never does.
    """
    try:
        return _decrypt(bytes(token))
    except IntegrityError as error:
        integrity_failure_record(error, model_label=model_label, field_name=field_name)
        raise


def token_key_id(token: bytes | memoryview) -> str:
    """Return the hex id of the key that encrypted `token`, without decrypting it."""
    return _parse_key_id(bytes(token)).hex()


def needs_rotation(token: bytes | memoryview) -> bool:
    """Return whether `token` was encrypted under a key other than the newest one."""
    return _parse_key_id(bytes(token)) != field_key_ring().newest.key_id


def integrity_failure_record(error: IntegrityError, *, model_label: str, field_name: str) -> None:
    """Log and audit a value that failed verification, naming where it was stored only.

    The event is written on the default connection in a savepoint: when the read happens in
    autocommit (views, selectors) it is committed at once; inside a transaction that the
    failure then rolls back, the event goes with it, which is why the failure is also logged.
    A failure to write the event never replaces the IntegrityError being raised.
    """
    logger.error(INTEGRITY_LOG_MESSAGE, model_label, field_name, error.reason)
    details: dict[str, str] = {"model": model_label, "field": field_name, "reason": error.reason}
    if isinstance(error, KeyNotFoundError):
        details["key_id"] = error.key_id
    # Imported here: encrypted fields are imported while apps load, before audit's models are.
    from carecore.audit.events import EventType, Outcome
    from carecore.audit.services import audit_event_record

    # Only an event written outside any transaction is surely kept; otherwise the error page
    # handler (carecore.crypto.middleware) writes it again once the transaction has unwound.
    committed_now = not transaction.get_connection().in_atomic_block
    try:
        with transaction.atomic():
            audit_event_record(
                event_type=EventType.INTEGRITY_ERROR,
                outcome=Outcome.FAILURE,
                target_type=model_label.lower(),
                details=details,
            )
    except DatabaseError:
        logger.exception(AUDIT_WRITE_FAILED_LOG_MESSAGE, model_label, field_name)
        committed_now = False
    error.audit_details = details
    error.audit_committed = committed_now


def _parse_key_id(token: bytes) -> bytes:
    if len(token) < MIN_TOKEN_LENGTH or token[:1] != FORMAT_VERSION:
        raise MalformedCiphertextError()
    return token[len(FORMAT_VERSION) : HEADER_LENGTH]


def _decrypt(token: bytes) -> bytes:
    key_id = _parse_key_id(token)
    candidates = field_key_ring().candidates(key_id)
    if not candidates:
        raise KeyNotFoundError(key_id.hex())
    body = token[HEADER_LENGTH:]
    for key in candidates:
        try:
            return key.cipher.decrypt(body)
        except (BadSignature, InvalidToken):
            continue
    raise IntegrityError()
