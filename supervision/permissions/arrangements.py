"""Who may keep supervision arrangements and work profiles, and who may hold a calendar link.

Arrangements (agreements, groups, work profiles) are kept by managers. Anyone else is
answered with the same 404 as a missing row, so nobody can probe for arrangements, and the
refusal is audited.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import Http404
from django.utils.translation import gettext_lazy as _

from carecore.accounts.permissions import is_active_user
from carecore.accounts.roles import Role
from carecore.audit.services import audit_access_denied
from carecore.refusals import Refusal

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from carecore.accounts.models import User

    AnyUser = User | AnonymousUser

# Same text for a missing and a forbidden row: nothing to learn by probing.
NOT_FOUND = _("Nothing matches this reference.")

# Roles that make an account a member of staff who can be supervised or have a work profile.
# An account that is only an admin operates the system and is not supervised through it.
STAFF_ROLES = frozenset({Role.CLINICIAN, Role.SUPERVISOR, Role.MANAGER, Role.RECEPTION})


class ArrangementNotFound(Http404):
    """The row does not exist or the user may not see it: always the same 404."""

    def __init__(self) -> None:
        super().__init__(NOT_FOUND)


class ArrangementInvalid(Refusal):
    """The request breaks a rule (a form error); nothing was saved. `str()` is a constant."""


def is_staff_member(user: AnyUser | None) -> bool:
    """Return True for an active user holding a staff role (not an admin-only account)."""
    return is_active_user(user) and bool(user.role_names & STAFF_ROLES)  # type: ignore[union-attr]


def can_manage_arrangements(user: AnyUser | None) -> bool:
    """Return True if `user` may keep agreements, groups and work profiles (managers)."""
    return is_active_user(user) and user.has_role(Role.MANAGER)  # type: ignore[union-attr]


def can_use_calendar(user: AnyUser | None) -> bool:
    """Return True if `user` may hold a personal calendar link (any active signed-in user)."""
    return is_active_user(user)


def access_denied_record(
    *,
    actor: AnyUser | None,
    action: str,
    target_type: str,
    target_id: str | int = "",
    reason: str = "role",
) -> None:
    """Write the ACCESS_DENIED event; call it outside any transaction that will roll back."""
    audit_access_denied(
        actor=actor, action=action, reason=reason, target_type=target_type, target_id=target_id
    )


def require_manager(user: AnyUser | None, *, action: str, target_type: str) -> None:
    """Audit the refusal and raise ArrangementNotFound (404) unless `user` is a manager."""
    if can_manage_arrangements(user):
        return
    access_denied_record(actor=user, action=action, target_type=target_type)
    raise ArrangementNotFound
