"""Reads of legal requests, legal holds and patient access requests, and their packages.

Each fetch checks the policy (`permissions.legal`) and answers 404 for missing and forbidden
alike, with an ACCESS_DENIED event. Reads of a request's details and every package
download are audited before they return. Rows carry the patient's case code and UUID only.
"""

from __future__ import annotations

import uuid as uuid_module
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

from carecore.audit.events import EventType
from carecore.audit.services import audit_event_record
from patients.auditing import patient_event_record
from patients.services.access import patient_identity

from ..models import (
    AccessRequestStatus,
    LegalHold,
    LegalRequest,
    LegalRequestStatus,
    PatientAccessRequest,
    ReleasePackage,
)
from ..permissions.legal import (
    ACCESS_REQUEST_TARGET,
    LEGAL_HOLD_TARGET,
    LEGAL_REQUEST_TARGET,
    DenialReason,
    LegalAction,
    LifecycleNotFound,
    access_requests_condition,
    can_open_access_requests,
    can_record_access_request,
    legal_require,
    lifecycle_denial_record,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from carecore.accounts.models import User

    AnyUser = User | AnonymousUser

PATIENT_REFERENCE_FIELDS = ("patient__id", "patient__case_code", "patient__uuid")


def _as_uuid(value: object) -> uuid_module.UUID | None:
    if isinstance(value, uuid_module.UUID):
        return value
    try:
        return uuid_module.UUID(str(value))
    except ValueError:
        return None


def _not_found(user: AnyUser, action: LegalAction, target_type: str) -> LifecycleNotFound:
    lifecycle_denial_record(
        user=user, action=action, reason=DenialReason.NOT_FOUND, target_type=target_type
    )
    return LifecycleNotFound()


def _with_patient_reference(queryset: QuerySet[Any], *fields: str) -> QuerySet[Any]:
    # The patient row holds encrypted identity: load its references, nothing else.
    return queryset.select_related("patient").only(*fields, *PATIENT_REFERENCE_FIELDS)


# --- Legal requests ----------------------------------------------------------------------------

LEGAL_LIST_FIELDS = ("id", "uuid", "patient", "requester_kind", "received_on", "status")


def legal_requests_list(*, user: AnyUser, status: str | None = None) -> QuerySet[LegalRequest]:
    """Return the legal requests (privacy officers; others 404), newest first, audited."""
    legal_require(user=user, action=LegalAction.LEGAL_VIEW)
    status = LegalRequestStatus(status).value if status else None
    requests = LegalRequest.objects.all()
    if status is not None:
        requests = requests.filter(status=status)
    audit_event_record(
        event_type=EventType.LEGAL_REQUEST_LIST_VIEWED,
        actor=user,
        target_type=LEGAL_REQUEST_TARGET,
        details={"status": status or ""},
    )
    return _with_patient_reference(requests, *LEGAL_LIST_FIELDS).order_by("-received_on", "-id")


def legal_request_get_for(
    *, user: AnyUser, request_uuid: object, action: LegalAction = LegalAction.LEGAL_VIEW
) -> LegalRequest:
    """Return the legal request for a privacy officer, or raise the 404 (audited).

    With the default action (reading the page) the read is audited LEGAL_REQUEST_VIEWED;
    the services audit the other actions.
    """
    legal_require(user=user, action=action)
    reference = _as_uuid(request_uuid)
    legal_request = (
        LegalRequest.objects.select_related(
            "patient", "received_by", "basis_reviewed_by", "scope_decided_by", "approved_by"
        )
        .select_related("closed_by", "package")
        .only(
            *(field.name for field in LegalRequest._meta.concrete_fields),
            *PATIENT_REFERENCE_FIELDS,
            *_user_fields("received_by", "basis_reviewed_by", "scope_decided_by"),
            *_user_fields("approved_by", "closed_by"),
            "package__id",
            "package__uuid",
            "package__archive_sha256",
            "package__created_at",
            "package__manifest",
        )
        .filter(uuid=reference)
        .first()
        if reference is not None
        else None
    )
    if legal_request is None:
        raise _not_found(user, action, LEGAL_REQUEST_TARGET)
    if action == LegalAction.LEGAL_VIEW:
        patient_event_record(
            event_type=EventType.LEGAL_REQUEST_VIEWED,
            actor=user,
            patient=legal_request.patient,
            target=legal_request,
            details={"legal_request": legal_request.pk},
            grant_id=None,
        )
    return legal_request


def _user_fields(*relations: str) -> tuple[str, ...]:
    return tuple(
        f"{relation}__{field}"
        for relation in relations
        for field in ("id", "username", "first_name", "last_name")
    )


def _package_get(
    *,
    user: AnyUser,
    package_id: int | None,
    action: LegalAction,
    target_type: str,
    owner: dict[str, int],
) -> ReleasePackage:
    if package_id is None:
        raise _not_found(user, action, target_type)
    package = ReleasePackage.objects.get(pk=package_id)
    patient_event_record(
        event_type=EventType.PACKAGE_DOWNLOADED,
        actor=user,
        patient=patient_identity(package.patient_id),
        target=package,
        details={
            "kind": package.kind,
            "package": package.pk,
            **owner,
        },
        grant_id=None,
    )
    return package


def legal_request_package_get(*, user: AnyUser, request_uuid: object) -> ReleasePackage:
    """Return the released package of a legal request, audited PACKAGE_DOWNLOADED; 404 before
    the release (nothing leaves without the second approval) and for anyone but a privacy
    officer.
    """
    legal_request = legal_request_get_for(
        user=user, request_uuid=request_uuid, action=LegalAction.LEGAL_DOWNLOAD
    )
    package_id = (
        legal_request.package_id if legal_request.status == LegalRequestStatus.RELEASED else None
    )
    return _package_get(
        user=user,
        package_id=package_id,
        action=LegalAction.LEGAL_DOWNLOAD,
        target_type=LEGAL_REQUEST_TARGET,
        owner={"legal_request": legal_request.pk},
    )


def legal_requests_open_for_hold(*, user: AnyUser) -> QuerySet[LegalRequest]:
    """Return the requests a new hold may be linked to (privacy officers; others 404)."""
    legal_require(user=user, action=LegalAction.HOLD_PLACE, target_type=LEGAL_HOLD_TARGET)
    return _with_patient_reference(
        LegalRequest.objects.exclude(status=LegalRequestStatus.REFUSED), *LEGAL_LIST_FIELDS
    ).order_by("-received_on", "-id")


# --- Legal holds -------------------------------------------------------------------------------


def legal_holds_list(*, user: AnyUser, active_only: bool = True) -> QuerySet[LegalHold]:
    """Return the legal holds (in force only, by default), newest first, audited."""
    legal_require(user=user, action=LegalAction.HOLD_VIEW, target_type=LEGAL_HOLD_TARGET)
    holds = LegalHold.objects.all()
    if active_only:
        holds = holds.filter(lifted_at__isnull=True)
    audit_event_record(
        event_type=EventType.LEGAL_HOLDS_VIEWED,
        actor=user,
        target_type=LEGAL_HOLD_TARGET,
        details={"active_only": active_only},
    )
    return (
        holds.select_related("patient", "legal_request", "placed_by", "lifted_by")
        .only(
            "id",
            "patient",
            "legal_request",
            "placed_at",
            "lifted_at",
            "legal_request__id",
            "legal_request__uuid",
            *PATIENT_REFERENCE_FIELDS,
            *_user_fields("placed_by", "lifted_by"),
        )
        .order_by("-placed_at", "-id")
    )


def legal_hold_get_for(*, user: AnyUser, hold_id: int) -> LegalHold:
    """Return one legal hold for a privacy officer (to lift it), or raise the 404."""
    legal_require(user=user, action=LegalAction.HOLD_LIFT, target_type=LEGAL_HOLD_TARGET)
    hold = (
        LegalHold.objects.select_related("patient")
        .only(
            "id",
            "patient",
            "legal_request",
            "placed_at",
            "lifted_at",
            "placed_by",
            "reason",
            *PATIENT_REFERENCE_FIELDS,
        )
        .filter(pk=hold_id)
        .first()
    )
    if hold is None:
        raise _not_found(user, LegalAction.HOLD_LIFT, LEGAL_HOLD_TARGET)
    return hold


# --- Patient access requests -------------------------------------------------------------------

ACCESS_LIST_FIELDS = ("id", "uuid", "patient", "received_on", "status", "safe_to_release")


def access_requests_list(
    *, user: AnyUser, status: str | None = None
) -> QuerySet[PatientAccessRequest]:
    """Return the access requests `user` may see (privacy officers: all; clinicians: their
    care teams'), newest first, audited. Anyone else gets the 404.
    """
    if not can_open_access_requests(user):
        lifecycle_denial_record(
            user=user,
            action=LegalAction.ACCESS_VIEW,
            reason=DenialReason.ROLE,
            target_type=ACCESS_REQUEST_TARGET,
        )
        raise LifecycleNotFound
    status = AccessRequestStatus(status).value if status else None
    requests = PatientAccessRequest.objects.filter(access_requests_condition(user))
    if status is not None:
        requests = requests.filter(status=status)
    audit_event_record(
        event_type=EventType.ACCESS_REQUEST_LIST_VIEWED,
        actor=user,
        target_type=ACCESS_REQUEST_TARGET,
        details={"status": status or ""},
    )
    return _with_patient_reference(requests, *ACCESS_LIST_FIELDS).order_by("-received_on", "-id")


def access_request_get_for(
    *, user: AnyUser, request_uuid: object, action: LegalAction = LegalAction.ACCESS_VIEW
) -> PatientAccessRequest:
    """Return the access request if `user` may see it, or raise the 404 (audited).

    Reading the page (the default action) is audited ACCESS_REQUEST_VIEWED.
    """
    reference = _as_uuid(request_uuid)
    access_request = (
        PatientAccessRequest.objects.select_related(
            "patient", "received_by", "reviewed_by", "closed_by", "package"
        )
        .only(
            *(field.name for field in PatientAccessRequest._meta.concrete_fields),
            *PATIENT_REFERENCE_FIELDS,
            *_user_fields("received_by", "reviewed_by", "closed_by"),
            "package__id",
            "package__uuid",
            "package__archive_sha256",
            "package__created_at",
            "package__manifest",
        )
        .filter(uuid=reference)
        .first()
        if reference is not None
        else None
    )
    if access_request is None:
        raise _not_found(user, action, ACCESS_REQUEST_TARGET)
    if not can_record_access_request(user, access_request.patient_id):
        lifecycle_denial_record(
            user=user,
            action=action,
            reason=DenialReason.ROLE,
            target_type=ACCESS_REQUEST_TARGET,
            target_id=access_request.pk,
            case_code=access_request.patient.case_code,
        )
        raise LifecycleNotFound
    if action == LegalAction.ACCESS_VIEW:
        patient_event_record(
            event_type=EventType.ACCESS_REQUEST_VIEWED,
            actor=user,
            patient=access_request.patient,
            target=access_request,
            details={"access_request": access_request.pk},
            grant_id=None,
        )
    return access_request


def access_request_package_get(*, user: AnyUser, request_uuid: object) -> ReleasePackage:
    """Return the released copy, audited PACKAGE_DOWNLOADED; 404 before the release."""
    access_request = access_request_get_for(
        user=user, request_uuid=request_uuid, action=LegalAction.ACCESS_DOWNLOAD
    )
    package_id = (
        access_request.package_id if access_request.status == AccessRequestStatus.RELEASED else None
    )
    return _package_get(
        user=user,
        package_id=package_id,
        action=LegalAction.ACCESS_DOWNLOAD,
        target_type=ACCESS_REQUEST_TARGET,
        owner={"access_request": access_request.pk},
    )
