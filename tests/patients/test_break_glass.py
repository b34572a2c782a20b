"""Break-glass: granted with a reason and a password, flagged, notified, lapsed and reviewed."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.test import override_settings
from django.utils import timezone

from carecore.accounts.roles import Role
from carecore.audit.events import EventType, Outcome
from patients import selectors, services
from patients.exceptions import (
    BREAK_GLASS_ALREADY_REVIEWED,
    BREAK_GLASS_CREDENTIALS_INVALID,
    BREAK_GLASS_OWN_GRANT,
    BREAK_GLASS_REASON_REQUIRED,
    BREAK_GLASS_TOO_MANY_ATTEMPTS,
    NOT_A_PRIVACY_OFFICER,
    NOT_YOUR_NOTIFICATION,
    ActionRefused,
    InvalidRequest,
    PatientNotFound,
)
from patients.models import BreakGlassGrant, PrivacyNotification, ReviewOutcome
from patients.permissions import Action, can
from patients.tasks import break_glass_lapse
from tests.conftest import canary
from tests.factories import DEFAULT_PASSWORD, UserFactory

from .conftest import events_after, last_event_id, only_event, snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def outsider(world):
    return world["not_on_team"]


def grant(world, user=None, reason="unconscious patient in the emergency room"):
    return services.break_glass_grant(
        actor=user or world["not_on_team"],
        patient=world.patient,
        reason=reason,
        password=DEFAULT_PASSWORD,
    )


def test_refused_without_a_reason(world, outsider):
    mark, before = last_event_id(), snapshot()

    with pytest.raises(InvalidRequest) as caught:
        grant(world, reason="   ")

    assert str(caught.value) == BREAK_GLASS_REASON_REQUIRED
    event = only_event(mark, EventType.ACCESS_DENIED)
    assert event.details == {"action": "break_glass", "reason": "no_reason"}
    assert snapshot() == before
    assert not can(outsider, Action.VIEW_CLINICAL, world.patient)


def test_refused_with_a_wrong_password(world, outsider):
    mark, before = last_event_id(), snapshot()

    with pytest.raises(ActionRefused) as caught:
        services.break_glass_grant(
            actor=outsider, patient=world.patient, reason="emergency", password="not my password"
        )

    assert str(caught.value) == BREAK_GLASS_CREDENTIALS_INVALID
    event = only_event(mark, EventType.ACCESS_DENIED)
    assert (event.outcome, event.case_code, event.details) == (
        Outcome.DENIED,
        world.patient.case_code,
        {"action": "break_glass", "reason": "credentials"},
    )
    assert snapshot() == before


@override_settings(CARECORE_BREAK_GLASS_MAX_FAILURES=3)
def test_wrong_passwords_are_throttled(world, outsider):
    for _ in range(3):
        with pytest.raises(ActionRefused):
            services.break_glass_grant(
                actor=outsider, patient=world.patient, reason="x", password="wrong"
            )
    mark = last_event_id()

    with pytest.raises(ActionRefused) as caught:
        grant(world)

    assert str(caught.value) == BREAK_GLASS_TOO_MANY_ATTEMPTS
    assert only_event(mark, EventType.ACCESS_DENIED).details["reason"] == "throttled"
    assert not BreakGlassGrant.objects.filter(clinician=outsider, lapsed_at=None).exists()


def test_a_grant_opens_standard_clinical_content_for_four_hours(world, outsider, privacy_officer):
    second_officer = UserFactory(roles=[Role.MANAGER], is_privacy_officer=True)
    UserFactory(roles=[Role.MANAGER], is_privacy_officer=True, is_active=False)
    mark = last_event_id()

    created = grant(world, reason=canary("reason"))

    stored = BreakGlassGrant.objects.get(pk=created.pk)
    assert stored.reason == canary("reason")
    assert stored.expires_at - stored.granted_at == dt.timedelta(hours=4)
    assert stored.review_outcome == ReviewOutcome.PENDING
    event = only_event(mark, EventType.BREAK_GLASS_GRANTED)
    assert event.details == {"notified": 3, "break_glass_grant": created.pk}
    assert set(
        PrivacyNotification.objects.filter(break_glass_grant=created).values_list(
            "recipient_id", flat=True
        )
    ) == {privacy_officer.pk, second_officer.pk, world["privacy_officer"].pk}
    assert can(outsider, Action.VIEW_CLINICAL, world.patient)
    assert can(outsider, Action.ADD_NOTE, world.patient)
    assert not can(outsider, Action.READ_RESTRICTED, world.patient)
    assert not can(outsider, Action.BREAK_GLASS, world.patient)


def test_privacy_officers_are_notified_but_not_the_actor(world):
    officer_clinician = UserFactory(roles=[Role.CLINICIAN], is_privacy_officer=True)

    created = grant(world, user=officer_clinician)

    recipients = set(
        PrivacyNotification.objects.filter(break_glass_grant=created).values_list(
            "recipient__username", flat=True
        )
    )
    assert recipients == {"privacy_officer"}
    [note] = selectors.privacy_notifications_for(user=world["privacy_officer"])
    assert (note.patient_case_code, note.clinician_username) == (
        world.patient.case_code,
        officer_clinician.username,
    )
    assert selectors.privacy_notifications_unread_count(user=world["privacy_officer"]) == 1
    mark = last_event_id()
    with pytest.raises(ActionRefused) as caught:
        services.privacy_notification_mark_read(actor=world["manager"], notification=note)
    assert str(caught.value) == NOT_YOUR_NOTIFICATION
    only_event(mark, EventType.ACCESS_DENIED)
    services.privacy_notification_mark_read(actor=world["privacy_officer"], notification=note)
    assert selectors.privacy_notifications_unread_count(user=world["privacy_officer"]) == 0


@override_settings(CARECORE_BREAK_GLASS_HOURS=1)
def test_the_window_is_a_setting(world):
    created = grant(world)

    assert created.expires_at - created.granted_at == dt.timedelta(hours=1)


def test_every_event_in_the_window_is_flagged(world, outsider):
    created = grant(world)
    mark = last_event_id()

    patient = selectors.patient_get_for(
        user=outsider, action=Action.VIEW_CLINICAL, case_code=world.patient.case_code
    )
    services.note_add(
        actor=outsider,
        patient=patient,
        encounter_date=timezone.localdate(),
        note_type="other",
        body="seen in an emergency",
    )
    with pytest.raises(PatientNotFound):
        selectors.patient_get_for(
            user=outsider, action=Action.READ_RESTRICTED, case_code=world.patient.case_code
        )

    events = events_after(mark)
    assert [e.event_type for e in events] == [
        EventType.PATIENT_VIEWED,
        EventType.NOTE_ADDED,
        EventType.ACCESS_DENIED,
    ]
    assert {e.details["break_glass_grant"] for e in events} == {created.pk}


def test_only_clinicians_outside_the_team_may_break_glass(world):
    for relationship in ("member", "lead", "manager", "reception", "admin"):
        mark = last_event_id()
        with pytest.raises(PatientNotFound):
            grant(world, user=world[relationship])
        assert only_event(mark, EventType.ACCESS_DENIED).details["action"] == "break_glass"


def test_a_grant_lapses_after_its_window(world, outsider):
    created = grant(world)
    later = timezone.now() + dt.timedelta(hours=4, seconds=1)

    with mock.patch("django.utils.timezone.now", return_value=later):
        assert not can(outsider, Action.VIEW_CLINICAL, world.patient)
        mark = last_event_id()
        # The world's own active grant, made a moment earlier, expires in the same window.
        assert services.break_glass_lapse_expired() == 2
        assert services.break_glass_lapse_expired() == 0

    stored = BreakGlassGrant.objects.get(pk=created.pk)
    assert stored.lapsed_at == stored.expires_at
    events = events_after(mark)
    assert [e.event_type for e in events] == [EventType.BREAK_GLASS_LAPSED] * 2
    assert (events[1].actor_id, events[1].case_code, events[1].details) == (
        None,
        world.patient.case_code,
        {"grant": created.pk, "clinician": outsider.pk},
    )


def test_the_scheduled_task_lapses_expired_grants(world):
    created = grant(world)
    BreakGlassGrant.objects.filter(pk=created.pk).update(
        granted_at=timezone.now() - dt.timedelta(hours=5),
        expires_at=timezone.now() - dt.timedelta(hours=1),
    )

    assert break_glass_lapse.delay().get() == 1
    assert BreakGlassGrant.objects.get(pk=created.pk).lapsed_at is not None


def test_a_new_grant_after_an_unswept_expiry(world, outsider):
    first = grant(world)
    BreakGlassGrant.objects.filter(pk=first.pk).update(
        granted_at=timezone.now() - dt.timedelta(hours=5),
        expires_at=timezone.now() - dt.timedelta(hours=1),
    )

    second = grant(world)

    assert BreakGlassGrant.objects.get(pk=first.pk).lapsed_at is not None
    assert can(outsider, Action.VIEW_CLINICAL, world.patient)
    assert second.pk != first.pk


# --- Review ---------------------------------------------------------------------------------


def test_a_privacy_officer_reviews_a_grant(world):
    created = grant(world)
    officer = world["privacy_officer"]
    queue = list(selectors.break_glass_review_queue(user=officer))
    # Oldest first: the world's lapsed grant, its active one, then this one.
    assert [g.clinician.username for g in queue] == [
        "break_glass_lapsed",
        "break_glass_active",
        "not_on_team",
    ]
    assert queue[-1].patient_case_code == world.patient.case_code
    assert "reason" in queue[-1].get_deferred_fields()
    mark = last_event_id()

    opened = selectors.break_glass_grant_for_review(user=officer, grant_id=created.pk)
    reviewed = services.break_glass_review(
        actor=officer, grant=opened, outcome="justified", note=canary("review")
    )

    assert opened.reason == "unconscious patient in the emergency room"
    assert (reviewed.review_outcome, reviewed.reviewed_by) == ("justified", officer)
    viewed, review = events_after(mark)
    assert viewed.event_type == EventType.BREAK_GLASS_GRANT_VIEWED
    assert (review.event_type, review.details) == (
        EventType.BREAK_GLASS_REVIEWED,
        {"grant": created.pk, "outcome": "justified"},
    )
    assert created.pk not in {g.pk for g in selectors.break_glass_review_queue(user=officer)}
    with pytest.raises(InvalidRequest) as caught:
        services.break_glass_review(actor=officer, grant=opened, outcome="not_justified")
    assert str(caught.value) == BREAK_GLASS_ALREADY_REVIEWED


@pytest.mark.parametrize("relationship", ["manager", "lead", "admin"])
def test_only_privacy_officers_review(world, relationship):
    created = grant(world)
    mark = last_event_id()

    with pytest.raises(ActionRefused) as caught:
        services.break_glass_review(actor=world[relationship], grant=created, outcome="justified")
    with pytest.raises(ActionRefused):
        selectors.break_glass_review_queue(user=world[relationship])

    assert str(caught.value) == NOT_A_PRIVACY_OFFICER
    assert [e.event_type for e in events_after(mark)] == [EventType.ACCESS_DENIED] * 2
    assert BreakGlassGrant.objects.get(pk=created.pk).review_outcome == ReviewOutcome.PENDING


def test_nobody_reviews_their_own_grant(world):
    officer_clinician = UserFactory(roles=[Role.CLINICIAN], is_privacy_officer=True)
    created = grant(world, user=officer_clinician)

    with pytest.raises(ActionRefused) as caught:
        services.break_glass_review(actor=officer_clinician, grant=created, outcome="justified")

    assert str(caught.value) == BREAK_GLASS_OWN_GRANT
