"""Models for the encryption tests. No migrations folder: the test runner creates the tables."""

from __future__ import annotations

from django.db import models

from carecore.crypto.fields import (
    EncryptedCharField,
    EncryptedDateField,
    EncryptedDateTimeField,
    EncryptedEmailField,
    EncryptedJSONField,
    EncryptedTextField,
)


class Secret(models.Model):
    body = EncryptedTextField(blank=True)
    name = EncryptedCharField(max_length=200, blank=True)
    email = EncryptedEmailField(blank=True)
    born_on = EncryptedDateField(null=True, blank=True)
    seen_at = EncryptedDateTimeField(null=True, blank=True)
    answers = EncryptedJSONField(null=True, blank=True)
    name_index = models.CharField(max_length=64, blank=True, db_index=True)

    def __str__(self) -> str:
        return f"secret {self.pk}"
