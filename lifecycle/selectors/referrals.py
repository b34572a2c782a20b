"""Reading referrals: fetch-and-check, the lists, what a preparer may choose, the trail."""

from __future__ import annotations

import uuid as uuid_module
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from carecore.audit.events import EventType
from carecore.audit.models import AuditEvent
from carecore.audit.services import audit_access_denied, audit_event_record
from patients.auditing import DenialReason, access_denied_record, patient_event_record
from patients.models import Attachment, CareTeamMembership, CareTeamRole, ClinicalNote, Patient
from patients.permissions import Action, note_readable_condition
from patients.selectors import patient_get_for
from patients.selectors.patients import Section as RecordSection

from ..models import Referral, ReferralStatus
from ..permissions.referrals import (
    ReferralAction,
    can_prepare_referral,
    is_privacy_officer,
    referral_annotations,
    referrals_for,
)
from ..services.referrals import REFERRAL_TARGET

if TYPE_CHECKING:
    import datetime as dt

    from django.contrib.auth.models import AnonymousUser

    from carecore.accounts.models import User

    AnyUser = User | AnonymousUser

LIST_MINE = "mine"
LIST_AWAITING = "awaiting"
LIST_ALL = "all"
LIST_CHOICES = (
    (LIST_MINE, _("Prepared by me")),
    (LIST_AWAITING, _("Awaiting my approval")),
    (LIST_ALL, _("All referrals")),
)
TRAIL_EVENTS = (
    EventType.REFERRAL_PREPARED,
    EventType.REFERRAL_APPROVED,
    EventType.REFERRAL_REJECTED,
    EventType.REFERRAL_BLOCKED,
    EventType.REFERRAL_STATUS_CHANGED,
    EventType.REFERRAL_WITHDRAWN,
    EventType.PACKAGE_DOWNLOADED,
)
LIST_FIELDS = (
    "id",
    "uuid",
    "kind",
    "status",
    "prepared_at",
    "status_changed_at",
    "patient_id",
    "partner_id",
    "prepared_by_id",
    "decided_by_id",
    "patient__id",
    "patient__uuid",
    "patient__case_code",
    "partner__id",
    "partner__name",
    "prepared_by__id",
    "prepared_by__username",
    "decided_by__id",
    "decided_by__username",
)


def _uuid(value: object) -> uuid_module.UUID | None:
    try:
        return value if isinstance(value, uuid_module.UUID) else uuid_module.UUID(str(value))
    except ValueError:
        return None


def referral_get_for(
    *, user: AnyUser, uuid: uuid_module.UUID | str, action: ReferralAction = ReferralAction.VIEW
) -> Referral:
    """Return the referral if `user` may do `action` to it, or raise Http404 (audited).

    Missing and forbidden get the same 404. The referral carries `may_<action>` flags for
    every action. Opening it to view writes REFERRAL_VIEWED.
    """
    key = _uuid(uuid)
    referral = None
    if key is not None:
        referral = (
            Referral.objects.filter(uuid=key)
            .select_related("patient", "partner", "prepared_by", "decided_by")
            .only(
                *(f.attname for f in Referral._meta.concrete_fields),
                "patient__id",
                "patient__uuid",
                "patient__case_code",
                "partner__id",
                "partner__name",
                "partner__country",
                "partner__kind",
                "partner__active",
                "prepared_by__id",
                "prepared_by__username",
                "decided_by__id",
                "decided_by__username",
            )
            .annotate(**referral_annotations(user))
            .first()
        )
    if referral is None:
        access_denied_record(
            actor=user,
            action=str(action),
            reason=DenialReason.NOT_FOUND,
            target_type=REFERRAL_TARGET,
        )
        raise Http404
    if not getattr(referral, f"may_{action}"):
        audit_access_denied(
            actor=user,
            action=action,
            reason=DenialReason.POLICY,
            target_type=REFERRAL_TARGET,
            target_id=referral.pk,
            case_code=referral.patient.case_code,
        )
        raise Http404
    if action == ReferralAction.VIEW:
        patient_event_record(
            event_type=EventType.REFERRAL_VIEWED,
            actor=user,
            patient=referral.patient,
            target=referral,
            details={"status": referral.status},
            grant_id=None,
        )
    return referral


def referral_actions_of(referral: Referral) -> frozenset[ReferralAction]:
    """Return the actions flagged on a referral fetched by `referral_get_for`."""
    return frozenset(action for action in ReferralAction if getattr(referral, f"may_{action}"))


def _awaiting_for(user: AnyUser) -> QuerySet[Referral]:
    return referrals_for(user, ReferralAction.APPROVE).filter(
        status=ReferralStatus.AWAITING_APPROVAL
    )


def referral_list_choices(user: AnyUser) -> list[tuple[str, Any]]:
    """Return the lists `user` may open (all referrals: privacy officers only)."""
    return [
        (key, label) for key, label in LIST_CHOICES if key != LIST_ALL or is_privacy_officer(user)
    ]


def referrals_list(
    *, user: AnyUser, show: str = LIST_MINE, patient: Patient | None = None
) -> QuerySet[Referral]:
    """Return a list of referrals, newest first, ready to paginate (REFERRAL_LIST_VIEWED).

    `show`: "mine" (prepared by the user), "awaiting" (awaiting the user's approval as lead
    or privacy officer), "all" (privacy officers). With `patient` (already fetched through
    the patient policy), every referral of that patient the user may see.
    """
    if patient is not None:
        referrals = referrals_for(user).filter(patient_id=patient.pk)
        show = "patient"
    elif show == LIST_AWAITING:
        referrals = _awaiting_for(user)
    elif show == LIST_ALL and is_privacy_officer(user):
        referrals = referrals_for(user)
    else:
        show = LIST_MINE
        referrals = referrals_for(user).filter(prepared_by_id=user.pk)
    audit_event_record(
        event_type=EventType.REFERRAL_LIST_VIEWED,
        actor=user,
        target_type=REFERRAL_TARGET,
        case_code=patient.case_code if patient is not None else "",
        details={"list": show, "patient": patient.pk if patient is not None else None},
    )
    return (
        referrals.select_related("patient", "partner", "prepared_by", "decided_by")
        .only(*LIST_FIELDS)
        .order_by("-prepared_at", "-id")
    )


def referral_awaiting_count(*, user: AnyUser) -> int:
    """Return how many referrals await `user`'s approval (ids only: not audited)."""
    return _awaiting_for(user).count()


def referral_patient_get(*, user: AnyUser, patient_uuid: object) -> Patient:
    """Return a patient whose referrals `user` may list (clinical access), or raise 404."""
    return patient_get_for(
        user=user,
        action=Action.VIEW_CLINICAL,
        uuid=str(patient_uuid),
        section=RecordSection.OVERVIEW,
    )


@dataclass(frozen=True)
class NoteChoice:
    id: int
    encounter_date: dt.date
    note_type: str
    note_type_label: str
    restricted: bool


@dataclass(frozen=True)
class AttachmentChoice:
    id: int
    uploaded_at: dt.datetime
    filename: str
    type_label: str
    size: int


@dataclass(frozen=True)
class PrepareContext:
    """What the preparer may choose from, for one patient."""

    patient: Patient
    notes: list[NoteChoice]
    attachments: list[AttachmentChoice]
    may_add_restricted: bool


def referral_prepare_context(*, user: AnyUser, patient_uuid: object) -> PrepareContext:
    """Return the patient and the notes and attachments `user` may put in a referral.

    Only a clinician on the patient's active care team (404 and ACCESS_DENIED otherwise).
    Notes are listed by date and type only (restricted ones only if the user may read
    them); the patient's record read is audited as PATIENT_VIEWED.
    """
    patient = patient_get_for(
        user=user, action=Action.VIEW_CLINICAL, uuid=str(patient_uuid), section=RecordSection.NOTES
    )
    if not can_prepare_referral(user, patient):
        access_denied_record(
            actor=user, action="referral_prepare", reason=DenialReason.POLICY, patient=patient
        )
        raise Http404
    notes = [
        NoteChoice(
            id=note.pk,
            encounter_date=note.encounter_date,
            note_type=note.note_type,
            note_type_label=note.get_note_type_display(),
            restricted=note.is_restricted,
        )
        for note in ClinicalNote.objects.filter(patient_id=patient.pk)
        .filter(note_readable_condition(user))
        .only("id", "encounter_date", "note_type", "sensitivity")
        .order_by("-encounter_date", "-recorded_at", "-id")
    ]
    attachments = [
        AttachmentChoice(
            id=attachment.pk,
            uploaded_at=attachment.uploaded_at,
            filename=attachment.original_filename,
            type_label=attachment.get_content_type_display(),
            size=attachment.size,
        )
        for attachment in Attachment.objects.filter(patient_id=patient.pk)
        .only("id", "uploaded_at", "original_filename", "content_type", "size")
        .order_by("-uploaded_at", "-id")
    ]
    may_restricted = (
        CareTeamMembership.objects.active()
        .filter(
            Q(role=CareTeamRole.LEAD) | Q(restricted_access=True),
            patient_id=patient.pk,
            clinician_id=user.pk,
        )
        .exists()
    )
    return PrepareContext(
        patient=patient, notes=notes, attachments=attachments, may_add_restricted=may_restricted
    )


def referral_chosen_notes(*, referral: Referral) -> list[NoteChoice]:
    """Return the notes chosen for a referral by date and type (never their text)."""
    return [
        NoteChoice(
            id=note.pk,
            encounter_date=note.encounter_date,
            note_type=note.note_type,
            note_type_label=note.get_note_type_display(),
            restricted=note.is_restricted,
        )
        for note in ClinicalNote.objects.filter(
            patient_id=referral.patient_id, pk__in=referral.note_ids
        )
        .only("id", "encounter_date", "note_type", "sensitivity")
        .order_by("-encounter_date", "-id")
    ]


def referral_chosen_attachment_count(*, referral: Referral) -> int:
    """Return how many of the chosen attachments exist."""
    return Attachment.objects.filter(
        patient_id=referral.patient_id, pk__in=referral.attachment_ids
    ).count()


@dataclass(frozen=True)
class TrailStep:
    event_type: int
    label: str
    occurred_at: dt.datetime
    actor: str
    outcome: str
    status: str
    status_label: str


def referral_trail(*, referral: Referral) -> list[TrailStep]:
    """Return who did what to the referral and when, oldest first, from its audit events."""
    events = (
        AuditEvent.objects.filter(
            target_type=REFERRAL_TARGET,
            target_id=str(referral.pk),
            event_type__in=[int(event) for event in TRAIL_EVENTS],
        )
        .select_related("actor")
        .only("id", "event_type", "occurred_at", "outcome", "details", "actor__username")
        .order_by("occurred_at", "id")
    )
    steps = []
    for event in events:
        status = str(event.details.get("status", ""))
        try:
            status_label = str(ReferralStatus(status).label)
        except ValueError:
            status_label = ""
        steps.append(
            TrailStep(
                event_type=event.event_type,
                label=event.get_event_type_display(),
                occurred_at=event.occurred_at,
                actor=event.actor.username if event.actor is not None else "",
                outcome=event.outcome,
                status=status,
                status_label=status_label,
            )
        )
    return steps
