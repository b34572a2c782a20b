"""Case transfer services: each step's rules, the atomic care team change, and the audit trail."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.utils import timezone

from carecore.accounts.roles import Role
from carecore.audit.events import EventType, Outcome
from carecore.audit.models import AuditEvent
from patients import services as patient_services
from patients.models import CareTeamMembership, CareTeamRole
from patients.services import care_team as care_team_module
from supervision.models import CaseTransferRequest, TransferStatus
from supervision.permissions.transfers import (
    ALREADY_OPEN,
    HANDOVER_REQUIRED,
    NOT_ASSIGNED,
    NOT_OPEN,
    REASON_REQUIRED,
    RECEIVER_INVALID,
    REQUESTER_LEFT_TEAM,
    SUPERVISOR_INVALID,
    TransferInvalid,
    TransferNotFound,
)
from supervision.selectors.transfers import (
    TransferPurpose,
    transfer_get_for,
    transfer_handover_read,
    transfer_reason_read,
    transfers_open_all,
    transfers_open_count,
    transfers_open_for_requester,
    transfers_open_for_supervisor,
)
from supervision.services.transfers import (
    transfer_accept,
    transfer_assign,
    transfer_decline,
    transfer_request,
    transfer_withdraw,
)
from tests.conftest import CANARY_MARKER, canary
from tests.factories import UserFactory
from tests.patients.factories import MembershipFactory, PatientFactory

pytestmark = pytest.mark.django_db

TRANSFER_TARGET = "supervision.casetransferrequest"
# Every key a transfer audit event may hold: ids and enum values, never free text.
ALLOWED_DETAIL_KEYS = {
    "patient",
    "status",
    "supervisor",
    "receiver",
    "previous_receiver",
    "requester",
    "action",
    "reason",
    # CARE_TEAM_CHANGED
    "change",
    "clinician",
    "from_clinician",
    "transfer",
    "old_team",
    "new_team",
}


@pytest.fixture
def case(clinician):
    """An active patient whose lead (with restricted access) is `clinician`."""
    patient = PatientFactory()
    MembershipFactory(
        patient=patient, clinician=clinician, role=CareTeamRole.LEAD, restricted_access=True
    )
    return patient


def _mark() -> int:
    last = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    return last or 0


def _events(mark: int, event_type: EventType | None = None) -> list[AuditEvent]:
    events = AuditEvent.objects.filter(pk__gt=mark).order_by("pk")
    if event_type is not None:
        events = events.filter(event_type=event_type)
    return list(events)


def _active_team(patient) -> list[tuple[int, str, bool]]:
    return sorted(
        CareTeamMembership.objects.active()
        .filter(patient=patient)
        .values_list("clinician_id", "role", "restricted_access")
    )


def _fetch(user, transfer, purpose=TransferPurpose.VIEW):
    return transfer_get_for(user=user, transfer_uuid=transfer.uuid, purpose=purpose)


def _requested(clinician, supervisor, case, reason=None):
    return transfer_request(
        actor=clinician, patient=case, supervisor=supervisor, reason=reason or canary("reason")
    )


def _assigned(clinician, supervisor, case, receiver):
    transfer = _requested(clinician, supervisor, case)
    return transfer_assign(actor=supervisor, transfer=transfer, receiver=receiver)


# --- asking ---------------------------------------------------------------------------------


def test_request_stores_the_reason_encrypted_and_audits_ids_only(clinician, supervisor, case):
    mark = _mark()

    transfer = _requested(clinician, supervisor, case, reason=f"  {canary('reason')}  ")

    stored = CaseTransferRequest.objects.get(pk=transfer.pk)
    assert stored.status == TransferStatus.REQUESTED
    assert stored.reason == canary("reason")
    assert (stored.requester_id, stored.supervisor_id, stored.receiver_id) == (
        clinician.pk,
        supervisor.pk,
        None,
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT reason::text FROM supervision_casetransferrequest")
        (raw,) = cursor.fetchone()
    assert CANARY_MARKER not in raw
    (event,) = _events(mark)
    assert event.event_type == EventType.TRANSFER_REQUESTED
    assert (event.actor_id, event.target_type, event.target_id) == (
        clinician.pk,
        TRANSFER_TARGET,
        str(transfer.pk),
    )
    assert event.case_code == case.case_code
    assert event.details == {
        "patient": case.pk,
        "status": TransferStatus.REQUESTED,
        "supervisor": supervisor.pk,
    }


def test_request_off_the_care_team_is_a_404_with_a_denial(other_clinician, supervisor, case):
    mark = _mark()

    with pytest.raises(TransferNotFound):
        _requested(other_clinician, supervisor, case)

    assert not CaseTransferRequest.objects.exists()
    (event,) = _events(mark)
    assert event.event_type == EventType.ACCESS_DENIED
    assert event.outcome == Outcome.DENIED
    assert event.details == {"action": "transfer_request", "reason": "policy"}


def test_request_after_leaving_the_team_is_refused(clinician, supervisor, case):
    CareTeamMembership.objects.filter(clinician=clinician).update(end_date=timezone.localdate())

    with pytest.raises(TransferNotFound):
        _requested(clinician, supervisor, case)


def test_one_open_request_per_case_and_requester(clinician, supervisor, case):
    first = _requested(clinician, supervisor, case)

    with pytest.raises(TransferInvalid) as refused:
        _requested(clinician, supervisor, case)

    assert str(refused.value) == str(ALREADY_OPEN)
    assert CaseTransferRequest.objects.count() == 1
    transfer_withdraw(actor=clinician, transfer=first)
    second = _requested(clinician, supervisor, case)
    assert second.status == TransferStatus.REQUESTED


@pytest.mark.parametrize("who", ["self", "plain_clinician", "inactive_supervisor"])
def test_request_to_someone_not_a_supervisor_is_refused(clinician, other_clinician, case, who):
    chosen = {
        "self": clinician,
        "plain_clinician": other_clinician,
        "inactive_supervisor": UserFactory(roles=[Role.SUPERVISOR], is_active=False),
    }[who]

    with pytest.raises(TransferInvalid) as refused:
        _requested(clinician, chosen, case)

    assert str(refused.value) == str(SUPERVISOR_INVALID)
    assert refused.value.field == "supervisor"
    assert not CaseTransferRequest.objects.exists()


def test_request_without_a_reason_is_refused(clinician, supervisor, case):
    with pytest.raises(TransferInvalid) as refused:
        transfer_request(actor=clinician, patient=case, supervisor=supervisor, reason="   ")

    assert str(refused.value) == str(REASON_REQUIRED)
    assert not CaseTransferRequest.objects.exists()


# --- the reason -----------------------------------------------------------------------------


def test_only_the_chosen_supervisor_reads_the_reason_and_it_is_audited_first(
    clinician, supervisor, manager, other_clinician, case
):
    transfer = _assigned(clinician, supervisor, case, other_clinician)
    mark = _mark()

    assert transfer_reason_read(user=supervisor, transfer=transfer) == canary("reason")

    (event,) = _events(mark)
    assert event.event_type == EventType.TRANSFER_REASON_VIEWED
    assert (event.actor_id, event.target_id) == (supervisor.pk, str(transfer.pk))
    for someone in (clinician, manager, other_clinician):
        mark = _mark()
        with pytest.raises(TransferNotFound):
            transfer_reason_read(user=someone, transfer=transfer)
        (denied,) = _events(mark)
        assert denied.event_type == EventType.ACCESS_DENIED
        assert denied.details == {"action": "transfer_reason", "reason": "policy"}


# --- choosing the receiver ------------------------------------------------------------------


def test_the_supervisor_assigns_and_may_reassign(clinician, supervisor, other_clinician, case):
    transfer = _requested(clinician, supervisor, case)
    third = UserFactory(roles=[Role.CLINICIAN])
    mark = _mark()

    transfer_assign(actor=supervisor, transfer=transfer, receiver=other_clinician)
    transfer_assign(actor=supervisor, transfer=transfer, receiver=third)

    stored = CaseTransferRequest.objects.get(pk=transfer.pk)
    assert (stored.status, stored.receiver_id, stored.assigned_by_id) == (
        TransferStatus.ASSIGNED,
        third.pk,
        supervisor.pk,
    )
    first, second = _events(mark)
    assert first.event_type == second.event_type == EventType.TRANSFER_ASSIGNED
    assert first.details["receiver"] == other_clinician.pk
    assert first.details["previous_receiver"] is None
    assert second.details["previous_receiver"] == other_clinician.pk


def test_a_manager_may_assign(clinician, supervisor, manager, other_clinician, case):
    transfer = _requested(clinician, supervisor, case)

    transfer_assign(actor=manager, transfer=transfer, receiver=other_clinician)

    assert CaseTransferRequest.objects.get(pk=transfer.pk).assigned_by_id == manager.pk


@pytest.mark.parametrize("who", ["other_supervisor", "admin", "requester", "receiver"])
def test_others_may_not_assign(clinician, supervisor, other_clinician, admin_user, case, who):
    transfer = _requested(clinician, supervisor, case)
    actor = {
        "other_supervisor": UserFactory(roles=[Role.SUPERVISOR, Role.CLINICIAN]),
        "admin": admin_user,
        "requester": clinician,
        "receiver": other_clinician,
    }[who]
    mark = _mark()

    with pytest.raises(TransferNotFound):
        transfer_assign(actor=actor, transfer=transfer, receiver=other_clinician)

    assert CaseTransferRequest.objects.get(pk=transfer.pk).status == TransferStatus.REQUESTED
    (event,) = _events(mark)
    assert event.event_type == EventType.ACCESS_DENIED
    assert event.details == {"action": "transfer_assign", "reason": "policy"}


@pytest.mark.parametrize("who", ["requester", "not_a_clinician", "inactive"])
def test_receiver_must_be_another_active_clinician(clinician, supervisor, manager, case, who):
    transfer = _requested(clinician, supervisor, case)
    receiver = {
        "requester": clinician,
        "not_a_clinician": manager,
        "inactive": UserFactory(roles=[Role.CLINICIAN], is_active=False),
    }[who]

    with pytest.raises(TransferInvalid) as refused:
        transfer_assign(actor=supervisor, transfer=transfer, receiver=receiver)

    assert str(refused.value) == str(RECEIVER_INVALID)
    assert CaseTransferRequest.objects.get(pk=transfer.pk).receiver_id is None


def test_a_closed_request_cannot_be_assigned(clinician, supervisor, other_clinician, case):
    transfer = _requested(clinician, supervisor, case)
    transfer_withdraw(actor=clinician, transfer=transfer)

    with pytest.raises(TransferInvalid) as refused:
        transfer_assign(actor=supervisor, transfer=transfer, receiver=other_clinician)

    assert str(refused.value) == str(NOT_OPEN)


# --- declining ------------------------------------------------------------------------------


def test_decline_returns_the_request_to_the_supervisor(
    clinician, supervisor, other_clinician, case
):
    transfer = _assigned(clinician, supervisor, case, other_clinician)
    mark = _mark()

    transfer_decline(actor=other_clinician, transfer=transfer)

    stored = CaseTransferRequest.objects.get(pk=transfer.pk)
    assert (stored.status, stored.receiver_id, stored.assigned_by_id) == (
        TransferStatus.REQUESTED,
        None,
        None,
    )
    (event,) = _events(mark)
    assert event.event_type == EventType.TRANSFER_DECLINED
    assert event.details == {
        "patient": case.pk,
        "status": TransferStatus.REQUESTED,
        "receiver": other_clinician.pk,
    }
    assert _active_team(case) == [(clinician.pk, CareTeamRole.LEAD, True)]


# --- accepting ------------------------------------------------------------------------------


def test_accept_hands_the_lead_over_in_one_step(clinician, supervisor, other_clinician, case):
    transfer = _assigned(clinician, supervisor, case, other_clinician)
    mark = _mark()

    transfer_accept(actor=other_clinician, transfer=transfer, handover_note=canary("handover"))

    stored = CaseTransferRequest.objects.get(pk=transfer.pk)
    assert stored.status == TransferStatus.ACCEPTED
    assert stored.closed_at is not None
    assert stored.handover_note == canary("handover")
    # The lead's restricted-access flag goes with the lead.
    assert _active_team(case) == [(other_clinician.pk, CareTeamRole.LEAD, True)]
    ended = CareTeamMembership.objects.get(patient=case, clinician=clinician)
    assert ended.end_date == timezone.localdate()
    team_event, accepted = _events(mark)
    assert team_event.event_type == EventType.CARE_TEAM_CHANGED
    assert team_event.details == {
        "change": "transferred",
        "clinician": other_clinician.pk,
        "from_clinician": clinician.pk,
        "transfer": transfer.pk,
        "old_team": [[clinician.pk, CareTeamRole.LEAD, True]],
        "new_team": [[other_clinician.pk, CareTeamRole.LEAD, True]],
    }
    assert accepted.event_type == EventType.TRANSFER_ACCEPTED
    assert accepted.details == {
        "patient": case.pk,
        "status": TransferStatus.ACCEPTED,
        "receiver": other_clinician.pk,
        "requester": clinician.pk,
    }


def test_a_members_restricted_grant_does_not_carry_over(clinician, supervisor, other_clinician):
    patient = PatientFactory()
    lead = MembershipFactory(patient=patient, role=CareTeamRole.LEAD).clinician
    MembershipFactory(patient=patient, clinician=clinician, restricted_access=True)
    transfer = _assigned(clinician, supervisor, patient, other_clinician)

    transfer_accept(actor=other_clinician, transfer=transfer, handover_note="notes")

    assert _active_team(patient) == sorted(
        [(lead.pk, CareTeamRole.LEAD, False), (other_clinician.pk, CareTeamRole.MEMBER, False)]
    )


def test_a_receiver_already_on_the_team_is_promoted_to_lead(
    clinician, supervisor, other_clinician, case
):
    MembershipFactory(patient=case, clinician=other_clinician, restricted_access=False)
    transfer = _assigned(clinician, supervisor, case, other_clinician)

    transfer_accept(actor=other_clinician, transfer=transfer, handover_note="notes")

    assert _active_team(case) == [(other_clinician.pk, CareTeamRole.LEAD, True)]
    assert CareTeamMembership.objects.filter(patient=case, clinician=other_clinician).count() == 2


def test_a_member_receiver_already_on_the_team_keeps_their_row(
    clinician, supervisor, other_clinician
):
    patient = PatientFactory()
    lead = MembershipFactory(patient=patient, role=CareTeamRole.LEAD).clinician
    MembershipFactory(patient=patient, clinician=clinician)
    kept = MembershipFactory(patient=patient, clinician=other_clinician, restricted_access=True)
    transfer = _assigned(clinician, supervisor, patient, other_clinician)

    accepted = transfer_accept(actor=other_clinician, transfer=transfer, handover_note="n")

    assert accepted.status == TransferStatus.ACCEPTED
    assert _active_team(patient) == sorted(
        [(lead.pk, CareTeamRole.LEAD, False), (other_clinician.pk, CareTeamRole.MEMBER, True)]
    )
    assert CareTeamMembership.objects.active().get(clinician=other_clinician).pk == kept.pk


@pytest.mark.parametrize("who", ["supervisor", "manager", "requester", "other"])
def test_accept_by_anyone_but_the_receiver_is_refused(
    clinician, supervisor, manager, other_clinician, case, who
):
    transfer = _assigned(clinician, supervisor, case, other_clinician)
    actor = {
        "supervisor": supervisor,
        "manager": manager,
        "requester": clinician,
        "other": UserFactory(roles=[Role.CLINICIAN]),
    }[who]
    mark = _mark()

    with pytest.raises(TransferNotFound):
        transfer_accept(actor=actor, transfer=transfer, handover_note="taking it")

    assert CaseTransferRequest.objects.get(pk=transfer.pk).status == TransferStatus.ASSIGNED
    assert _active_team(case) == [(clinician.pk, CareTeamRole.LEAD, True)]
    (event,) = _events(mark)
    assert event.event_type == EventType.ACCESS_DENIED
    assert event.details == {"action": "transfer_respond", "reason": "policy"}


def test_accept_needs_a_handover_note(clinician, supervisor, other_clinician, case):
    transfer = _assigned(clinician, supervisor, case, other_clinician)

    with pytest.raises(TransferInvalid) as refused:
        transfer_accept(actor=other_clinician, transfer=transfer, handover_note=" ")

    assert str(refused.value) == str(HANDOVER_REQUIRED)
    assert CaseTransferRequest.objects.get(pk=transfer.pk).status == TransferStatus.ASSIGNED


def test_accept_after_reassignment_is_refused(clinician, supervisor, other_clinician, case):
    transfer = _assigned(clinician, supervisor, case, other_clinician)
    stale = _fetch(other_clinician, transfer, TransferPurpose.RESPOND)
    transfer_assign(
        actor=supervisor, transfer=transfer, receiver=UserFactory(roles=[Role.CLINICIAN])
    )

    with pytest.raises(TransferNotFound):
        transfer_accept(actor=other_clinician, transfer=stale, handover_note="n")

    assert _active_team(case) == [(clinician.pk, CareTeamRole.LEAD, True)]


def test_accept_twice_is_refused(clinician, supervisor, other_clinician, case):
    transfer = _assigned(clinician, supervisor, case, other_clinician)
    transfer_accept(actor=other_clinician, transfer=transfer, handover_note="n")

    with pytest.raises(TransferInvalid) as refused:
        transfer_accept(actor=other_clinician, transfer=transfer, handover_note="again")

    assert str(refused.value) == str(NOT_ASSIGNED)


def test_accept_when_the_requester_left_the_team_changes_nothing(
    clinician, supervisor, other_clinician, case
):
    transfer = _assigned(clinician, supervisor, case, other_clinician)
    CareTeamMembership.objects.filter(clinician=clinician).update(end_date=timezone.localdate())
    mark = _mark()

    with pytest.raises(TransferInvalid) as refused:
        transfer_accept(actor=other_clinician, transfer=transfer, handover_note="n")

    assert str(refused.value) == str(REQUESTER_LEFT_TEAM)
    assert CaseTransferRequest.objects.get(pk=transfer.pk).status == TransferStatus.ASSIGNED
    assert _active_team(case) == []
    assert _events(mark) == []


class Boom(RuntimeError):
    pass


def _fail_audit(monkeypatch):
    # Raises after the requester's membership has been ended and the new one created.
    def boom(**kwargs):
        raise Boom

    monkeypatch.setattr(care_team_module, "patient_event_record", boom)


def _fail_new_membership(monkeypatch):
    # Raises after the requester's membership has been ended, before the new one exists.
    def boom(**kwargs):
        raise Boom

    monkeypatch.setattr(CareTeamMembership.objects, "create", boom)


@pytest.mark.parametrize("fail", [_fail_audit, _fail_new_membership])
def test_a_failure_midway_leaves_the_old_team_and_the_request(
    clinician, supervisor, other_clinician, case, monkeypatch, fail
):
    transfer = _assigned(clinician, supervisor, case, other_clinician)
    memberships_before = list(CareTeamMembership.objects.values_list("pk", "end_date", "role"))
    ended = []
    real_end = care_team_module._end

    def spy_end(membership):
        ended.append(membership.clinician_id)
        real_end(membership)

    monkeypatch.setattr(care_team_module, "_end", spy_end)
    fail(monkeypatch)
    mark = _mark()

    with pytest.raises(Boom):
        transfer_accept(actor=other_clinician, transfer=transfer, handover_note=canary("note"))

    assert ended == [clinician.pk]  # the failure really came after the old row was ended
    assert list(CareTeamMembership.objects.values_list("pk", "end_date", "role")) == (
        memberships_before
    )
    assert _active_team(case) == [(clinician.pk, CareTeamRole.LEAD, True)]
    stored = CaseTransferRequest.objects.get(pk=transfer.pk)
    assert (stored.status, stored.receiver_id, stored.closed_at, stored.handover_note) == (
        TransferStatus.ASSIGNED,
        other_clinician.pk,
        None,
        None,
    )
    assert _events(mark) == []


def test_care_team_transfer_is_exported():
    assert patient_services.care_team_transfer is care_team_module.care_team_transfer


# --- withdrawing ----------------------------------------------------------------------------


@pytest.mark.parametrize("assigned", [False, True])
def test_the_requester_withdraws_before_acceptance(
    clinician, supervisor, other_clinician, case, assigned
):
    transfer = (
        _assigned(clinician, supervisor, case, other_clinician)
        if assigned
        else _requested(clinician, supervisor, case)
    )
    mark = _mark()

    transfer_withdraw(actor=clinician, transfer=transfer)

    stored = CaseTransferRequest.objects.get(pk=transfer.pk)
    assert stored.status == TransferStatus.WITHDRAWN
    assert stored.closed_at is not None
    (event,) = _events(mark)
    assert event.event_type == EventType.TRANSFER_WITHDRAWN
    assert event.details == {
        "patient": case.pk,
        "status": TransferStatus.WITHDRAWN,
        "receiver": other_clinician.pk if assigned else None,
    }
    assert _active_team(case) == [(clinician.pk, CareTeamRole.LEAD, True)]


def test_withdraw_after_acceptance_is_refused(clinician, supervisor, other_clinician, case):
    transfer = _assigned(clinician, supervisor, case, other_clinician)
    transfer_accept(actor=other_clinician, transfer=transfer, handover_note="n")
    mark = _mark()

    with pytest.raises(TransferInvalid) as refused:
        transfer_withdraw(actor=clinician, transfer=transfer)

    assert str(refused.value) == str(NOT_OPEN)
    assert CaseTransferRequest.objects.get(pk=transfer.pk).status == TransferStatus.ACCEPTED
    assert _events(mark) == []


@pytest.mark.parametrize("who", ["supervisor", "manager", "receiver"])
def test_only_the_requester_may_withdraw(
    clinician, supervisor, manager, other_clinician, case, who
):
    transfer = _assigned(clinician, supervisor, case, other_clinician)
    actor = {"supervisor": supervisor, "manager": manager, "receiver": other_clinician}[who]
    mark = _mark()

    with pytest.raises(TransferNotFound):
        transfer_withdraw(actor=actor, transfer=transfer)

    assert CaseTransferRequest.objects.get(pk=transfer.pk).status == TransferStatus.ASSIGNED
    (event,) = _events(mark)
    assert event.details == {"action": "transfer_withdraw", "reason": "policy"}


# --- the whole journey's audit trail --------------------------------------------------------


def test_every_step_is_audited_with_ids_and_enums_only(
    clinician, supervisor, other_clinician, case
):
    mark = _mark()
    third = UserFactory(roles=[Role.CLINICIAN])
    transfer = _requested(clinician, supervisor, case)
    transfer_reason_read(user=supervisor, transfer=_fetch(supervisor, transfer))
    transfer_assign(actor=supervisor, transfer=transfer, receiver=third)
    transfer_decline(actor=third, transfer=transfer)
    transfer_assign(actor=supervisor, transfer=transfer, receiver=other_clinician)
    transfer_accept(actor=other_clinician, transfer=transfer, handover_note=canary("handover"))
    transfer_handover_read(user=clinician, transfer=_fetch(clinician, transfer))
    other_case = PatientFactory()
    MembershipFactory(patient=other_case, clinician=clinician)
    withdrawn = _requested(clinician, supervisor, other_case)
    transfer_withdraw(actor=clinician, transfer=withdrawn)

    events = _events(mark)
    assert [e.event_type for e in events] == [
        EventType.TRANSFER_REQUESTED,
        EventType.TRANSFER_REASON_VIEWED,
        EventType.TRANSFER_ASSIGNED,
        EventType.TRANSFER_DECLINED,
        EventType.TRANSFER_ASSIGNED,
        EventType.CARE_TEAM_CHANGED,
        EventType.TRANSFER_ACCEPTED,
        EventType.TRANSFER_HANDOVER_VIEWED,
        EventType.TRANSFER_REQUESTED,
        EventType.TRANSFER_WITHDRAWN,
    ]
    for event in events:
        assert set(event.details) <= ALLOWED_DETAIL_KEYS
        for key, value in event.details.items():
            if key in {"old_team", "new_team"}:
                continue
            assert value is None or isinstance(value, int) or key in {"status", "change"}
        assert event.case_code in {case.case_code, other_case.case_code}
    dumped = json.dumps(
        list(AuditEvent.objects.values("details", "case_code", "target_id", "target_type")),
        default=str,
    )
    assert CANARY_MARKER not in dumped


# --- dashboard selectors --------------------------------------------------------------------


def test_dashboard_selectors_hold_metadata_only(
    clinician, supervisor, manager, other_clinician, case
):
    transfer = _assigned(clinician, supervisor, case, other_clinician)
    closed_case = PatientFactory()
    MembershipFactory(patient=closed_case, clinician=clinician)
    transfer_withdraw(actor=clinician, transfer=_requested(clinician, supervisor, closed_case))

    (mine,) = transfers_open_for_requester(user=clinician)
    (addressed,) = transfers_open_for_supervisor(user=supervisor)
    (overseen,) = transfers_open_all(user=manager)

    assert mine.uuid == addressed.uuid == overseen.uuid == transfer.uuid
    assert mine.case_code == case.case_code
    assert mine.receiver.id == other_clinician.pk
    assert not hasattr(mine, "reason")
    assert CANARY_MARKER not in repr(mine)
    assert transfers_open_all(user=supervisor) == []
    assert transfers_open_count(user=clinician) == 1
    assert transfers_open_count(user=other_clinician) == 1
    assert transfers_open_count(user=manager) == 1
    assert transfers_open_count(user=UserFactory(roles=[Role.CLINICIAN])) == 0
