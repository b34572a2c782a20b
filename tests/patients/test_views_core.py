"""The core patient pages: lists, caseload, autocomplete, overview, edit and the care team.

Every protected page is tried by the right person and by the wrong role and relationship: a
refusal is a 404 (or a 403 for a role-level refusal, as the data layer says) with its
ACCESS_DENIED event, and a refused POST changes nothing.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from carecore.accounts.roles import Role
from carecore.audit.events import EventType
from carecore.audit.models import AuditEvent
from patients.exceptions import ALREADY_ON_CARE_TEAM
from patients.models import CareTeamMembership, CareTeamRole, Patient, RiskLevel, Stage
from tests.conftest import canary
from tests.factories import UserFactory

from .conftest import events_after, last_event_id, snapshot
from .factories import MembershipFactory, NoteFactory, PatientFactory, SupervisionFactory, clinician

pytestmark = pytest.mark.django_db


def _url(name: str, patient: Patient, **kwargs) -> str:
    return reverse(f"patients:{name}", kwargs={"patient_uuid": patient.uuid, **kwargs})


def _denials(mark: int) -> list[AuditEvent]:
    return [e for e in events_after(mark) if e.event_type == EventType.ACCESS_DENIED]


def _assert_refused(response, mark: int, status: int = 404) -> None:
    assert response.status_code == status
    assert len(_denials(mark)) == 1
    assert "Amal" not in response.content.decode()


# --- My patients ----------------------------------------------------------------------------


def test_my_patients_lists_the_clinicians_caseload_with_role(world, client, sign_in):
    other = PatientFactory(preferred_name="Someone else")
    MembershipFactory(patient=other, clinician=world["not_on_team"])
    sign_in(world["lead"])

    response = client.get(reverse("patients:list"))

    html = response.content.decode()
    assert response.status_code == 200
    assert world.patient.case_code in html
    assert "Amal" in html
    assert "Lead" in html
    assert other.case_code not in html
    assert "Someone else" not in html
    assert '<th scope="col">' in html and "<caption>" in html


def test_my_patients_filters_by_stage_and_risk(world, client, sign_in):
    second = PatientFactory(stage=Stage.RECOVERY, risk_level=RiskLevel.HIGH)
    MembershipFactory(patient=second, clinician=world["member"])
    sign_in(world["member"])

    response = client.get(reverse("patients:list"), {"stage": "recovery", "risk_level": "high"})

    html = response.content.decode()
    assert second.case_code in html
    assert world.patient.case_code not in html


def test_my_patients_has_an_empty_state(client, clinician, sign_in):
    sign_in(clinician)

    response = client.get(reverse("patients:list"))

    assert "You are not on the care team of any active patient yet." in response.content.decode()


def test_my_patients_paginates_by_25(client, clinician, sign_in):
    for _ in range(26):
        MembershipFactory(clinician=clinician)
    sign_in(clinician)

    first = client.get(reverse("patients:list"))
    second = client.get(reverse("patients:list"), {"page": 2})

    assert len(first.context["page_obj"]) == 25
    assert len(second.context["page_obj"]) == 1
    assert 'class="pagination"' in first.content.decode()


@pytest.mark.parametrize("persona", ["reception", "admin_user", "manager"])
def test_my_patients_refuses_other_roles(client, request, persona, sign_in):
    sign_in(request.getfixturevalue(persona))
    mark = last_event_id()

    response = client.get(reverse("patients:list"))

    _assert_refused(response, mark, status=403)


# --- Caseload -------------------------------------------------------------------------------


@pytest.mark.parametrize("relationship", ["supervisor_of_member", "manager"])
def test_caseload_shows_metadata_without_names(world, client, sign_in, relationship):
    sign_in(world[relationship])

    response = client.get(reverse("patients:caseload"))

    html = response.content.decode()
    assert response.status_code == 200
    assert world.patient.case_code in html
    assert "Amal" not in html
    assert response.context["counts"].total >= 1


def test_caseload_of_an_unrelated_supervisor_is_empty(world, client, sign_in):
    sign_in(world["supervisor_unrelated"])

    response = client.get(reverse("patients:caseload"))

    assert world.patient.case_code not in response.content.decode()
    assert response.context["counts"].total == 0


def test_caseload_filters_by_clinician(world, client, sign_in):
    sign_in(world["manager"])

    narrowed = client.get(reverse("patients:caseload"), {"clinician": world["lead"].pk})
    elsewhere = client.get(reverse("patients:caseload"), {"clinician": world["not_on_team"].pk})

    assert world.patient.case_code in narrowed.content.decode()
    assert world.patient.case_code not in elsewhere.content.decode()
    assert elsewhere.context["counts"].total == 0


@pytest.mark.parametrize("relationship", ["lead", "reception", "admin"])
def test_caseload_refuses_other_roles(world, client, sign_in, relationship):
    sign_in(world[relationship])
    mark = last_event_id()

    response = client.get(reverse("patients:caseload"))

    _assert_refused(response, mark, status=403)


# --- Autocomplete ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("relationship", "found"),
    [
        ("member", True),
        ("supervisor_of_member", True),
        ("manager", True),
        ("not_on_team", False),
        ("supervisor_unrelated", False),
        ("reception", False),
        ("admin", False),
    ],
)
def test_autocomplete_is_scoped_by_the_policy(world, client, sign_in, relationship, found):
    sign_in(world[relationship])

    response = client.get(reverse("patients:autocomplete"), {"q": world.patient.case_code[:6]})

    codes = [row["case_code"] for row in response.json()["results"]]
    assert codes == ([world.patient.case_code] if found else [])
    assert "Amal" not in response.content.decode()


# --- Overview -------------------------------------------------------------------------------

ALLOWED_OVERVIEW = {
    "lead",
    "member",
    "member_restricted",
    "supervisor_of_member",
    "manager",
    "privacy_officer",
    "break_glass_active",
}
REFUSED_OVERVIEW = {
    "not_on_team",
    "former_member",
    "supervisor_unrelated",
    "admin",
    "reception",
    "break_glass_lapsed",
    "clinician_role_removed",
}


@pytest.mark.parametrize("relationship", sorted(ALLOWED_OVERVIEW))
def test_overview_is_open_to_the_team_and_overseers(world, client, sign_in, relationship):
    sign_in(world[relationship])
    mark = last_event_id()

    response = client.get(_url("overview", world.patient))

    assert response.status_code == 200
    assert [e.event_type for e in events_after(mark)].count(EventType.PATIENT_VIEWED) == 1
    html = response.content.decode()
    clinical = relationship in {"lead", "member", "member_restricted", "break_glass_active"}
    assert ("Amal" in html) is clinical


@pytest.mark.parametrize("relationship", sorted(REFUSED_OVERVIEW))
def test_overview_is_a_404_for_everyone_else(world, client, sign_in, relationship):
    sign_in(world[relationship])
    mark = last_event_id()

    response = client.get(_url("overview", world.patient))

    _assert_refused(response, mark)
    assert EventType.PATIENT_VIEWED not in [e.event_type for e in events_after(mark)]


@pytest.mark.parametrize(
    ("relationship", "shown"),
    [("lead", True), ("member_restricted", True), ("member", False), ("break_glass_active", False)],
)
def test_the_current_location_needs_restricted_access(world, client, sign_in, relationship, shown):
    sign_in(world[relationship])

    html = client.get(_url("overview", world.patient)).content.decode()

    assert ("Shelter north" in html) is shown
    assert ("Restricted: not shown." in html) is not shown


# --- Edit -----------------------------------------------------------------------------------


def _edit_data(**overrides):
    data = {"stage": "stabilisation", "complexity": "3", "risk_level": "medium"}
    data.update({"preferred_name": "Amal", "languages": ""})
    data.update(overrides)
    return data


def test_the_team_updates_the_record(world, client, sign_in):
    sign_in(world["member"])
    form = client.get(_url("patient_edit", world.patient))
    assert form.status_code == 200
    assert "current_location" not in form.context["form"].fields

    response = client.post(_url("patient_edit", world.patient), _edit_data())

    assert response.status_code == 302
    assert response["Location"] == _url("overview", world.patient)
    world.patient.refresh_from_db()
    assert (world.patient.stage, world.patient.complexity, world.patient.risk_level) == (
        Stage.STABILISATION,
        3,
        RiskLevel.MEDIUM,
    )


def test_an_invalid_edit_shows_the_error_and_saves_nothing(world, client, sign_in):
    sign_in(world["lead"])
    before = snapshot()

    response = client.post(
        _url("patient_edit", world.patient),
        _edit_data(
            legal_name="Someone", legal_name_withheld="on", current_location="Shelter north"
        ),
    )

    assert response.status_code == 200
    assert response.context["form"].errors
    assert snapshot() == before


@pytest.mark.parametrize(
    "relationship", ["supervisor_of_member", "manager", "reception", "admin", "not_on_team"]
)
def test_an_edit_by_anyone_outside_the_clinical_team_is_refused(
    world, client, sign_in, relationship
):
    sign_in(world[relationship])
    before = snapshot()
    mark = last_event_id()

    response = client.post(_url("patient_edit", world.patient), _edit_data())

    _assert_refused(response, mark)
    assert snapshot() == before


# --- Care team ------------------------------------------------------------------------------


def test_the_team_sees_the_care_team_without_change_forms(world, client, sign_in):
    sign_in(world["member"])

    response = client.get(_url("care_team", world.patient))

    html = response.content.decode()
    assert response.status_code == 200
    assert "lead" in html and "member_restricted" in html
    assert "former_member" not in html
    assert "add_form" not in response.context


def test_a_manager_adds_a_member(world, client, sign_in):
    newcomer = clinician(username="newcomer")
    sign_in(world["manager"])
    page = client.get(_url("care_team", world.patient))
    assert newcomer in page.context["add_form"].fields["clinician"].queryset
    assert world["member"] not in page.context["add_form"].fields["clinician"].queryset
    mark = last_event_id()

    response = client.post(
        _url("care_team", world.patient),
        {"operation": "add", "clinician": newcomer.pk, "role": "member"},
        follow=True,
    )

    assert response.status_code == 200
    assert "The clinician was added to the care team." in response.content.decode()
    assert CareTeamMembership.objects.filter(
        patient=world.patient, clinician=newcomer, end_date__isnull=True
    ).exists()
    assert EventType.CARE_TEAM_CHANGED in [e.event_type for e in events_after(mark)]


def test_adding_someone_already_on_the_team_shows_the_message_and_saves_nothing(
    world, client, sign_in
):
    sign_in(world["supervisor_of_member"])
    before = snapshot()

    response = client.post(
        _url("care_team", world.patient),
        {"operation": "add", "clinician": world["member"].pk, "role": "member"},
    )

    assert response.status_code == 200
    assert str(ALREADY_ON_CARE_TEAM) in response.content.decode()
    assert snapshot() == before


def test_a_supervisor_sets_the_lead_grants_access_and_removes_a_member(world, client, sign_in):
    sign_in(world["supervisor_of_member"])
    url = _url("care_team", world.patient)

    client.post(url, {"operation": "restricted", "clinician": world["member"].pk, "allowed": "on"})
    assert CareTeamMembership.objects.get(
        patient=world.patient, clinician=world["member"], end_date__isnull=True
    ).restricted_access
    client.post(url, {"operation": "lead", "clinician": world["member"].pk})
    assert (
        CareTeamMembership.objects.get(
            patient=world.patient, role=CareTeamRole.LEAD, end_date__isnull=True
        ).clinician
        == world["member"]
    )
    confirm = client.get(_url("care_team_remove", world.patient, clinician_id=world["lead"].pk))
    assert confirm.status_code == 200
    assert "Their access to this record ends today." in confirm.content.decode()
    client.post(url, {"operation": "remove", "clinician": world["lead"].pk})

    assert not CareTeamMembership.objects.filter(
        patient=world.patient, clinician=world["lead"], end_date__isnull=True
    ).exists()


@pytest.mark.parametrize(
    "relationship", ["lead", "member", "supervisor_unrelated", "reception", "admin"]
)
def test_care_team_changes_by_others_are_refused_and_change_nothing(
    world, client, sign_in, relationship
):
    sign_in(world[relationship])
    before = snapshot()
    mark = last_event_id()

    response = client.post(
        _url("care_team", world.patient),
        {"operation": "remove", "clinician": world["member"].pk},
    )

    _assert_refused(response, mark)
    assert snapshot() == before


@pytest.mark.parametrize(
    "relationship", ["not_on_team", "supervisor_unrelated", "reception", "admin"]
)
def test_the_care_team_page_is_a_404_outside_the_relationship(world, client, sign_in, relationship):
    sign_in(world[relationship])
    mark = last_event_id()

    response = client.get(_url("care_team", world.patient))

    _assert_refused(response, mark)


# --- Query counts ---------------------------------------------------------------------------


def _count_queries(client, url) -> int:
    client.get(url)  # once-only work (session bookkeeping) stays out of the measure
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_list_page_query_count_does_not_grow_with_patients(client, sign_in):
    counts = []
    for size in (5, 50):
        user = clinician()
        for _ in range(size):
            MembershipFactory(clinician=user)
        sign_in(user)
        counts.append(_count_queries(client, reverse("patients:list")))

    assert counts[0] == counts[1]


def test_the_caseload_query_count_does_not_grow_with_patients(client, sign_in):
    counts = []
    for size in (5, 50):
        supervisor = UserFactory(roles=[Role.SUPERVISOR])
        supervisee = clinician()
        SupervisionFactory(supervisor=supervisor, supervisee=supervisee)
        for _ in range(size):
            MembershipFactory(clinician=supervisee)
        sign_in(supervisor)
        counts.append(_count_queries(client, reverse("patients:caseload")))

    assert counts[0] == counts[1]


@pytest.mark.parametrize("page", ["overview", "care_team"])
def test_record_page_query_counts_do_not_grow_with_notes_or_team(client, sign_in, page):
    counts = []
    for size in (5, 50):
        patient = PatientFactory()
        lead = clinician()
        MembershipFactory(patient=patient, clinician=lead, role=CareTeamRole.LEAD)
        for _ in range(size):
            member = MembershipFactory(patient=patient).clinician
            NoteFactory(patient=patient, author=member)
        sign_in(lead)
        counts.append(_count_queries(client, _url(page, patient)))

    assert counts[0] == counts[1]


def test_a_canary_in_the_record_stays_out_of_urls_and_logs(client, sign_in):
    lead = clinician()
    patient = PatientFactory(preferred_name=canary("name"), code_word=canary("word"))
    MembershipFactory(patient=patient, clinician=lead, role=CareTeamRole.LEAD)
    sign_in(lead)

    response = client.get(_url("overview", patient))

    assert canary("name") in response.content.decode()
    for url in (tab.url for tab in response.context["record_tabs"]):
        assert "CANARY" not in url
