"""Oversight pages over HTTP: the access log, the review queue and reviews, notifications."""

from __future__ import annotations

import pytest
from django.urls import reverse

from carecore.audit.events import EventType
from patients import services
from patients.exceptions import BREAK_GLASS_OWN_GRANT
from patients.models import BreakGlassGrant, PrivacyNotification, ReviewOutcome
from tests.factories import DEFAULT_PASSWORD, UserFactory

from .conftest import last_event_id, only_event, snapshot
from .factories import GrantFactory

pytestmark = pytest.mark.django_db

REASON = "Overdose, care team unreachable"


def access_log(patient) -> str:
    return reverse("patients:access_log", kwargs={"patient_uuid": patient.uuid})


def review(grant) -> str:
    return reverse("patients:break_glass_review", kwargs={"grant_id": grant.pk})


@pytest.fixture
def live_grant(world):
    """Return a grant made through the service, so privacy officers were notified."""
    return services.break_glass_grant(
        actor=world["not_on_team"], patient=world.patient, reason=REASON, password=DEFAULT_PASSWORD
    )


@pytest.mark.parametrize("relationship", ("lead", "privacy_officer"))
def test_access_log_for_the_lead_and_privacy_officers(world, sign_in, client, relationship):
    sign_in(world[relationship])
    mark = last_event_id()

    response = client.get(access_log(world.patient))

    assert response.status_code == 200
    event = only_event(mark, EventType.PATIENT_ACCESS_LOG_VIEWED)
    assert event.case_code == world.patient.case_code
    assert response.context["page_obj"][0].pk == event.pk
    assert "Amal" not in response.content.decode()


@pytest.mark.parametrize(
    "relationship",
    (
        "member",
        "member_restricted",
        "not_on_team",
        "manager",
        "admin",
        "reception",
        "supervisor_of_member",
    ),
)
def test_access_log_is_404_and_audited_for_anyone_else(world, sign_in, client, relationship):
    sign_in(world[relationship])
    mark = last_event_id()

    response = client.get(access_log(world.patient))

    assert response.status_code == 404
    event = only_event(mark, EventType.ACCESS_DENIED)
    assert event.details["action"] == "view_access_log"


def test_access_log_marks_events_under_break_glass(world, sign_in, client, live_grant):
    sign_in(world["not_on_team"])
    client.get(reverse("patients:notes", kwargs={"patient_uuid": world.patient.uuid}))
    sign_in(world["privacy_officer"])

    response = client.get(access_log(world.patient))

    flagged = [
        event.event_type
        for event in response.context["page_obj"]
        if event.details.get("break_glass_grant") == live_grant.pk
    ]
    assert EventType.PATIENT_VIEWED in flagged
    assert f"Break-glass #{live_grant.pk}" in response.content.decode()


def test_access_log_is_paginated(world, sign_in, client):
    sign_in(world["member"])
    for _ in range(30):
        client.get(reverse("patients:notes", kwargs={"patient_uuid": world.patient.uuid}))
    sign_in(world["lead"])

    response = client.get(access_log(world.patient))

    assert len(response.context["page_obj"]) == 25
    assert response.context["page_obj"].has_next()


@pytest.mark.parametrize("relationship", ("lead", "manager", "admin", "not_on_team"))
def test_review_pages_refuse_anyone_but_privacy_officers(world, sign_in, client, relationship):
    grant = BreakGlassGrant.objects.get(clinician=world["break_glass_active"])
    sign_in(world[relationship])

    for url in (reverse("patients:break_glass_reviews"), review(grant)):
        mark = last_event_id()
        response = client.get(url)
        assert response.status_code == 403
        assert REASON not in response.content.decode()
        only_event(mark, EventType.ACCESS_DENIED)

    before = snapshot()
    response = client.post(review(grant), {"outcome": "justified"})
    assert response.status_code == 403
    assert snapshot() == before


def test_review_needs_an_outcome_and_records_once(world, sign_in, client, live_grant):
    sign_in(world["privacy_officer"])

    missing = client.post(review(live_grant), {"note": "checked"})
    assert missing.status_code == 200
    assert "outcome" in missing.context["form"].errors
    live_grant.refresh_from_db()
    assert live_grant.review_outcome == ReviewOutcome.PENDING

    done = client.post(review(live_grant), {"outcome": "not_justified", "note": "no emergency"})
    assert done.status_code == 302
    live_grant.refresh_from_db()
    assert live_grant.review_outcome == ReviewOutcome.NOT_JUSTIFIED
    queue = client.get(reverse("patients:break_glass_reviews"))
    assert live_grant.pk not in [item.pk for item in queue.context["page_obj"]]
    assert client.get(review(live_grant)).context["pending"] is False


def test_nobody_reviews_their_own_grant(world, sign_in, client):
    officer = UserFactory(username="clinical_officer", roles=["clinician"], is_privacy_officer=True)
    grant = GrantFactory(patient=world.patient, clinician=officer)
    sign_in(officer)

    response = client.post(review(grant), {"outcome": "justified"})

    assert response.status_code == 200
    assert str(BREAK_GLASS_OWN_GRANT) in response.content.decode()
    grant.refresh_from_db()
    assert grant.review_outcome == ReviewOutcome.PENDING


def test_notifications_mark_read(world, sign_in, client, live_grant):
    officer = world["privacy_officer"]
    notification = PrivacyNotification.objects.get(recipient=officer)
    sign_in(officer)
    page = client.get(reverse("patients:notifications"))
    assert [n.pk for n in page.context["page_obj"]] == [notification.pk]
    assert page.context["unread"] == 1
    assert REASON not in page.content.decode()

    response = client.post(
        reverse("patients:notification_read", kwargs={"notification_id": notification.pk})
    )

    assert response.status_code == 302
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert client.get(reverse("patients:notifications")).context["unread"] == 0


def test_someone_elses_notification_is_404_and_unchanged(world, sign_in, client, live_grant):
    notification = PrivacyNotification.objects.get(recipient=world["privacy_officer"])
    sign_in(world["lead"])

    response = client.post(
        reverse("patients:notification_read", kwargs={"notification_id": notification.pk})
    )

    assert response.status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None
    assert client.get(reverse("patients:notifications")).context["page_obj"].paginator.count == 0
