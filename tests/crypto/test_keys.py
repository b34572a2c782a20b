"""The key ring: HKDF derivation, key ids, caching, and independence from SECRET_KEY."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from carecore.crypto.keys import (
    CIPHER_KEY_INFO,
    HKDF_SALT,
    KEY_ID_INFO,
    MAC_KEY_INFO,
    NO_FIELD_KEYS_MESSAGE,
    SHORT_FIELD_KEY_MESSAGE,
    FieldKey,
    KeyRing,
    field_key_ring,
    hkdf_sha256,
)

from .conftest import SECOND_FIELD_KEY

KNOWN_KEY = "known-answer-key-for-the-format-test-0123456789"
# Fixed outputs: a change here means every stored value would become unreadable.
KNOWN_KEY_ID = "fb59f585"
KNOWN_CIPHER_KEY = "4a74ca69fd61015416d17533a4009f9daef06012eeadc14c25f6b2245d85bf97"
KNOWN_MAC_KEY = "4091cd7e19ebb05711dca16885e26cc18c128f400d7a2db467379973de7cae39"


def rfc5869_hkdf_sha256(secret: bytes, *, salt: bytes, info: bytes, length: int) -> bytes:
    """HKDF written out from RFC 5869 with the standard library, as an independent reference."""
    prk = hmac.new(salt, secret, hashlib.sha256).digest()
    output, block, counter = b"", b"", 1
    while len(output) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        output += block
        counter += 1
    return output[:length]


def test_derivation_is_rfc5869_hkdf_sha256_with_the_project_salt() -> None:
    for info, length in ((CIPHER_KEY_INFO, 32), (MAC_KEY_INFO, 32), (KEY_ID_INFO, 4)):
        expected = rfc5869_hkdf_sha256(KNOWN_KEY.encode(), salt=HKDF_SALT, info=info, length=length)
        assert hkdf_sha256(KNOWN_KEY.encode(), info=info, length=length) == expected


def test_derived_keys_are_fixed_for_a_given_secret() -> None:
    key = FieldKey.derive(KNOWN_KEY)

    assert key.key_id_hex == KNOWN_KEY_ID
    assert key.cipher.key.hex() == KNOWN_CIPHER_KEY
    assert key.cipher.signer.key.hex() == KNOWN_MAC_KEY


def test_cipher_and_mac_keys_are_distinct_32_byte_keys_not_the_secret() -> None:
    key = FieldKey.derive(KNOWN_KEY)

    assert len(key.cipher.key) == 32
    assert len(key.cipher.signer.key) == 32
    assert key.cipher.key != key.cipher.signer.key
    assert KNOWN_KEY.encode() not in (key.cipher.key, key.cipher.signer.key)
    assert key.key_id not in key.cipher.key + key.cipher.signer.key


def test_two_secrets_give_different_ids_and_keys() -> None:
    first, second = FieldKey.derive(KNOWN_KEY), FieldKey.derive(SECOND_FIELD_KEY)

    assert first.key_id != second.key_id
    assert first.cipher.key != second.cipher.key
    assert first.cipher.signer.key != second.cipher.signer.key


def test_repr_never_shows_derived_keys() -> None:
    key = FieldKey.derive(KNOWN_KEY)

    assert repr(key) == f"FieldKey(key_id={key.key_id!r})"


def test_secret_key_is_not_an_input() -> None:
    with override_settings(SECRET_KEY="one-secret-key-for-this-test-only-0123456789abcdef"):
        first = FieldKey.derive(KNOWN_KEY)
    with override_settings(SECRET_KEY="another-secret-key-for-this-test-only-0123456789abc"):
        second = FieldKey.derive(KNOWN_KEY)

    assert (first.key_id, first.cipher.key, first.cipher.signer.key) == (
        second.key_id,
        second.cipher.key,
        second.cipher.signer.key,
    )


def test_ring_is_derived_once_and_rederived_when_the_setting_changes() -> None:
    configured = settings.CARECORE_FIELD_ENCRYPTION_KEYS
    ring = field_key_ring()

    assert field_key_ring() is ring
    assert ring.newest.key_id == FieldKey.derive(configured[0]).key_id
    with override_settings(CARECORE_FIELD_ENCRYPTION_KEYS=[SECOND_FIELD_KEY, *configured]):
        rotated = field_key_ring()
        assert [key.key_id for key in rotated.keys] == [
            FieldKey.derive(SECOND_FIELD_KEY).key_id,
            ring.newest.key_id,
        ]
    assert field_key_ring().newest.key_id == ring.newest.key_id


def test_candidates_are_the_keys_with_that_id_newest_first() -> None:
    newest, older = FieldKey.derive(SECOND_FIELD_KEY), FieldKey.derive(KNOWN_KEY)
    ring = KeyRing([newest, older])

    assert ring.newest is newest
    assert ring.candidates(older.key_id) == (older,)
    assert ring.candidates(b"\x00\x00\x00\x00") == ()


@pytest.mark.parametrize("secrets", [[], (), "a-single-string-is-not-a-list-of-keys-0123456789"])
def test_ring_refuses_no_keys(secrets: list[str]) -> None:
    with pytest.raises(ImproperlyConfigured) as raised:
        KeyRing.from_secrets(secrets)

    assert str(raised.value) == NO_FIELD_KEYS_MESSAGE


def test_ring_refuses_a_short_key() -> None:
    with pytest.raises(ImproperlyConfigured) as raised:
        KeyRing.from_secrets([KNOWN_KEY, "x" * 31])

    assert str(raised.value) == SHORT_FIELD_KEY_MESSAGE.format(position=1, minimum=32)


def test_empty_setting_is_refused_at_first_use() -> None:
    with override_settings(CARECORE_FIELD_ENCRYPTION_KEYS=[]), pytest.raises(ImproperlyConfigured):
        field_key_ring()
