"""The first append-only layer: the ORM refuses to change or delete audit rows."""

from __future__ import annotations

import json

import pytest

from carecore.audit.events import EventType
from carecore.audit.models import (
    APPEND_ONLY_MESSAGE,
    AuditEvent,
    AuditRecordImmutableError,
    AuditSeal,
)
from carecore.audit.sealing import audit_seal_pending, event_canonical

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(make_events):
    return make_events(1)[0]


def test_saving_an_existing_event_raises(event):
    event.case_code = "ZZ99"
    with pytest.raises(AuditRecordImmutableError, match=APPEND_ONLY_MESSAGE):
        event.save()
    event.refresh_from_db()
    assert event.case_code == ""


def test_save_with_update_fields_raises(event):
    with pytest.raises(AuditRecordImmutableError):
        event.save(update_fields=["case_code"])


def test_deleting_an_event_raises(event):
    with pytest.raises(AuditRecordImmutableError, match=APPEND_ONLY_MESSAGE):
        event.delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_queryset_update_raises(event):
    with pytest.raises(AuditRecordImmutableError, match=APPEND_ONLY_MESSAGE):
        AuditEvent.objects.filter(pk=event.pk).update(case_code="ZZ99")
    assert AuditEvent.objects.get(pk=event.pk).case_code == ""


def test_queryset_delete_raises(event):
    with pytest.raises(AuditRecordImmutableError, match=APPEND_ONLY_MESSAGE):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.count() == 1


def test_bulk_update_and_update_or_create_raise(event):
    event.case_code = "ZZ99"
    with pytest.raises(AuditRecordImmutableError):
        AuditEvent.objects.bulk_update([event], ["case_code"])
    with pytest.raises(AuditRecordImmutableError):
        AuditEvent.objects.update_or_create(pk=event.pk, defaults={"case_code": "ZZ99"})


def test_the_base_manager_is_append_only_too(event):
    with pytest.raises(AuditRecordImmutableError):
        AuditEvent._base_manager.filter(pk=event.pk).delete()


def test_seals_are_append_only(event):
    audit_seal_pending()
    seal = AuditSeal.objects.get(event=event)
    seal.hash = "0" * 64
    with pytest.raises(AuditRecordImmutableError):
        seal.save()
    with pytest.raises(AuditRecordImmutableError):
        seal.delete()
    with pytest.raises(AuditRecordImmutableError):
        AuditSeal.objects.update(hash="0" * 64)
    with pytest.raises(AuditRecordImmutableError):
        AuditSeal.objects.all().delete()


def test_new_events_are_still_inserted(make_events):
    AuditEvent(event_type=EventType.LOGOUT).save()
    assert AuditEvent.objects.filter(event_type=EventType.LOGOUT).count() == 1


def test_canonical_form_covers_every_column(event):
    """A new column must join the hashed content (and bump the canonical version)."""
    columns = {field.attname for field in AuditEvent._meta.concrete_fields}
    canonical_keys = set(json.loads(event_canonical(event=event)))
    assert canonical_keys == columns
