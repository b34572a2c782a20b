"""Oversight reads: who accessed a record, the break-glass review queue, privacy notifications."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import F, QuerySet

from carecore.audit.events import EventType
from carecore.audit.models import AuditEvent

from ..auditing import DenialReason, access_denied_record, patient_event_record
from ..exceptions import NOT_A_PRIVACY_OFFICER, ActionRefused, PatientNotFound
from ..models import BreakGlassGrant, Patient, PrivacyNotification, ReviewOutcome
from ..permissions import IDENTITY_FIELDS, Action, can, can_review_break_glass

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from carecore.accounts.models import User

    AnyUser = User | AnonymousUser

REVIEW_ACTION = "review_break_glass"
# Never the reason or the review note: those are read one grant at a time, audited.
GRANT_LIST_FIELDS = (
    "id",
    "clinician_id",
    "patient_id",
    "granted_at",
    "expires_at",
    "lapsed_at",
    "review_outcome",
    "reviewed_by_id",
    "reviewed_at",
)


def _patient_reference(path: str) -> dict[str, F]:
    # Case code and UUID as plain annotations: a related Patient instance would load any
    # other field on first touch, outside the policy's field guard.
    return {"patient_case_code": F(f"{path}__case_code"), "patient_uuid": F(f"{path}__uuid")}


def patient_access_log(*, actor: AnyUser, patient: Patient) -> QuerySet[AuditEvent]:
    """Return every audit event about `patient`, newest first, for its lead or a privacy officer.

    Events are matched by case code, which every patient event carries (views, changes,
    denials, break-glass, duplicate-check hits). The viewing itself is audited first as
    PATIENT_ACCESS_LOG_VIEWED, so it is the newest row. Anyone else: PatientNotFound (404).
    """
    if not can(actor, Action.VIEW_ACCESS_LOG, patient):
        access_denied_record(
            actor=actor,
            action=Action.VIEW_ACCESS_LOG,
            reason=DenialReason.POLICY,
            patient=patient,
        )
        raise PatientNotFound
    patient_event_record(
        event_type=EventType.PATIENT_ACCESS_LOG_VIEWED, actor=actor, patient=patient
    )
    return (
        AuditEvent.objects.filter(case_code=patient.case_code)
        .select_related("actor")
        .order_by("-occurred_at", "-id")
    )


def _require_privacy_officer(user: AnyUser) -> None:
    if not can_review_break_glass(user):
        access_denied_record(
            actor=user,
            action=REVIEW_ACTION,
            reason=DenialReason.ROLE,
            target_type="patients.breakglassgrant",
        )
        raise ActionRefused(NOT_A_PRIVACY_OFFICER)


def break_glass_review_queue(
    *, user: AnyUser, include_reviewed: bool = False
) -> QuerySet[BreakGlassGrant]:
    """Return break-glass grants for privacy officers: pending ones, oldest first.

    Reasons and review notes are not loaded here: open one grant with
    `break_glass_grant_for_review` to read them (audited). Others: ActionRefused.
    """
    _require_privacy_officer(user)
    grants = BreakGlassGrant.objects.all()
    if not include_reviewed:
        grants = grants.filter(review_outcome=ReviewOutcome.PENDING)
    return (
        grants.select_related("clinician", "reviewed_by")
        .only(*GRANT_LIST_FIELDS, "clinician__username", "reviewed_by__username")
        .annotate(**_patient_reference("patient"))
        .order_by("granted_at", "id")
    )


def break_glass_grant_for_review(*, user: AnyUser, grant_id: int) -> BreakGlassGrant:
    """Return one grant with its reason for a privacy officer, audited; or raise."""
    _require_privacy_officer(user)
    grant = (
        BreakGlassGrant.objects.select_related("clinician")
        .only(*GRANT_LIST_FIELDS, "reason", "review_note", "clinician__username")
        .filter(pk=grant_id)
        .first()
    )
    if grant is None:
        raise PatientNotFound
    # The patient as identity only, guarded: the review needs its case code, nothing else.
    grant.patient = Patient.objects.limited_to(IDENTITY_FIELDS).get(pk=grant.patient_id)
    patient_event_record(
        event_type=EventType.BREAK_GLASS_GRANT_VIEWED,
        actor=user,
        patient=grant.patient,
        target=grant,
        details={"break_glass_grant_reviewed": grant.pk},
    )
    return grant


def break_glass_grants_in_force_for(*, user: AnyUser) -> QuerySet[BreakGlassGrant]:
    """Return `user`'s own grants in force, the soonest to end first."""
    return (
        BreakGlassGrant.objects.in_force()
        .filter(clinician_id=user.pk)
        .only(*GRANT_LIST_FIELDS)
        .annotate(**_patient_reference("patient"))
        .order_by("expires_at")
    )


def privacy_notifications_for(
    *, user: AnyUser, unread_only: bool = True
) -> QuerySet[PrivacyNotification]:
    """Return `user`'s privacy notifications, newest first (case codes only, no reasons)."""
    notifications = PrivacyNotification.objects.filter(recipient_id=user.pk)
    if unread_only:
        notifications = notifications.filter(read_at__isnull=True)
    return (
        notifications.select_related("break_glass_grant")
        .only(
            "id",
            "kind",
            "created_at",
            "read_at",
            "recipient_id",
            "break_glass_grant_id",
            *(f"break_glass_grant__{name}" for name in GRANT_LIST_FIELDS),
        )
        .annotate(
            **_patient_reference("break_glass_grant__patient"),
            clinician_username=F("break_glass_grant__clinician__username"),
        )
        .order_by("-created_at", "-id")
    )


def privacy_notifications_unread_count(*, user: AnyUser) -> int:
    """Return how many privacy notifications `user` has not read."""
    return PrivacyNotification.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()
