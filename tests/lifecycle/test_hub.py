"""The data-sharing hub leads each person to the lifecycle pages they may open, and no further."""

from __future__ import annotations

import pytest
from django.urls import reverse

from carecore.accounts.roles import Role
from carecore.audit.events import EventType, Outcome
from carecore.audit.models import AuditEvent
from lifecycle.models import LegalHold, LegalRequest, RequesterKind
from tests.factories import UserFactory
from tests.patients.factories import MembershipFactory, PatientFactory

pytestmark = pytest.mark.django_db

HUB = reverse("lifecycle:home")


def _pages(response) -> set[str]:
    return {str(link.label) for link in response.context["links"]}


@pytest.mark.parametrize(
    ("persona", "pages"),
    [
        (
            "clinician",
            {
                "Referrals and transfers of care",
                "Partner organisations",
                "Patients' requests for a copy",
            },
        ),
        (
            "manager",
            {"Referrals and transfers of care", "Partner organisations", "Research export"},
        ),
        (
            "privacy_officer",
            {
                "Referrals and transfers of care",
                "Partner organisations",
                "Patients' requests for a copy",
                "Legal requests",
                "Legal holds",
                "Disclosure register",
                "Research export",
                "Retention review",
                "Destruction report",
            },
        ),
    ],
)
def test_each_role_sees_the_pages_it_may_open(persona, pages, request, client, sign_in):
    sign_in(request.getfixturevalue(persona))

    response = client.get(HUB)

    assert response.status_code == 200
    assert _pages(response) == pages
    for link in response.context["links"]:
        assert client.get(link.url).status_code == 200


@pytest.mark.parametrize("persona", ["reception", "admin_user"])
def test_anyone_else_gets_404_and_an_audit_event(persona, request, client, sign_in):
    user = request.getfixturevalue(persona)
    sign_in(user)

    response = client.get(HUB)

    assert response.status_code == 404
    denial = AuditEvent.objects.get(event_type=EventType.ACCESS_DENIED, actor=user)
    assert denial.outcome == Outcome.DENIED
    assert denial.details == {"action": "hub.view", "reason": "role"}


def _legal_work(count: int, officer) -> None:
    for _n in range(count):
        patient = PatientFactory()
        LegalRequest.objects.create(
            patient=patient,
            requester_kind=RequesterKind.COURT,
            requester_name="Court",
            request_summary="Records",
            received_by=officer,
        )
        LegalHold.objects.create(patient=patient, reason="Proceedings", placed_by=officer)


@pytest.mark.parametrize("count", [5, 50])
def test_the_hub_counts_in_a_fixed_number_of_queries(
    count, privacy_officer, client, sign_in, django_assert_max_num_queries
):
    _legal_work(count, UserFactory(roles=[Role.MANAGER], is_privacy_officer=True))
    sign_in(privacy_officer)

    with django_assert_max_num_queries(18):
        response = client.get(HUB)

    waiting = {str(link.label): link.waiting for link in response.context["links"]}
    assert waiting["Legal requests"] == waiting["Legal holds"] == count


def test_the_patient_overview_leads_the_care_team_to_sharing_and_hand_over(
    clinician, other_clinician, client, sign_in
):
    patient = MembershipFactory(clinician=clinician).patient
    MembershipFactory(patient=patient, clinician=other_clinician, end_date=patient.registered_on)
    overview = reverse("patients:overview", kwargs={"patient_uuid": patient.uuid})
    sharing = f"{reverse('lifecycle:referral_new')}?patient={patient.uuid}"

    sign_in(clinician)
    member_page = client.get(overview).content.decode()
    sign_in(other_clinician)
    former_member = client.get(overview)

    assert sharing in member_page
    assert reverse("lifecycle:patient_register", args=[patient.uuid]) in member_page
    assert former_member.status_code == 404
