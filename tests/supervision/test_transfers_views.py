"""Case transfer pages: who sees what (the reason only for the chosen supervisor), each step
through the browser-facing views, and query counts that do not grow with the rows."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from carecore.accounts.roles import Role
from carecore.audit.events import EventType
from carecore.audit.models import AuditEvent
from patients.models import CareTeamMembership, CareTeamRole
from supervision.models import CaseTransferRequest, TransferStatus
from supervision.permissions.transfers import ALREADY_OPEN, HANDOVER_REQUIRED, REASON_REQUIRED
from supervision.services.transfers import transfer_accept, transfer_assign, transfer_request
from tests.conftest import CANARY_MARKER, canary
from tests.factories import UserFactory
from tests.patients.factories import MembershipFactory, PatientFactory

from .factories import AgreementFactory, TransferFactory, WorkProfileFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(clinician):
    patient = PatientFactory()
    MembershipFactory(patient=patient, clinician=clinician, role=CareTeamRole.LEAD)
    return patient


@pytest.fixture
def people(clinician, other_clinician, supervisor, manager, admin_user):
    return {
        "requester": clinician,
        "receiver": other_clinician,
        "supervisor": supervisor,
        "manager": manager,
        "admin": admin_user,
        "other_supervisor": UserFactory(
            username="super_b", roles=[Role.SUPERVISOR, Role.CLINICIAN]
        ),
        "other_clinician": UserFactory(username="clin_c", roles=[Role.CLINICIAN]),
    }


@pytest.fixture
def assigned(people, case):
    transfer = transfer_request(
        actor=people["requester"],
        patient=case,
        supervisor=people["supervisor"],
        reason=canary("reason"),
    )
    return transfer_assign(
        actor=people["supervisor"], transfer=transfer, receiver=people["receiver"]
    )


def _mark() -> int:
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _events(mark: int, event_type: EventType | None = None) -> list[AuditEvent]:
    events = AuditEvent.objects.filter(pk__gt=mark).order_by("pk")
    if event_type is not None:
        events = events.filter(event_type=event_type)
    return list(events)


def _url(name: str, transfer) -> str:
    return reverse(name, kwargs={"transfer_uuid": transfer.uuid})


def _audit_dump() -> str:
    return json.dumps(
        list(AuditEvent.objects.values("details", "case_code", "target_id", "target_type")),
        default=str,
    )


# --- the reason matrix ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("viewer", "status", "sees_reason"),
    [
        ("supervisor", 200, True),
        ("requester", 200, False),
        ("receiver", 200, False),
        ("manager", 200, False),
        ("other_supervisor", 404, False),
        ("admin", 404, False),
        ("other_clinician", 404, False),
    ],
)
def test_only_the_chosen_supervisor_sees_the_reason(
    client, sign_in, people, assigned, viewer, status, sees_reason
):
    sign_in(people[viewer])
    mark = _mark()

    response = client.get(_url("supervision:transfer_detail", assigned))

    assert response.status_code == status
    assert (CANARY_MARKER in response.content.decode()) is sees_reason
    events = _events(mark)
    if status == 404:
        (event,) = events
        assert event.event_type == EventType.ACCESS_DENIED
        assert event.details == {"action": "transfer_view", "reason": "policy"}
        assert event.target_id == str(assigned.pk)
    elif sees_reason:
        (event,) = events
        assert event.event_type == EventType.TRANSFER_REASON_VIEWED
        assert event.actor_id == people["supervisor"].pk
    else:
        assert events == []
    if viewer == "requester":
        assert "Your reason went to" in response.content.decode()
    assert CANARY_MARKER not in _audit_dump()


@pytest.mark.parametrize(
    ("viewer", "name"),
    [
        ("requester", "supervision:transfers"),
        ("receiver", "supervision:transfers"),
        ("manager", "supervision:transfers"),
        ("supervisor", "supervision:transfers"),
        ("receiver", "supervision:transfer_accept"),
        ("receiver", "supervision:transfer_decline"),
        ("manager", "supervision:transfer_assign"),
        ("supervisor", "supervision:transfer_assign"),
        ("requester", "supervision:transfer_withdraw"),
    ],
)
def test_no_other_page_shows_the_reason(client, sign_in, people, assigned, viewer, name):
    sign_in(people[viewer])
    url = reverse(name) if name == "supervision:transfers" else _url(name, assigned)

    response = client.get(url)

    assert response.status_code == 200
    body = response.content.decode()
    assert assigned.patient.case_code in body
    assert CANARY_MARKER not in body


def test_after_acceptance_the_reason_stays_with_the_supervisor(client, sign_in, people, assigned):
    transfer_accept(actor=people["receiver"], transfer=assigned, handover_note=canary("handover"))
    for viewer, sees_reason in [("requester", False), ("receiver", False), ("supervisor", True)]:
        sign_in(people[viewer])
        body = client.get(_url("supervision:transfer_detail", assigned)).content.decode()
        assert (canary("reason") in body) is sees_reason
        assert canary("handover") in body  # the handover note is theirs to read
    sign_in(people["manager"])
    body = client.get(_url("supervision:transfer_detail", assigned)).content.decode()
    assert CANARY_MARKER not in body
    assert CANARY_MARKER not in _audit_dump()


@pytest.mark.parametrize(
    ("viewer", "name"),
    [
        ("requester", "supervision:transfer_assign"),
        ("receiver", "supervision:transfer_assign"),
        ("other_supervisor", "supervision:transfer_assign"),
        ("admin", "supervision:transfer_assign"),
        ("supervisor", "supervision:transfer_accept"),
        ("manager", "supervision:transfer_accept"),
        ("requester", "supervision:transfer_decline"),
        ("receiver", "supervision:transfer_withdraw"),
        ("manager", "supervision:transfer_withdraw"),
    ],
)
def test_wrong_relationship_pages_are_404_with_a_denial(
    client, sign_in, people, assigned, viewer, name
):
    sign_in(people[viewer])
    mark = _mark()

    response = client.get(_url(name, assigned))

    assert response.status_code == 404
    (event,) = _events(mark)
    assert event.event_type == EventType.ACCESS_DENIED
    assert event.details["reason"] == "policy"


def test_an_unknown_request_is_the_same_404(client, sign_in, people):
    sign_in(people["manager"])
    mark = _mark()

    response = client.get(
        reverse("supervision:transfer_detail", args=["00000000-0000-4000-8000-000000000000"])
    )

    assert response.status_code == 404
    (event,) = _events(mark)
    assert event.details == {"action": "transfer_view", "reason": "not_found"}
    assert event.target_id == ""


def test_the_list_is_404_for_a_role_without_transfers(client, sign_in, people):
    sign_in(people["admin"])
    mark = _mark()

    response = client.get(reverse("supervision:transfers"))

    assert response.status_code == 404
    (event,) = _events(mark)
    assert event.details == {"action": "transfer_list", "reason": "not_found"}


# --- asking ---------------------------------------------------------------------------------


def test_new_request_preselects_the_case_and_own_supervisor(
    client, sign_in, clinician, supervisor, case
):
    AgreementFactory(supervisor=supervisor, supervisee=clinician)
    sign_in(clinician)

    response = client.get(reverse("supervision:transfer_new") + f"?patient={case.uuid}")

    assert response.status_code == 200
    form = response.context["form"]
    assert form["patient"].value() == case.uuid
    assert form["supervisor"].value() == supervisor.pk
    assert list(form.fields["patient"].queryset) == [case]
    assert clinician not in form.fields["supervisor"].queryset


def test_new_request_for_someone_elses_case_is_404_with_a_denial(
    client, sign_in, other_clinician, case
):
    sign_in(other_clinician)
    mark = _mark()

    response = client.get(reverse("supervision:transfer_new") + f"?patient={case.uuid}")

    assert response.status_code == 404
    (event,) = _events(mark)
    assert event.event_type == EventType.ACCESS_DENIED
    assert event.case_code == case.case_code
    assert event.details == {"action": "transfer_request", "reason": "policy"}


def test_posting_someone_elses_case_saves_nothing(
    client, sign_in, other_clinician, supervisor, case
):
    MembershipFactory(clinician=other_clinician)
    sign_in(other_clinician)

    response = client.post(
        reverse("supervision:transfer_new"),
        {"patient": str(case.uuid), "supervisor": supervisor.pk, "reason": canary("reason")},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["patient"]
    assert not CaseTransferRequest.objects.exists()


def test_new_request_is_sent_and_shows_where_the_reason_went(
    client, sign_in, clinician, supervisor, case
):
    sign_in(clinician)

    response = client.post(
        reverse("supervision:transfer_new"),
        {"patient": str(case.uuid), "supervisor": supervisor.pk, "reason": canary("reason")},
        follow=True,
    )

    transfer = CaseTransferRequest.objects.get()
    assert response.redirect_chain == [(_url("supervision:transfer_detail", transfer), 302)]
    body = response.content.decode()
    assert CANARY_MARKER not in body
    assert "Your reason went to" in body
    assert CANARY_MARKER not in response.redirect_chain[0][0]


def test_new_request_needs_a_reason_and_only_one_open(client, sign_in, clinician, supervisor, case):
    sign_in(clinician)
    data = {"patient": str(case.uuid), "supervisor": supervisor.pk, "reason": ""}

    empty = client.post(reverse("supervision:transfer_new"), data)
    data["reason"] = "hard"
    client.post(reverse("supervision:transfer_new"), data)
    twice = client.post(reverse("supervision:transfer_new"), data)

    assert empty.context["form"].errors["reason"] == [str(REASON_REQUIRED)]
    assert twice.status_code == 200
    assert twice.context["form"].non_field_errors() == [str(ALREADY_OPEN)]
    assert CaseTransferRequest.objects.count() == 1


def test_someone_who_is_not_a_clinician_cannot_ask(client, sign_in, manager):
    sign_in(manager)
    mark = _mark()

    response = client.get(reverse("supervision:transfer_new"))

    assert response.status_code == 404
    (event,) = _events(mark)
    assert event.details == {"action": "transfer_request", "reason": "not_found"}


# --- assign, accept, decline, withdraw through the views ------------------------------------


def test_the_supervisor_assigns_from_the_caseload_table(client, sign_in, people, case):
    transfer = TransferFactory(
        patient=case, requester=people["requester"], supervisor=people["supervisor"]
    )
    sign_in(people["supervisor"])
    page = client.get(_url("supervision:transfer_assign", transfer))
    candidate_ids = [c.person.id for c in page.context["candidates"]]

    response = client.post(
        _url("supervision:transfer_assign", transfer), {"receiver": people["receiver"].pk}
    )

    assert people["requester"].pk not in candidate_ids
    assert people["receiver"].pk in candidate_ids
    assert response.status_code == 302
    transfer.refresh_from_db()
    assert (transfer.status, transfer.receiver_id) == (
        TransferStatus.ASSIGNED,
        people["receiver"].pk,
    )


def test_candidates_are_sorted_by_headroom(client, sign_in, people, case):
    busy = people["receiver"]
    for _ in range(3):
        MembershipFactory(clinician=busy)
    part_time = people["other_clinician"]
    WorkProfileFactory(person=part_time, fte="0.50")
    transfer = TransferFactory(
        patient=case, requester=people["requester"], supervisor=people["supervisor"]
    )
    sign_in(people["supervisor"])

    candidates = client.get(_url("supervision:transfer_assign", transfer)).context["candidates"]

    headroom = [c.caseload.patient_headroom for c in candidates]
    assert headroom == sorted(headroom, reverse=True)
    assert candidates[len(candidates) - 1].person.id == part_time.pk


def test_the_receiver_accepts_with_a_handover_note(client, sign_in, people, assigned, case):
    sign_in(people["receiver"])

    empty = client.post(_url("supervision:transfer_accept", assigned), {"handover_note": ""})
    response = client.post(
        _url("supervision:transfer_accept", assigned), {"handover_note": canary("handover")}
    )

    assert empty.context["form"].errors["handover_note"] == [str(HANDOVER_REQUIRED)]
    assert response.status_code == 302
    assert list(
        CareTeamMembership.objects.active()
        .filter(patient=case)
        .values_list("clinician_id", flat=True)
    ) == [people["receiver"].pk]
    assert CaseTransferRequest.objects.get().status == TransferStatus.ACCEPTED


def test_accept_by_the_supervisor_is_refused_and_changes_nothing(
    client, sign_in, people, assigned, case
):
    sign_in(people["supervisor"])

    response = client.post(
        _url("supervision:transfer_accept", assigned), {"handover_note": "taking it"}
    )

    assert response.status_code == 404
    assert CaseTransferRequest.objects.get().status == TransferStatus.ASSIGNED
    assert CareTeamMembership.objects.active().get(patient=case).clinician_id == (
        people["requester"].pk
    )


def test_decline_asks_first_then_returns_to_the_list(client, sign_in, people, assigned):
    sign_in(people["receiver"])

    confirm = client.get(_url("supervision:transfer_decline", assigned))
    response = client.post(_url("supervision:transfer_decline", assigned))

    assert confirm.status_code == 200
    assert CaseTransferRequest.objects.get().status == TransferStatus.REQUESTED
    assert response.status_code == 302
    assert response.url == reverse("supervision:transfers")


def test_withdraw_asks_first(client, sign_in, people, assigned):
    sign_in(people["requester"])

    confirm = client.get(_url("supervision:transfer_withdraw", assigned))
    assert CaseTransferRequest.objects.get().status == TransferStatus.ASSIGNED
    response = client.post(_url("supervision:transfer_withdraw", assigned))

    assert confirm.status_code == 200
    assert response.status_code == 302
    assert CaseTransferRequest.objects.get().status == TransferStatus.WITHDRAWN


def test_withdraw_after_acceptance_is_refused_in_the_view(client, sign_in, people, assigned):
    transfer_accept(actor=people["receiver"], transfer=assigned, handover_note="n")
    sign_in(people["requester"])

    response = client.post(_url("supervision:transfer_withdraw", assigned), follow=True)

    assert response.status_code == 200
    assert "This transfer request is no longer open." in response.content.decode()
    assert CaseTransferRequest.objects.get().status == TransferStatus.ACCEPTED


# --- query counts ---------------------------------------------------------------------------


# The same for 5 and 50 rows: the session, user, roles and rules acknowledgement, then two
# per list section (count and page) or, for the assign page, the request, the candidates,
# the care team and the caseload assessment's three.
LIST_QUERIES = 12
ASSIGN_QUERIES = 10


@pytest.mark.parametrize("size", [5, 50])
def test_list_queries_do_not_grow_with_requests(client, sign_in, size, django_assert_num_queries):
    everyone = UserFactory(roles=[Role.CLINICIAN, Role.SUPERVISOR, Role.MANAGER])
    for _ in range(size):
        TransferFactory(requester=everyone)
        TransferFactory(supervisor=everyone)
        TransferFactory(receiver=everyone, status=TransferStatus.ASSIGNED)
    sign_in(everyone)
    client.get(reverse("supervision:transfers"))  # warm the session and role caches

    # 4 sections x (count + page), plus the session, the user and their roles.
    with django_assert_num_queries(LIST_QUERIES):
        response = client.get(reverse("supervision:transfers"))

    assert len(response.context["sections"]) == 4
    assert all(section.rows for section in response.context["sections"])


@pytest.mark.parametrize("size", [5, 50])
def test_assign_page_queries_do_not_grow_with_candidates(
    client, sign_in, supervisor, size, django_assert_num_queries
):
    transfer = TransferFactory(supervisor=supervisor)
    for _ in range(size):
        MembershipFactory(clinician=UserFactory(roles=[Role.CLINICIAN]))
    sign_in(supervisor)
    client.get(_url("supervision:transfer_assign", transfer))

    with django_assert_num_queries(ASSIGN_QUERIES):
        response = client.get(_url("supervision:transfer_assign", transfer))

    assert response.context["candidates"].paginator.count == size + 1  # and the supervisor
