"""Leave: private to the person, encrypted, and the days since the last leave."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from carecore.audit.events import EventType
from carecore.audit.models import AuditEvent
from staffwellbeing.models import LeaveRecord
from staffwellbeing.selectors.leave import days_since_last_leave
from staffwellbeing.services.leave import ENDS_BEFORE_START, leave_record
from tests.conftest import CANARY_MARKER, canary

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 25)


def last_event_id() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def event_types_after(mark: int) -> list[int]:
    return list(
        AuditEvent.objects.filter(id__gt=mark).order_by("id").values_list("event_type", flat=True)
    )


def test_recording_leave_stores_it_encrypted(clinician, sign_in):
    client = sign_in(clinician)
    mark = last_event_id()
    response = client.post(
        reverse("wellbeing:leave"),
        {"starts_on": "2026-08-01", "ends_on": "2026-08-14", "note": canary("note")},
    )
    assert response.status_code == 302
    record = LeaveRecord.objects.get()
    assert (record.person, record.starts_on, record.ends_on) == (
        clinician,
        dt.date(2026, 8, 1),
        dt.date(2026, 8, 14),
    )
    assert event_types_after(mark) == [EventType.LEAVE_RECORDED]
    with connection.cursor() as cursor:
        cursor.execute("SELECT note, starts_on FROM staffwellbeing_leaverecord")
        note, starts_on = cursor.fetchone()
    assert CANARY_MARKER.encode() not in bytes(note)
    assert b"2026-08-01" not in bytes(starts_on)
    rows = AuditEvent.objects.values_list("details", "target_id")
    assert CANARY_MARKER not in json.dumps(list(rows))


def test_the_end_cannot_be_before_the_start(clinician, sign_in):
    response = sign_in(clinician).post(
        reverse("wellbeing:leave"), {"starts_on": "2026-08-10", "ends_on": "2026-08-01"}
    )
    assert response.status_code == 200
    assert str(ENDS_BEFORE_START) in response.context["form"].errors["ends_on"]
    assert not LeaveRecord.objects.exists()


def test_leave_is_visible_only_to_its_person(clinician, other_clinician, manager, sign_in):
    record = leave_record(actor=clinician, starts_on=TODAY, ends_on=TODAY, note=canary("private"))
    response = sign_in(clinician).get(reverse("wellbeing:leave"))
    assert [r.pk for r in response.context["records"]] == [record.pk]
    assert canary("private") in response.content.decode()
    for other in (other_clinician, manager):
        client = sign_in(other)
        response = client.get(reverse("wellbeing:leave"))
        assert response.context["records"] == []
        assert CANARY_MARKER not in response.content.decode()
        mark = last_event_id()
        url = reverse("wellbeing:leave_delete", kwargs={"leave_id": record.pk})
        assert client.get(url).status_code == 404
        assert client.post(url).status_code == 404
        assert event_types_after(mark) == [EventType.ACCESS_DENIED] * 2
    assert LeaveRecord.objects.count() == 1


def test_the_person_deletes_their_leave_after_confirming(clinician, sign_in):
    record = leave_record(actor=clinician, starts_on=TODAY, ends_on=TODAY)
    client = sign_in(clinician)
    url = reverse("wellbeing:leave_delete", kwargs={"leave_id": record.pk})
    assert client.get(url).status_code == 200
    mark = last_event_id()
    assert client.post(url).status_code == 302
    assert not LeaveRecord.objects.exists()
    assert event_types_after(mark) == [EventType.LEAVE_DELETED]


def test_days_since_last_leave(clinician, other_clinician):
    assert days_since_last_leave(clinician, today=TODAY) is None
    leave_record(actor=clinician, starts_on=dt.date(2026, 7, 1), ends_on=dt.date(2026, 7, 10))
    leave_record(actor=clinician, starts_on=dt.date(2026, 11, 1), ends_on=dt.date(2026, 11, 15))
    # Planned leave that has not started does not count.
    leave_record(actor=clinician, starts_on=dt.date(2026, 12, 20), ends_on=dt.date(2026, 12, 31))
    assert days_since_last_leave(clinician, today=TODAY) == 10
    assert days_since_last_leave(other_clinician, today=TODAY) is None
    assert days_since_last_leave(clinician, today=dt.date(2026, 11, 10)) == 0


def test_the_leave_page_query_count_does_not_grow(clinician, sign_in):
    client = sign_in(clinician)
    client.get(reverse("wellbeing:leave"))
    today = timezone.localdate()

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("wellbeing:leave")).status_code == 200
        return len(queries)

    for index in range(5):
        day = today - dt.timedelta(days=10 * index + 1)
        leave_record(actor=clinician, starts_on=day, ends_on=day)
    few = count()
    for index in range(5, 50):
        day = today - dt.timedelta(days=10 * index + 1)
        leave_record(actor=clinician, starts_on=day, ends_on=day)
    assert count() == few
