"""Early signs: ticking stores nothing unless kept; a kept check is the person's alone."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from carecore.audit.events import EventType
from carecore.audit.models import AuditEvent
from staffwellbeing.models import EarlySign, EarlySignCheck
from staffwellbeing.services.early_signs import DEMO_FILE, early_signs_demo_load
from tests.conftest import CANARY_MARKER, canary

pytestmark = pytest.mark.django_db


def last_event_id() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def event_types_after(mark: int) -> list[int]:
    return list(
        AuditEvent.objects.filter(id__gt=mark).order_by("id").values_list("event_type", flat=True)
    )


@pytest.fixture
def signs(db):
    return [
        EarlySign.objects.create(text=canary(f"sign-{index}"), position=index) for index in range(4)
    ]


def test_the_demo_list_loads_once(admin_user):
    expected = len(json.loads(DEMO_FILE.read_text(encoding="utf-8")))
    assert expected >= 5
    assert early_signs_demo_load(actor=admin_user) == expected
    assert early_signs_demo_load(actor=admin_user) == 0
    assert EarlySign.objects.filter(active=True).count() == expected


def test_ticking_signs_suggests_the_scale_and_stores_nothing(clinician, signs, sign_in):
    client = sign_in(clinician)
    mark = last_event_id()
    response = client.post(
        reverse("wellbeing:early_signs"),
        {"signs": [signs[0].pk, signs[1].pk], "action": "check"},
    )
    assert response.status_code == 200
    assert response.context["suggest_scale"] is True
    assert reverse("wellbeing:checkin") in response.content.decode()
    assert EarlySignCheck.objects.count() == 0
    assert event_types_after(mark) == []


def test_one_sign_does_not_suggest_the_scale(clinician, signs, sign_in):
    response = sign_in(clinician).post(
        reverse("wellbeing:early_signs"), {"signs": [signs[0].pk], "action": "check"}
    )
    assert response.context["suggest_scale"] is False
    assert EarlySignCheck.objects.count() == 0


def test_keeping_the_check_stores_it_encrypted_for_the_person(clinician, signs, sign_in):
    client = sign_in(clinician)
    mark = last_event_id()
    response = client.post(
        reverse("wellbeing:early_signs"),
        {"signs": [signs[1].pk, signs[2].pk], "action": "keep"},
    )
    assert response.status_code == 302
    check = EarlySignCheck.objects.get()
    assert check.person == clinician
    assert sorted(sign["id"] for sign in check.signs) == [signs[1].pk, signs[2].pk]
    assert event_types_after(mark) == [EventType.EARLY_SIGN_CHECK_KEPT]
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT signs FROM staffwellbeing_earlysigncheck")
        raw = bytes(cursor.fetchone()[0])
    assert CANARY_MARKER.encode() not in raw
    rows = AuditEvent.objects.values_list("details", flat=True)
    assert CANARY_MARKER not in json.dumps(list(rows))


def test_keeping_with_nothing_ticked_is_refused(clinician, signs, sign_in):
    response = sign_in(clinician).post(reverse("wellbeing:early_signs"), {"action": "keep"})
    assert response.status_code == 200
    assert response.context["form"].errors["signs"]
    assert EarlySignCheck.objects.count() == 0


def test_kept_checks_are_visible_only_to_their_person(clinician, other_clinician, signs, sign_in):
    check = EarlySignCheck.objects.create(
        person=clinician, signs=[{"id": signs[0].pk, "text": signs[0].text}]
    )
    response = sign_in(clinician).get(reverse("wellbeing:early_sign_checks"))
    assert [c.pk for c in response.context["checks"]] == [check.pk]
    client = sign_in(other_clinician)
    response = client.get(reverse("wellbeing:early_sign_checks"))
    assert response.context["checks"] == []
    mark = last_event_id()
    url = reverse("wellbeing:early_sign_check_delete", kwargs={"check_id": check.pk})
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert event_types_after(mark) == [EventType.ACCESS_DENIED, EventType.ACCESS_DENIED]
    assert EarlySignCheck.objects.count() == 1


def test_the_person_deletes_a_kept_check_after_confirming(clinician, signs, sign_in):
    check = EarlySignCheck.objects.create(person=clinician, signs=[])
    client = sign_in(clinician)
    url = reverse("wellbeing:early_sign_check_delete", kwargs={"check_id": check.pk})
    assert client.get(url).status_code == 200
    assert EarlySignCheck.objects.count() == 1
    assert client.post(url).status_code == 302
    assert EarlySignCheck.objects.count() == 0


@pytest.mark.parametrize("who", ["manager", "admin_user"])
def test_admins_and_managers_manage_the_list(who, request, signs, sign_in):
    client = sign_in(request.getfixturevalue(who))
    url = reverse("wellbeing:early_signs_manage")
    assert client.get(url).status_code == 200
    mark = last_event_id()
    assert client.post(url, {"text": "I skip lunch most days"}).status_code == 302
    assert client.post(url, {"sign_id": signs[0].pk, "active": "0"}).status_code == 302
    signs[0].refresh_from_db()
    assert signs[0].active is False
    assert EarlySign.objects.filter(text="I skip lunch most days", active=True).exists()
    assert event_types_after(mark) == [EventType.EARLY_SIGNS_CHANGED] * 2


def test_a_retired_sign_leaves_the_self_check(clinician, signs, sign_in):
    signs[0].active = False
    signs[0].save()
    response = sign_in(clinician).get(reverse("wellbeing:early_signs"))
    offered = list(response.context["form"].fields["signs"].queryset)
    assert signs[0] not in offered
    assert len(offered) == 3


def test_clinicians_cannot_manage_the_list(clinician, sign_in):
    client = sign_in(clinician)
    mark = last_event_id()
    response = client.post(reverse("wellbeing:early_signs_manage"), {"text": "x"})
    assert response.status_code == 403
    assert not EarlySign.objects.exists()
    assert event_types_after(mark) == [EventType.ACCESS_DENIED]
