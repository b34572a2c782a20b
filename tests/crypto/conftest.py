"""Keys and helpers shared by the encryption tests."""

from __future__ import annotations

from django.db import connection

# A second field key, for rotation tests; the first one comes from carecore.settings.test.
SECOND_FIELD_KEY = "test-field-key-2-only-for-the-rotation-tests-fedcba987654"
OTHER_BLIND_INDEX_KEY = "test-blind-index-key-2-only-for-the-crypto-tests-0123"

ENCRYPTED_COLUMNS = ("body", "name", "email", "born_on", "seen_at", "answers")


def raw_column(pk: int, column: str) -> bytes | None:
    """Return a column of one `testapp.Secret` row exactly as PostgreSQL stores it."""
    assert column in ENCRYPTED_COLUMNS
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM testapp_secret WHERE id = %s", [pk])
        (value,) = cursor.fetchone()
    return None if value is None else bytes(value)


def write_raw_column(pk: int, column: str, value: bytes) -> None:
    """Overwrite a column of one `testapp.Secret` row, bypassing the ORM."""
    assert column in ENCRYPTED_COLUMNS
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE testapp_secret SET {column} = %s WHERE id = %s", [value, pk])
