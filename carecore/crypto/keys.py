"""The field encryption key ring, derived once per process from CARECORE_FIELD_ENCRYPTION_KEYS.

Each configured key is input keying material only: HKDF-SHA256 derives from it an AES-256 cipher
key, a separate HMAC-SHA256 key and a public 4-byte key id. `SECRET_KEY` is never an input, so it
can rotate without touching a single stored value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.hmac import HMAC
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from django_cryptography.core.signing import FernetSigner
from django_cryptography.utils.crypto import FernetBytes

FIELD_KEYS_SETTING = "CARECORE_FIELD_ENCRYPTION_KEYS"
MIN_KEY_LENGTH = 32

# A fixed public salt separates CareCore's derivations from any other use of the same secret;
# HKDF treats the salt as a domain parameter, not as a secret.
HKDF_SALT = b"carecore.crypto.v1"
CIPHER_KEY_INFO = b"carecore.field.cipher-key.v1"
MAC_KEY_INFO = b"carecore.field.mac-key.v1"
KEY_ID_INFO = b"carecore.field.key-id.v1"
DERIVED_KEY_LENGTH = 32
KEY_ID_LENGTH = 4

NO_FIELD_KEYS_MESSAGE = (
    "CARECORE_FIELD_ENCRYPTION_KEYS must be a non-empty list of keys, newest first."
)
SHORT_FIELD_KEY_MESSAGE = (
    "CARECORE_FIELD_ENCRYPTION_KEYS[{position}] is shorter than {minimum} characters."
)


def hkdf_sha256(secret: bytes, *, info: bytes, length: int = DERIVED_KEY_LENGTH) -> bytes:
    """Derive `length` bytes from `secret` for the one use that `info` names."""
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=HKDF_SALT, info=info).derive(secret)


class PrekeyedFernetSigner(FernetSigner):
    """django-cryptography's Fernet signer (HMAC-SHA256) with the keyed HMAC state set up once.

    Copying a keyed HMAC costs about a third of keying a new one, and every encrypted value
    read or written pays it once.
    """

    def __init__(self, key: bytes) -> None:
        super().__init__(key=key, algorithm="sha256")
        self._keyed = HMAC(key, hashes.SHA256())

    def signature(self, value: bytes | str) -> bytes:
        mac = self._keyed.copy()
        mac.update(value.encode("utf-8") if isinstance(value, str) else value)
        return mac.finalize()


@dataclass(frozen=True, slots=True)
class FieldKey:
    """One key of the ring: its public id and a ready cipher (AES-256-CBC + HMAC-SHA256)."""

    key_id: bytes
    # Derived keys stay out of repr so a traceback or a debug page cannot print them.
    cipher: FernetBytes = field(repr=False, compare=False)

    @classmethod
    def derive(cls, secret: str) -> FieldKey:
        """Return the key derived from one configured secret."""
        material = secret.encode("utf-8")
        cipher_key = hkdf_sha256(material, info=CIPHER_KEY_INFO)
        mac_key = hkdf_sha256(material, info=MAC_KEY_INFO)
        # django-cryptography's cipher with our keys: without an explicit key and signer it
        # would fall back to keys derived from SECRET_KEY.
        cipher = FernetBytes(key=cipher_key, signer=PrekeyedFernetSigner(mac_key))
        return cls(
            key_id=hkdf_sha256(material, info=KEY_ID_INFO, length=KEY_ID_LENGTH), cipher=cipher
        )

    @property
    def key_id_hex(self) -> str:
        """Return the key id as the hex text that commands and audit events show."""
        return self.key_id.hex()


class KeyRing:
    """The configured keys, newest first: the newest encrypts, any of them decrypts."""

    __slots__ = ("_by_id", "keys")

    def __init__(self, keys: Sequence[FieldKey]) -> None:
        if not keys:
            raise ImproperlyConfigured(NO_FIELD_KEYS_MESSAGE)
        self.keys: tuple[FieldKey, ...] = tuple(keys)
        # Ids are 4 bytes, so two keys could share one (about 1 in 4 billion per pair); every
        # key with the id is kept, newest first, and decryption tries them in that order.
        by_id: dict[bytes, list[FieldKey]] = {}
        for key in self.keys:
            by_id.setdefault(key.key_id, []).append(key)
        self._by_id = {key_id: tuple(found) for key_id, found in by_id.items()}

    @classmethod
    def from_secrets(cls, secrets: Sequence[str]) -> KeyRing:
        """Return the ring for configured secrets, refusing an empty list or a short key."""
        if isinstance(secrets, str) or not secrets:
            raise ImproperlyConfigured(NO_FIELD_KEYS_MESSAGE)
        for position, secret in enumerate(secrets):
            if not isinstance(secret, str) or len(secret) < MIN_KEY_LENGTH:
                raise ImproperlyConfigured(
                    SHORT_FIELD_KEY_MESSAGE.format(position=position, minimum=MIN_KEY_LENGTH)
                )
        return cls([FieldKey.derive(secret) for secret in secrets])

    @property
    def newest(self) -> FieldKey:
        """Return the key that encrypts every new value."""
        return self.keys[0]

    def candidates(self, key_id: bytes) -> tuple[FieldKey, ...]:
        """Return the keys carrying `key_id`, newest first (empty when none does)."""
        return self._by_id.get(key_id, ())


@lru_cache(maxsize=1)
def field_key_ring() -> KeyRing:
    """Return the process's key ring, deriving it on first use only."""
    return KeyRing.from_secrets(getattr(settings, FIELD_KEYS_SETTING, []))


@receiver(setting_changed)
def _forget_field_keys(*, setting: str, **kwargs: Any) -> None:
    # Keys only change under override_settings in tests; a running server derives them once.
    if setting == FIELD_KEYS_SETTING:
        field_key_ring.cache_clear()
