"""Encrypted model fields against PostgreSQL: round trips, ciphertext at rest, key rotation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.core.exceptions import FieldError
from django.db import connection, models
from django.test import override_settings
from django.test.utils import isolate_apps
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from carecore.audit.events import EventType, Outcome
from carecore.audit.models import AuditEvent
from carecore.crypto.cipher import HEADER_LENGTH, needs_rotation, token_key_id
from carecore.crypto.exceptions import (
    INTEGRITY_ERROR_MESSAGE,
    KEY_NOT_FOUND_MESSAGE,
    IntegrityError,
    KeyNotFoundError,
)
from carecore.crypto.fields import (
    UNSEARCHABLE_FIELD_MESSAGE,
    EncryptedCharField,
    EncryptedTextField,
)
from carecore.crypto.keys import FieldKey
from tests.conftest import CANARY_MARKER, canary
from tests.testapp.models import Secret

from .conftest import ENCRYPTED_COLUMNS, SECOND_FIELD_KEY, raw_column, write_raw_column

pytestmark = pytest.mark.django_db

# Each example saves a row in the test's transaction; sharing it across examples is harmless.
per_example = hypothesis_settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=20,
)


def reloaded(secret: Secret) -> Secret:
    return Secret.objects.get(pk=secret.pk)


def integrity_events() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type=EventType.INTEGRITY_ERROR).order_by("id"))


@per_example
@given(text=st.text())
def test_any_text_round_trips(text: str) -> None:
    secret = Secret.objects.create(body=text, name=text[:200])

    assert (reloaded(secret).body, reloaded(secret).name) == (text, text[:200])


@per_example
@given(
    born_on=st.dates(),
    seen_at=st.datetimes(timezones=st.just(dt.UTC)),
    answers=json_values,
)
def test_dates_datetimes_and_json_round_trip(
    born_on: dt.date, seen_at: dt.datetime, answers: object
) -> None:
    secret = Secret.objects.create(born_on=born_on, seen_at=seen_at, answers=answers)

    again = reloaded(secret)
    assert (again.born_on, again.seen_at, again.answers) == (born_on, seen_at, answers)


def test_datetime_keeps_its_offset_and_microseconds() -> None:
    seen_at = dt.datetime(2031, 2, 3, 4, 5, 6, 789012, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    secret = Secret.objects.create(seen_at=seen_at)

    assert reloaded(secret).seen_at == seen_at
    assert reloaded(secret).seen_at.utcoffset() == dt.timedelta(hours=2)


def test_values_and_values_list_decrypt_too() -> None:
    secret = Secret.objects.create(body="through values", born_on=dt.date(1990, 5, 17))

    assert list(Secret.objects.filter(pk=secret.pk).values_list("body", "born_on")) == [
        ("through values", dt.date(1990, 5, 17))
    ]


def test_columns_hold_ciphertext_only() -> None:
    secret = Secret.objects.create(
        body=canary("body"),
        name=canary("name"),
        email=f"{CANARY_MARKER}@example.org",
        born_on=dt.date(1987, 6, 5),
        seen_at=dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
        answers={"note": canary("answers")},
    )
    plaintexts = [CANARY_MARKER.encode(), b"1987-06-05", b"2030-01-02"]

    for column in ENCRYPTED_COLUMNS:
        stored = raw_column(secret.pk, column)
        assert stored is not None
        assert (
            stored[:HEADER_LENGTH]
            == b"\x01" + FieldKey.derive(settings.CARECORE_FIELD_ENCRYPTION_KEYS[0]).key_id
        )
        assert [text for text in plaintexts if text in stored] == []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT data_type FROM information_schema.columns"
            " WHERE table_name = 'testapp_secret' AND column_name = ANY(%s)",
            [list(ENCRYPTED_COLUMNS)],
        )
        assert {row[0] for row in cursor.fetchall()} == {"bytea"}
    assert reloaded(secret).body == canary("body")


def test_none_is_stored_as_null_and_empty_text_is_encrypted() -> None:
    secret = Secret.objects.create(body="", born_on=None, answers=None)

    assert raw_column(secret.pk, "born_on") is None
    assert raw_column(secret.pk, "answers") is None
    assert raw_column(secret.pk, "body")[:1] == b"\x01"
    assert (reloaded(secret).body, reloaded(secret).born_on) == ("", None)


def test_update_and_bulk_update_encrypt() -> None:
    first, second = Secret.objects.create(body="a"), Secret.objects.create(body="b")
    Secret.objects.filter(pk=first.pk).update(body=canary("updated"))
    second.body = canary("bulk")
    Secret.objects.bulk_update([second], ["body"])

    assert CANARY_MARKER.encode() not in raw_column(first.pk, "body")
    assert CANARY_MARKER.encode() not in raw_column(second.pk, "body")
    assert (reloaded(first).body, reloaded(second).body) == (canary("updated"), canary("bulk"))


def test_only_isnull_lookups_are_allowed() -> None:
    Secret.objects.create(body="x", born_on=None)

    assert Secret.objects.filter(born_on__isnull=True).count() == 1
    with pytest.raises(FieldError, match="Unsupported lookup 'exact' for EncryptedTextField"):
        Secret.objects.filter(body="x").count()
    with pytest.raises(FieldError, match="Unsupported lookup 'icontains' for EncryptedCharField"):
        Secret.objects.filter(name__icontains="x").count()
    with pytest.raises(FieldError, match="Unsupported lookup 'key' for EncryptedJSONField"):
        Secret.objects.filter(answers__key="x").count()


@pytest.mark.parametrize(
    "new_secret_key",
    ["a-new-secret-key-after-rotation-0123456789abcdefghij0123456789"],
)
@pytest.mark.parametrize("keep_old_as_fallback", [True, False])
def test_secret_key_rotation_does_not_touch_encrypted_values(
    new_secret_key: str, keep_old_as_fallback: bool
) -> None:
    secret = Secret.objects.create(body=canary("before rotation"))
    fallbacks = [settings.SECRET_KEY] if keep_old_as_fallback else []

    with override_settings(SECRET_KEY=new_secret_key, SECRET_KEY_FALLBACKS=fallbacks):
        assert reloaded(secret).body == canary("before rotation")
        written_after = Secret.objects.create(body=canary("after rotation"))
    assert reloaded(written_after).body == canary("after rotation")


def test_key_rotation_old_values_decrypt_and_new_writes_use_the_new_key() -> None:
    old_key = settings.CARECORE_FIELD_ENCRYPTION_KEYS[0]
    old_id, new_id = (
        FieldKey.derive(old_key).key_id_hex,
        FieldKey.derive(SECOND_FIELD_KEY).key_id_hex,
    )
    before = Secret.objects.create(body=canary("under key 1"))

    with override_settings(CARECORE_FIELD_ENCRYPTION_KEYS=[SECOND_FIELD_KEY, old_key]):
        assert reloaded(before).body == canary("under key 1")
        after = Secret.objects.create(body=canary("under key 2"))
        assert token_key_id(raw_column(before.pk, "body")) == old_id
        assert token_key_id(raw_column(after.pk, "body")) == new_id
        assert needs_rotation(raw_column(before.pk, "body")) is True
        assert needs_rotation(raw_column(after.pk, "body")) is False

        # Re-saving is the re-encryption: the value moves to the newest key.
        reloaded(before).save(update_fields=["body"])
        assert needs_rotation(raw_column(before.pk, "body")) is False
        assert reloaded(before).body == canary("under key 1")
    assert integrity_events() == []


def test_a_value_on_a_removed_key_raises_instead_of_returning_garbage() -> None:
    old_key = settings.CARECORE_FIELD_ENCRYPTION_KEYS[0]
    old_id = FieldKey.derive(old_key).key_id_hex
    secret = Secret.objects.create(body=canary("under key 1"))

    with (
        override_settings(CARECORE_FIELD_ENCRYPTION_KEYS=[SECOND_FIELD_KEY]),
        pytest.raises(KeyNotFoundError) as raised,
    ):
        reloaded(secret)

    assert isinstance(raised.value, IntegrityError)
    assert str(raised.value) == KEY_NOT_FOUND_MESSAGE.format(key_id=old_id)
    [event] = integrity_events()
    assert event.details == {
        "model": "testapp.Secret",
        "field": "body",
        "reason": "unknown_key",
        "key_id": old_id,
    }


@pytest.mark.parametrize("position", [HEADER_LENGTH + 20, HEADER_LENGTH + 40, -1])
def test_a_flipped_byte_in_the_column_raises_and_writes_the_audit_event(position: int) -> None:
    secret = Secret.objects.create(body=canary("clinical note"), name=canary("name"))
    stored = bytearray(raw_column(secret.pk, "body"))
    stored[position] ^= 0x80
    write_raw_column(secret.pk, "body", bytes(stored))

    with pytest.raises(IntegrityError) as raised:
        reloaded(secret)

    assert type(raised.value) is IntegrityError
    assert str(raised.value) == INTEGRITY_ERROR_MESSAGE
    [event] = integrity_events()
    assert event.outcome == Outcome.FAILURE
    assert (event.target_type, event.target_id, event.actor_id) == ("testapp.secret", "", None)
    assert event.details == {"model": "testapp.Secret", "field": "body", "reason": "bad_mac"}
    # The untouched field of the same row still reads: the failure is per value.
    assert Secret.objects.filter(pk=secret.pk).values_list("name", flat=True).get() == canary(
        "name"
    )


def test_a_ciphertext_moved_from_another_row_still_reads() -> None:
    # Documented limit (ADR 0003): values are not bound to their row, only to the key.
    source = Secret.objects.create(body="moved")
    target = Secret.objects.create(body="original")
    write_raw_column(target.pk, "body", raw_column(source.pk, "body"))

    assert reloaded(target).body == "moved"


def test_fields_deconstruct_to_the_project_module() -> None:
    _name, path, args, kwargs = EncryptedTextField(blank=True).deconstruct()

    assert (path, args, kwargs) == (
        "carecore.crypto.fields.EncryptedTextField",
        [],
        {"blank": True},
    )


@isolate_apps("tests.testapp")
def test_an_encrypted_field_cannot_be_unique_or_indexed() -> None:
    class Misdeclared(models.Model):
        unique_name = EncryptedCharField(max_length=20, unique=True)
        indexed_name = EncryptedCharField(max_length=20, db_index=True)
        plain_name = EncryptedCharField(max_length=20)

        class Meta:
            app_label = "testapp"

        def __str__(self) -> str:
            return "misdeclared"

    errors = [
        (error.id, error.obj.name, error.msg)
        for field in Misdeclared._meta.local_fields
        for error in field.check()
    ]
    assert errors == [
        ("carecore.E006", "unique_name", UNSEARCHABLE_FIELD_MESSAGE),
        ("carecore.E006", "indexed_name", UNSEARCHABLE_FIELD_MESSAGE),
    ]
