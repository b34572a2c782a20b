"""Blind indexes: the normaliser's exact rules, purpose separation and the key."""

from __future__ import annotations

import hashlib
import hmac
import re

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from hypothesis import given
from hypothesis import strategies as st

from carecore.crypto.blind_index import (
    EMPTY_PURPOSE_MESSAGE,
    EMPTY_VALUE_MESSAGE,
    NO_BLIND_INDEX_KEY_MESSAGE,
    PURPOSE_INFO_PREFIX,
    blind_index,
    normalise_for_index,
)
from carecore.crypto.keys import hkdf_sha256

from .conftest import OTHER_BLIND_INDEX_KEY

KNOWN_BLIND_INDEX_KEY = "known-answer-blind-index-key-0123456789abcdef"
# Fixed output: a change here means every stored blind index must be recomputed.
KNOWN_INDEX = "b74641b5c36208d8ea2f342d5d1679f17eb2241428d2434010d617cff9346d25"
PURPOSE = "patients.full_name"


@pytest.mark.parametrize(
    ("value", "normalised"),
    [
        ("  Mary-Jane   O'Brien ", "mary jane obrien"),
        ("MARY JANE O\u2019BRIEN", "mary jane obrien"),
        ("\uff2d\uff41\uff52\uff59\uff0d\uff2a\uff41\uff4e\uff45", "mary jane"),  # full-width
        ("Stra\u00dfe", "strasse"),
        ("Jos\u00e9", "jos\u00e9"),
        ("Jose\u0301", "jos\u00e9"),  # combining accent composes: same as the line above
        ("Jose", "jose"),  # accents are kept
        ("a\u200bb\u00adc", "abc"),  # zero-width space and soft hyphen are removed
        ("line\nbreak\ttab\u00a0nbsp", "line break tab nbsp"),
        ("A.B/C_D,E(F)", "a b c d e f"),
        ("+44 (20) 7946-0000", "+44 20 7946 0000"),  # symbols such as + are kept
        ("\u2160\u2161", "iii"),  # Roman numeral compatibility characters
        ("", ""),
        (" -- ... ", ""),
    ],
)
def test_normalise_for_index(value: str, normalised: str) -> None:
    assert normalise_for_index(value) == normalised


@pytest.mark.parametrize(
    ("value", "normalised"),
    [("AB 12-345", "ab12345"), ("ab12345", "ab12345"), ("a b.c", "abc"), (" - ", "")],
)
def test_compact_normalisation_removes_all_spacing(value: str, normalised: str) -> None:
    assert normalise_for_index(value, compact=True) == normalised


@given(value=st.text())
def test_normalisation_is_idempotent(value: str) -> None:
    once = normalise_for_index(value)

    assert normalise_for_index(once) == once
    assert normalise_for_index(once, compact=True) == normalise_for_index(value, compact=True)


@given(value=st.text())
def test_normalised_text_has_no_edge_or_double_spaces(value: str) -> None:
    normalised = normalise_for_index(value)

    assert normalised == normalised.strip()
    assert "  " not in normalised


def test_blind_index_is_hmac_sha256_under_a_per_purpose_hkdf_key() -> None:
    with override_settings(CARECORE_BLIND_INDEX_KEY=KNOWN_BLIND_INDEX_KEY):
        index = blind_index("Mary-Jane O'Brien", purpose=PURPOSE)
    purpose_key = hkdf_sha256(
        KNOWN_BLIND_INDEX_KEY.encode(), info=PURPOSE_INFO_PREFIX + PURPOSE.encode()
    )

    assert index == KNOWN_INDEX
    assert index == hmac.new(purpose_key, b"mary jane obrien", hashlib.sha256).hexdigest()


def test_blind_index_is_64_lowercase_hex() -> None:
    assert re.fullmatch(r"[0-9a-f]{64}", blind_index("Anna", purpose=PURPOSE))


def test_differently_written_equal_values_share_an_index() -> None:
    indexes = {
        blind_index(value, purpose=PURPOSE)
        for value in ("Mary-Jane O'Brien", "  mary jane   obrien", "MARY\u2013JANE O\u2019BRIEN")
    }

    assert len(indexes) == 1


def test_different_values_have_different_indexes() -> None:
    assert blind_index("Mary Jane", purpose=PURPOSE) != blind_index("Mary Joan", purpose=PURPOSE)


def test_purposes_are_separated() -> None:
    assert blind_index("AB123", purpose="patients.document_number") != blind_index(
        "AB123", purpose=PURPOSE
    )


def test_a_different_key_gives_a_different_index_and_the_old_key_returns_after() -> None:
    before = blind_index("Anna", purpose=PURPOSE)

    with override_settings(CARECORE_BLIND_INDEX_KEY=OTHER_BLIND_INDEX_KEY):
        assert blind_index("Anna", purpose=PURPOSE) != before
    assert blind_index("Anna", purpose=PURPOSE) == before


def test_secret_key_is_not_an_input() -> None:
    before = blind_index("Anna", purpose=PURPOSE)

    with override_settings(SECRET_KEY="some-other-secret-key-for-this-test-0123456789abcdef"):
        assert blind_index("Anna", purpose=PURPOSE) == before


def test_compact_indexes_ignore_spacing() -> None:
    purpose = "patients.document_number"

    assert blind_index("AB 12-345", purpose=purpose, compact=True) == blind_index(
        "ab12345", purpose=purpose, compact=True
    )


@pytest.mark.parametrize("value", ["", "   ", "--", "\u200b"])
def test_a_blank_value_has_no_index(value: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(EMPTY_VALUE_MESSAGE)}$"):
        blind_index(value, purpose=PURPOSE)


def test_a_purpose_is_required() -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(EMPTY_PURPOSE_MESSAGE)}$"):
        blind_index("Anna", purpose="")


@pytest.mark.parametrize("key", ["", "x" * 31, None])
def test_a_missing_or_short_key_is_refused(key: str | None) -> None:
    with (
        override_settings(CARECORE_BLIND_INDEX_KEY=key),
        pytest.raises(ImproperlyConfigured, match=f"^{re.escape(NO_BLIND_INDEX_KEY_MESSAGE)}$"),
    ):
        blind_index("Anna", purpose=PURPOSE)


def test_test_settings_use_a_dedicated_key() -> None:
    assert settings.CARECORE_BLIND_INDEX_KEY not in (
        settings.SECRET_KEY,
        *settings.CARECORE_FIELD_ENCRYPTION_KEYS,
    )
