"""Self-care guidelines: admins publish versions, staff acknowledge, managers see who has not."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from carecore.audit.events import EventType
from carecore.audit.models import AuditEvent
from staffwellbeing.models import (
    GuidelinesReceipt,
    NotificationKind,
    SelfCareGuidelines,
    WellbeingNotification,
)
from staffwellbeing.services.guidelines import guidelines_acknowledge, guidelines_publish
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def last_event_id() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def event_types_after(mark: int) -> list[int]:
    return list(
        AuditEvent.objects.filter(id__gt=mark).order_by("id").values_list("event_type", flat=True)
    )


def test_an_admin_publishes_versions_and_staff_are_notified(admin_user, clinician, sign_in):
    client = sign_in(admin_user)
    url = reverse("wellbeing:guidelines_publish")
    assert client.get(url).status_code == 200
    mark = last_event_id()
    assert (
        client.post(url, {"title": "Looking after yourself", "body": "Take breaks."}).status_code
        == 302
    )
    assert (
        client.post(url, {"title": "Looking after yourself", "body": "Take leave."}).status_code
        == 302
    )
    assert list(
        SelfCareGuidelines.objects.order_by("version").values_list("version", flat=True)
    ) == [1, 2]
    assert event_types_after(mark) == [EventType.GUIDELINES_PUBLISHED] * 2
    assert (
        WellbeingNotification.objects.filter(
            person=clinician, kind=NotificationKind.GUIDELINES_NEW
        ).count()
        == 2
    )


def test_an_empty_text_is_refused(admin_user, sign_in):
    response = sign_in(admin_user).post(
        reverse("wellbeing:guidelines_publish"), {"title": "T", "body": "  "}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["body"]
    assert not SelfCareGuidelines.objects.exists()


@pytest.mark.parametrize("who", ["manager", "clinician"])
def test_only_admins_publish(who, request, sign_in):
    client = sign_in(request.getfixturevalue(who))
    mark = last_event_id()
    response = client.post(reverse("wellbeing:guidelines_publish"), {"title": "T", "body": "B"})
    assert response.status_code == 403
    assert not SelfCareGuidelines.objects.exists()
    assert event_types_after(mark) == [EventType.ACCESS_DENIED]


def test_staff_acknowledge_the_current_version_once(admin_user, clinician, sign_in):
    first = guidelines_publish(actor=admin_user, title="G", body="One")
    current = guidelines_publish(actor=admin_user, title="G", body="Two")
    client = sign_in(clinician)
    response = client.get(reverse("wellbeing:guidelines"))
    assert response.context["guidelines"] == current
    assert response.context["receipt"] is None
    mark = last_event_id()
    # An acknowledgement for an old version (a stale page) is refused.
    assert (
        client.post(reverse("wellbeing:guidelines"), {"version": first.version}).status_code == 404
    )
    assert (
        client.post(reverse("wellbeing:guidelines"), {"version": current.version}).status_code
        == 302
    )
    assert (
        client.post(reverse("wellbeing:guidelines"), {"version": current.version}).status_code
        == 302
    )
    assert list(GuidelinesReceipt.objects.values_list("user_id", "guidelines_id")) == [
        (clinician.pk, current.pk)
    ]
    assert event_types_after(mark) == [EventType.GUIDELINES_ACKNOWLEDGED]
    response = client.get(reverse("wellbeing:guidelines"))
    assert response.context["receipt"] is not None


def test_managers_see_who_has_not_acknowledged(
    admin_user, manager, clinician, other_clinician, sign_in
):
    guidelines = guidelines_publish(actor=admin_user, title="G", body="Text")
    guidelines_acknowledge(actor=clinician, guidelines=guidelines)
    client = sign_in(manager)
    mark = last_event_id()
    response = client.get(reverse("wellbeing:guidelines_status"))
    assert response.status_code == 200
    pending = {person.pk for person in response.context["page_obj"]}
    assert other_clinician.pk in pending
    assert manager.pk in pending
    assert clinician.pk not in pending
    assert response.context["acknowledged"] == 1
    assert event_types_after(mark) == [EventType.GUIDELINES_STATUS_VIEWED]


@pytest.mark.parametrize("who", ["clinician", "admin_user", "supervisor"])
def test_others_do_not_see_the_status_list(who, request, admin_user, sign_in):
    guidelines_publish(actor=admin_user, title="G", body="Text")
    client = sign_in(request.getfixturevalue(who))
    mark = last_event_id()
    assert client.get(reverse("wellbeing:guidelines_status")).status_code == 403
    assert event_types_after(mark) == [EventType.ACCESS_DENIED]


def test_the_status_list_is_paginated_and_its_query_count_does_not_grow(
    admin_user, manager, sign_in
):
    guidelines = guidelines_publish(actor=admin_user, title="G", body="Text")
    client = sign_in(manager)
    client.get(reverse("wellbeing:guidelines_status"))

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("wellbeing:guidelines_status"))
        assert response.status_code == 200
        return len(queries)

    for index in range(5):
        UserFactory(username=f"few_{index}")
    few = count()
    for index in range(45):
        person = UserFactory(username=f"many_{index}")
        if index % 3 == 0:
            guidelines_acknowledge(actor=person, guidelines=guidelines)
    assert count() == few
    response = client.get(reverse("wellbeing:guidelines_status"), {"page": 2})
    assert response.context["page_obj"].number == 2
