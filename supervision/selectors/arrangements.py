"""Reading supervision arrangements for the managers' pages: agreements, groups, work profiles.

Every entry point checks the manager role first; anyone else gets the same audited 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from carecore.accounts.models import User
from carecore.accounts.roles import Role

from .. import conf
from ..models import (
    SessionStatus,
    SupervisionAgreement,
    SupervisionGroup,
    SupervisionGroupMember,
    SupervisionSession,
)
from ..permissions.arrangements import (
    STAFF_ROLES,
    ArrangementNotFound,
    access_denied_record,
    require_manager,
)
from .caseload import DEFAULT_NON_PATIENT_PERCENT, FULL_TIME

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    AnyUser = User | AnonymousUser


class AgreementFilter:
    ACTIVE = "active"
    ENDED = "ended"
    ALL = "all"
    CHOICES = (ACTIVE, ENDED, ALL)


_AGREEMENT = "supervision.supervisionagreement"
_GROUP = "supervision.supervisiongroup"
_MEMBER = "supervision.supervisiongroupmember"
_PROFILE = "supervision.workprofile"


def _found_or_404(row: Any, *, user: AnyUser, action: str, target_type: str, pk: int) -> Any:
    if row is None:
        access_denied_record(
            actor=user, action=action, target_type=target_type, target_id=pk, reason="not_found"
        )
        raise ArrangementNotFound
    return row


# --- people to choose from ----------------------------------------------------------------


def staff_members() -> QuerySet[User, User]:
    """Return the active members of staff (any staff role), by username."""
    # Exists, not a join: a person with two staff roles is still one row.
    roles = User.groups.through.objects.filter(
        user_id=OuterRef("pk"), group__name__in=[str(role) for role in STAFF_ROLES]
    )
    return User.objects.filter(Exists(roles), is_active=True).order_by("username")


def users_with_role(role: Role) -> QuerySet[User, User]:
    """Return the active users holding `role`, by username."""
    return User.objects.filter(is_active=True, groups__name=str(role)).order_by("username")


# --- agreements ---------------------------------------------------------------------------


def agreements_list_for(
    *, user: AnyUser, status: str = AgreementFilter.ACTIVE
) -> QuerySet[SupervisionAgreement, SupervisionAgreement]:
    """Return the agreements a manager lists, filtered by `status`, newest first."""
    require_manager(user, action="agreement_list", target_type=_AGREEMENT)
    agreements = SupervisionAgreement.objects.select_related("supervisor", "supervisee")
    if status == AgreementFilter.ACTIVE:
        agreements = agreements.filter(active=True)
    elif status == AgreementFilter.ENDED:
        agreements = agreements.filter(active=False)
    return agreements.order_by("-active", "supervisee__username", "-started_on", "-pk")


def agreement_get_for(*, user: AnyUser, pk: int, action: str) -> SupervisionAgreement:
    """Return agreement `pk` for a manager to change, or an audited 404."""
    require_manager(user, action=action, target_type=_AGREEMENT)
    row = SupervisionAgreement.objects.select_related("supervisor", "supervisee").filter(pk=pk)
    return _found_or_404(row.first(), user=user, action=action, target_type=_AGREEMENT, pk=pk)


# --- groups -------------------------------------------------------------------------------


def groups_list_for(*, user: AnyUser) -> QuerySet[SupervisionGroup, SupervisionGroup]:
    """Return the supervision groups, each with `member_count` (current members)."""
    require_manager(user, action="group_list", target_type=_GROUP)
    return (
        SupervisionGroup.objects.select_related("facilitator")
        .annotate(member_count=Count("memberships", filter=Q(memberships__left_on__isnull=True)))
        .order_by("-active", "name")
    )


def group_get_for(*, user: AnyUser, pk: int, action: str) -> SupervisionGroup:
    """Return group `pk` for a manager, or an audited 404."""
    require_manager(user, action=action, target_type=_GROUP)
    row = SupervisionGroup.objects.select_related("facilitator").filter(pk=pk).first()
    return _found_or_404(row, user=user, action=action, target_type=_GROUP, pk=pk)


def group_members_current(
    group: SupervisionGroup,
) -> QuerySet[SupervisionGroupMember, SupervisionGroupMember]:
    """Return the current memberships of `group`, by username (for a page already checked)."""
    return (
        SupervisionGroupMember.objects.filter(group_id=group.pk, left_on__isnull=True)
        .select_related("member")
        .order_by("member__username")
    )


def group_membership_get_for(
    *, user: AnyUser, group: SupervisionGroup, pk: int, action: str
) -> SupervisionGroupMember:
    """Return the current membership `pk` of `group`, or an audited 404."""
    require_manager(user, action=action, target_type=_MEMBER)
    row = group_members_current(group).filter(pk=pk).first()
    return _found_or_404(row, user=user, action=action, target_type=_MEMBER, pk=pk)


# --- work profiles ------------------------------------------------------------------------


def work_profiles_list_for(*, user: AnyUser) -> QuerySet[User, User]:
    """Return the active staff with their work profile (or none) and line manager, by username."""
    require_manager(user, action="work_profile_list", target_type=_PROFILE)
    return staff_members().select_related("work_profile", "work_profile__line_manager")


def work_profile_person_for_edit(*, user: AnyUser, user_id: int) -> User:
    """Return the member of staff whose work profile a manager edits, or an audited 404."""
    require_manager(user, action="work_profile_set", target_type=_PROFILE)
    row = staff_members().select_related("work_profile").filter(pk=user_id).first()
    return _found_or_404(
        row, user=user, action="work_profile_set", target_type="accounts.user", pk=user_id
    )


@dataclass(frozen=True)
class WorkProfileRow:
    """One line of the work profiles list: the person, their figures and line manager."""

    person: User
    fte: Decimal | None
    weekly_hours: Decimal | None
    hours_derived: bool
    non_patient_percent: int | None
    line_manager: User | None


def work_profile_row(person: User) -> WorkProfileRow:
    """Return `person`'s figures for display; hours given as FTE are derived from it."""
    profile = getattr(person, "work_profile", None)
    if profile is None:
        return WorkProfileRow(person, None, None, False, None, None)
    hours = profile.weekly_hours
    derived = hours is None
    if derived:
        hours = (profile.fte * conf.full_time_hours()).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return WorkProfileRow(
        person, profile.fte, hours, derived, profile.non_patient_percent, profile.line_manager
    )


def work_profile_initial(row: WorkProfileRow) -> dict[str, Any]:
    """Return the edit form's starting values: the figure the profile was given in."""
    if row.fte is None:
        fte, hours = FULL_TIME, None
    elif row.hours_derived:
        fte, hours = row.fte, None
    else:
        fte, hours = None, row.weekly_hours
    percent = (
        DEFAULT_NON_PATIENT_PERCENT if row.non_patient_percent is None else row.non_patient_percent
    )
    return {
        "fte": fte,
        "weekly_hours": hours,
        "non_patient_percent": percent,
        "line_manager": row.line_manager,
    }


def group_sessions_to_cancel(group: SupervisionGroup) -> QuerySet[SupervisionSession, Any]:
    """Return the group's scheduled sessions still to come: what closing the group cancels,
    and what a new facilitator takes over."""
    return SupervisionSession.objects.filter(
        group_id=group.pk, status=SessionStatus.SCHEDULED, starts_at__gt=timezone.now()
    )
