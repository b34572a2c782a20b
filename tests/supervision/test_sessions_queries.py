"""The session, meeting and action lists issue the same number of queries for 5 and 50 rows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from supervision.models import SessionKind, SessionPurpose, SessionStatus
from tests.patients.factories import clinician as make_clinician
from tests.supervision.factories import (
    ActionFactory,
    GroupFactory,
    GroupMemberFactory,
    SessionFactory,
)

pytestmark = pytest.mark.django_db


def _populate(supervisor, count: int) -> None:
    group = GroupFactory(facilitator=supervisor)
    GroupMemberFactory(group=group, member=make_clinician())
    for n in range(count):
        # Every five rows hold each purpose both upcoming and past, and one group session.
        days = n + 1 if n % 2 == 0 else -(n + 1)
        when = timezone.now() + dt.timedelta(days=days)
        if n % 5 == 4:
            session = SessionFactory(
                kind=SessionKind.GROUP,
                host=supervisor,
                supervisee=None,
                group=group,
                starts_at=when,
            )
        else:
            purpose = SessionPurpose.MANAGEMENT if (n // 2) % 2 else SessionPurpose.CLINICAL
            session = SessionFactory(purpose=purpose, host=supervisor, starts_at=when)
        ActionFactory(session=session, owner=supervisor)


URLS = [
    ("supervision:sessions", {}),
    ("supervision:sessions", {"when": "past"}),
    ("supervision:meetings", {}),
    ("supervision:meetings", {"when": "past"}),
    ("supervision:actions", {}),
    ("supervision:meeting_actions", {}),
]


@pytest.mark.parametrize(("url_name", "params"), URLS)
def test_list_queries_do_not_grow_with_rows(url_name, params, supervisor, sign_in, client):
    sign_in(supervisor)
    url = reverse(url_name)
    # A first request may do once-only work (session bookkeeping); measure the ones after it.
    assert client.get(url, params).status_code == 200
    counts = []
    for count in (5, 45):
        _populate(supervisor, count)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, params)
        assert response.status_code == 200
        counts.append(len(queries))

    assert counts[0] == counts[1]


def test_upcoming_list_shows_only_its_purpose(supervisor, sign_in, client):
    clinical = SessionFactory(host=supervisor)
    meeting = SessionFactory(purpose=SessionPurpose.MANAGEMENT, host=supervisor)
    cancelled = SessionFactory(
        host=supervisor,
        status=SessionStatus.CANCELLED,
        cancel_reason="r",
        cancelled_at=timezone.now(),
    )
    sign_in(supervisor)

    page = client.get(reverse("supervision:sessions")).content.decode()

    assert str(clinical.uuid) in page
    assert str(cancelled.uuid) in page  # shown, marked cancelled
    assert str(meeting.uuid) not in page
