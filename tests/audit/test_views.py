"""The audit viewer: who may read it, filters, pagination, its own audit, query count."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from carecore.audit.events import EventType, Outcome
from carecore.audit.forms import DATE_ORDER_MESSAGE
from carecore.audit.models import AuditEvent
from carecore.audit.permissions import audit_log_may_view
from carecore.audit.sealing import audit_seal_pending
from carecore.audit.services import audit_event_record
from carecore.audit.views import PAGE_SIZE
from tests.factories import UserFactory

from .conftest import triggers_disabled

pytestmark = pytest.mark.django_db

URL = reverse("audit:event_list")


def _viewed_events() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type=EventType.AUDIT_LOG_VIEWED))


@pytest.mark.parametrize("persona", ["admin_user", "privacy_officer"])
def test_admin_and_privacy_officer_can_read_the_log(request, sign_in, persona):
    user = request.getfixturevalue(persona)
    audit_event_record(event_type=EventType.LOGIN, actor=user)
    response = sign_in(user).get(URL)
    assert response.status_code == 200
    assert response.templates[0].name == "audit/event_list.html"
    assert user.username in response.content.decode()


@pytest.mark.parametrize("persona", ["clinician", "reception", "manager", "supervisor"])
def test_other_roles_are_refused_and_the_refusal_is_audited(request, sign_in, persona):
    user = request.getfixturevalue(persona)
    response = sign_in(user).get(URL)
    assert response.status_code == 403
    denied = AuditEvent.objects.get(event_type=EventType.ACCESS_DENIED)
    assert denied.actor_id == user.pk
    assert denied.outcome == Outcome.DENIED
    assert denied.details == {"view": "audit:event_list"}
    assert _viewed_events() == []


def test_a_manager_without_the_flag_is_refused_and_with_it_allowed(manager):
    assert not audit_log_may_view(user=manager)
    flagged = UserFactory(username="manager_po", roles=["manager"], is_privacy_officer=True)
    assert audit_log_may_view(user=flagged)


def test_a_deactivated_privacy_officer_is_refused(privacy_officer):
    privacy_officer.is_active = False
    assert not audit_log_may_view(user=privacy_officer)


def test_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert AuditEvent.objects.count() == 0


def test_viewing_writes_exactly_one_event_with_the_filter_keys(privacy_officer, sign_in):
    response = sign_in(privacy_officer).get(
        URL, {"person": "clin_a", "action": EventType.LOGIN.value, "case_code": "", "page": "1"}
    )
    assert response.status_code == 200
    [viewed] = _viewed_events()
    assert viewed.actor_id == privacy_officer.pk
    assert viewed.outcome == Outcome.SUCCESS
    # Names of the filters only: never the text typed into them.
    assert viewed.details == {"filters": ["person", "action"], "page": 1}


def test_filter_by_person(admin_user, clinician, reception, sign_in):
    mine = audit_event_record(event_type=EventType.LOGIN, actor=clinician)
    audit_event_record(event_type=EventType.LOGIN, actor=reception)
    response = sign_in(admin_user).get(URL, {"person": "CLIN_A"})
    assert [event.pk for event in response.context["events"]] == [mine.pk]


def test_filter_by_action_and_outcome(admin_user, sign_in):
    failed = audit_event_record(event_type=EventType.LOGIN_FAILED, outcome=Outcome.FAILURE)
    audit_event_record(event_type=EventType.LOGIN_FAILED)
    audit_event_record(event_type=EventType.LOGOUT, outcome=Outcome.FAILURE)
    response = sign_in(admin_user).get(
        URL, {"action": EventType.LOGIN_FAILED.value, "outcome": Outcome.FAILURE}
    )
    assert [event.pk for event in response.context["events"]] == [failed.pk]


def test_filter_by_target_and_case_code(admin_user, clinician, sign_in):
    on_user = audit_event_record(event_type=EventType.ROLE_CHANGED, target=clinician)
    audit_event_record(event_type=EventType.ROLE_CHANGED, target=admin_user)
    on_case = audit_event_record(event_type=EventType.ACCESS_DENIED, case_code="K7Q2")
    audit_event_record(event_type=EventType.ACCESS_DENIED, case_code="K7Q3")
    client = sign_in(admin_user)
    response = client.get(URL, {"target_type": "accounts.user", "target_id": clinician.pk})
    assert [event.pk for event in response.context["events"]] == [on_user.pk]
    response = client.get(URL, {"case_code": "K7Q2"})
    assert [event.pk for event in response.context["events"]] == [on_case.pk]


def test_filter_by_date_range_is_inclusive(admin_user, sign_in):
    events = [audit_event_record(event_type=EventType.LOGIN, target_id=str(n)) for n in range(3)]
    with triggers_disabled("audit_auditevent"), connection.cursor() as cursor:
        for event, days in zip(events, (10, 5, 1), strict=True):
            cursor.execute(
                "UPDATE audit_auditevent SET occurred_at = %s WHERE id = %s",
                [timezone.now() - timedelta(days=days), event.pk],
            )
    today = timezone.localdate()
    response = sign_in(admin_user).get(
        URL,
        {
            "date_from": (today - timedelta(days=5)).isoformat(),
            "date_to": (today - timedelta(days=1)).isoformat(),
        },
    )
    assert [event.pk for event in response.context["events"]] == [events[2].pk, events[1].pk]


def test_reversed_dates_show_an_error_and_no_rows(admin_user, sign_in):
    audit_event_record(event_type=EventType.LOGIN)
    response = sign_in(admin_user).get(URL, {"date_from": "2026-02-01", "date_to": "2026-01-01"})
    assert response.status_code == 200
    assert str(DATE_ORDER_MESSAGE) in response.content.decode()
    assert list(response.context["events"]) == []
    [viewed] = _viewed_events()
    assert viewed.outcome == Outcome.FAILURE
    assert viewed.details == {"filters": ["date_from", "date_to"], "page": 1}


def test_pages_hold_fifty_events_newest_first(admin_user, make_events, sign_in):
    make_events(PAGE_SIZE + 5)
    client = sign_in(admin_user)
    first = client.get(URL)
    assert len(first.context["events"]) == PAGE_SIZE
    # The view's own event is the newest row.
    assert first.context["events"][0].event_type == EventType.AUDIT_LOG_VIEWED
    second = client.get(URL, {"page": 2})
    ids = [event.pk for event in second.context["events"]]
    assert len(ids) == 7  # 55 made + 2 views, 50 on page one
    assert ids == sorted(ids, reverse=True)
    assert second.context["page_obj"].number == 2


def test_page_shows_whether_events_are_sealed(admin_user, make_events, sign_in):
    make_events(1)
    audit_seal_pending()
    response = sign_in(admin_user).get(URL)
    rows = {event.event_type: event for event in response.context["events"]}
    assert rows[EventType.LOGIN].seal.sequence == 1
    assert "Not yet" in response.content.decode()


def _queries_for_page(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(URL).status_code == 200
    return len(captured)


@pytest.mark.parametrize("persona", ["admin_user", "privacy_officer"])
def test_query_count_does_not_grow_with_the_events(
    request, make_events, sign_in, django_assert_num_queries, persona
):
    client = sign_in(request.getfixturevalue(persona))
    actors = [UserFactory() for _ in range(5)]
    for actor in actors:
        make_events(1, actor=actor)
    client.get(URL)  # warm per-process caches (content types, permissions)
    baseline = _queries_for_page(client)
    for index in range(45):
        make_events(1, actor=actors[index % 5] if index % 2 else UserFactory())
    audit_seal_pending()
    with django_assert_num_queries(baseline):
        response = client.get(URL)
    assert len(response.context["events"]) == PAGE_SIZE
