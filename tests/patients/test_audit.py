"""The audit trail of patient data: ids and enums only, and the per-patient access log."""

from __future__ import annotations

import json

import pytest

from carecore.audit.events import EventType
from carecore.audit.models import AuditEvent
from patients import selectors
from patients.exceptions import PatientNotFound
from patients.permissions import Action
from tests.conftest import CANARY_MARKER

from .conftest import events_after, last_event_id, only_event
from .test_encryption import everything  # noqa: F401  # the fixture that writes every field

pytestmark = pytest.mark.django_db


def test_no_value_from_a_record_reaches_the_audit_trail(everything):  # noqa: F811
    rows = list(
        AuditEvent.objects.order_by("id").values(
            "event_type", "details", "target_type", "target_id", "case_code"
        )
    )

    # One event per service call in the fixture, in order.
    assert [row["event_type"] for row in rows] == [
        EventType.PATIENT_REGISTERED,
        EventType.PATIENT_REGISTERED,
        EventType.NOTE_ADDED,
        EventType.PLAN_GOAL_ADDED,
        EventType.SAFETY_FLAG_RAISED,
        EventType.ATTACHMENT_UPLOADED,
        EventType.BREAK_GLASS_GRANTED,
        EventType.BREAK_GLASS_REVIEWED,
    ]
    assert CANARY_MARKER.lower() not in json.dumps(rows, default=str).lower()


def test_every_patient_event_carries_the_case_code(everything):  # noqa: F811
    patient_events = AuditEvent.objects.filter(event_type__gte=3000, event_type__lt=4000)

    assert patient_events.exists()
    assert (
        not patient_events.filter(case_code="")
        .exclude(event_type__in=[EventType.PATIENT_LIST_VIEWED])
        .exists()
    )


def _fetch(world, relationship, action=Action.VIEW_ACCESS_LOG):
    return selectors.patient_get_for(
        user=world[relationship], action=action, case_code=world.patient.case_code
    )


@pytest.mark.parametrize("relationship", ["lead", "privacy_officer"])
def test_the_lead_and_privacy_officers_see_who_accessed_the_record(world, relationship):
    selectors.patient_get_for(
        user=world["member"], action=Action.VIEW_CLINICAL, case_code=world.patient.case_code
    )
    with pytest.raises(PatientNotFound):
        selectors.patient_get_for(
            user=world["not_on_team"],
            action=Action.VIEW_CLINICAL,
            case_code=world.patient.case_code,
        )
    patient = _fetch(world, relationship)
    mark = last_event_id()

    log = list(selectors.patient_access_log(actor=world[relationship], patient=patient))

    viewing = only_event(mark, EventType.PATIENT_ACCESS_LOG_VIEWED)
    assert log[0] == viewing
    assert [(e.actor_id, e.event_type) for e in log[1:3]] == [
        (world["not_on_team"].pk, EventType.ACCESS_DENIED),
        (world["member"].pk, EventType.PATIENT_VIEWED),
    ]
    assert {e.case_code for e in log} == {world.patient.case_code}


@pytest.mark.parametrize("relationship", ["member", "manager", "admin", "reception"])
def test_nobody_else_sees_the_access_log(world, relationship):
    mark = last_event_id()

    with pytest.raises(PatientNotFound):
        selectors.patient_access_log(actor=world[relationship], patient=world.patient)

    [event] = events_after(mark)
    assert (event.event_type, event.details) == (
        EventType.ACCESS_DENIED,
        {"action": "view_access_log", "reason": "policy"},
    )
