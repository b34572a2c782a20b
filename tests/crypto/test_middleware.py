"""A tampered value reaches the person as a handled error page and a security event."""

from __future__ import annotations

import pytest

from carecore.audit.events import EventType, Outcome
from carecore.audit.models import AuditEvent
from tests.conftest import canary
from tests.testapp.models import Secret

from .conftest import raw_column, write_raw_column

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.testapp.urls")]


def test_intact_value_is_served(client, clinician, sign_in):
    secret = Secret.objects.create(body="intact body")
    sign_in(clinician)

    response = client.get(f"/test-only/secret/{secret.pk}/")

    assert response.status_code == 200
    assert response.content == b"intact body"


def test_tampered_value_gives_the_handled_page_and_one_committed_event(
    client, clinician, sign_in
):
    secret = Secret.objects.create(body=canary("tampered-body"))
    stored = bytearray(raw_column(secret.pk, "body"))
    stored[-5] ^= 0x01
    write_raw_column(secret.pk, "body", bytes(stored))
    sign_in(clinician)
    before = AuditEvent.objects.filter(event_type=EventType.INTEGRITY_ERROR).count()

    response = client.get(f"/test-only/secret/{secret.pk}/")

    assert response.status_code == 500
    body = response.content.decode()
    assert "This record could not be verified" in body
    assert "CANARY" not in body
    events = AuditEvent.objects.filter(event_type=EventType.INTEGRITY_ERROR)
    assert events.count() == before + 1
    event = events.order_by("-id").first()
    assert event.outcome == Outcome.FAILURE
    assert event.actor_id == clinician.pk
    assert event.details == {"model": "testapp.Secret", "field": "body", "reason": "bad_mac"}
