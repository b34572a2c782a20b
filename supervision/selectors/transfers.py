"""Reads of case transfer requests: lists and dashboard figures (metadata only), one request,
its reason (chosen supervisor only, audited) and the receiving clinicians with their caseload.

Lists are built from `.values()` rows turned into `TransferSummary`, which has no reason and
no handover note: a template or dashboard cannot show what the summary does not hold.
"""

from __future__ import annotations

import datetime as dt
import uuid as uuid_module
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models import QuerySet

from carecore.audit.events import EventType
from patients.auditing import DenialReason, access_denied_record, patient_event_record
from patients.models import CareTeamMembership, Patient, PatientStatus

from ..models import CaseTransferRequest, SupervisionAgreement, TransferStatus
from ..models.transfers import OPEN_STATUSES
from ..permissions.transfers import (
    TARGET,
    TransferNotFound,
    can_assign,
    can_read_handover,
    can_read_reason,
    can_respond,
    can_withdraw,
    is_active_user,
    is_transfer_manager,
    receiver_candidates_for,
    transfers_assignable_by,
    transfers_offered_to,
    transfers_requested_by,
    transfers_visible_to,
)
from .caseload import CaseloadAssessment, CaseloadFlag, caseload_assessments

if TYPE_CHECKING:
    from carecore.accounts.models import User

_PEOPLE = ("requester", "supervisor", "receiver", "assigned_by")
_PERSON_FIELDS = ("id", "username", "first_name", "last_name")
SUMMARY_FIELDS: tuple[str, ...] = (
    "uuid",
    "status",
    "requested_at",
    "assigned_at",
    "closed_at",
    "patient__uuid",
    "patient__case_code",
    *(f"{who}__{field}" for who in _PEOPLE for field in _PERSON_FIELDS),
)
# The columns a single request is loaded with: never the reason or the handover note.
_INSTANCE_FIELDS: tuple[str, ...] = (
    "uuid",
    "status",
    "requested_at",
    "assigned_at",
    "closed_at",
    "patient",
    *_PEOPLE,
    "patient__uuid",
    "patient__case_code",
    "patient__status",
    *(f"{who}__{field}" for who in _PEOPLE for field in (*_PERSON_FIELDS, "is_active")),
)


class TransferPurpose(models.TextChoices):
    """What a fetched request is for; each has its own relationship rule and denial action."""

    VIEW = "transfer_view"
    ASSIGN = "transfer_assign"
    RESPOND = "transfer_respond"
    WITHDRAW = "transfer_withdraw"


@dataclass(frozen=True)
class Person:
    id: int
    name: str


@dataclass(frozen=True)
class TransferSummary:
    """A request's metadata: never its reason or handover note."""

    uuid: uuid_module.UUID
    case_code: str
    patient_uuid: uuid_module.UUID
    status: str
    requester: Person
    supervisor: Person
    receiver: Person | None
    assigned_by: Person | None
    requested_at: dt.datetime
    assigned_at: dt.datetime | None
    closed_at: dt.datetime | None

    @property
    def status_label(self) -> str:
        return str(TransferStatus(self.status).label)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


@dataclass(frozen=True)
class TransferDetail:
    """One request as `viewer` may see it; `reason` and `handover_note` are None when not theirs."""

    summary: TransferSummary
    reason: str | None
    handover_note: str | None
    viewer_is_requester: bool
    viewer_is_supervisor: bool
    may_assign: bool
    may_respond: bool
    may_withdraw: bool


@dataclass(frozen=True)
class ReceiverCandidate:
    """A clinician who may receive the case, with their caseload against the guidelines."""

    person: Person
    caseload: CaseloadAssessment
    on_care_team: bool

    @property
    def flag_labels(self) -> list[str]:
        return [str(CaseloadFlag(flag).label) for flag in self.caseload.flags]


def _name(first: str, last: str, username: str) -> str:
    return f"{first} {last}".strip() or username


def _person_from_row(row: dict[str, Any], who: str) -> Person | None:
    person_id = row[f"{who}__id"]
    if person_id is None:
        return None
    return Person(
        id=person_id,
        name=_name(row[f"{who}__first_name"], row[f"{who}__last_name"], row[f"{who}__username"]),
    )


def _person_from_user(user: User | None) -> Person | None:
    if user is None:
        return None
    return Person(id=user.pk, name=_name(user.first_name, user.last_name, user.username))


def transfer_rows(queryset: QuerySet[CaseTransferRequest, Any]) -> QuerySet[Any, Any]:
    """Return `queryset` newest first as metadata rows (dicts), for paging and summaries."""
    return queryset.order_by("-requested_at", "-id").values(*SUMMARY_FIELDS)


def transfer_summaries(rows: Any) -> list[TransferSummary]:
    """Return a summary for each row from `transfer_rows` (for example a page of them)."""
    summaries = []
    for row in rows:
        requester = _person_from_row(row, "requester")
        supervisor = _person_from_row(row, "supervisor")
        assert requester is not None and supervisor is not None  # noqa: S101 (NOT NULL columns)
        summaries.append(
            TransferSummary(
                uuid=row["uuid"],
                case_code=row["patient__case_code"],
                patient_uuid=row["patient__uuid"],
                status=row["status"],
                requester=requester,
                supervisor=supervisor,
                receiver=_person_from_row(row, "receiver"),
                assigned_by=_person_from_row(row, "assigned_by"),
                requested_at=row["requested_at"],
                assigned_at=row["assigned_at"],
                closed_at=row["closed_at"],
            )
        )
    return summaries


def transfer_summary_of(transfer: CaseTransferRequest) -> TransferSummary:
    """Return the summary of a request fetched by `transfer_get_for`."""
    requester = _person_from_user(transfer.requester)
    supervisor = _person_from_user(transfer.supervisor)
    assert requester is not None and supervisor is not None  # noqa: S101 (NOT NULL columns)
    return TransferSummary(
        uuid=transfer.uuid,
        case_code=transfer.patient.case_code,
        patient_uuid=transfer.patient.uuid,
        status=transfer.status,
        requester=requester,
        supervisor=supervisor,
        receiver=_person_from_user(transfer.receiver),
        assigned_by=_person_from_user(transfer.assigned_by),
        requested_at=transfer.requested_at,
        assigned_at=transfer.assigned_at,
        closed_at=transfer.closed_at,
    )


# --- the list page's sections (row querysets, paged by the view) ---------------------------


def transfers_mine_rows(*, user: User) -> QuerySet[Any, Any]:
    """Return the rows of every request `user` made."""
    return transfer_rows(transfers_requested_by(user))


def transfers_supervising_rows(*, user: User) -> QuerySet[Any, Any]:
    """Return the rows of every request addressed to `user` as the chosen supervisor."""
    if not is_active_user(user):
        return CaseTransferRequest.objects.none().values()
    return transfer_rows(CaseTransferRequest.objects.filter(supervisor_id=user.pk))


def transfers_offered_rows(*, user: User) -> QuerySet[Any, Any]:
    """Return the rows of the cases offered to `user` (awaiting them, or accepted by them)."""
    return transfer_rows(transfers_offered_to(user))


def transfers_all_open_rows(*, user: User) -> QuerySet[Any, Any]:
    """Return the rows of every open request, for managers; no rows for anyone else."""
    if not is_transfer_manager(user):
        return CaseTransferRequest.objects.none().values()
    return transfer_rows(CaseTransferRequest.objects.filter(status__in=OPEN_STATUSES))


# --- for dashboards: metadata only ----------------------------------------------------------


def transfers_open_count(*, user: User) -> int:
    """Return how many open requests `user` may see (all of them for a manager), in one query."""
    return transfers_visible_to(user).filter(status__in=OPEN_STATUSES).count()


def _limited(rows: QuerySet[Any, Any], limit: int | None) -> list[TransferSummary]:
    return transfer_summaries(rows if limit is None else rows[:limit])


def transfers_open_for_supervisor(*, user: User, limit: int | None = None) -> list[TransferSummary]:
    """Return the open requests addressed to `user` as supervisor, newest first."""
    return _limited(transfers_supervising_rows(user=user).filter(status__in=OPEN_STATUSES), limit)


def transfers_open_for_requester(*, user: User, limit: int | None = None) -> list[TransferSummary]:
    """Return `user`'s own open requests, newest first."""
    return _limited(transfers_mine_rows(user=user).filter(status__in=OPEN_STATUSES), limit)


def transfers_open_offered_to(*, user: User, limit: int | None = None) -> list[TransferSummary]:
    """Return the cases waiting for `user` to accept or decline, newest first."""
    return _limited(transfers_offered_rows(user=user).filter(status=TransferStatus.ASSIGNED), limit)


def transfers_open_all(*, user: User, limit: int | None = None) -> list[TransferSummary]:
    """Return every open request for a manager (empty for anyone else), newest first."""
    return _limited(transfers_all_open_rows(user=user), limit)


# --- one request ----------------------------------------------------------------------------


def _allowed_for(user: User, purpose: TransferPurpose) -> QuerySet[CaseTransferRequest, Any]:
    if purpose == TransferPurpose.ASSIGN:
        return transfers_assignable_by(user)
    if purpose == TransferPurpose.RESPOND:
        return transfers_offered_to(user)
    if purpose == TransferPurpose.WITHDRAW:
        return transfers_requested_by(user)
    return transfers_visible_to(user)


def transfer_denied_record(
    *, user: User, purpose: TransferPurpose | str, transfer_id: int | None
) -> None:
    """Write the ACCESS_DENIED event for a refused request; call it outside any transaction."""
    access_denied_record(
        actor=user,
        action=purpose,
        reason=DenialReason.POLICY if transfer_id is not None else DenialReason.NOT_FOUND,
        target_type=TARGET,
        target_id=transfer_id if transfer_id is not None else "",
        grant_id=None,
    )


def transfer_get_for(
    *, user: User, transfer_uuid: uuid_module.UUID | str, purpose: TransferPurpose
) -> CaseTransferRequest:
    """Return the request if `user` may use it for `purpose`, without its reason; else 404.

    Missing, malformed and forbidden references get the same 404 and an ACCESS_DENIED event
    (with the request's id only when it exists).
    """
    try:
        key = uuid_module.UUID(str(transfer_uuid))
    except ValueError:
        key = None
    transfer = None
    if key is not None:
        transfer = (
            _allowed_for(user, purpose)
            .filter(uuid=key)
            .select_related("patient", *_PEOPLE)
            .only(*_INSTANCE_FIELDS)
            .first()
        )
    if transfer is None:
        existing = (
            CaseTransferRequest.objects.filter(uuid=key).values_list("pk", flat=True).first()
            if key is not None
            else None
        )
        transfer_denied_record(user=user, purpose=purpose, transfer_id=existing)
        raise TransferNotFound
    return transfer


def transfer_reason_read(*, user: User, transfer: CaseTransferRequest) -> str:
    """Return the reason to the chosen supervisor, audited before it is read; else 404."""
    if not can_read_reason(user, transfer):
        transfer_denied_record(user=user, purpose="transfer_reason", transfer_id=transfer.pk)
        raise TransferNotFound
    patient_event_record(
        event_type=EventType.TRANSFER_REASON_VIEWED,
        actor=user,
        patient=transfer.patient,
        target=transfer,
        details={"patient": transfer.patient_id},
        grant_id=None,
    )
    reason: str = CaseTransferRequest.objects.values_list("reason", flat=True).get(pk=transfer.pk)
    return reason


def transfer_handover_read(*, user: User, transfer: CaseTransferRequest) -> str:
    """Return the handover note to the requester, receiver or supervisor, audited; else 404."""
    if not can_read_handover(user, transfer):
        transfer_denied_record(user=user, purpose="transfer_handover", transfer_id=transfer.pk)
        raise TransferNotFound
    patient_event_record(
        event_type=EventType.TRANSFER_HANDOVER_VIEWED,
        actor=user,
        patient=transfer.patient,
        target=transfer,
        details={"patient": transfer.patient_id},
        grant_id=None,
    )
    note: str | None = CaseTransferRequest.objects.values_list("handover_note", flat=True).get(
        pk=transfer.pk
    )
    return note or ""


def transfer_detail_for(*, user: User, transfer_uuid: uuid_module.UUID | str) -> TransferDetail:
    """Return one request as `user` may see it; the reason only for the chosen supervisor."""
    transfer = transfer_get_for(
        user=user, transfer_uuid=transfer_uuid, purpose=TransferPurpose.VIEW
    )
    return TransferDetail(
        summary=transfer_summary_of(transfer),
        reason=(
            transfer_reason_read(user=user, transfer=transfer)
            if can_read_reason(user, transfer)
            else None
        ),
        handover_note=(
            transfer_handover_read(user=user, transfer=transfer)
            if can_read_handover(user, transfer)
            else None
        ),
        viewer_is_requester=user.pk == transfer.requester_id,
        viewer_is_supervisor=user.pk == transfer.supervisor_id,
        may_assign=can_assign(user, transfer),
        may_respond=can_respond(user, transfer),
        may_withdraw=can_withdraw(user, transfer),
    )


# --- asking: the requester's own cases ------------------------------------------------------


def transfer_patients_for(user: User) -> QuerySet[Patient, Any]:
    """Return the active patients on whose care team `user` is now (case code and ids only)."""
    if not is_active_user(user):
        return Patient.objects.none()
    on_team = CareTeamMembership.objects.active().filter(clinician_id=user.pk)
    return (
        Patient.objects.filter(pk__in=on_team.values("patient_id"), status=PatientStatus.ACTIVE)
        .only("id", "uuid", "case_code", "status")
        .order_by("case_code")
    )


def transfer_patient_for(*, user: User, patient_uuid: uuid_module.UUID | str) -> Patient:
    """Return one of `user`'s own active cases; else ACCESS_DENIED and 404 (no probing)."""
    try:
        key = uuid_module.UUID(str(patient_uuid))
    except ValueError:
        key = None
    patient = transfer_patients_for(user).filter(uuid=key).first() if key is not None else None
    if patient is None:
        target = (
            Patient.objects.only("id", "case_code").filter(uuid=key).first()
            if key is not None
            else None
        )
        access_denied_record(
            actor=user,
            action="transfer_request",
            reason=DenialReason.POLICY if target is not None else DenialReason.NOT_FOUND,
            patient=target,
            grant_id=None,
        )
        raise TransferNotFound
    return patient


def default_supervisor_id(user: User) -> int | None:
    """Return the id of `user`'s active clinical supervisor, if they have one."""
    supervisor_id: int | None = (
        SupervisionAgreement.objects.filter(supervisee_id=user.pk, active=True)
        .values_list("supervisor_id", flat=True)
        .first()
    )
    return supervisor_id


# --- choosing the receiver ------------------------------------------------------------------


def _headroom_key(candidate: ReceiverCandidate) -> tuple[Decimal, Decimal, str]:
    return (
        -candidate.caseload.patient_headroom,
        -candidate.caseload.points_headroom,
        candidate.person.name.lower(),
    )


def receiver_candidates(*, transfer: CaseTransferRequest) -> list[ReceiverCandidate]:
    """Return who may receive the case with their caseload, most headroom first.

    Five queries whatever the number of clinicians: the candidates, the care team, and the
    caseload assessment's three.
    """
    people = list(
        receiver_candidates_for(transfer).values_list("id", "first_name", "last_name", "username")
    )
    on_team = set(
        CareTeamMembership.objects.active()
        .filter(patient_id=transfer.patient_id)
        .values_list("clinician_id", flat=True)
    )
    caseloads = caseload_assessments(clinician_ids=[row[0] for row in people])
    candidates = [
        ReceiverCandidate(
            person=Person(id=pk, name=_name(first, last, username)),
            caseload=caseloads[pk],
            on_care_team=pk in on_team,
        )
        for pk, first, last, username in people
    ]
    return sorted(candidates, key=_headroom_key)
