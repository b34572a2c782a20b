"""Who may see, schedule, change and log supervision sessions and management meetings.

Parties to a session are its host, its supervisee (individual) and the members of its group
(group). Everyone else (managers, admins, other clinicians, a line manager or supervisor who
is not a party) is refused exactly like a missing session. The purpose is part of every check:
a clinical supervisor has no say over management meetings and the other way round, even when
they are the same person.

Who arranges a session:
- clinical, individual: the supervisee's supervisor under an active agreement (the host);
- clinical, group: the facilitator of an active group (the host);
- management, individual: the person's line manager (`WorkProfile.line_manager`, the host);
- management, group: not offered. A group has a clinical facilitator, not a line manager;
  management matters are discussed one to one (`GROUP_MEETINGS_NOT_OFFERED`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from carecore.accounts.models import User
from carecore.accounts.permissions import is_active_user
from carecore.audit.services import audit_access_denied
from carecore.refusals import Refusal

from ..models import (
    SessionAttendance,
    SessionKind,
    SessionPurpose,
    SupervisionAction,
    SupervisionAgreement,
    SupervisionGroup,
    SupervisionGroupMember,
    SupervisionSession,
    WorkProfile,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    AnyUser = User | AnonymousUser

SESSION_TARGET = "supervision.supervisionsession"
ACTION_TARGET = "supervision.supervisionaction"

# Same text for a missing and a forbidden session: nothing to learn by probing.
SESSION_NOT_FOUND = _("Nothing matches this reference.")
NOBODY_TO_SCHEDULE = _(
    "You have nobody to arrange this with: only a supervisor (for their supervisees or the "
    "group they facilitate) or a line manager (for their line reports) can."
)
NOT_THE_HOST = _("Only the person who hosts this session can change or log it.")
GROUP_MEETINGS_NOT_OFFERED = _(
    "Management meetings are held one to one; choose one of your line reports."
)


class DenialReason:
    """Why a session request was refused; recorded in the ACCESS_DENIED event."""

    NOT_FOUND = "not_found"  # no such session, or of the other purpose
    POLICY = "policy"  # the session exists; this user is not a party to it
    ROLE = "role"  # no relationship that allows the action at all


class SessionNotFound(Http404):
    """The session does not exist or the user may not see it: always the same 404."""

    def __init__(self) -> None:
        super().__init__(SESSION_NOT_FOUND)


class SessionError(Refusal):
    """Base of the refusals below; `str()` gives the constant message."""


class SessionActionRefused(SessionError, PermissionDenied):
    """The user lacks the relationship for an action."""


class SessionInvalid(SessionError):
    """The request breaks a rule (a form error); nothing was saved."""


def access_denied_record(
    *,
    actor: AnyUser,
    action: str,
    reason: str,
    target_type: str = SESSION_TARGET,
    target_id: str | int = "",
) -> None:
    """Write the ACCESS_DENIED event for a refusal; call it outside the refused transaction."""
    audit_access_denied(
        actor=actor, action=action, reason=reason, target_type=target_type, target_id=target_id
    )


# --- relationships --------------------------------------------------------------------------


def supervisees_of(user: AnyUser, purpose: str) -> QuerySet[User, User]:
    """Return the people `user` may arrange individual sessions of `purpose` with."""
    if not is_active_user(user):
        return User.objects.none()
    if purpose == SessionPurpose.CLINICAL:
        ids: Any = SupervisionAgreement.objects.filter(supervisor_id=user.pk, active=True).values(
            "supervisee_id"
        )
    elif purpose == SessionPurpose.MANAGEMENT:
        ids = WorkProfile.objects.filter(line_manager_id=user.pk).values("person_id")
    else:
        return User.objects.none()
    return User.objects.filter(pk__in=ids, is_active=True).exclude(pk=user.pk or 0)


def groups_of(user: AnyUser, purpose: str) -> QuerySet[SupervisionGroup, SupervisionGroup]:
    """Return the groups `user` may arrange sessions of `purpose` for (clinical only)."""
    if not is_active_user(user) or purpose != SessionPurpose.CLINICAL:
        return SupervisionGroup.objects.none()
    return SupervisionGroup.objects.filter(facilitator_id=user.pk, active=True)


def may_schedule_any(user: AnyUser, purpose: str) -> bool:
    """Return True if `user` has anybody to arrange a session of `purpose` with."""
    return supervisees_of(user, purpose).exists() or groups_of(user, purpose).exists()


def may_schedule_with(
    user: AnyUser, purpose: str, *, supervisee: User | None, group: SupervisionGroup | None
) -> bool:
    """Return True if `user` may host a session of `purpose` for `supervisee` or `group`."""
    if (supervisee is None) == (group is None):
        return False
    if supervisee is not None:
        return supervisees_of(user, purpose).filter(pk=supervisee.pk).exists()
    if group is None:
        return False
    return groups_of(user, purpose).filter(pk=group.pk).exists()


def may_manage(user: AnyUser, session: SupervisionSession) -> bool:
    """Return True if `user` may reschedule, cancel or log `session`: its host, still related."""
    if not is_active_user(user) or session.host_id != user.pk:
        return False
    supervisee = session.supervisee if session.kind == SessionKind.INDIVIDUAL else None
    group = session.group if session.kind == SessionKind.GROUP else None
    return may_schedule_with(user, session.purpose, supervisee=supervisee, group=group)


def active_member_ids(group_id: int) -> list[int]:
    """Return the ids of the current members of a group, in a stable order."""
    return list(
        SupervisionGroupMember.objects.filter(group_id=group_id, left_on__isnull=True)
        .order_by("member_id")
        .values_list("member_id", flat=True)
    )


# --- parties --------------------------------------------------------------------------------


def party_filter(user: AnyUser) -> Q:
    """Return the condition "`user` is a party to the session" (host, supervisee, group)."""
    member = SupervisionGroupMember.objects.filter(
        group_id=OuterRef("group_id"), member_id=user.pk, left_on__isnull=True
    )
    attended = SessionAttendance.objects.filter(session_id=OuterRef("pk"), person_id=user.pk)
    # Someone who has left the group keeps the sessions their attendance was recorded for.
    return (
        Q(host_id=user.pk)
        | Q(supervisee_id=user.pk)
        | Q(Exists(member), kind=SessionKind.GROUP)
        | Q(Exists(attended))
    )


def sessions_for(user: AnyUser, purpose: str) -> QuerySet[SupervisionSession, SupervisionSession]:
    """Return the sessions of `purpose` that `user` is a party to."""
    if not is_active_user(user) or purpose not in SessionPurpose.values:
        return SupervisionSession.objects.none()
    return SupervisionSession.objects.filter(party_filter(user), purpose=purpose)


def may_read_notes(user: AnyUser, session: SupervisionSession) -> bool:
    """Return True if `user` may read the notes and topics: the host, or the supervisee."""
    if not is_active_user(user):
        return False
    if session.host_id == user.pk:
        return True
    return session.kind == SessionKind.INDIVIDUAL and session.supervisee_id == user.pk


def may_read_summary(user: AnyUser, session: SupervisionSession, attended_ids: set[int]) -> bool:
    """Return True if `user` may read a group's summary: an attendee who attended."""
    return session.kind == SessionKind.GROUP and user.pk in attended_ids


def actions_for(user: AnyUser, purpose: str) -> QuerySet[SupervisionAction, SupervisionAction]:
    """Return the actions `user` owns from sessions of `purpose` they were a party to."""
    if not is_active_user(user) or purpose not in SessionPurpose.values:
        return SupervisionAction.objects.none()
    sessions = sessions_for(user, purpose).values("pk")
    return SupervisionAction.objects.filter(owner_id=user.pk, session_id__in=sessions)
