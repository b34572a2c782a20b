"""Fixtures for the patient tests: one patient and a person for every relationship to it."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import pytest
from django.utils import timezone

from carecore.accounts.models import User
from carecore.accounts.roles import Role
from carecore.audit.events import EventType
from carecore.audit.models import AuditEvent
from patients.models import (
    Attachment,
    BreakGlassGrant,
    CareTeamMembership,
    CareTeamRole,
    ClinicalNote,
    Consent,
    IntakeExplanation,
    Patient,
    PrivacyNotification,
    SafetyFlag,
    TreatmentGoal,
)
from patients.permissions import Action
from tests.conftest import CANARY_MARKER
from tests.factories import UserFactory

from .factories import GrantFactory, MembershipFactory, PatientFactory, SupervisionFactory

PATIENT_MODELS = (
    Patient,
    IntakeExplanation,
    CareTeamMembership,
    ClinicalNote,
    TreatmentGoal,
    Consent,
    SafetyFlag,
    Attachment,
    BreakGlassGrant,
    PrivacyNotification,
)

# Every relationship a person can have to the patient, and what it allows.
CLINICAL = {
    Action.VIEW_FRONT_DESK,
    Action.VIEW_METADATA,
    Action.VIEW_CLINICAL,
    Action.ADD_NOTE,
    Action.EDIT_CLINICAL,
    Action.UPLOAD,
    Action.DOWNLOAD,
}
EXPECTED: dict[str, set[Action]] = {
    "lead": CLINICAL | {Action.READ_RESTRICTED, Action.VIEW_ACCESS_LOG},
    "member": set(CLINICAL),
    "member_restricted": CLINICAL | {Action.READ_RESTRICTED},
    "not_on_team": {Action.BREAK_GLASS},
    "former_member": {Action.BREAK_GLASS},
    "supervisor_of_member": {Action.VIEW_METADATA, Action.MANAGE_CARE_TEAM},
    "supervisor_unrelated": set(),
    "manager": {Action.VIEW_METADATA, Action.MANAGE_CARE_TEAM},
    "admin": set(),
    "reception": {Action.VIEW_FRONT_DESK},
    "privacy_officer": {Action.VIEW_METADATA, Action.MANAGE_CARE_TEAM, Action.VIEW_ACCESS_LOG},
    "break_glass_active": set(CLINICAL),
    "break_glass_lapsed": {Action.BREAK_GLASS},
    # Now reception only: the membership left behind opens nothing clinical.
    "clinician_role_removed": {Action.VIEW_FRONT_DESK},
    "inactive_member": set(),
}
RELATIONSHIPS = tuple(EXPECTED)
PATIENT_ACTIONS = tuple(action for action in Action if action != Action.REGISTER)


@dataclass
class World:
    patient: Patient
    people: dict[str, User]

    def __getitem__(self, relationship: str) -> User:
        return self.people[relationship]


@pytest.fixture
def world(db) -> World:
    """Return a patient with a care team, and one person per relationship in EXPECTED."""
    patient = PatientFactory(preferred_name="Amal", current_location="Shelter north")
    people: dict[str, User] = {}

    def clinician(name: str) -> User:
        return UserFactory(username=name, roles=[Role.CLINICIAN])

    people["lead"] = clinician("lead")
    MembershipFactory(patient=patient, clinician=people["lead"], role=CareTeamRole.LEAD)
    people["member"] = clinician("member")
    MembershipFactory(patient=patient, clinician=people["member"])
    people["member_restricted"] = clinician("member_restricted")
    MembershipFactory(
        patient=patient, clinician=people["member_restricted"], restricted_access=True
    )
    people["not_on_team"] = clinician("not_on_team")
    people["former_member"] = clinician("former_member")
    MembershipFactory(
        patient=patient,
        clinician=people["former_member"],
        start_date=timezone.localdate() - dt.timedelta(days=30),
        end_date=timezone.localdate() - dt.timedelta(days=1),
    )
    # Supervisors here hold the supervisor role only, so break-glass (a clinician's action)
    # does not blur what supervision itself allows.
    people["supervisor_of_member"] = UserFactory(
        username="supervisor_of_member", roles=[Role.SUPERVISOR]
    )
    SupervisionFactory(supervisor=people["supervisor_of_member"], supervisee=people["member"])
    people["supervisor_unrelated"] = UserFactory(
        username="supervisor_unrelated", roles=[Role.SUPERVISOR]
    )
    SupervisionFactory(supervisor=people["supervisor_unrelated"], supervisee=people["not_on_team"])
    people["manager"] = UserFactory(username="manager", roles=[Role.MANAGER])
    people["admin"] = UserFactory(username="admin", roles=[Role.ADMIN])
    people["reception"] = UserFactory(username="reception", roles=[Role.RECEPTION])
    people["privacy_officer"] = UserFactory(
        username="privacy_officer", roles=[Role.MANAGER], is_privacy_officer=True
    )
    people["break_glass_active"] = clinician("break_glass_active")
    GrantFactory(patient=patient, clinician=people["break_glass_active"])
    people["break_glass_lapsed"] = clinician("break_glass_lapsed")
    past = timezone.now() - dt.timedelta(hours=6)
    GrantFactory(
        patient=patient,
        clinician=people["break_glass_lapsed"],
        granted_at=past,
        expires_at=past + dt.timedelta(hours=4),
        lapsed_at=past + dt.timedelta(hours=4),
    )
    people["clinician_role_removed"] = UserFactory(
        username="clinician_role_removed", roles=[Role.RECEPTION]
    )
    MembershipFactory(patient=patient, clinician=people["clinician_role_removed"])
    people["inactive_member"] = clinician("inactive_member")
    MembershipFactory(patient=patient, clinician=people["inactive_member"])
    people["inactive_member"].is_active = False
    people["inactive_member"].save(update_fields=["is_active"])
    return World(patient=patient, people=people)


def last_event_id() -> int:
    latest = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    return latest or 0


def events_after(mark: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(id__gt=mark).order_by("id"))


def only_event(mark: int, event_type: EventType) -> AuditEvent:
    """Assert exactly one event was written after `mark`, of `event_type`; return it."""
    events = events_after(mark)
    assert [e.event_type for e in events] == [event_type], [e.event_type for e in events]
    assert CANARY_MARKER not in json.dumps(events[0].details)
    return events[0]


def snapshot() -> dict[str, object]:
    """Return row counts of every patient model and the clear columns of the core rows."""
    state: dict[str, object] = {model.__name__: model.objects.count() for model in PATIENT_MODELS}
    state["patients"] = list(
        Patient.objects.order_by("id").values(
            "id", "stage", "complexity", "risk_level", "status", "updated_at"
        )
    )
    state["team"] = list(
        CareTeamMembership.objects.order_by("id").values(
            "id", "clinician_id", "role", "restricted_access", "end_date"
        )
    )
    state["consents"] = list(Consent.objects.order_by("id").values("id", "status"))
    state["goals"] = list(TreatmentGoal.objects.order_by("id").values("id", "status"))
    state["flags"] = list(SafetyFlag.objects.order_by("id").values("id", "resolved_at"))
    state["grants"] = list(
        BreakGlassGrant.objects.order_by("id").values("id", "lapsed_at", "review_outcome")
    )
    return state
