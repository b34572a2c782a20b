"""A patient's request for a copy of their own record.

Recorded by a clinician on the care team or a privacy officer; a safety review (who else
could read the copy? is anything in it dangerous if others see it?) by a privacy officer or
the care team lead; released by a second person, never the reviewer. The copy leaves out
the restricted tier (restricted notes, the current location), third parties (the emergency
contact, the details of safety flags) and the patient's contact details: a copy found by
someone else must not say where the person is or who they fear. Staff appear as role codes
unless the review names them, with a reason.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, NoReturn

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carecore.audit.events import EventType
from patients.auditing import patient_event_record
from patients.exceptions import InvalidRequest
from patients.models import Patient
from patients.services.access import clean_text, patient_identity

from ..models import (
    AccessRequestStatus,
    DisclosureKind,
    LegalBasis,
    PackageKind,
    PatientAccessRequest,
    Section,
)
from ..packaging import BuiltPackage, PackageOptions, package_build
from ..permissions.legal import (
    ACCESS_REQUEST_TARGET,
    DenialReason,
    LegalAction,
    LifecycleNotFound,
    can_record_access_request,
    can_review_access_request,
    lifecycle_denial_record,
    second_person_refuse,
)
from .disclosures import disclosure_record
from .legal import record_part_ids

if TYPE_CHECKING:
    from carecore.accounts.models import User

ACCESS_RECEIVED_IN_FUTURE = _("The date the request was received cannot be in the future.")
ACCESS_SECTIONS_REQUIRED = _("Choose at least one part of the record for the copy.")
ACCESS_SECTIONS_INVALID = _("Choose the parts of the record from the options offered.")
ACCESS_REVIEW_REQUIRED = _(
    "Record the safety review: who else could read the copy, and whether anything in it "
    "could put the patient at risk if others saw it."
)
ACCESS_SAFE_REQUIRED = _("Say whether the copy is safe to release.")
ACCESS_STAFF_REASON_REQUIRED = _("Say why staff are named in the copy instead of role codes.")
ACCESS_REVIEW_FIRST = _("The safety review must be done before the copy is released.")
ACCESS_NOT_SAFE = _(
    "The safety review found the copy not safe to release. Review it again, or refuse the "
    "request with reasons."
)
ACCESS_SECOND_PERSON = _(
    "You did the safety review of this request: someone else must release the copy."
)
ACCESS_REVIEW_CHANGED = _(
    "The safety review was done again while you were reading it. Read it as it is now, "
    "then release the copy."
)
ACCESS_CLOSED = _("This request has already been released or refused.")
ACCESS_REASON_REQUIRED = _("Give the reasons for refusing the request.")

ACCESS_RECIPIENT = "The patient"
OPEN_STATUSES = frozenset({AccessRequestStatus.RECEIVED, AccessRequestStatus.SAFETY_REVIEWED})


def _sections(sections: Iterable[str]) -> list[str]:
    chosen = set()
    for value in sections:
        try:
            chosen.add(Section(value).value)
        except ValueError:
            raise InvalidRequest(ACCESS_SECTIONS_INVALID) from None
    if not chosen:
        raise InvalidRequest(ACCESS_SECTIONS_REQUIRED)
    return [value for value in Section.values if value in chosen]


def _refuse(
    actor: User,
    action: LegalAction,
    patient_id: int,
    *,
    reason: DenialReason = DenialReason.ROLE,
    target_id: int | str = "",
) -> NoReturn:
    """Write ACCESS_DENIED for a refusal (before any transaction) and raise the 404."""
    lifecycle_denial_record(
        user=actor,
        action=action,
        reason=reason,
        target_type=ACCESS_REQUEST_TARGET,
        target_id=target_id,
        case_code=patient_identity(patient_id).case_code,
    )
    raise LifecycleNotFound


def _event(
    event_type: EventType, *, actor: User, access_request: PatientAccessRequest, details: dict
) -> None:
    patient_event_record(
        event_type=event_type,
        actor=actor,
        patient=patient_identity(access_request.patient_id),
        target=access_request,
        details={"access_request": access_request.pk, **details},
        grant_id=None,
    )


def _locked(access_request: PatientAccessRequest) -> PatientAccessRequest:
    return PatientAccessRequest.objects.select_for_update().get(pk=access_request.pk)


def access_request_record(
    *,
    actor: User,
    patient: Patient,
    received_on: dt.date | None = None,
    sections: Iterable[str] = tuple(Section.values),
) -> PatientAccessRequest:
    """Record a patient's request for a copy of their own record."""
    if not can_record_access_request(actor, patient):
        _refuse(actor, LegalAction.ACCESS_RECORD, patient.pk)
    received = received_on or timezone.localdate()
    if received > timezone.localdate():
        raise InvalidRequest(ACCESS_RECEIVED_IN_FUTURE)
    scope = _sections(sections)
    with transaction.atomic():
        access_request = PatientAccessRequest.objects.create(
            patient_id=patient.pk, received_on=received, received_by=actor, sections=scope
        )
        _event(
            EventType.ACCESS_REQUEST_RECEIVED,
            actor=actor,
            access_request=access_request,
            details={"sections": scope},
        )
    return access_request


def access_safety_review(
    *,
    actor: User,
    access_request: PatientAccessRequest,
    review: str,
    safe_to_release: bool | None,
    sections: Iterable[str],
    redact_staff: bool = True,
    staff_reason: str | None = None,
) -> PatientAccessRequest:
    """Record the safety review (a privacy officer or the care team lead); may be redone."""
    if not can_review_access_request(actor, access_request.patient_id):
        _refuse(
            actor, LegalAction.ACCESS_REVIEW, access_request.patient_id, target_id=access_request.pk
        )
    text = clean_text(review)
    if text is None:
        raise InvalidRequest(ACCESS_REVIEW_REQUIRED)
    if safe_to_release is None:
        raise InvalidRequest(ACCESS_SAFE_REQUIRED)
    scope = _sections(sections)
    reason = clean_text(staff_reason)
    if not redact_staff:
        if reason is None:
            raise InvalidRequest(ACCESS_STAFF_REASON_REQUIRED)
        # The model has one review text: the reason for naming staff is kept in it.
        text = f"{text}\n\n{_('Why staff are named:')} {reason}"
    with transaction.atomic():
        locked = _locked(access_request)
        if locked.status not in OPEN_STATUSES:
            raise InvalidRequest(ACCESS_CLOSED)
        locked.safety_review = text
        locked.safe_to_release = bool(safe_to_release)
        locked.sections = scope
        locked.redact_staff = bool(redact_staff)
        locked.reviewed_by = actor
        locked.reviewed_at = timezone.now()
        locked.status = AccessRequestStatus.SAFETY_REVIEWED
        locked.save(
            update_fields=[
                "safety_review",
                "safe_to_release",
                "sections",
                "redact_staff",
                "reviewed_by",
                "reviewed_at",
                "status",
                "updated_at",
            ]
        )
        _event(
            EventType.ACCESS_SAFETY_REVIEWED,
            actor=actor,
            access_request=locked,
            details={
                "safe_to_release": locked.safe_to_release,
                "redact_staff": locked.redact_staff,
                "sections": scope,
            },
        )
    return locked


def access_copy_options(access_request: PatientAccessRequest) -> PackageOptions:
    """Return the package options of the patient's copy (see the module docstring)."""
    sections = tuple(access_request.sections)
    note_ids, attachment_ids = record_part_ids(access_request.patient_id, sections)
    return PackageOptions(
        sections=sections,
        note_ids=note_ids,
        attachment_ids=attachment_ids,
        include_restricted=False,
        identify_staff=not access_request.redact_staff,
        redact_location=True,
        redact_third_parties=True,
        include_contact_details=False,
        recipient_label=str(_("The patient")),
        purpose_label=str(_("A copy of your own record, at your request")),
    )


def _release_check(actor: User, access_request: PatientAccessRequest) -> None:
    if not can_record_access_request(actor, access_request.patient_id):
        _refuse(
            actor,
            LegalAction.ACCESS_RELEASE,
            access_request.patient_id,
            target_id=access_request.pk,
        )
    if access_request.status not in OPEN_STATUSES:
        raise InvalidRequest(ACCESS_CLOSED)
    if access_request.status != AccessRequestStatus.SAFETY_REVIEWED:
        raise InvalidRequest(ACCESS_REVIEW_FIRST)
    if not access_request.safe_to_release:
        raise InvalidRequest(ACCESS_NOT_SAFE)
    if access_request.reviewed_by_id == actor.pk:
        second_person_refuse(
            user=actor,
            action=LegalAction.ACCESS_RELEASE,
            target_type=ACCESS_REQUEST_TARGET,
            target_id=access_request.pk,
            patient_id=access_request.patient_id,
            message=ACCESS_SECOND_PERSON,
        )


def access_copy_release(
    *, actor: User, access_request: PatientAccessRequest, review_seen: str | None = None
) -> BuiltPackage:
    """Release the copy as the second person: build the package, write the disclosure
    entry, mark the request released. Return the package and its passphrase (only copy).

    `review_seen` is the `reviewed_at` (ISO) of the review the releaser was shown; if the
    review was done again since, refuse (ACCESS_REVIEW_CHANGED) and release nothing.
    """
    _release_check(actor, PatientAccessRequest.objects.get(pk=access_request.pk))
    with transaction.atomic():
        locked = _locked(access_request)
        if (
            locked.status != AccessRequestStatus.SAFETY_REVIEWED
            or not locked.safe_to_release
            or locked.reviewed_by_id == actor.pk
        ):
            raise InvalidRequest(ACCESS_REVIEW_FIRST)
        # The releaser releases what they read, not a review redone under them.
        if review_seen is not None and (
            locked.reviewed_at is None or locked.reviewed_at.isoformat() != review_seen
        ):
            raise InvalidRequest(ACCESS_REVIEW_CHANGED)
        patient = patient_identity(locked.patient_id)
        built = package_build(
            actor=actor,
            patient=patient,
            kind=PackageKind.PATIENT_ACCESS,
            options=access_copy_options(locked),
        )
        now = timezone.now()
        entry = disclosure_record(
            actor=actor,
            patient=patient,
            kind=DisclosureKind.PATIENT_ACCESS,
            legal_basis=LegalBasis.PATIENT_REQUEST,
            purpose=str(_("The patient's request for a copy of their own record")),
            sections=locked.sections,
            recipient=ACCESS_RECIPIENT,
            approved_by=actor,
            approved_at=now,
            scope_note=str(
                _("Restricted notes, location, third parties and contact details left out.")
            ),
            access_request=locked,
            disclosed_at=now,
        )
        locked.closed_by = actor
        locked.closed_at = now
        locked.package = built.package
        locked.status = AccessRequestStatus.RELEASED
        locked.save(update_fields=["closed_by", "closed_at", "package", "status", "updated_at"])
        _event(
            EventType.ACCESS_COPY_RELEASED,
            actor=actor,
            access_request=locked,
            details={
                "package": built.package.pk,
                "disclosure": entry.pk,
                "redact_staff": locked.redact_staff,
                "sections": list(locked.sections),
            },
        )
    return built


def access_request_refuse(
    *, actor: User, access_request: PatientAccessRequest, reason: str
) -> PatientAccessRequest:
    """Refuse the request with reasons (a privacy officer or the care team lead)."""
    if not can_review_access_request(actor, access_request.patient_id):
        _refuse(
            actor, LegalAction.ACCESS_REFUSE, access_request.patient_id, target_id=access_request.pk
        )
    text = clean_text(reason)
    if text is None:
        raise InvalidRequest(ACCESS_REASON_REQUIRED)
    with transaction.atomic():
        locked = _locked(access_request)
        if locked.status not in OPEN_STATUSES:
            raise InvalidRequest(ACCESS_CLOSED)
        previous = locked.status
        locked.outcome_reason = text
        locked.closed_by = actor
        locked.closed_at = timezone.now()
        locked.status = AccessRequestStatus.REFUSED
        locked.save(
            update_fields=["outcome_reason", "closed_by", "closed_at", "status", "updated_at"]
        )
        _event(
            EventType.ACCESS_REQUEST_REFUSED,
            actor=actor,
            access_request=locked,
            details={"from_status": previous},
        )
    return locked
