"""Who may see and act on case transfer requests.

A request is visible to its requester, the supervisor they chose, the receiving clinician it
is currently offered to, and managers (metadata only). The reason is readable by the chosen
supervisor alone: the requester wrote it, but once submitted it is not shown again, and
neither managers nor the receiver ever see it. The handover note is readable by the
requester, the receiver and the chosen supervisor.

Receiving clinicians: any active clinician except the requester. A clinician already on the
care team may be chosen (they know the patient, often the best receiver); accepting then
only promotes them to lead when the requester was the lead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from carecore.accounts.models import User
from carecore.accounts.permissions import is_active_user
from carecore.accounts.roles import Role
from carecore.refusals import Refusal

from ..models.transfers import OPEN_STATUSES, CaseTransferRequest, TransferStatus

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    AnyUser = User | AnonymousUser

TARGET = "supervision.casetransferrequest"

# Same text for a missing and a forbidden request: nothing to learn by probing.
NOT_FOUND = _("No transfer request matches this reference.")
REASON_REQUIRED = _("Say why you want to hand over this case.")
REASON_TOO_LONG = _("The reason can be at most 4000 characters.")
HANDOVER_REQUIRED = _("Write a handover note before accepting the case.")
HANDOVER_TOO_LONG = _("The handover note can be at most 4000 characters.")
SUPERVISOR_INVALID = _("Choose a supervisor other than yourself from the list.")
RECEIVER_INVALID = _("Choose an active clinician other than the requester from the list.")
ALREADY_OPEN = _(
    "You already have an open transfer request for this case. Withdraw it before asking again."
)
NOT_OPEN = _("This transfer request is no longer open.")
NOT_ASSIGNED = _("This case is not currently offered to you.")
REQUESTER_LEFT_TEAM = _(
    "The requesting clinician is no longer on this case's care team, so it cannot be handed "
    "over. Ask the supervisor to withdraw or reassign the request."
)

TEXT_MAX_LENGTH = 4000


class TransferNotFound(Http404):
    """The request does not exist or the user may not see it: always the same 404."""

    def __init__(self) -> None:
        super().__init__(NOT_FOUND)


class TransferInvalid(Refusal):
    """The request breaks a rule (a form error); nothing was saved. `str()` is the constant."""


def _has(user: AnyUser, role: Role) -> bool:
    return is_active_user(user) and user.has_role(role)  # type: ignore[union-attr]


def is_transfer_manager(user: AnyUser) -> bool:
    """Return whether `user` oversees every transfer request (managers; metadata only)."""
    return _has(user, Role.MANAGER)


def can_request_transfer(user: AnyUser) -> bool:
    """Return whether `user` may ask to hand over a case at all (active clinicians)."""
    return _has(user, Role.CLINICIAN)


def transfer_list_sections(user: AnyUser) -> list[str]:
    """Return the sections of the transfer list `user` may see, in page order.

    "mine" (requests made) and "offered" (cases offered to take) for clinicians,
    "supervising" (requests to decide) for supervisors, "open" (all open) for managers.
    """
    sections = []
    if _has(user, Role.CLINICIAN):
        sections.append("mine")
    if _has(user, Role.SUPERVISOR):
        sections.append("supervising")
    if _has(user, Role.CLINICIAN):
        sections.append("offered")
    if is_transfer_manager(user):
        sections.append("open")
    return sections


def transfers_visible_to(user: AnyUser) -> QuerySet[CaseTransferRequest, Any]:
    """Return the requests whose metadata `user` may see."""
    if not is_active_user(user):
        return CaseTransferRequest.objects.none()
    if is_transfer_manager(user):
        return CaseTransferRequest.objects.all()
    return CaseTransferRequest.objects.filter(
        Q(requester_id=user.pk) | Q(supervisor_id=user.pk) | Q(receiver_id=user.pk)
    )


def transfers_assignable_by(user: AnyUser) -> QuerySet[CaseTransferRequest, Any]:
    """Return the requests `user` may choose a receiving clinician for (any status)."""
    if not is_active_user(user):
        return CaseTransferRequest.objects.none()
    if is_transfer_manager(user):
        return CaseTransferRequest.objects.all()
    return CaseTransferRequest.objects.filter(supervisor_id=user.pk)


def transfers_offered_to(user: AnyUser) -> QuerySet[CaseTransferRequest, Any]:
    """Return the requests whose case is (or was, once accepted) offered to `user`."""
    if not is_active_user(user):
        return CaseTransferRequest.objects.none()
    return CaseTransferRequest.objects.filter(receiver_id=user.pk)


def transfers_requested_by(user: AnyUser) -> QuerySet[CaseTransferRequest, Any]:
    """Return the requests `user` made."""
    if not is_active_user(user):
        return CaseTransferRequest.objects.none()
    return CaseTransferRequest.objects.filter(requester_id=user.pk)


def is_open(transfer: CaseTransferRequest) -> bool:
    """Return whether the request still awaits a decision."""
    return transfer.status in OPEN_STATUSES


def can_read_reason(user: AnyUser, transfer: CaseTransferRequest) -> bool:
    """Return whether `user` may read the reason: the chosen supervisor, and nobody else."""
    return is_active_user(user) and user.pk == transfer.supervisor_id


def can_read_handover(user: AnyUser, transfer: CaseTransferRequest) -> bool:
    """Return whether `user` may read the handover note of an accepted request."""
    return (
        is_active_user(user)
        and transfer.status == TransferStatus.ACCEPTED
        and user.pk in {transfer.requester_id, transfer.receiver_id, transfer.supervisor_id}
    )


def can_assign(user: AnyUser, transfer: CaseTransferRequest) -> bool:
    """Return whether `user` may choose (or change) the receiving clinician now."""
    return is_open(transfer) and (
        (is_active_user(user) and user.pk == transfer.supervisor_id) or is_transfer_manager(user)
    )


def can_respond(user: AnyUser, transfer: CaseTransferRequest) -> bool:
    """Return whether `user` may accept or decline the case now."""
    return (
        _has(user, Role.CLINICIAN)
        and transfer.status == TransferStatus.ASSIGNED
        and user.pk == transfer.receiver_id
    )


def can_withdraw(user: AnyUser, transfer: CaseTransferRequest) -> bool:
    """Return whether `user` may withdraw the request now (its requester, before acceptance)."""
    return is_active_user(user) and user.pk == transfer.requester_id and is_open(transfer)


def supervisor_choices_for(user: User) -> QuerySet[User, Any]:
    """Return the people `user` may address a request to: active supervisors but themselves."""
    return (
        User.objects.filter(is_active=True, groups__name=Role.SUPERVISOR)
        .exclude(pk=user.pk)
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


def is_valid_supervisor(user: AnyUser, supervisor: User) -> bool:
    """Return whether `supervisor` may receive a request from `user`."""
    return (
        supervisor.pk != user.pk and supervisor.is_active and supervisor.has_role(Role.SUPERVISOR)
    )


def receiver_candidates_for(transfer: CaseTransferRequest) -> QuerySet[User, Any]:
    """Return the clinicians who may receive the case: active clinicians but the requester."""
    return (
        User.objects.filter(is_active=True, groups__name=Role.CLINICIAN)
        .exclude(pk=transfer.requester_id)
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


def is_valid_receiver(transfer: CaseTransferRequest, receiver: User) -> bool:
    """Return whether `receiver` may be offered the case."""
    return (
        receiver.pk != transfer.requester_id
        and receiver.is_active
        and receiver.has_role(Role.CLINICIAN)
    )
