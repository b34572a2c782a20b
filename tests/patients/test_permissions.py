"""The policy: role x relationship x action, through every entry point the policy offers."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from carecore.accounts.roles import Role
from patients.models import Patient
from patients.permissions import (
    Action,
    allowed_actions,
    can,
    can_review_break_glass,
    patients_for,
)
from tests.factories import UserFactory

from .conftest import EXPECTED, PATIENT_ACTIONS, RELATIONSHIPS
from .factories import PatientFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("relationship", RELATIONSHIPS)
def test_allowed_actions_match_the_table(world, relationship):
    assert allowed_actions(world[relationship], world.patient) == EXPECTED[relationship]


@pytest.mark.parametrize("relationship", RELATIONSHIPS)
@pytest.mark.parametrize("action", PATIENT_ACTIONS)
def test_can_and_the_queryset_agree_with_the_table(world, relationship, action):
    user = world[relationship]
    expected = action in EXPECTED[relationship]

    assert can(user, action, world.patient) is expected
    assert patients_for(user, action).filter(pk=world.patient.pk).exists() is expected


@pytest.mark.parametrize("relationship", RELATIONSHIPS)
def test_a_patient_with_no_relationship_is_open_to_roles_alone(world, relationship):
    stranger = PatientFactory()
    user = world[relationship]
    role_only = {
        "manager": {Action.VIEW_METADATA, Action.MANAGE_CARE_TEAM},
        "privacy_officer": {Action.VIEW_METADATA, Action.MANAGE_CARE_TEAM, Action.VIEW_ACCESS_LOG},
        "reception": {Action.VIEW_FRONT_DESK},
        "clinician_role_removed": {Action.VIEW_FRONT_DESK},
    }
    clinicians = {
        "lead",
        "member",
        "member_restricted",
        "not_on_team",
        "former_member",
        "break_glass_active",
        "break_glass_lapsed",
    }
    expected = role_only.get(
        relationship, {Action.BREAK_GLASS} if relationship in clinicians else set()
    )

    assert allowed_actions(user, stranger) == expected


def test_anonymous_users_may_do_nothing(world):
    anonymous = AnonymousUser()

    assert allowed_actions(anonymous, world.patient) == frozenset()
    assert not can(anonymous, Action.REGISTER)
    assert not patients_for(anonymous, Action.VIEW_FRONT_DESK).exists()


@pytest.mark.parametrize(
    ("roles", "expected"),
    [
        ([Role.RECEPTION], True),
        ([Role.CLINICIAN], True),
        ([Role.SUPERVISOR], False),
        ([Role.MANAGER], False),
        ([Role.ADMIN], False),
    ],
)
def test_register_is_for_reception_and_clinicians(roles, expected):
    assert can(UserFactory(roles=roles), Action.REGISTER) is expected


def test_register_is_not_a_patient_action(world):
    assert patients_for(world["reception"], Action.REGISTER).count() == 0


def test_can_without_a_patient_answers_for_any_patient(world):
    assert can(world["manager"], Action.MANAGE_CARE_TEAM)
    assert not can(world["admin"], Action.VIEW_METADATA)
    assert not can(world["reception"], Action.VIEW_CLINICAL)


def test_an_expired_grant_gives_nothing_before_the_sweep(world):
    grant = world["break_glass_active"].break_glass_grants.get()
    type(grant).objects.filter(pk=grant.pk).update(
        granted_at=grant.granted_at.replace(year=grant.granted_at.year - 1),
        expires_at=grant.expires_at.replace(year=grant.expires_at.year - 1),
    )

    assert allowed_actions(world["break_glass_active"], world.patient) == {Action.BREAK_GLASS}


def test_only_active_privacy_officers_review_break_glass(world):
    officer = world["privacy_officer"]
    assert can_review_break_glass(officer)
    assert not can_review_break_glass(world["manager"])
    officer.is_active = False
    assert not can_review_break_glass(officer)


def test_policy_querysets_are_plain_patient_querysets(world):
    assert patients_for(world["manager"], Action.VIEW_METADATA).model is Patient


@pytest.mark.parametrize(
    ("persona", "lists"),
    [
        ("clinician", {"my_patients", "front_desk"}),
        ("supervisor", {"my_patients", "caseload", "front_desk"}),
        ("manager", {"caseload"}),
        ("reception", {"front_desk"}),
        ("admin_user", set()),
    ],
)
def test_list_pages_open_to_exactly_their_roles(request, persona, lists):
    from patients.permissions import PatientList, can_open_list

    user = request.getfixturevalue(persona)

    assert {which.value for which in PatientList if can_open_list(user, which)} == lists
