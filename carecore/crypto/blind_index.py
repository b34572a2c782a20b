"""Blind indexes: keyed hashes of normalised values, for exact-match lookup of encrypted fields.

`blind_index(value, purpose=...)` is HMAC-SHA256, as 64 lowercase hex characters, of
`normalise_for_index(value)` in UTF-8, under a key derived with HKDF-SHA256 from
`CARECORE_BLIND_INDEX_KEY` and the purpose. Each purpose ("patients.document_number") gets its
own key, so equal values under different purposes cannot be linked. Store the index in a
`CharField(max_length=64, db_index=True)` beside the encrypted field.

Normalisation, in order:
1. Unicode NFKC (full-width and compatibility forms become their plain forms), then casefold.
2. Every character is then mapped:
   - apostrophes (U+0027, U+0060, U+02BC, U+2018, U+2019, U+201B) are removed, so "O'Brien"
     and "OBrien" match;
   - whitespace, Unicode separators (Z*) and all other punctuation (P*: - _ . , / ( ) ...)
     become a space, so "Mary-Jane" and "Mary Jane" match;
   - other control and format characters (C*: zero-width space, soft hyphen) are removed;
   - letters, marks, digits and symbols are kept. Accents are kept: "José" is not "Jose".
3. NFKC again, because a removed character may leave a base letter beside a combining mark.
4. Runs of spaces collapse to one and the ends are stripped; with `compact=True` every space is
   removed instead, for identifiers whose spacing is arbitrary ("AB 12 345" and "ab-12345").
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

from .keys import MIN_KEY_LENGTH, hkdf_sha256

BLIND_INDEX_KEY_SETTING = "CARECORE_BLIND_INDEX_KEY"
PURPOSE_INFO_PREFIX = b"carecore.blind-index.v1:"
BLIND_INDEX_LENGTH = 64
APOSTROPHES = frozenset("'\u2019\u2018\u201b`\u02bc")

EMPTY_VALUE_MESSAGE = "The value is empty once normalised: store no blind index for it."
EMPTY_PURPOSE_MESSAGE = "A blind index needs a purpose, such as 'patients.document_number'."
NO_BLIND_INDEX_KEY_MESSAGE = (
    f"CARECORE_BLIND_INDEX_KEY must be set and at least {MIN_KEY_LENGTH} characters long."
)


def normalise_for_index(value: str, *, compact: bool = False) -> str:
    """Return `value` in the canonical form that blind indexes hash (see the module doc)."""
    folded = unicodedata.normalize("NFKC", value).casefold()
    mapped = "".join(_map_character(character) for character in folded)
    words = unicodedata.normalize("NFKC", mapped).split()
    return "".join(words) if compact else " ".join(words)


def blind_index(value: str, *, purpose: str, compact: bool = False) -> str:
    """Return the blind index of `value` for `purpose`, or raise ValueError if it is blank.

    Blank values raise rather than hash, so that all the blank records do not match each other.
    Use the same `compact` for every value of one purpose.
    """
    normalised = normalise_for_index(value, compact=compact)
    if not normalised:
        raise ValueError(EMPTY_VALUE_MESSAGE)
    return hmac.new(_purpose_key(purpose), normalised.encode("utf-8"), hashlib.sha256).hexdigest()


def _map_character(character: str) -> str:
    if character in APOSTROPHES:
        return ""
    if character.isspace():
        return " "
    category = unicodedata.category(character)
    if category[0] in "ZP":
        return " "
    if category[0] == "C":
        return ""
    return character


@lru_cache(maxsize=64)
def _purpose_key(purpose: str) -> bytes:
    if not purpose:
        raise ValueError(EMPTY_PURPOSE_MESSAGE)
    secret = getattr(settings, BLIND_INDEX_KEY_SETTING, "")
    if not isinstance(secret, str) or len(secret) < MIN_KEY_LENGTH:
        raise ImproperlyConfigured(NO_BLIND_INDEX_KEY_MESSAGE)
    return hkdf_sha256(secret.encode("utf-8"), info=PURPOSE_INFO_PREFIX + purpose.encode("utf-8"))


@receiver(setting_changed)
def _forget_blind_index_keys(*, setting: str, **kwargs: Any) -> None:
    # The key only changes under override_settings in tests; a server derives each purpose once.
    if setting == BLIND_INDEX_KEY_SETTING:
        _purpose_key.cache_clear()
