"""Who may handle legal requests and holds, patient access copies, the disclosure register
pages and the research export.

- Legal requests and legal holds: active privacy officers only. Every page answers anyone
  else with the same 404 as a missing record (audited), so a request cannot be probed. A
  release needs two privacy officers: the one who decided the scope never approves it (also
  a database constraint on `LegalRequest`).
- Patient access: a clinician on the patient's active care team, or a privacy officer,
  records the request and may release the copy; the safety review is done by a privacy
  officer or the care team lead; the releaser is never the reviewer. Break-glass does not
  count: it opens a record in an emergency, it does not make anyone responsible for it.
- The disclosure register of one patient: the care team (clinical access) and privacy
  officers, through the patients policy. The organisation-wide register: privacy officers.
- The research export: privacy officers and managers (de-identified, consented rows only).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NoReturn

from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from carecore.accounts.roles import Role
from carecore.audit.services import audit_access_denied
from patients.exceptions import InvalidRequest
from patients.models import CareTeamMembership, CareTeamRole
from patients.permissions import Action
from patients.services.access import patient_identity

from .common import is_active_user, is_clinician, is_privacy_officer

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from carecore.accounts.models import User
    from patients.models import Patient

    from ..models import PatientAccessRequest

    AnyUser = User | AnonymousUser

# Same text for a missing and a forbidden record: nothing to learn by probing.
NOT_FOUND = _("Nothing matches this reference.")

LEGAL_REQUEST_TARGET = "lifecycle.legalrequest"
LEGAL_HOLD_TARGET = "lifecycle.legalhold"
ACCESS_REQUEST_TARGET = "lifecycle.patientaccessrequest"
DISCLOSURE_TARGET = "lifecycle.disclosureentry"
RESEARCH_TARGET = "lifecycle.researchexport"


class LegalAction(models.TextChoices):
    """What someone tried to do here; recorded in ACCESS_DENIED details."""

    HUB_VIEW = "hub.view", _("Open the data sharing pages")
    LEGAL_VIEW = "legal.view", _("See legal requests")
    LEGAL_REGISTER = "legal.register", _("Register a legal request")
    LEGAL_BASIS = "legal.basis", _("Review the legal basis")
    LEGAL_SCOPE = "legal.scope", _("Decide scope and redaction")
    LEGAL_APPROVE = "legal.approve", _("Approve a legal release")
    LEGAL_REFUSE = "legal.refuse", _("Refuse a legal request")
    LEGAL_DOWNLOAD = "legal.download", _("Download a legal release package")
    HOLD_VIEW = "legal.hold_view", _("See legal holds")
    HOLD_PLACE = "legal.hold_place", _("Place a legal hold")
    HOLD_LIFT = "legal.hold_lift", _("Lift a legal hold")
    ACCESS_VIEW = "access.view", _("See patient access requests")
    ACCESS_RECORD = "access.record", _("Record a patient access request")
    ACCESS_REVIEW = "access.review", _("Do the safety review")
    ACCESS_RELEASE = "access.release", _("Release a copy to the patient")
    ACCESS_REFUSE = "access.refuse", _("Refuse a patient access request")
    ACCESS_DOWNLOAD = "access.download", _("Download a patient's copy")
    REGISTER_VIEW = "register.view", _("See the organisation's disclosure register")
    RESEARCH_EXPORT = "research.export", _("Download the research export")


class DenialReason(models.TextChoices):
    ROLE = "role"  # lacks the designation or the relationship
    NOT_FOUND = "not_found"  # no such request, hold or package
    SECOND_PERSON = "second_person"  # the first person tried to approve their own step


class LifecycleNotFound(Http404):
    """The record does not exist or the user may not see it: always the same 404."""

    def __init__(self) -> None:
        super().__init__(NOT_FOUND)


def can_handle_legal(user: AnyUser | None) -> bool:
    """Return whether `user` may see and handle legal requests and legal holds."""
    return is_privacy_officer(user)


def can_export_research(user: AnyUser | None) -> bool:
    """Return whether `user` may download the de-identified research export."""
    if not is_active_user(user):
        return False
    return is_privacy_officer(user) or Role.MANAGER.value in user.role_names  # type: ignore[union-attr]


def can_view_organisation_register(user: AnyUser | None) -> bool:
    """Return whether `user` may see the organisation-wide disclosure register."""
    return is_privacy_officer(user)


def on_care_team(user: AnyUser | None, patient: Patient | int, *, lead: bool = False) -> bool:
    """Return whether `user` is a clinician on the patient's active care team (the lead)."""
    if not is_clinician(user):
        return False
    patient_id = patient if isinstance(patient, int) else patient.pk
    memberships = CareTeamMembership.objects.filter(
        patient_id=patient_id,
        clinician_id=user.pk,  # type: ignore[union-attr]
        end_date__isnull=True,
    )
    if lead:
        memberships = memberships.filter(role=CareTeamRole.LEAD)
    return memberships.exists()


def patient_lookup_action(user: AnyUser | None, *, write: bool = True) -> Action:
    """Return the patients-policy action a lifecycle page fetches a patient with.

    Privacy officers reach every patient through the access-log right (ids and case codes,
    no clinical content); anyone else needs clinical access (to add to the record: the
    right to edit it), so the patients policy's 404 and audit apply unchanged.
    """
    if is_privacy_officer(user):
        return Action.VIEW_ACCESS_LOG
    return Action.EDIT_CLINICAL if write else Action.VIEW_CLINICAL


def can_record_access_request(user: AnyUser | None, patient: Patient | int) -> bool:
    """Return whether `user` may record (and release) a patient's access request."""
    return is_privacy_officer(user) or on_care_team(user, patient)


def can_review_access_request(user: AnyUser | None, patient: Patient | int) -> bool:
    """Return whether `user` may do the safety review of (or refuse) an access request."""
    return is_privacy_officer(user) or on_care_team(user, patient, lead=True)


def can_open_access_requests(user: AnyUser | None) -> bool:
    """Return whether `user` may open the list of access requests (its rows filtered apart)."""
    return is_privacy_officer(user) or is_clinician(user)


def access_requests_condition(user: AnyUser | None) -> Q:
    """Return the condition on `PatientAccessRequest` for the requests `user` may see."""
    if is_privacy_officer(user):
        return Q(pk__isnull=False)
    if not is_clinician(user):
        return Q(pk__in=[])
    return Q(
        Exists(
            CareTeamMembership.objects.filter(
                patient=OuterRef("patient"),
                clinician_id=user.pk,  # type: ignore[union-attr]
                end_date__isnull=True,
            )
        )
    )


def can_see_access_request(user: AnyUser | None, access_request: PatientAccessRequest) -> bool:
    """Return whether `user` may open one access request."""
    return can_record_access_request(user, access_request.patient_id)


def lifecycle_denial_record(
    *,
    user: AnyUser | None,
    action: LegalAction,
    reason: DenialReason,
    target_type: str,
    target_id: str | int = "",
    case_code: str = "",
) -> None:
    """Write the ACCESS_DENIED event for a refusal; call it outside the refused transaction."""
    audit_access_denied(
        actor=user,
        action=action,
        reason=reason,
        target_type=target_type,
        target_id=target_id,
        case_code=case_code,
    )


def second_person_refuse(
    *,
    user: AnyUser,
    action: LegalAction,
    target_type: str,
    target_id: int,
    patient_id: int,
    message: object,
) -> NoReturn:
    """Audit that the first person tried to take the second person's step, then refuse."""
    lifecycle_denial_record(
        user=user,
        action=action,
        reason=DenialReason.SECOND_PERSON,
        target_type=target_type,
        target_id=target_id,
        case_code=patient_identity(patient_id).case_code,
    )
    raise InvalidRequest(message)


def legal_require(
    *, user: AnyUser | None, action: LegalAction, target_type: str = LEGAL_REQUEST_TARGET
) -> None:
    """Raise LifecycleNotFound (404), audited, unless `user` is an active privacy officer."""
    if not can_handle_legal(user):
        lifecycle_denial_record(
            user=user, action=action, reason=DenialReason.ROLE, target_type=target_type
        )
        raise LifecycleNotFound
