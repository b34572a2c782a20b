"""The security system checks carecore.E001-E005: each fires in its case, none in the good one."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.core.checks import Tags, run_checks
from django.test import override_settings

from carecore.crypto.checks import (
    BLIND_INDEX_KEY_MISSING_MESSAGE,
    BLIND_INDEX_KEY_REUSED_MESSAGE,
    FIELD_KEY_REUSED_MESSAGE,
    FIELD_KEY_SHORT_MESSAGE,
    FIELD_KEYS_MISSING_MESSAGE,
    check_blind_index_key,
    check_field_encryption_keys,
)

from .conftest import SECOND_FIELD_KEY

OLD_SECRET_KEY = "an-old-secret-key-kept-as-a-fallback-0123456789abcdef"
GOOD_BLIND_INDEX_KEY = "a-good-blind-index-key-for-the-check-tests-0123456789"


def carecore_errors() -> list[tuple[str, str]]:
    """Return (id, message) of every carecore.E00x check, run as manage.py would run them."""
    return [
        (message.id, message.msg)
        for message in run_checks(tags=[Tags.security])
        if message.id and message.id.startswith("carecore.E00")
    ]


def test_the_test_settings_pass() -> None:
    assert carecore_errors() == []


def test_checks_run_without_deploy() -> None:
    # Registered for every run, not only `check --deploy`.
    with override_settings(CARECORE_FIELD_ENCRYPTION_KEYS=[]):
        assert [error_id for error_id, _ in carecore_errors()] == ["carecore.E001"]


@pytest.mark.parametrize("keys", [[], None, "a-single-string-is-not-a-list-0123456789abcdef"])
def test_e001_missing_field_keys(keys: Any) -> None:
    with override_settings(CARECORE_FIELD_ENCRYPTION_KEYS=keys):
        errors = check_field_encryption_keys()

    assert [(error.id, error.msg) for error in errors] == [
        ("carecore.E001", FIELD_KEYS_MISSING_MESSAGE)
    ]


def test_e001_setting_absent() -> None:
    with override_settings():
        del settings.CARECORE_FIELD_ENCRYPTION_KEYS
        errors = check_field_encryption_keys()

    assert [error.id for error in errors] == ["carecore.E001"]


@pytest.mark.parametrize(
    ("keys", "position"),
    [(["x" * 31], 0), ([SECOND_FIELD_KEY, "short"], 1), ([SECOND_FIELD_KEY, ""], 1)],
)
def test_e002_short_field_key(keys: list[str], position: int) -> None:
    with override_settings(CARECORE_FIELD_ENCRYPTION_KEYS=keys):
        errors = check_field_encryption_keys()

    assert [(error.id, error.msg) for error in errors] == [
        ("carecore.E002", FIELD_KEY_SHORT_MESSAGE.format(position=position))
    ]


def test_e002_a_32_character_key_is_long_enough() -> None:
    with override_settings(CARECORE_FIELD_ENCRYPTION_KEYS=["k" * 32]):
        assert check_field_encryption_keys() == []


def test_e003_field_key_equal_to_secret_key() -> None:
    with override_settings(CARECORE_FIELD_ENCRYPTION_KEYS=[SECOND_FIELD_KEY, settings.SECRET_KEY]):
        errors = check_field_encryption_keys()

    assert [(error.id, error.msg) for error in errors] == [
        ("carecore.E003", FIELD_KEY_REUSED_MESSAGE.format(position=1))
    ]


def test_e003_field_key_equal_to_a_secret_key_fallback() -> None:
    with override_settings(
        SECRET_KEY_FALLBACKS=[OLD_SECRET_KEY], CARECORE_FIELD_ENCRYPTION_KEYS=[OLD_SECRET_KEY]
    ):
        errors = check_field_encryption_keys()

    assert [(error.id, error.msg) for error in errors] == [
        ("carecore.E003", FIELD_KEY_REUSED_MESSAGE.format(position=0))
    ]


@pytest.mark.parametrize("key", ["", "y" * 31, None])
def test_e004_missing_or_short_blind_index_key(key: str | None) -> None:
    with override_settings(CARECORE_BLIND_INDEX_KEY=key):
        errors = check_blind_index_key()

    assert [(error.id, error.msg) for error in errors] == [
        ("carecore.E004", BLIND_INDEX_KEY_MISSING_MESSAGE)
    ]


@pytest.mark.parametrize(
    "overrides",
    [
        {"CARECORE_BLIND_INDEX_KEY": SECOND_FIELD_KEY},
        {"CARECORE_BLIND_INDEX_KEY": "SECRET_KEY"},
        {"CARECORE_BLIND_INDEX_KEY": OLD_SECRET_KEY, "SECRET_KEY_FALLBACKS": [OLD_SECRET_KEY]},
    ],
    ids=["a field key", "SECRET_KEY", "a SECRET_KEY fallback"],
)
def test_e005_blind_index_key_reuses_another_key(overrides: dict[str, Any]) -> None:
    if overrides["CARECORE_BLIND_INDEX_KEY"] == "SECRET_KEY":
        overrides = {**overrides, "CARECORE_BLIND_INDEX_KEY": settings.SECRET_KEY}
    with override_settings(
        CARECORE_FIELD_ENCRYPTION_KEYS=[
            settings.CARECORE_FIELD_ENCRYPTION_KEYS[0],
            SECOND_FIELD_KEY,
        ],
        **overrides,
    ):
        errors = check_blind_index_key()

    assert [(error.id, error.msg) for error in errors] == [
        ("carecore.E005", BLIND_INDEX_KEY_REUSED_MESSAGE)
    ]


def test_good_keys_pass_both_checks() -> None:
    with override_settings(
        CARECORE_FIELD_ENCRYPTION_KEYS=[
            SECOND_FIELD_KEY,
            settings.CARECORE_FIELD_ENCRYPTION_KEYS[0],
        ],
        SECRET_KEY_FALLBACKS=[OLD_SECRET_KEY],
        CARECORE_BLIND_INDEX_KEY=GOOD_BLIND_INDEX_KEY,
    ):
        assert check_field_encryption_keys() == []
        assert check_blind_index_key() == []


def test_messages_never_contain_a_key() -> None:
    with override_settings(
        CARECORE_FIELD_ENCRYPTION_KEYS=["short-key", settings.SECRET_KEY],
        CARECORE_BLIND_INDEX_KEY=settings.SECRET_KEY,
    ):
        errors = [*check_field_encryption_keys(), *check_blind_index_key()]

    assert [error.id for error in errors] == ["carecore.E002", "carecore.E003", "carecore.E005"]
    for error in errors:
        assert "short-key" not in f"{error.msg} {error.hint}"
        assert settings.SECRET_KEY not in f"{error.msg} {error.hint}"
