"""Changing a patient's care team: a supervisor's or manager's action, audited old and new.

Each change writes one event with the team before and after, as `[user id, role, restricted]`
triples sorted by user id, so the audit alone can replay who had access when.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from carecore.accounts.roles import Role
from carecore.audit.events import EventType

from ..auditing import patient_event_record
from ..exceptions import (
    ALREADY_LEAD,
    ALREADY_ON_CARE_TEAM,
    INVALID_CHOICE,
    NOT_A_CLINICIAN,
    NOT_ON_CARE_TEAM,
    InvalidRequest,
)
from ..models import CareTeamMembership, CareTeamRole, Patient
from ..permissions import Action
from .access import access_require, patient_lock

if TYPE_CHECKING:
    from carecore.accounts.models import User


def _team(patient: Patient) -> list[list[Any]]:
    rows = CareTeamMembership.objects.active().filter(patient_id=patient.pk)
    return sorted(
        [row.clinician_id, row.role, row.restricted_access]
        for row in rows.only("clinician_id", "role", "restricted_access")
    )


def _membership(patient: Patient, clinician: User) -> CareTeamMembership | None:
    return (
        CareTeamMembership.objects.active()
        .select_for_update()
        .filter(patient_id=patient.pk, clinician_id=clinician.pk)
        .first()
    )


def _end(membership: CareTeamMembership) -> None:
    membership.end_date = timezone.localdate()
    membership.save(update_fields=["end_date", "updated_at"])


def _demote_current_lead(patient: Patient) -> None:
    # A lead hands over by becoming a member: the old row ends, a new member row starts.
    current = (
        CareTeamMembership.objects.active()
        .select_for_update()
        .filter(patient_id=patient.pk, role=CareTeamRole.LEAD)
        .first()
    )
    if current is not None:
        _end(current)
        CareTeamMembership.objects.create(
            patient_id=patient.pk,
            clinician_id=current.clinician_id,
            role=CareTeamRole.MEMBER,
            restricted_access=current.restricted_access,
        )


def _record(
    *,
    actor: User,
    patient: Patient,
    change: str,
    clinician: User,
    before: list[list[Any]],
    event_type: EventType = EventType.CARE_TEAM_CHANGED,
    grant_id: int | None,
) -> None:
    patient_event_record(
        event_type=event_type,
        actor=actor,
        patient=patient,
        details={
            "change": change,
            "clinician": clinician.pk,
            "old_team": before,
            "new_team": _team(patient),
        },
        grant_id=grant_id,
    )


def care_team_member_add(
    *,
    actor: User,
    patient: Patient,
    clinician: User,
    role: str = CareTeamRole.MEMBER,
    restricted_access: bool = False,
) -> CareTeamMembership:
    """Add an active clinician to the care team; as lead, the current lead becomes a member."""
    grant_id = access_require(actor=actor, action=Action.MANAGE_CARE_TEAM, patient=patient)
    try:
        role = CareTeamRole(role)
    except ValueError:
        raise InvalidRequest(INVALID_CHOICE) from None
    if not (clinician.is_active and clinician.has_role(Role.CLINICIAN)):
        raise InvalidRequest(NOT_A_CLINICIAN)
    with transaction.atomic():
        patient_lock(patient)
        if _membership(patient, clinician) is not None:
            raise InvalidRequest(ALREADY_ON_CARE_TEAM)
        before = _team(patient)
        if role == CareTeamRole.LEAD:
            _demote_current_lead(patient)
        membership = CareTeamMembership.objects.create(
            patient_id=patient.pk,
            clinician=clinician,
            role=role,
            restricted_access=restricted_access,
        )
        _record(
            actor=actor,
            patient=patient,
            change="added",
            clinician=clinician,
            before=before,
            grant_id=grant_id,
        )
    return membership


def care_team_member_remove(*, actor: User, patient: Patient, clinician: User) -> None:
    """End the clinician's membership today; their access ends with it."""
    grant_id = access_require(actor=actor, action=Action.MANAGE_CARE_TEAM, patient=patient)
    with transaction.atomic():
        patient_lock(patient)
        membership = _membership(patient, clinician)
        if membership is None:
            raise InvalidRequest(NOT_ON_CARE_TEAM)
        before = _team(patient)
        _end(membership)
        _record(
            actor=actor,
            patient=patient,
            change="removed",
            clinician=clinician,
            before=before,
            grant_id=grant_id,
        )


def care_team_set_lead(*, actor: User, patient: Patient, clinician: User) -> CareTeamMembership:
    """Make `clinician` the lead (adding them if needed); the previous lead stays as a member."""
    grant_id = access_require(actor=actor, action=Action.MANAGE_CARE_TEAM, patient=patient)
    if not (clinician.is_active and clinician.has_role(Role.CLINICIAN)):
        raise InvalidRequest(NOT_A_CLINICIAN)
    with transaction.atomic():
        patient_lock(patient)
        existing = _membership(patient, clinician)
        if existing is not None and existing.role == CareTeamRole.LEAD:
            raise InvalidRequest(ALREADY_LEAD)
        before = _team(patient)
        _demote_current_lead(patient)
        if existing is not None:
            _end(existing)
        membership = CareTeamMembership.objects.create(
            patient_id=patient.pk,
            clinician=clinician,
            role=CareTeamRole.LEAD,
            restricted_access=existing.restricted_access if existing is not None else False,
        )
        _record(
            actor=actor,
            patient=patient,
            change="lead_set",
            clinician=clinician,
            before=before,
            grant_id=grant_id,
        )
    return membership


def care_team_restricted_access_set(
    *, actor: User, patient: Patient, clinician: User, allowed: bool
) -> CareTeamMembership:
    """Grant or revoke a member's access to restricted entries (a lead always has it)."""
    grant_id = access_require(actor=actor, action=Action.MANAGE_CARE_TEAM, patient=patient)
    with transaction.atomic():
        patient_lock(patient)
        membership = _membership(patient, clinician)
        if membership is None:
            raise InvalidRequest(NOT_ON_CARE_TEAM)
        if membership.restricted_access == allowed:
            return membership
        before = _team(patient)
        membership.restricted_access = allowed
        membership.save(update_fields=["restricted_access", "updated_at"])
        _record(
            actor=actor,
            patient=patient,
            change="restricted_access",
            clinician=clinician,
            before=before,
            event_type=(
                EventType.RESTRICTED_NOTE_ACCESS_GRANTED
                if allowed
                else EventType.RESTRICTED_NOTE_ACCESS_REVOKED
            ),
            grant_id=grant_id,
        )
    return membership


def care_team_transfer(
    *,
    actor: User,
    patient: Patient,
    from_clinician: User,
    to_clinician: User,
    transfer_id: int,
) -> CareTeamMembership:
    """Hand `from_clinician`'s place on the care team to `to_clinician`; return their membership.

    Authorised by the accepted case transfer request `transfer_id` (the caller checks it), not
    by MANAGE_CARE_TEAM: the receiving clinician accepts a case they are not yet on. The role
    carries over (a lead hands over the lead); a member's restricted-access grant does not, as
    it was given to a person, not a place. A receiver already on the team keeps their row
    unless they must become lead.
    """
    if not (to_clinician.is_active and to_clinician.has_role(Role.CLINICIAN)):
        raise InvalidRequest(NOT_A_CLINICIAN)
    if to_clinician.pk == from_clinician.pk:
        raise InvalidRequest(ALREADY_ON_CARE_TEAM)
    with transaction.atomic():
        patient_lock(patient)
        leaving = _membership(patient, from_clinician)
        if leaving is None:
            raise InvalidRequest(NOT_ON_CARE_TEAM)
        existing = _membership(patient, to_clinician)
        before = _team(patient)
        _end(leaving)
        is_lead = leaving.role == CareTeamRole.LEAD
        if existing is None:
            membership = CareTeamMembership.objects.create(
                patient_id=patient.pk,
                clinician=to_clinician,
                role=leaving.role,
                restricted_access=leaving.restricted_access if is_lead else False,
            )
        elif is_lead and existing.role != CareTeamRole.LEAD:
            # A role change ends the row and starts a new one, so the table stays the history.
            _end(existing)
            membership = CareTeamMembership.objects.create(
                patient_id=patient.pk,
                clinician=to_clinician,
                role=CareTeamRole.LEAD,
                restricted_access=existing.restricted_access or leaving.restricted_access,
            )
        else:
            membership = existing
        patient_event_record(
            event_type=EventType.CARE_TEAM_CHANGED,
            actor=actor,
            patient=patient,
            details={
                "change": "transferred",
                "clinician": to_clinician.pk,
                "from_clinician": from_clinician.pk,
                "transfer": transfer_id,
                "old_team": before,
                "new_team": _team(patient),
            },
            grant_id=None,
        )
    return membership
