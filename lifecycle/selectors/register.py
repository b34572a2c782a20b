"""Reads of the disclosure register: one patient's entries, the organisation's register, and
the patient's report ("who received my information").

One patient's register is open to the care team (clinical access, through the patients
policy) and to privacy officers; the organisation's register to privacy officers only. Every
read is audited DISCLOSURE_REGISTER_VIEWED (or DISCLOSURE_REPORT_PRODUCED) before it returns.
"""

from __future__ import annotations

import datetime as dt
import uuid as uuid_module
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.utils import timezone

from carecore.accounts.models import User
from carecore.audit.events import EventType
from carecore.audit.services import audit_event_record
from patients.auditing import patient_event_record
from patients.models import Consent, Patient
from patients.permissions import Action
from patients.selectors import patient_get_for

from ..models import DisclosureEntry, DisclosureKind
from ..packaging.content import StaffLabels, StaffRef
from ..permissions.legal import (
    DISCLOSURE_TARGET,
    DenialReason,
    LegalAction,
    LifecycleNotFound,
    can_view_organisation_register,
    lifecycle_denial_record,
    patient_lookup_action,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    AnyUser = User | AnonymousUser

ENTRY_FIELDS = (
    "id",
    "patient",
    "kind",
    "partner",
    "recipient",
    "purpose",
    "legal_basis",
    "consent",
    "sections",
    "scope_note",
    "approved_by",
    "approved_at",
    "disclosed_at",
    "recorded_by",
    "recorded_at",
    "partner__id",
    "partner__name",
    "consent__id",
    "consent__purpose",
    "consent__status",
    "consent__recorded_at",
    "patient__id",
    "patient__case_code",
    "patient__uuid",
    *(
        f"{relation}__{field}"
        for relation in ("approved_by", "recorded_by")
        for field in ("id", "username", "first_name", "last_name")
    ),
)


def _entries() -> QuerySet[DisclosureEntry]:
    # Related rows load their references and labels only; the patient's identity stays out.
    return DisclosureEntry.objects.select_related(
        "patient", "partner", "consent", "approved_by", "recorded_by"
    ).only(*ENTRY_FIELDS)


def register_patient_get(
    *, user: AnyUser, patient_uuid: uuid_module.UUID | str, write: bool = False
) -> Patient:
    """Return the patient if `user` may see (or, with `write`, add to) their register.

    Privacy officers may open any patient's register; anyone else needs clinical access
    (the patients policy: the care team, or break-glass). 404 and ACCESS_DENIED otherwise.
    """
    action = patient_lookup_action(user, write=write)
    patient = patient_get_for(user=user, action=action, uuid=patient_uuid)
    if action == Action.VIEW_ACCESS_LOG:
        return patient
    # Identity only from here on: the register pages need nothing else of the record.
    return patient.limit_to({"id", "uuid", "case_code", "status"})


def patient_disclosures(*, user: AnyUser, patient: Patient) -> QuerySet[DisclosureEntry]:
    """Return `patient`'s register entries, newest first; audited DISCLOSURE_REGISTER_VIEWED.

    `patient` comes from `register_patient_get`, which checked and audited the access.
    """
    patient_event_record(
        event_type=EventType.DISCLOSURE_REGISTER_VIEWED,
        actor=user,
        patient=patient,
        details={"scope": "patient"},
    )
    return _entries().filter(patient_id=patient.pk).order_by("-disclosed_at", "-id")


def disclosures_register(
    *,
    user: AnyUser,
    kind: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[DisclosureEntry]:
    """Return the organisation's register (privacy officers; others 404), filtered, audited."""
    if not can_view_organisation_register(user):
        lifecycle_denial_record(
            user=user,
            action=LegalAction.REGISTER_VIEW,
            reason=DenialReason.ROLE,
            target_type=DISCLOSURE_TARGET,
        )
        raise LifecycleNotFound
    kind = DisclosureKind(kind).value if kind else None
    entries = _entries()
    if kind is not None:
        entries = entries.filter(kind=kind)
    if date_from is not None:
        entries = entries.filter(disclosed_at__date__gte=date_from)
    if date_to is not None:
        entries = entries.filter(disclosed_at__date__lte=date_to)
    audit_event_record(
        event_type=EventType.DISCLOSURE_REGISTER_VIEWED,
        actor=user,
        target_type=DISCLOSURE_TARGET,
        details={
            "scope": "organisation",
            "kind": kind or "",
            "date_from": date_from.isoformat() if date_from else "",
            "date_to": date_to.isoformat() if date_to else "",
        },
    )
    return entries.order_by("-disclosed_at", "-id")


def patient_consents_for_register(*, patient: Patient) -> QuerySet[Consent]:
    """Return the patient's consent records to choose from (labels only, newest first)."""
    return (
        Consent.objects.filter(patient_id=patient.pk)
        .only("id", "patient", "purpose", "status", "recorded_at")
        .order_by("-recorded_at", "-id")
    )


def register_approvers() -> QuerySet[User]:
    """Return the active staff who may be named as having approved a disclosure."""
    return (
        User.objects.filter(is_active=True)
        .only("id", "username", "first_name", "last_name")
        .order_by("last_name", "first_name", "username")
    )


@dataclass(frozen=True)
class ReportLine:
    """One disclosure as the patient reads it."""

    entry: DisclosureEntry
    approved_by: StaffRef | None


@dataclass(frozen=True)
class DisclosureReport:
    """The patient's report: every disclosure, staff by role code unless named."""

    case_code: str
    produced_at: dt.datetime
    identify_staff: bool
    lines: list[ReportLine]


def disclosure_report(
    *, user: AnyUser, patient: Patient, identify_staff: bool = False
) -> DisclosureReport:
    """Return the report "who received my information"; audited DISCLOSURE_REPORT_PRODUCED.

    `patient` comes from `register_patient_get`. Staff who approved a disclosure are shown
    by role code ("Clinician 1") unless `identify_staff`: a report handed to the patient can
    be read by others, and patient files can identify staff.
    """
    entries = list(_entries().filter(patient_id=patient.pk).order_by("disclosed_at", "id"))
    approver_ids = {entry.approved_by_id for entry in entries if entry.approved_by_id}
    users: dict[int, Any] = {
        staff.pk: staff
        for staff in User.objects.filter(pk__in=approver_ids).prefetch_related("groups")
    }
    labels = StaffLabels(users, identify=identify_staff)
    lines = [ReportLine(entry=entry, approved_by=labels(entry.approved_by_id)) for entry in entries]
    patient_event_record(
        event_type=EventType.DISCLOSURE_REPORT_PRODUCED,
        actor=user,
        patient=patient,
        details={"entries": len(lines), "identify_staff": identify_staff},
    )
    return DisclosureReport(
        case_code=patient.case_code,
        produced_at=timezone.now(),
        identify_staff=identify_staff,
        lines=lines,
    )
