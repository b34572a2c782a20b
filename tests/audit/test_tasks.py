"""The periodic tasks (run eagerly: no broker in the test settings)."""

from __future__ import annotations

import pytest

from carecore.audit import tasks
from carecore.audit.events import EventType
from carecore.audit.models import AuditEvent, AuditSeal
from carecore.audit.sealing import ChainStatus

pytestmark = pytest.mark.django_db


def test_seal_task_seals_and_is_idempotent(make_events):
    make_events(3)
    assert tasks.audit_seal.delay().get() == 3
    assert tasks.audit_seal.delay().get() == 0
    assert AuditSeal.objects.count() == 3


def test_verify_task_records_the_outcome(make_events):
    make_events(2)
    tasks.audit_seal.delay()
    assert tasks.audit_verify.delay().get() == ChainStatus.INTACT
    event = AuditEvent.objects.get(event_type=EventType.AUDIT_CHAIN_VERIFIED)
    assert event.details == {"source": "task", "checked": 2}


def test_tasks_take_no_arguments_and_have_time_limits():
    for task in (tasks.audit_seal, tasks.audit_verify):
        assert task.time_limit and task.soft_time_limit
        assert task.soft_time_limit < task.time_limit
    assert tasks.audit_seal.name == "carecore.audit.tasks.audit_seal"
    assert tasks.audit_verify.name == "carecore.audit.tasks.audit_verify"


def test_beat_schedule_names_the_tasks(settings):
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {tasks.audit_seal.name, tasks.audit_verify.name} <= scheduled
