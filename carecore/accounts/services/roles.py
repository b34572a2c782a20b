"""Assigning roles to people."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import Group
from django.db import transaction

from carecore.audit.events import EventType
from carecore.audit.services import audit_event_record

from ..models import User
from ..permissions import (
    NOT_ALLOWED_TO_MANAGE_ACCESS,
    SELF_ROLE_CHANGE_REFUSED,
    UNKNOWN_ROLE,
    AccessChangeRefused,
    can_change_roles_of,
    can_manage_access,
)
from ..roles import Role


def roles_validate(roles: Iterable[str]) -> set[str]:
    """Return `roles` as a set of role names, refusing any name that is not a role."""
    names = {str(role) for role in roles}
    if not names <= set(Role.values):
        raise AccessChangeRefused(UNKNOWN_ROLE)
    return names


def _current_role_names(user: User) -> set[str]:
    return set(user.groups.filter(name__in=Role.values).values_list("name", flat=True))


@transaction.atomic
def user_roles_set(*, actor: User, user: User, roles: set[str]) -> None:
    """Give `user` exactly `roles`, auditing the old and new roles when they change."""
    if not can_manage_access(actor):
        raise AccessChangeRefused(NOT_ALLOWED_TO_MANAGE_ACCESS)
    if not can_change_roles_of(actor, user):
        raise AccessChangeRefused(SELF_ROLE_CHANGE_REFUSED)
    new_roles = roles_validate(roles)
    # Lock the account row so two admins editing the same person cannot interleave and leave
    # an audit trail whose old/new pairs do not chain.
    User.objects.select_for_update().filter(pk=user.pk).first()
    old_roles = _current_role_names(user)
    if new_roles == old_roles:
        return
    # Only role groups are touched: any other group a person belongs to is not ours to drop.
    user.groups.remove(*Group.objects.filter(name__in=old_roles - new_roles))
    user.groups.add(*Group.objects.filter(name__in=new_roles - old_roles))
    # Cached role names and permissions on this instance no longer hold.
    for cached in ("_role_names", "_perm_cache", "_group_perm_cache"):
        user.__dict__.pop(cached, None)
    audit_event_record(
        event_type=EventType.ROLE_CHANGED,
        actor=actor,
        target=user,
        details={"old_roles": sorted(old_roles), "new_roles": sorted(new_roles)},
    )
