"""Keeping supervision arrangements: agreements, groups and their members, work profiles.

Managers only; the services check it themselves, so a task or the admin cannot bypass it.
Each change writes one audit event in its transaction, holding ids and numbers only.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, models, transaction
from django.db.models import F, Value
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carecore.accounts.roles import Role
from carecore.audit.events import EventType
from carecore.audit.services import audit_event_record

from .. import conf
from ..models import (
    SessionKind,
    SessionPurpose,
    SessionStatus,
    SupervisionAgreement,
    SupervisionGroup,
    SupervisionGroupMember,
    SupervisionSession,
    WorkProfile,
)
from ..models.agreements import MAX_CADENCE_WEEKS
from ..permissions.arrangements import (
    ArrangementInvalid,
    is_active_user,
    is_staff_member,
    require_manager,
)
from ..selectors.arrangements import group_sessions_to_cancel

if TYPE_CHECKING:
    from carecore.accounts.models import User

MIN_CADENCE_WEEKS = 1
MIN_FTE = Decimal("0.05")
MAX_FTE = Decimal("1.00")
MAX_PERCENT = 100

SUPERVISOR_ROLE_REQUIRED = _("The supervisor must hold the supervisor role.")
FACILITATOR_ROLE_REQUIRED = _("The facilitator must hold the supervisor role.")
SUPERVISEE_NOT_STAFF = _("The supervisee must be an active member of staff.")
MEMBER_NOT_STAFF = _("A group member must be an active member of staff.")
NOT_SELF = _("A person cannot supervise themself.")
CADENCE_OUT_OF_RANGE = _("The cadence must be a whole number of weeks from 1 to 26.")
ALREADY_SUPERVISED = _(
    "This person already has an active supervision agreement. End it before starting a new one."
)
AGREEMENT_ENDED = _("This agreement has ended and can no longer be changed.")
GROUP_NAME_REQUIRED = _("Give the group a name.")
GROUP_NAME_TAKEN = _("A supervision group with this name already exists.")
GROUP_INACTIVE = _("This group is no longer active.")
ALREADY_MEMBER = _("This person is already a member of the group.")
FACILITATOR_NOT_MEMBER = _("The facilitator leads the group and cannot also be a member.")
GROUP_CLOSED = _("This group is closed and can no longer be changed.")
GROUP_ALREADY_CLOSED = _("This group is already closed.")
NOTHING_CHANGED = _("Nothing was changed: the facilitator and the cadence are as before.")
FACILITATOR_IS_MEMBER = _(
    "This person is a member of the group. Remove them from the group before making them "
    "its facilitator."
)
# Stored encrypted on each session cancelled because its group closed.
GROUP_CLOSED_REASON = _("Group closed.")
AGREEMENT_ENDED_REASON = _("Supervision agreement ended.")
LINE_MANAGER_CHANGED_REASON = _("Line manager changed.")
MEMBERSHIP_ENDED = _("This person has already left the group.")
FTE_OR_HOURS = _("Enter either the full-time equivalent or the weekly hours, not both.")
FTE_OR_HOURS_REQUIRED = _("Enter the full-time equivalent or the weekly hours.")
FTE_OUT_OF_RANGE = _("The full-time equivalent must be between 0.05 and 1.00.")
HOURS_OUT_OF_RANGE = _("These weekly hours give a full-time equivalent outside 0.05 to 1.00.")
PERCENT_OUT_OF_RANGE = _("The share of time without patient contact must be from 0 to 100.")
LINE_MANAGER_ROLE_REQUIRED = _("The line manager must be an active manager.")
LINE_MANAGER_NOT_SELF = _("A person cannot be their own line manager.")
PERSON_NOT_STAFF = _("A work profile is kept only for active members of staff.")

_AGREEMENT = "supervision.supervisionagreement"
_GROUP = "supervision.supervisiongroup"
_PROFILE = "supervision.workprofile"


def _check_cadence(cadence_weeks: int) -> None:
    if not MIN_CADENCE_WEEKS <= cadence_weeks <= MAX_CADENCE_WEEKS:
        raise ArrangementInvalid(CADENCE_OUT_OF_RANGE, field="cadence_weeks")


def _is_supervisor(user: User) -> bool:
    return is_active_user(user) and user.has_role(Role.SUPERVISOR)


def _has_active_agreement(supervisee: User) -> bool:
    return SupervisionAgreement.objects.filter(supervisee_id=supervisee.pk, active=True).exists()


# --- agreements ---------------------------------------------------------------------------


def agreement_create(
    *,
    actor: User,
    supervisor: User,
    supervisee: User,
    cadence_weeks: int,
    started_on: dt.date | None = None,
) -> SupervisionAgreement:
    """Start individual clinical supervision of `supervisee` by `supervisor` (managers only)."""
    require_manager(actor, action="agreement_create", target_type=_AGREEMENT)
    if not _is_supervisor(supervisor):
        raise ArrangementInvalid(SUPERVISOR_ROLE_REQUIRED, field="supervisor")
    if not is_staff_member(supervisee):
        raise ArrangementInvalid(SUPERVISEE_NOT_STAFF, field="supervisee")
    if supervisor.pk == supervisee.pk:
        raise ArrangementInvalid(NOT_SELF, field="supervisee")
    _check_cadence(cadence_weeks)
    if _has_active_agreement(supervisee):
        raise ArrangementInvalid(ALREADY_SUPERVISED, field="supervisee")
    try:
        with transaction.atomic():
            agreement = SupervisionAgreement.objects.create(
                supervisor=supervisor,
                supervisee=supervisee,
                cadence_weeks=cadence_weeks,
                started_on=started_on or timezone.localdate(),
            )
            audit_event_record(
                event_type=EventType.AGREEMENT_CREATED,
                actor=actor,
                target=agreement,
                details={
                    "supervisor": supervisor.pk,
                    "supervisee": supervisee.pk,
                    "cadence_weeks": cadence_weeks,
                },
            )
    except IntegrityError as error:
        # Two managers saving at once: the one-active-supervisor constraint decides.
        raise ArrangementInvalid(ALREADY_SUPERVISED, field="supervisee") from error
    return agreement


def _locked_active(agreement: SupervisionAgreement) -> SupervisionAgreement:
    locked = SupervisionAgreement.objects.select_for_update().get(pk=agreement.pk)
    if not locked.active:
        raise ArrangementInvalid(AGREEMENT_ENDED)
    return locked


def agreement_update(
    *, actor: User, agreement: SupervisionAgreement, cadence_weeks: int
) -> SupervisionAgreement:
    """Change the agreed cadence of an active agreement (managers only)."""
    require_manager(actor, action="agreement_update", target_type=_AGREEMENT)
    _check_cadence(cadence_weeks)
    with transaction.atomic():
        locked = _locked_active(agreement)
        old = locked.cadence_weeks
        if old == cadence_weeks:
            return locked
        locked.cadence_weeks = cadence_weeks
        locked.save(update_fields=["cadence_weeks", "updated_at"])
        audit_event_record(
            event_type=EventType.AGREEMENT_CHANGED,
            actor=actor,
            target=locked,
            details={
                "supervisee": locked.supervisee_id,
                "old_cadence_weeks": old,
                "new_cadence_weeks": cadence_weeks,
            },
        )
    return locked


def _future_sessions_cancel(
    sessions: models.QuerySet[SupervisionSession, SupervisionSession], *, actor: User, reason: Any
) -> int:
    """Cancel the given sessions still to come, on behalf of the relationship that ended.

    Done here rather than through `session_cancel`, which lets only the host cancel: once the
    agreement, group or line management behind a session is gone, nobody could manage it.
    Sessions already started are left for their host to log.
    """
    now = timezone.now()
    locked = list(
        sessions.filter(status=SessionStatus.SCHEDULED, starts_at__gt=now).select_for_update()
    )
    for session in locked:
        session.status = SessionStatus.CANCELLED
        session.cancel_reason = str(reason)
        session.cancelled_by = actor
        session.cancelled_at = now
        session.save(
            update_fields=["status", "cancel_reason", "cancelled_by", "cancelled_at", "updated_at"]
        )
    return len(locked)


def agreement_end(*, actor: User, agreement: SupervisionAgreement) -> SupervisionAgreement:
    """End an active agreement today (managers only); the supervisee may then get a new one."""
    require_manager(actor, action="agreement_end", target_type=_AGREEMENT)
    with transaction.atomic():
        locked = _locked_active(agreement)
        # An agreement that had not started yet ends on its start day (end never before start).
        locked.ended_on = max(timezone.localdate(), locked.started_on)
        locked.active = False
        locked.save(update_fields=["active", "ended_on", "updated_at"])
        cancelled = _future_sessions_cancel(
            SupervisionSession.objects.filter(
                purpose=SessionPurpose.CLINICAL,
                kind=SessionKind.INDIVIDUAL,
                host_id=locked.supervisor_id,
                supervisee_id=locked.supervisee_id,
            ),
            actor=actor,
            reason=AGREEMENT_ENDED_REASON,
        )
        audit_event_record(
            event_type=EventType.AGREEMENT_ENDED,
            actor=actor,
            target=locked,
            details={
                "supervisor": locked.supervisor_id,
                "supervisee": locked.supervisee_id,
                "sessions_cancelled": cancelled,
            },
        )
    return locked


# --- groups -------------------------------------------------------------------------------


def group_create(
    *, actor: User, name: str, facilitator: User, cadence_weeks: int
) -> SupervisionGroup:
    """Create a supervision group led by `facilitator` (managers only)."""
    require_manager(actor, action="group_create", target_type=_GROUP)
    name = name.strip()
    if not name:
        raise ArrangementInvalid(GROUP_NAME_REQUIRED, field="name")
    if not _is_supervisor(facilitator):
        raise ArrangementInvalid(FACILITATOR_ROLE_REQUIRED, field="facilitator")
    _check_cadence(cadence_weeks)
    if SupervisionGroup.objects.filter(name__iexact=name).exists():
        raise ArrangementInvalid(GROUP_NAME_TAKEN, field="name")
    try:
        with transaction.atomic():
            group = SupervisionGroup.objects.create(
                name=name, facilitator=facilitator, cadence_weeks=cadence_weeks
            )
            audit_event_record(
                event_type=EventType.SUPERVISION_GROUP_CREATED,
                actor=actor,
                target=group,
                details={"facilitator": facilitator.pk, "cadence_weeks": cadence_weeks},
            )
    except IntegrityError as error:
        raise ArrangementInvalid(GROUP_NAME_TAKEN, field="name") from error
    return group


def _locked_open_group(group: SupervisionGroup, *, closed_message: Any) -> SupervisionGroup:
    locked = SupervisionGroup.objects.select_for_update().get(pk=group.pk)
    if not locked.active:
        raise ArrangementInvalid(closed_message)
    return locked


def group_update(
    *, actor: User, group: SupervisionGroup, facilitator: User, cadence_weeks: int
) -> SupervisionGroup:
    """Change an open group's facilitator or cadence (managers only)."""
    require_manager(actor, action="group_update", target_type=_GROUP)
    if not _is_supervisor(facilitator):
        raise ArrangementInvalid(FACILITATOR_ROLE_REQUIRED, field="facilitator")
    _check_cadence(cadence_weeks)
    with transaction.atomic():
        locked = _locked_open_group(group, closed_message=GROUP_CLOSED)
        old = {"facilitator": locked.facilitator_id, "cadence_weeks": locked.cadence_weeks}
        new = {"facilitator": facilitator.pk, "cadence_weeks": cadence_weeks}
        if old == new:
            raise ArrangementInvalid(NOTHING_CHANGED)
        # Checked under the group's lock: the facilitator leads the group and is not in it.
        is_member = SupervisionGroupMember.objects.filter(
            group_id=locked.pk, member_id=facilitator.pk, left_on__isnull=True
        ).exists()
        if is_member:
            raise ArrangementInvalid(FACILITATOR_IS_MEMBER, field="facilitator")
        locked.facilitator = facilitator
        locked.cadence_weeks = cadence_weeks
        locked.save(update_fields=["facilitator", "cadence_weeks", "updated_at"])
        # The group's sessions still to come move to the new facilitator, who can then run,
        # log or cancel them; past ones stay with the person who held them.
        rehosted = group_sessions_to_cancel(locked).update(
            host=facilitator, updated_at=timezone.now()
        )
        audit_event_record(
            event_type=EventType.SUPERVISION_GROUP_CHANGED,
            actor=actor,
            target=locked,
            details={"old": old, "new": new, "sessions_rehosted": rehosted},
        )
    return locked


def group_close(*, actor: User, group: SupervisionGroup) -> SupervisionGroup:
    """Close a group today: members leave, its future scheduled sessions are cancelled."""
    require_manager(actor, action="group_close", target_type=_GROUP)
    with transaction.atomic():
        locked = _locked_open_group(group, closed_message=GROUP_ALREADY_CLOSED)
        now = timezone.now()
        today = timezone.localdate(now)
        # A member who joins on a later day leaves that day (left never before joined).
        memberships_ended = SupervisionGroupMember.objects.filter(
            group_id=locked.pk, left_on__isnull=True
        ).update(
            left_on=Greatest(F("joined_on"), Value(today, output_field=models.DateField())),
            updated_at=now,
        )
        cancelled = _future_sessions_cancel(
            group_sessions_to_cancel(locked),
            actor=actor,
            reason=GROUP_CLOSED_REASON,
        )
        locked.active = False
        locked.save(update_fields=["active", "updated_at"])
        audit_event_record(
            event_type=EventType.SUPERVISION_GROUP_CHANGED,
            actor=actor,
            target=locked,
            details={
                "closed": True,
                "memberships_ended": memberships_ended,
                "sessions_cancelled": cancelled,
            },
        )
    return locked


def group_member_add(
    *, actor: User, group: SupervisionGroup, member: User
) -> SupervisionGroupMember:
    """Add `member` to `group` from today (managers only)."""
    require_manager(actor, action="group_member_add", target_type=_GROUP)
    if not group.active:
        raise ArrangementInvalid(GROUP_INACTIVE)
    if not is_staff_member(member):
        raise ArrangementInvalid(MEMBER_NOT_STAFF, field="member")
    if member.pk == group.facilitator_id:
        raise ArrangementInvalid(FACILITATOR_NOT_MEMBER, field="member")
    current = SupervisionGroupMember.objects.filter(
        group_id=group.pk, member_id=member.pk, left_on__isnull=True
    )
    if current.exists():
        raise ArrangementInvalid(ALREADY_MEMBER, field="member")
    try:
        with transaction.atomic():
            # Under the group's lock: a group being closed at this moment gets no new member.
            locked = _locked_open_group(group, closed_message=GROUP_INACTIVE)
            if member.pk == locked.facilitator_id:
                raise ArrangementInvalid(FACILITATOR_NOT_MEMBER, field="member")
            membership = SupervisionGroupMember.objects.create(group=locked, member=member)
            audit_event_record(
                event_type=EventType.SUPERVISION_GROUP_MEMBER_ADDED,
                actor=actor,
                target=membership,
                details={"group": group.pk, "member": member.pk},
            )
    except IntegrityError as error:
        raise ArrangementInvalid(ALREADY_MEMBER, field="member") from error
    return membership


def group_member_remove(
    *, actor: User, membership: SupervisionGroupMember
) -> SupervisionGroupMember:
    """End `membership` today (managers only); its history stays."""
    require_manager(actor, action="group_member_remove", target_type=_GROUP)
    with transaction.atomic():
        locked = SupervisionGroupMember.objects.select_for_update().get(pk=membership.pk)
        if locked.left_on is not None:
            raise ArrangementInvalid(MEMBERSHIP_ENDED)
        locked.left_on = max(timezone.localdate(), locked.joined_on)
        locked.save(update_fields=["left_on", "updated_at"])
        audit_event_record(
            event_type=EventType.SUPERVISION_GROUP_MEMBER_REMOVED,
            actor=actor,
            target=locked,
            details={"group": locked.group_id, "member": locked.member_id},
        )
    return locked


# --- work profiles ------------------------------------------------------------------------


def fte_from_hours(weekly_hours: Decimal) -> Decimal:
    """Return the FTE that `weekly_hours` make against the organisation's full-time hours."""
    return (weekly_hours / conf.full_time_hours()).quantize(Decimal("0.01"), ROUND_HALF_UP)


def _resolve_fte(
    fte: Decimal | None, weekly_hours: Decimal | None
) -> tuple[Decimal, Decimal | None]:
    if fte is not None and weekly_hours is not None:
        raise ArrangementInvalid(FTE_OR_HOURS, field="fte")
    if fte is None and weekly_hours is None:
        raise ArrangementInvalid(FTE_OR_HOURS_REQUIRED, field="fte")
    if weekly_hours is not None:
        converted = fte_from_hours(weekly_hours) if weekly_hours > 0 else Decimal(0)
        if not MIN_FTE <= converted <= MAX_FTE:
            raise ArrangementInvalid(HOURS_OUT_OF_RANGE, field="weekly_hours")
        return converted, weekly_hours.quantize(Decimal("0.1"), ROUND_HALF_UP)
    if fte is None:  # unreachable (checked above); keeps the type narrow
        raise ArrangementInvalid(FTE_OR_HOURS_REQUIRED, field="fte")
    if fte != fte.quantize(Decimal("0.01")) or not MIN_FTE <= fte <= MAX_FTE:
        raise ArrangementInvalid(FTE_OUT_OF_RANGE, field="fte")
    # Given as FTE, the hours are derived when shown, so they follow the full-time setting.
    return fte, None


def _number(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def work_profile_set(
    *,
    actor: User,
    person: User,
    non_patient_percent: int,
    line_manager: User | None,
    fte: Decimal | None = None,
    weekly_hours: Decimal | None = None,
) -> WorkProfile:
    """Set `person`'s working time and line manager from either FTE or hours (managers only)."""
    require_manager(actor, action="work_profile_set", target_type=_PROFILE)
    if not is_staff_member(person):
        raise ArrangementInvalid(PERSON_NOT_STAFF)
    new_fte, new_hours = _resolve_fte(fte, weekly_hours)
    if not 0 <= non_patient_percent <= MAX_PERCENT:
        raise ArrangementInvalid(PERCENT_OUT_OF_RANGE, field="non_patient_percent")
    if line_manager is not None:
        if line_manager.pk == person.pk:
            raise ArrangementInvalid(LINE_MANAGER_NOT_SELF, field="line_manager")
        if not (is_active_user(line_manager) and line_manager.has_role(Role.MANAGER)):
            raise ArrangementInvalid(LINE_MANAGER_ROLE_REQUIRED, field="line_manager")
    with transaction.atomic():
        profile, created = WorkProfile.objects.select_for_update().get_or_create(person=person)
        old: dict[str, Any] = {
            "fte": _number(None if created else profile.fte),
            "weekly_hours": _number(profile.weekly_hours),
            "non_patient_percent": None if created else profile.non_patient_percent,
            "line_manager": profile.line_manager_id,
        }
        profile.fte = new_fte
        profile.weekly_hours = new_hours
        profile.non_patient_percent = non_patient_percent
        profile.line_manager = line_manager
        profile.save()
        new: dict[str, Any] = {
            "fte": _number(new_fte),
            "weekly_hours": _number(new_hours),
            "non_patient_percent": non_patient_percent,
            "line_manager": line_manager.pk if line_manager is not None else None,
        }
        if not created and old == new:
            return profile
        details: dict[str, Any] = {"person": person.pk, "created": created}
        if old["line_manager"] is not None and old["line_manager"] != new["line_manager"]:
            details["meetings_cancelled"] = _future_sessions_cancel(
                SupervisionSession.objects.filter(
                    purpose=SessionPurpose.MANAGEMENT,
                    host_id=old["line_manager"],
                    supervisee_id=person.pk,
                ),
                actor=actor,
                reason=LINE_MANAGER_CHANGED_REASON,
            )
        for key in new:
            details[f"old_{key}"] = old[key]
            details[f"new_{key}"] = new[key]
        audit_event_record(
            event_type=EventType.WORK_PROFILE_CHANGED, actor=actor, target=profile, details=details
        )
    return profile
