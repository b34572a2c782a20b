"""Encrypted field types the patient record needs beyond those in `carecore.crypto.fields`.

Candidates to move into `carecore.crypto.fields` once another app needs them.
"""

from __future__ import annotations

from typing import Any

from django.core import validators
from django.db import models
from django.utils.functional import cached_property

from carecore.crypto.fields import EncryptedFieldMixin


class EncryptedBooleanField(EncryptedFieldMixin, models.BooleanField):
    """A BooleanField stored encrypted (as the text "True" or "False")."""


class EncryptedPositiveSmallIntegerField(EncryptedFieldMixin, models.PositiveSmallIntegerField):
    """A PositiveSmallIntegerField stored encrypted (as its decimal text)."""

    # IntegerField derives its range from the column type, which is bytea here: state it.
    @cached_property
    def validators(self) -> list[Any]:  # type: ignore[override]
        return [
            *self._validators,  # type: ignore[attr-defined]  # set by Field.__init__
            validators.MinValueValidator(0),
            validators.MaxValueValidator(32767),
        ]
