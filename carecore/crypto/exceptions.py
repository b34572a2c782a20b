"""Errors raised by field encryption. Their messages never contain a value or a key."""

from __future__ import annotations

INTEGRITY_ERROR_MESSAGE = "An encrypted value failed its integrity check."
KEY_NOT_FOUND_MESSAGE = (
    "An encrypted value was written under key {key_id}, which is not in "
    "CARECORE_FIELD_ENCRYPTION_KEYS."
)


class CryptoError(Exception):
    """Base class of every field encryption error."""


class IntegrityError(CryptoError):
    """A stored ciphertext could not be verified: tampered, truncated or not ours.

    Not `django.db.IntegrityError`: nothing is wrong with the database constraints, the value
    itself cannot be trusted and is never returned.
    """

    reason = "bad_mac"
    # Set by the code that records the failure: where it happened, and whether its audit event
    # is already committed.
    audit_details: dict[str, str] | None = None
    audit_committed: bool = False

    def __init__(self, message: str = INTEGRITY_ERROR_MESSAGE) -> None:
        super().__init__(message)


class MalformedCiphertextError(IntegrityError):
    """A stored value is too short or has an unknown format byte."""

    reason = "malformed"


class KeyNotFoundError(IntegrityError):
    """A stored value names a key that is no longer (or never was) in the key ring."""

    reason = "unknown_key"

    def __init__(self, key_id: str) -> None:
        self.key_id = key_id
        super().__init__(KEY_NOT_FOUND_MESSAGE.format(key_id=key_id))
