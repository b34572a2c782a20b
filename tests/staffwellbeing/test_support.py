"""Support plans: visibility is exactly the person, their supervisor and the named people."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from carecore.accounts.roles import Role
from carecore.audit.events import EventType, Outcome
from carecore.audit.models import AuditEvent
from staffwellbeing.models import PatientWork, SupportPlan, SupportPlanMember, SupportPlanStatus
from staffwellbeing.permissions_support import WellbeingActionRefused, WellbeingInvalid
from staffwellbeing.services.support import (
    PATIENT_WORK_DETAILS_REQUIRED,
    SupportPlanContent,
    support_plan_open,
)
from supervision.models import SupervisionAgreement
from tests.conftest import CANARY_MARKER, canary
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def last_event_id() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def events_after(mark: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(id__gt=mark).order_by("id"))


def event_types_after(mark: int) -> list[int]:
    return [event.event_type for event in events_after(mark)]


def canary_content(**overrides: object) -> SupportPlanContent:
    values: dict[str, object] = {
        "meeting_date": dt.date(2026, 11, 20),
        "occupational_referral": True,
        "referral_details": canary("referral"),
        "responsibilities_review": canary("review"),
        "patient_work": PatientWork.REDUCE,
        "patient_work_details": canary("patient-work"),
        "support_provider": canary("provider"),
        "review_meeting_date": dt.date(2026, 12, 20),
    }
    values.update(overrides)
    return SupportPlanContent(**values)  # type: ignore[arg-type]


@pytest.fixture
def people(clinician, supervisor, other_clinician, manager, admin_user):
    SupervisionAgreement.objects.create(supervisor=supervisor, supervisee=clinician)
    other_supervisor = UserFactory(username="super_b", roles=[Role.SUPERVISOR])
    SupervisionAgreement.objects.create(supervisor=other_supervisor, supervisee=other_clinician)
    named = UserFactory(username="named_a", roles=[Role.CLINICIAN])
    return {
        "person": clinician,
        "supervisor": supervisor,
        "named": named,
        "manager": manager,
        "admin": admin_user,
        "other_clinician": other_clinician,
        "other_supervisor": other_supervisor,
    }


@pytest.fixture
def plan(people):
    return support_plan_open(
        actor=people["supervisor"],
        person=people["person"],
        content=canary_content(),
        members=[people["named"]],
    )


@pytest.mark.parametrize("who", ["person", "supervisor", "named"])
def test_the_person_the_supervisor_and_named_people_read_the_plan(who, people, plan, sign_in):
    client = sign_in(people[who])
    mark = last_event_id()
    response = client.get(reverse("wellbeing:support_detail", kwargs={"plan_id": plan.pk}))
    assert response.status_code == 200
    assert canary("patient-work") in response.content.decode()
    events = events_after(mark)
    assert [e.event_type for e in events] == [EventType.SUPPORT_PLAN_VIEWED]
    assert events[0].actor_id == people[who].pk
    assert events[0].target_id == str(plan.pk)


@pytest.mark.parametrize("who", ["manager", "admin", "other_clinician", "other_supervisor"])
def test_everyone_else_gets_404_and_an_access_denied_event(who, people, plan, sign_in):
    client = sign_in(people[who])
    mark = last_event_id()
    response = client.get(reverse("wellbeing:support_detail", kwargs={"plan_id": plan.pk}))
    assert response.status_code == 404
    assert CANARY_MARKER not in response.content.decode()
    events = events_after(mark)
    assert [e.event_type for e in events] == [EventType.ACCESS_DENIED]
    assert events[0].outcome == Outcome.DENIED
    assert events[0].target_id == str(plan.pk)


def test_a_missing_plan_gets_the_same_404_without_a_target(people, sign_in):
    client = sign_in(people["manager"])
    mark = last_event_id()
    response = client.get(reverse("wellbeing:support_detail", kwargs={"plan_id": 999999}))
    assert response.status_code == 404
    events = events_after(mark)
    assert [e.event_type for e in events] == [EventType.ACCESS_DENIED]
    assert events[0].target_id == ""


def test_the_list_shows_exactly_the_readable_plans(people, plan, sign_in):
    own_plan_of_other = support_plan_open(
        actor=people["other_clinician"],
        person=people["other_clinician"],
        content=canary_content(patient_work=PatientWork.CONTINUE, patient_work_details=""),
    )
    expected = {
        "person": {plan.pk},
        "supervisor": {plan.pk},
        "named": {plan.pk},
        "manager": set(),
        "admin": set(),
        "other_clinician": {own_plan_of_other.pk},
        "other_supervisor": {own_plan_of_other.pk},
    }
    for who, plan_ids in expected.items():
        client = sign_in(people[who])
        mark = last_event_id()
        response = client.get(reverse("wellbeing:support_list"))
        assert response.status_code == 200
        assert {p.pk for p in response.context["plans"]} == plan_ids, who
        assert event_types_after(mark) == [EventType.SUPPORT_PLAN_LIST_VIEWED]


@pytest.mark.parametrize("who", ["named", "manager", "admin", "other_supervisor"])
def test_only_the_person_and_supervisor_may_edit(who, people, plan, sign_in):
    client = sign_in(people[who])
    mark = last_event_id()
    response = client.get(reverse("wellbeing:support_edit", kwargs={"plan_id": plan.pk}))
    assert response.status_code == 404
    assert event_types_after(mark) == [EventType.ACCESS_DENIED]


def test_the_supervisor_edits_the_plan_and_the_named_list(people, plan, sign_in):
    client = sign_in(people["supervisor"])
    other_named = UserFactory(username="named_b", roles=[Role.CLINICIAN])
    mark = last_event_id()
    response = client.post(
        reverse("wellbeing:support_edit", kwargs={"plan_id": plan.pk}),
        {
            "meeting_date": "2026-11-20",
            "patient_work": "pause",
            "patient_work_details": canary("pause"),
            "members": [other_named.pk],
            "review_meeting_date": "2026-12-01",
        },
    )
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.patient_work == PatientWork.PAUSE
    assert set(SupportPlanMember.objects.filter(plan=plan).values_list("user_id", flat=True)) == {
        other_named.pk
    }
    events = events_after(mark)
    assert [e.event_type for e in events] == [EventType.SUPPORT_PLAN_UPDATED]
    assert events[0].details["members_added"] == [other_named.pk]
    assert events[0].details["members_removed"] == [people["named"].pk]
    # The person who is no longer named loses access at once.
    client = sign_in(people["named"])
    response = client.get(reverse("wellbeing:support_detail", kwargs={"plan_id": plan.pk}))
    assert response.status_code == 404


def test_reducing_patient_work_needs_details_and_saves_nothing(people, sign_in):
    client = sign_in(people["supervisor"])
    mark = last_event_id()
    response = client.post(
        reverse("wellbeing:support_create"),
        {"person": people["person"].pk, "patient_work": "reduce", "patient_work_details": ""},
    )
    assert response.status_code == 200
    assert (
        str(PATIENT_WORK_DETAILS_REQUIRED)
        in response.context["form"].errors["patient_work_details"]
    )
    assert SupportPlan.objects.count() == 0
    assert event_types_after(mark) == []


def test_supervisor_opens_a_plan_for_a_supervisee_through_the_page(people, sign_in):
    client = sign_in(people["supervisor"])
    response = client.post(
        reverse("wellbeing:support_create"),
        {
            "person": people["person"].pk,
            "meeting_date": "2026-11-24",
            "patient_work": "continue",
            "members": [people["named"].pk],
        },
    )
    plan = SupportPlan.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("wellbeing:support_detail", kwargs={"plan_id": plan.pk})
    assert plan.person == people["person"]
    assert plan.opened_by == people["supervisor"]


def test_nobody_opens_a_plan_for_someone_they_do_not_supervise(people):
    mark = last_event_id()
    with pytest.raises(WellbeingActionRefused):
        support_plan_open(
            actor=people["other_supervisor"], person=people["person"], content=canary_content()
        )
    assert SupportPlan.objects.count() == 0
    assert event_types_after(mark) == [EventType.ACCESS_DENIED]


def test_the_person_cannot_be_named_on_their_own_plan(people):
    with pytest.raises(WellbeingInvalid):
        support_plan_open(
            actor=people["person"],
            person=people["person"],
            content=canary_content(),
            members=[people["person"]],
        )
    assert SupportPlan.objects.count() == 0


def test_reduced_work_links_to_the_caseload_tools(people, plan, sign_in):
    client = sign_in(people["supervisor"])
    response = client.get(reverse("wellbeing:support_detail", kwargs={"plan_id": plan.pk}))
    assert response.context["needs_cover"] is True
    assert reverse("patients:caseload") in response.content.decode()


def test_a_person_asks_for_a_support_meeting_and_their_supervisor_sees_it(people, sign_in):
    client = sign_in(people["person"])
    mark = last_event_id()
    response = client.post(reverse("wellbeing:support_request"), {"preferred_date": ""})
    plan = SupportPlan.objects.get()
    assert response.status_code == 302
    assert (plan.person, plan.opened_by, plan.status) == (
        people["person"],
        people["person"],
        SupportPlanStatus.OPEN,
    )
    assert event_types_after(mark) == [EventType.SUPPORT_MEETING_REQUESTED]
    assert "Not yet held" in client.get(response["Location"]).content.decode()
    client = sign_in(people["supervisor"])
    response = client.get(reverse("wellbeing:support_list"))
    assert [p.pk for p in response.context["plans"]] == [plan.pk]


def test_closing_asks_first_then_closes_and_freezes_the_plan(people, plan, sign_in):
    client = sign_in(people["person"])
    url = reverse("wellbeing:support_close", kwargs={"plan_id": plan.pk})
    assert client.get(url).status_code == 200
    plan.refresh_from_db()
    assert plan.status == SupportPlanStatus.OPEN
    mark = last_event_id()
    assert client.post(url).status_code == 302
    plan.refresh_from_db()
    assert plan.status == SupportPlanStatus.CLOSED
    assert plan.closed_at is not None
    assert event_types_after(mark) == [EventType.SUPPORT_PLAN_CLOSED]
    response = client.post(
        reverse("wellbeing:support_edit", kwargs={"plan_id": plan.pk}),
        {"patient_work": "continue"},
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()


def test_no_plan_text_reaches_audit_rows(people, plan, sign_in):
    for who in ("person", "supervisor", "named", "manager"):
        sign_in(people[who]).get(reverse("wellbeing:support_detail", kwargs={"plan_id": plan.pk}))
    rows = AuditEvent.objects.values_list("details", "target_id", "case_code")
    assert CANARY_MARKER not in json.dumps(list(rows), default=str)


def _list_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("wellbeing:support_list")).status_code == 200
    return len(queries)


def test_list_query_count_does_not_grow_with_plans(people, sign_in):
    supervisor = people["supervisor"]

    def add_plans(count: int) -> None:
        for index in range(count):
            person = UserFactory(username=f"sv_{SupportPlan.objects.count()}_{index}")
            SupervisionAgreement.objects.create(supervisor=supervisor, supervisee=person)
            support_plan_open(
                actor=supervisor,
                person=person,
                content=canary_content(),
                members=[people["named"], people["person"]],
            )

    client = sign_in(supervisor)
    add_plans(5)
    _list_queries(client)  # the first request of a session does its own one-off work
    few = _list_queries(client)
    add_plans(45)
    many = _list_queries(client)
    assert few == many


@pytest.mark.parametrize("name", ["support_list", "support_request", "support_create"])
def test_the_support_pages_render(name, people, sign_in):
    assert sign_in(people["person"]).get(reverse(f"wellbeing:{name}")).status_code == 200


def test_the_edit_page_shows_the_plan_and_audits_the_read(people, plan, sign_in):
    client = sign_in(people["supervisor"])
    mark = last_event_id()
    response = client.get(reverse("wellbeing:support_edit", kwargs={"plan_id": plan.pk}))
    assert response.status_code == 200
    assert response.context["form"].initial["members"] == [people["named"].pk]
    assert event_types_after(mark) == [EventType.SUPPORT_PLAN_VIEWED]


def test_a_supervisor_whose_agreement_ended_loses_access(people, plan, sign_in):
    SupervisionAgreement.objects.filter(supervisor=people["supervisor"]).update(active=False)
    client = sign_in(people["supervisor"])
    mark = last_event_id()
    response = client.get(reverse("wellbeing:support_detail", kwargs={"plan_id": plan.pk}))
    assert response.status_code == 404
    assert event_types_after(mark) == [EventType.ACCESS_DENIED]
