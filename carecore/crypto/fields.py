"""Model fields stored encrypted under the field key ring.

Declare them like the plain field they replace: `notes = EncryptedTextField(blank=True)`. The
column is `bytea`, only `isnull` lookups work, and exact-match search goes through a blind index
column (see `carecore.crypto.blind_index`). Values are serialised as text (`str(value)` read back
by the field's own `to_python`, JSON for `EncryptedJSONField`), never pickled.
"""

from __future__ import annotations

import json
from typing import Any

from django.core import checks
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.lookups import Lookup, Transform
from django.utils.translation import gettext_lazy as _

from .cipher import decrypt_bytes, encrypt_bytes

SUPPORTED_LOOKUPS = frozenset({"isnull"})
UNSEARCHABLE_FIELD_MESSAGE = (
    "An encrypted field cannot be unique, indexed or a primary key: its ciphertext is random."
)
UNSEARCHABLE_FIELD_HINT = "Store a blind index in a separate column and constrain that instead."


class EncryptedFieldMixin(models.Field):
    """Encrypt the value on its way to the database and verify and decrypt it on its way back.

    Combine with a concrete field as `class EncryptedXField(EncryptedFieldMixin, models.XField)`;
    override `to_plaintext` and `from_plaintext` when `str()` and `to_python` do not round-trip.
    """

    def _description(self) -> str:
        return _("Encrypted %s") % super().description

    description = property(_description)  # type: ignore[assignment]

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        errors = super().check(**kwargs)
        if self.unique or self.db_index:  # type: ignore[attr-defined]  # not in django-stubs
            errors.append(
                checks.Error(
                    UNSEARCHABLE_FIELD_MESSAGE,
                    hint=UNSEARCHABLE_FIELD_HINT,
                    obj=self,
                    id="carecore.E006",
                )
            )
        return errors

    def get_internal_type(self) -> str:
        return "BinaryField"

    # Ciphertext is randomised: equality, range or pattern lookups would silently match
    # nothing, so they are refused with a FieldError instead.
    def get_lookup(self, lookup_name: str) -> type[Lookup] | None:
        if lookup_name not in SUPPORTED_LOOKUPS:
            return None
        return super().get_lookup(lookup_name)

    def get_transform(self, lookup_name: str) -> type[Transform] | None:
        return None

    def get_db_prep_value(
        self, value: Any, connection: BaseDatabaseWrapper, prepared: bool = False
    ) -> Any:
        if not prepared:
            value = self.get_prep_value(value)
        if value is None:
            return None
        # Plain bytes: psycopg2 sends them as bytea and sqlite3 as a BLOB.
        return encrypt_bytes(self.to_plaintext(value))

    # The base class's own save preparation (JSON, decimals) would bypass encryption.
    def get_db_prep_save(self, value: Any, connection: BaseDatabaseWrapper) -> Any:
        return models.Field.get_db_prep_save(self, value, connection)

    def from_db_value(self, value: Any, expression: Any, connection: BaseDatabaseWrapper) -> Any:
        if value is None:
            return None
        plaintext = decrypt_bytes(value, model_label=self.model._meta.label, field_name=self.name)
        return self.from_plaintext(plaintext)

    def to_plaintext(self, value: Any) -> bytes:
        """Return the bytes to encrypt for a prepared (`get_prep_value`) value."""
        return str(value).encode("utf-8")

    def from_plaintext(self, plaintext: bytes) -> Any:
        """Return the Python value of decrypted bytes."""
        return self.to_python(plaintext.decode("utf-8"))


class EncryptedCharField(EncryptedFieldMixin, models.CharField):
    """A CharField stored encrypted; `max_length` limits the plaintext in forms only."""


class EncryptedTextField(EncryptedFieldMixin, models.TextField):
    """A TextField stored encrypted."""


class EncryptedEmailField(EncryptedFieldMixin, models.EmailField):
    """An EmailField stored encrypted."""


class EncryptedDateField(EncryptedFieldMixin, models.DateField):
    """A DateField stored encrypted (as its ISO text)."""


class EncryptedDateTimeField(EncryptedFieldMixin, models.DateTimeField):
    """A DateTimeField stored encrypted (as ISO text with its UTC offset, to the microsecond)."""


class EncryptedJSONField(EncryptedFieldMixin, models.JSONField):
    """A JSONField stored encrypted; Python None is SQL NULL (JSON null cannot be stored)."""

    def to_plaintext(self, value: Any) -> bytes:
        return json.dumps(
            value, cls=self.encoder, ensure_ascii=False, separators=(",", ":")
        ).encode("utf-8")

    def from_plaintext(self, plaintext: bytes) -> Any:
        return json.loads(plaintext, cls=self.decoder)
