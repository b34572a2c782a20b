"""Job descriptions: the person reads their own, managers edit, overdue reviews are listed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from carecore.audit.events import EventType
from carecore.audit.models import AuditEvent
from staffwellbeing.models import JobDescription
from staffwellbeing.permissions_support import WellbeingInvalid
from staffwellbeing.services.jobs import LIMITS_REQUIRED, job_description_save
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def last_event_id() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def event_types_after(mark: int) -> list[int]:
    return list(
        AuditEvent.objects.filter(id__gt=mark).order_by("id").values_list("event_type", flat=True)
    )


def job_for(person, *, due: dt.date | None, by=None) -> JobDescription:
    return JobDescription.objects.create(
        person=person,
        goals="Goals text",
        limits="Limits text",
        support_options="Support text",
        review_due_on=due,
        updated_by=by,
    )


def form_data(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "goals": "Direct care for a caseload agreed with the supervisor.",
        "limits": "No court reports without legal support.",
        "support_options": "Monthly individual supervision; counselling through the service.",
        "last_reviewed_on": "2026-06-01",
        "review_due_on": "2027-06-01",
    }
    data.update(overrides)
    return data


def test_the_person_reads_their_own(clinician, sign_in):
    job_for(clinician, due=None)
    client = sign_in(clinician)
    mark = last_event_id()
    response = client.get(reverse("wellbeing:job_description"))
    assert response.status_code == 200
    assert "Limits text" in response.content.decode()
    assert event_types_after(mark) == [EventType.JOB_DESCRIPTION_VIEWED]


def test_a_person_without_one_is_told_to_ask(clinician, sign_in):
    response = sign_in(clinician).get(reverse("wellbeing:job_description"))
    assert response.status_code == 200
    assert response.context["job"] is None


def test_a_manager_writes_then_updates_a_job_description(manager, clinician, sign_in):
    client = sign_in(manager)
    url = reverse("wellbeing:job_description_edit", kwargs={"person_id": clinician.pk})
    assert client.get(url).status_code == 200
    mark = last_event_id()
    assert client.post(url, form_data()).status_code == 302
    assert client.post(url, form_data(goals="Updated goals")).status_code == 302
    job = JobDescription.objects.get()
    assert (job.person, job.updated_by, job.goals) == (clinician, manager, "Updated goals")
    assert job.review_due_on == dt.date(2027, 6, 1)
    assert event_types_after(mark) == [EventType.JOB_DESCRIPTION_UPDATED] * 2
    response = sign_in(clinician).get(reverse("wellbeing:job_description"))
    assert "Updated goals" in response.content.decode()


def test_missing_limits_are_refused_and_nothing_saved(manager, clinician, sign_in):
    url = reverse("wellbeing:job_description_edit", kwargs={"person_id": clinician.pk})
    response = sign_in(manager).post(url, form_data(limits="   "))
    assert response.status_code == 200
    assert response.context["form"].errors["limits"]
    assert not JobDescription.objects.exists()


def test_the_service_refuses_empty_limits(manager, clinician):
    with pytest.raises(WellbeingInvalid) as refused:
        job_description_save(
            actor=manager,
            person=clinician,
            goals="g",
            limits=" ",
            support_options="s",
            review_due_on=None,
        )
    assert refused.value.message is LIMITS_REQUIRED
    assert refused.value.field == "limits"
    assert not JobDescription.objects.exists()


@pytest.mark.parametrize("who", ["clinician", "supervisor", "admin_user"])
def test_only_managers_edit_others(who, request, other_clinician, sign_in):
    client = sign_in(request.getfixturevalue(who))
    mark = last_event_id()
    url = reverse("wellbeing:job_description_edit", kwargs={"person_id": other_clinician.pk})
    assert client.post(url, form_data()).status_code == 403
    assert client.get(reverse("wellbeing:job_reviews")).status_code == 403
    assert not JobDescription.objects.exists()
    assert event_types_after(mark) == [EventType.ACCESS_DENIED] * 2


def test_the_overdue_list_shows_past_due_and_missing(manager, clinician, other_clinician, sign_in):
    today = timezone.localdate()
    job_for(clinician, due=today - dt.timedelta(days=1))
    job_for(other_clinician, due=today + dt.timedelta(days=30))
    nobody_wrote = UserFactory(username="new_starter")
    client = sign_in(manager)
    mark = last_event_id()
    response = client.get(reverse("wellbeing:job_reviews"))
    assert response.status_code == 200
    listed = {person.pk for person in response.context["page_obj"]}
    assert clinician.pk in listed
    assert nobody_wrote.pk in listed
    assert other_clinician.pk not in listed
    assert event_types_after(mark) == [EventType.JOB_REVIEWS_VIEWED]


def test_the_overdue_list_query_count_does_not_grow(manager, sign_in):
    client = sign_in(manager)
    client.get(reverse("wellbeing:job_reviews"))
    past = timezone.localdate() - dt.timedelta(days=3)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("wellbeing:job_reviews")).status_code == 200
        return len(queries)

    for index in range(5):
        job_for(UserFactory(username=f"few_{index}"), due=past)
    few = count()
    for index in range(45):
        job_for(UserFactory(username=f"many_{index}"), due=past)
    assert count() == few
