"""Security system checks for the field encryption and blind index keys.

Registered without `deploy=True` so that they run on every `manage.py` command and test run, not
only under `check --deploy`: a wrong key must be caught before any value is written with it.
Messages name the setting and a key's position, never a key.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register

from .blind_index import BLIND_INDEX_KEY_SETTING
from .keys import FIELD_KEYS_SETTING, MIN_KEY_LENGTH

FIELD_KEYS_MISSING_MESSAGE = f"{FIELD_KEYS_SETTING} is missing or empty."
FIELD_KEYS_MISSING_HINT = (
    "Set it to a list of random keys, newest first, such as the output of "
    "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`."
)
FIELD_KEY_SHORT_MESSAGE = (
    f"{FIELD_KEYS_SETTING}[{{position}}] is shorter than {MIN_KEY_LENGTH} characters."
)
FIELD_KEY_REUSED_MESSAGE = (
    f"{FIELD_KEYS_SETTING}[{{position}}] is the same as SECRET_KEY or one of SECRET_KEY_FALLBACKS."
)
FIELD_KEY_REUSED_HINT = (
    "Field keys must be independent of SECRET_KEY, so that either can rotate without the other."
)
BLIND_INDEX_KEY_MISSING_MESSAGE = (
    f"{BLIND_INDEX_KEY_SETTING} is missing or shorter than {MIN_KEY_LENGTH} characters."
)
BLIND_INDEX_KEY_REUSED_MESSAGE = (
    f"{BLIND_INDEX_KEY_SETTING} is the same as a field encryption key, SECRET_KEY or one of "
    "SECRET_KEY_FALLBACKS."
)
BLIND_INDEX_KEY_REUSED_HINT = "Every key must have one purpose only: generate a separate one."


@register(Tags.security, deploy=False)
def check_field_encryption_keys(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Report a missing or short field key, or one that reuses SECRET_KEY."""
    keys = getattr(settings, FIELD_KEYS_SETTING, None)
    # A bare string would be read as a list of one-character keys.
    if isinstance(keys, str) or not keys:
        return [Error(FIELD_KEYS_MISSING_MESSAGE, hint=FIELD_KEYS_MISSING_HINT, id="carecore.E001")]
    django_secrets = _django_secrets()
    errors: list[CheckMessage] = []
    for position, key in enumerate(keys):
        if not isinstance(key, str) or len(key) < MIN_KEY_LENGTH:
            errors.append(
                Error(
                    FIELD_KEY_SHORT_MESSAGE.format(position=position),
                    hint=FIELD_KEYS_MISSING_HINT,
                    id="carecore.E002",
                )
            )
        elif key in django_secrets:
            errors.append(
                Error(
                    FIELD_KEY_REUSED_MESSAGE.format(position=position),
                    hint=FIELD_KEY_REUSED_HINT,
                    id="carecore.E003",
                )
            )
    return errors


@register(Tags.security, deploy=False)
def check_blind_index_key(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Report a missing or short blind index key, or one that reuses another key."""
    key = getattr(settings, BLIND_INDEX_KEY_SETTING, None)
    if not isinstance(key, str) or len(key) < MIN_KEY_LENGTH:
        return [
            Error(BLIND_INDEX_KEY_MISSING_MESSAGE, hint=FIELD_KEYS_MISSING_HINT, id="carecore.E004")
        ]
    field_keys = getattr(settings, FIELD_KEYS_SETTING, None) or []
    if isinstance(field_keys, str):
        field_keys = [field_keys]
    if key in _django_secrets() or key in field_keys:
        return [
            Error(
                BLIND_INDEX_KEY_REUSED_MESSAGE, hint=BLIND_INDEX_KEY_REUSED_HINT, id="carecore.E005"
            )
        ]
    return []


def _django_secrets() -> set[str]:
    return {settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])}
