"""Break-glass over HTTP: the case-code form, the record's own form, notification, review, lapse."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from carecore.audit.events import EventType
from patients.exceptions import (
    BREAK_GLASS_CREDENTIALS_INVALID,
    BREAK_GLASS_REASON_REQUIRED,
    BREAK_GLASS_TOO_MANY_ATTEMPTS,
)
from patients.models import BreakGlassGrant, PrivacyNotification
from patients.views.record_break_glass import NO_EMERGENCY_ACCESS
from tests.conftest import CANARY_MARKER, canary
from tests.factories import DEFAULT_PASSWORD

from .conftest import events_after, last_event_id, only_event, snapshot

pytestmark = pytest.mark.django_db

START = "patients:break_glass_start"
REASON = "Patient unconscious in the emergency room"


def overview(patient) -> str:
    return reverse("patients:overview", kwargs={"patient_uuid": patient.uuid})


def start(client, case_code: str, reason: str = REASON, password: str = DEFAULT_PASSWORD):
    return client.post(
        reverse(START), {"case_code": case_code, "reason": reason, "password": password}
    )


def grants_of(user):
    return BreakGlassGrant.objects.filter(clinician=user)


def test_journey_refused_then_granted_notified_reviewed_and_lapsed(world, sign_in, client):
    outsider, officer = world["not_on_team"], world["privacy_officer"]
    sign_in(outsider)
    assert client.get(overview(world.patient)).status_code == 404
    page = client.get(reverse(START))
    assert page.status_code == 200
    assert 'autocomplete="current-password"' in page.content.decode()
    assert "4 hours" in page.content.decode()

    mark = last_event_id()
    no_reason = start(client, world.patient.case_code, reason="  ")
    assert no_reason.status_code == 200
    assert no_reason.context["form"].errors == {"reason": [str(BREAK_GLASS_REASON_REQUIRED)]}
    assert only_event(mark, EventType.ACCESS_DENIED).details["reason"] == "no_reason"

    mark = last_event_id()
    wrong = start(client, world.patient.case_code, password="not my password")
    assert wrong.context["form"].errors == {"password": [str(BREAK_GLASS_CREDENTIALS_INVALID)]}
    assert only_event(mark, EventType.ACCESS_DENIED).details["reason"] == "credentials"
    assert not grants_of(outsider).exists()

    granted = start(client, world.patient.case_code.lower())
    assert granted.status_code == 302
    assert granted["Location"] == overview(world.patient)
    assert world.patient.case_code not in granted["Location"]
    grant = grants_of(outsider).get()
    assert client.get(overview(world.patient)).status_code == 200

    sign_in(officer)
    notifications = client.get(reverse("patients:notifications")).content.decode()
    assert world.patient.case_code in notifications
    assert outsider.username in notifications
    assert REASON not in notifications
    queue = client.get(reverse("patients:break_glass_reviews"))
    assert grant.pk in [item.pk for item in queue.context["page_obj"]]
    detail = client.get(reverse("patients:break_glass_review", kwargs={"grant_id": grant.pk}))
    assert REASON in detail.content.decode()
    flagged = [event.event_type for event in detail.context["page_obj"]]
    assert EventType.PATIENT_VIEWED in flagged
    assert EventType.BREAK_GLASS_GRANTED in flagged

    reviewed = client.post(
        reverse("patients:break_glass_review", kwargs={"grant_id": grant.pk}),
        {"outcome": "justified", "note": "confirmed with the ward"},
    )
    assert reviewed.status_code == 302
    grant.refresh_from_db()
    assert grant.review_outcome == "justified"
    assert grant.reviewed_by == officer

    past = timezone.now() - dt.timedelta(hours=5)
    grants_of(outsider).update(granted_at=past, expires_at=past + dt.timedelta(hours=4))
    sign_in(outsider)
    mark = last_event_id()
    assert client.get(overview(world.patient)).status_code == 404
    only_event(mark, EventType.ACCESS_DENIED)


@pytest.mark.parametrize("case_code", ("ZZZZ-ZZZZ-Z", "not a code", "<script>"))
def test_unknown_case_codes_get_the_generic_message(world, sign_in, client, case_code):
    sign_in(world["not_on_team"])
    before = snapshot()

    response = start(client, case_code)

    assert response.context["form"].errors == {"case_code": [str(NO_EMERGENCY_ACCESS)]}
    assert snapshot() == before


@pytest.mark.parametrize(
    "relationship", ("member", "lead", "break_glass_active", "reception", "manager", "admin")
)
def test_forbidden_case_codes_get_the_same_generic_message(world, sign_in, client, relationship):
    sign_in(world[relationship])
    before = snapshot()
    mark = last_event_id()

    response = start(client, world.patient.case_code)

    assert response.status_code == 200
    assert response.context["form"].errors == {"case_code": [str(NO_EMERGENCY_ACCESS)]}
    assert snapshot() == before
    assert only_event(mark, EventType.ACCESS_DENIED).details["action"] == "break_glass"


def test_record_break_glass_page_grants_and_redirects(world, sign_in, client):
    outsider = world["former_member"]
    sign_in(outsider)
    url = reverse("patients:break_glass", kwargs={"patient_uuid": world.patient.uuid})
    assert client.get(url).status_code == 200

    refused = client.post(url, {"reason": "", "password": DEFAULT_PASSWORD})
    assert refused.status_code == 200
    assert not grants_of(outsider).exists()

    response = client.post(url, {"reason": canary("reason"), "password": DEFAULT_PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == overview(world.patient)
    assert CANARY_MARKER not in response["Location"]
    assert grants_of(outsider).count() == 1
    assert PrivacyNotification.objects.filter(recipient=world["privacy_officer"]).exists()


@pytest.mark.parametrize("relationship", ("member", "lead", "reception", "admin"))
def test_record_break_glass_page_is_404_for_those_who_cannot(world, sign_in, client, relationship):
    sign_in(world[relationship])
    mark = last_event_id()

    response = client.get(
        reverse("patients:break_glass", kwargs={"patient_uuid": world.patient.uuid})
    )

    assert response.status_code == 404
    assert [e.event_type for e in events_after(mark)] == [EventType.ACCESS_DENIED]


@override_settings(CARECORE_BREAK_GLASS_MAX_FAILURES=1)
def test_after_too_many_wrong_passwords_even_the_right_one_is_refused(world, sign_in, client):
    outsider = world["not_on_team"]
    sign_in(outsider)
    start(client, world.patient.case_code, password="wrong")

    response = start(client, world.patient.case_code)

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [str(BREAK_GLASS_TOO_MANY_ATTEMPTS)]
    assert not grants_of(outsider).exists()
