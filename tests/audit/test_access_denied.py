"""The one writer of ACCESS_DENIED events that every app's refusals go through."""

from __future__ import annotations

import pytest

from carecore.audit.events import EventType, Outcome
from carecore.audit.services import audit_access_denied
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_refusal_records_what_was_tried_and_why_as_enum_values():
    actor = UserFactory()

    event = audit_access_denied(
        actor=actor,
        action="view",
        reason="role",
        target_type="supervision.supervisionsession",
        target_id=7,
        case_code="ABCD-EFGH-J",
        details={"dashboard": "manager"},
    )

    event.refresh_from_db()
    assert (event.event_type, event.outcome, event.actor_id) == (
        EventType.ACCESS_DENIED,
        Outcome.DENIED,
        actor.pk,
    )
    assert (event.target_type, event.target_id, event.case_code) == (
        "supervision.supervisionsession",
        "7",
        "ABCD-EFGH-J",
    )
    assert event.details == {"action": "view", "reason": "role", "dashboard": "manager"}


def test_a_refusal_without_a_reason_records_the_action_only():
    event = audit_access_denied(actor=None, action="support_plan.view", target_type="x")

    event.refresh_from_db()
    assert event.details == {"action": "support_plan.view"}
    assert event.actor_id is None
