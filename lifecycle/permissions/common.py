"""The checks every lifecycle policy starts from: an active account, the privacy officer
designation, and the roles held."""

from __future__ import annotations

from typing import TYPE_CHECKING

from carecore.accounts.permissions import is_active_user
from carecore.accounts.roles import Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from carecore.accounts.models import User

    AnyUser = User | AnonymousUser


def roles_of(user: AnyUser | None) -> frozenset[str]:
    """Return the roles an active `user` holds (none for anyone else)."""
    return user.role_names if is_active_user(user) else frozenset()  # type: ignore[union-attr]


def is_privacy_officer(user: AnyUser | None) -> bool:
    """Return whether `user` is an active privacy officer."""
    return is_active_user(user) and bool(getattr(user, "is_privacy_officer", False))


def is_clinician(user: AnyUser | None) -> bool:
    """Return whether `user` is active and holds the clinician role."""
    return Role.CLINICIAN.value in roles_of(user)
