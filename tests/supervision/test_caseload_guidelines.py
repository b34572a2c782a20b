"""Caseload guidelines: managers save new versions with history and audit; others read or are
refused; bad values save nothing."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from carecore.audit.events import EventType, Outcome
from carecore.audit.models import AuditEvent
from supervision.models import CaseloadGuideline
from supervision.permissions.caseload import (
    NOT_A_MANAGER,
    CaseloadAction,
    CaseloadActionRefused,
    CaseloadInvalid,
)
from supervision.selectors import guideline_current
from supervision.services.caseload import (
    MAX_PATIENTS_RANGE,
    MAX_POINTS_RANGE,
    MIN_STAGES_RANGE,
    NOTHING_CHANGED,
    REVIEW_CADENCE_RANGE,
    caseload_guideline_change,
)
from tests.factories import UserFactory

from .factories import GuidelineFactory

pytestmark = pytest.mark.django_db

URL = reverse("supervision:guidelines")
VALID = {
    "max_active_patients": "16",
    "max_complexity_points": "40",
    "min_stages": "3",
    "review_cadence_weeks": "8",
}


def _changed():
    return AuditEvent.objects.filter(event_type=EventType.CASELOAD_GUIDELINES_CHANGED)


def _denied(actor):
    return AuditEvent.objects.filter(
        event_type=EventType.ACCESS_DENIED, actor=actor, outcome=Outcome.DENIED
    )


def test_a_manager_saves_a_new_version_and_the_old_one_stays(client, sign_in, manager):
    first = GuidelineFactory(max_active_patients=20, max_complexity_points=50, min_stages=2)
    sign_in(manager)

    response = client.post(URL, VALID)

    assert response.status_code == 302
    assert response.url == URL
    assert CaseloadGuideline.objects.count() == 2
    current = guideline_current()
    assert current.pk != first.pk
    assert (
        current.max_active_patients,
        current.max_complexity_points,
        current.min_stages,
        current.review_cadence_weeks,
    ) == (16, 40, 3, 8)
    assert current.changed_by == manager
    first.refresh_from_db()
    assert first.max_active_patients == 20  # never edited in place
    (event,) = _changed()
    assert event.actor == manager
    assert event.target_id == str(current.pk)
    assert event.details == {
        "previous_id": first.pk,
        "old": {
            "max_active_patients": 20,
            "max_complexity_points": 50,
            "min_stages": 2,
            "review_cadence_weeks": 12,
        },
        "new": {
            "max_active_patients": 16,
            "max_complexity_points": 40,
            "min_stages": 3,
            "review_cadence_weeks": 8,
        },
        "changed": [
            "max_active_patients",
            "max_complexity_points",
            "min_stages",
            "review_cadence_weeks",
        ],
    }


def test_the_history_shows_who_changed_what_and_when(client, sign_in, manager):
    named = UserFactory(username="m2", first_name="Mina", last_name="Okafor")
    GuidelineFactory(max_active_patients=20, changed_by=named)
    sign_in(manager)
    client.post(URL, {**VALID, "max_active_patients": "18"})

    response = client.get(URL)

    assert response.status_code == 200
    rows = list(response.context["page_obj"])
    assert [row.max_active_patients for row in rows] == [18, 20]
    assert rows[0].previous_max_active_patients == 20
    assert rows[0].changed_by == manager
    assert rows[1].previous_max_active_patients is None
    content = response.content.decode()
    assert "Mina Okafor" in content
    assert "was 20" in content
    assert "the guide" in content.lower() and "pro-rated" in content


def test_a_first_save_without_any_row_records_the_defaults_as_old(manager):
    guideline = caseload_guideline_change(
        actor=manager,
        max_active_patients=20,
        max_complexity_points=50,
        min_stages=2,
        review_cadence_weeks=12,
    )

    (event,) = _changed()
    assert event.details["previous_id"] is None
    assert event.details["changed"] == []
    assert guideline_current() == guideline


@pytest.mark.parametrize("reader", ["clinician", "supervisor", "manager"])
def test_clinicians_supervisors_and_managers_read_the_guidelines(client, sign_in, request, reader):
    GuidelineFactory(max_active_patients=17)
    user = request.getfixturevalue(reader)
    sign_in(user)

    response = client.get(URL)

    assert response.status_code == 200
    assert response.context["current"].max_active_patients == 17
    assert (response.context["form"] is not None) is (reader == "manager")


@pytest.mark.parametrize("outsider", ["admin_user", "reception"])
def test_admins_and_reception_cannot_open_the_page(client, sign_in, request, outsider):
    user = request.getfixturevalue(outsider)
    sign_in(user)

    response = client.get(URL)

    assert response.status_code == 404
    (event,) = _denied(user)
    assert event.details == {"action": CaseloadAction.READ_GUIDELINES, "reason": "role"}
    assert event.target_type == "supervision.caseloadguideline"


@pytest.mark.parametrize("who", ["clinician", "supervisor", "admin_user"])
def test_a_non_manager_cannot_post_and_is_audited(client, sign_in, request, who):
    GuidelineFactory()
    user = request.getfixturevalue(who)
    sign_in(user)

    response = client.post(URL, VALID)

    assert response.status_code == 404
    assert CaseloadGuideline.objects.count() == 1
    assert not _changed().exists()
    (event,) = _denied(user)
    assert event.details == {"action": CaseloadAction.CHANGE_GUIDELINES, "reason": "role"}


def test_the_service_refuses_a_non_manager_and_audits(clinician):
    with pytest.raises(CaseloadActionRefused) as refused:
        caseload_guideline_change(
            actor=clinician,
            max_active_patients=10,
            max_complexity_points=10,
            min_stages=2,
            review_cadence_weeks=4,
        )

    assert str(refused.value) == str(NOT_A_MANAGER)
    assert not CaseloadGuideline.objects.exists()
    assert _denied(clinician).count() == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("max_active_patients", "0", MAX_PATIENTS_RANGE),
        ("max_active_patients", "501", MAX_PATIENTS_RANGE),
        ("max_active_patients", "ten", MAX_PATIENTS_RANGE),
        ("max_active_patients", "", MAX_PATIENTS_RANGE),
        ("max_complexity_points", "0", MAX_POINTS_RANGE),
        ("max_complexity_points", "2501", MAX_POINTS_RANGE),
        ("min_stages", "0", MIN_STAGES_RANGE),
        ("min_stages", "5", MIN_STAGES_RANGE),
        ("review_cadence_weeks", "0", REVIEW_CADENCE_RANGE),
        ("review_cadence_weeks", "53", REVIEW_CADENCE_RANGE),
        ("review_cadence_weeks", "2.5", REVIEW_CADENCE_RANGE),
    ],
)
def test_invalid_values_are_refused_and_nothing_is_saved(
    client, sign_in, manager, field, value, message
):
    GuidelineFactory()
    sign_in(manager)

    response = client.post(URL, {**VALID, field: value})

    assert response.status_code == 200
    assert response.context["form"].errors[field] == [str(message)]
    assert str(message) in response.content.decode()
    assert CaseloadGuideline.objects.count() == 1
    assert not _changed().exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("max_active_patients", 0, MAX_PATIENTS_RANGE),
        ("max_complexity_points", 9999, MAX_POINTS_RANGE),
        ("min_stages", 7, MIN_STAGES_RANGE),
        ("review_cadence_weeks", True, REVIEW_CADENCE_RANGE),
    ],
)
def test_the_service_checks_the_bounds_itself(manager, field, value, message):
    values = {
        "max_active_patients": 10,
        "max_complexity_points": 10,
        "min_stages": 2,
        "review_cadence_weeks": 4,
        field: value,
    }
    with pytest.raises(CaseloadInvalid) as invalid:
        caseload_guideline_change(actor=manager, **values)

    assert str(invalid.value) == str(message)
    assert invalid.value.field == field
    assert not CaseloadGuideline.objects.exists()


def test_saving_the_same_values_again_saves_nothing(client, sign_in, manager):
    GuidelineFactory(
        max_active_patients=16, max_complexity_points=40, min_stages=3, review_cadence_weeks=8
    )
    sign_in(manager)

    response = client.post(URL, VALID)

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [str(NOTHING_CHANGED)]
    assert CaseloadGuideline.objects.count() == 1
    assert not _changed().exists()


def test_the_history_page_query_count_does_not_grow_with_versions(client, sign_in, manager):
    sign_in(manager)
    counts = []
    for size in (5, 50):
        for index in range(size):
            GuidelineFactory(max_active_patients=1 + index % 30, changed_by=manager)
        client.get(URL)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL).status_code == 200
        counts.append(len(queries))

    assert counts[0] == counts[1]
