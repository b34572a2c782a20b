"""Care team changes: who may make them, what they do to access, and their audit trail."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from carecore.accounts.roles import Role
from carecore.audit.events import EventType
from patients import services
from patients.exceptions import (
    ALREADY_LEAD,
    ALREADY_ON_CARE_TEAM,
    NOT_A_CLINICIAN,
    NOT_ON_CARE_TEAM,
    InvalidRequest,
)
from patients.models import CareTeamMembership, CareTeamRole
from patients.permissions import Action, can
from supervision.selectors import supervisee_ids_for
from tests.factories import UserFactory

from .conftest import only_event, snapshot
from .factories import MembershipFactory, PatientFactory, SupervisionFactory, clinician

pytestmark = pytest.mark.django_db


def team(patient):
    return sorted(
        CareTeamMembership.objects.active()
        .filter(patient=patient)
        .values_list("clinician__username", "role", "restricted_access")
    )


def test_adding_a_member_gives_access_and_audits_old_and_new_team(world):
    newcomer = clinician(username="newcomer")
    assert not can(newcomer, Action.VIEW_CLINICAL, world.patient)
    before = sorted(
        [m.clinician_id, m.role, m.restricted_access]
        for m in CareTeamMembership.objects.active().filter(patient=world.patient)
    )
    from .conftest import last_event_id

    mark = last_event_id()

    services.care_team_member_add(actor=world["manager"], patient=world.patient, clinician=newcomer)

    assert can(newcomer, Action.VIEW_CLINICAL, world.patient)
    event = only_event(mark, EventType.CARE_TEAM_CHANGED)
    assert event.details["change"] == "added"
    assert event.details["clinician"] == newcomer.pk
    assert event.details["old_team"] == before
    assert event.details["new_team"] == sorted([*before, [newcomer.pk, "member", False]])


def test_removing_a_member_closes_the_record_at_once(world):
    services.care_team_member_remove(
        actor=world["supervisor_of_member"], patient=world.patient, clinician=world["member"]
    )

    assert not can(world["member"], Action.VIEW_CLINICAL, world.patient)
    ended = CareTeamMembership.objects.get(patient=world.patient, clinician=world["member"])
    assert ended.end_date == timezone.localdate()
    # The supervisor saw the patient through that member only: their view goes too.
    assert not can(world["supervisor_of_member"], Action.VIEW_METADATA, world.patient)


def test_setting_a_lead_hands_over_and_keeps_history(world):
    services.care_team_set_lead(
        actor=world["manager"], patient=world.patient, clinician=world["member_restricted"]
    )

    assert ("lead", "member", False) in team(world.patient)
    assert ("member_restricted", "lead", True) in team(world.patient)
    assert CareTeamMembership.objects.filter(
        patient=world.patient, clinician=world["lead"], role="lead", end_date__isnull=False
    ).exists()
    assert can(world["member_restricted"], Action.VIEW_ACCESS_LOG, world.patient)
    assert not can(world["lead"], Action.VIEW_ACCESS_LOG, world.patient)


def test_adding_someone_as_lead_demotes_the_current_lead(world):
    newcomer = clinician(username="newcomer")

    services.care_team_member_add(
        actor=world["manager"], patient=world.patient, clinician=newcomer, role="lead"
    )

    roles = dict((name, role) for name, role, _ in team(world.patient))
    assert (roles["newcomer"], roles["lead"]) == ("lead", "member")


def test_restricted_access_can_be_granted_and_revoked(world):
    from .conftest import last_event_id

    mark = last_event_id()
    services.care_team_restricted_access_set(
        actor=world["manager"], patient=world.patient, clinician=world["member"], allowed=True
    )
    granted = only_event(mark, EventType.RESTRICTED_NOTE_ACCESS_GRANTED)
    assert can(world["member"], Action.READ_RESTRICTED, world.patient)

    mark = last_event_id()
    services.care_team_restricted_access_set(
        actor=world["manager"], patient=world.patient, clinician=world["member"], allowed=False
    )
    only_event(mark, EventType.RESTRICTED_NOTE_ACCESS_REVOKED)
    assert not can(world["member"], Action.READ_RESTRICTED, world.patient)
    assert granted.details["change"] == "restricted_access"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda w: services.care_team_member_add(
                actor=w["manager"], patient=w.patient, clinician=w["member"]
            ),
            ALREADY_ON_CARE_TEAM,
        ),
        (
            lambda w: services.care_team_member_add(
                actor=w["manager"], patient=w.patient, clinician=w["reception"]
            ),
            NOT_A_CLINICIAN,
        ),
        (
            lambda w: services.care_team_member_add(
                actor=w["manager"], patient=w.patient, clinician=w["inactive_member"]
            ),
            NOT_A_CLINICIAN,
        ),
        (
            lambda w: services.care_team_member_remove(
                actor=w["manager"], patient=w.patient, clinician=w["not_on_team"]
            ),
            NOT_ON_CARE_TEAM,
        ),
        (
            lambda w: services.care_team_set_lead(
                actor=w["manager"], patient=w.patient, clinician=w["lead"]
            ),
            ALREADY_LEAD,
        ),
    ],
)
def test_invalid_team_changes_are_refused_and_change_nothing(world, call, message):
    before = snapshot()

    with pytest.raises(InvalidRequest) as caught:
        call(world)

    assert str(caught.value) == message
    assert snapshot() == before


def test_the_database_allows_one_active_lead(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        MembershipFactory(patient=world.patient, role=CareTeamRole.LEAD)


def test_the_database_allows_one_active_membership_per_clinician(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        MembershipFactory(patient=world.patient, clinician=world["member"])


def test_supervisees_come_from_active_agreements_only():
    supervisor = UserFactory(roles=[Role.SUPERVISOR])
    current = SupervisionFactory(supervisor=supervisor).supervisee
    SupervisionFactory(supervisor=supervisor, active=False)
    SupervisionFactory()

    assert supervisee_ids_for(supervisor) == {current.pk}


def test_a_supervisor_sees_only_patients_of_supervisees():
    supervisor = UserFactory(roles=[Role.SUPERVISOR])
    supervisee = SupervisionFactory(supervisor=supervisor).supervisee
    theirs, other = PatientFactory(), PatientFactory()
    MembershipFactory(patient=theirs, clinician=supervisee)
    MembershipFactory(patient=other)

    assert can(supervisor, Action.VIEW_METADATA, theirs)
    assert not can(supervisor, Action.VIEW_METADATA, other)
    assert not can(supervisor, Action.VIEW_CLINICAL, theirs)
