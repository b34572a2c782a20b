"""Who may manage accounts, roles and the confidentiality rules.

One small, symmetric vocabulary: may this user manage access at all; may this user change this
account. Services and views both ask here, so a page cannot allow what a service refuses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from .models import User

MANAGE_ACCESS_PERMISSION = "accounts.manage_access"
PUBLISH_RULES_PERMISSION = "accounts.publish_rules"

# Refusal messages. Tests assert them, and the pages show them as they are.
NOT_ALLOWED_TO_MANAGE_ACCESS = _("You are not allowed to manage accounts and access.")
NOT_ALLOWED_TO_PUBLISH_RULES = _("You are not allowed to publish confidentiality rules.")
SELF_ROLE_CHANGE_REFUSED = _(
    "You cannot change your own roles. Ask another admin to make this change."
)
SELF_PRIVACY_OFFICER_CHANGE_REFUSED = _(
    "You cannot change your own privacy officer designation. Ask another admin."
)
SELF_STATUS_CHANGE_REFUSED = _(
    "You cannot deactivate or reactivate your own account. Ask another admin."
)
SELF_SECOND_FACTOR_RESET_REFUSED = _("You cannot reset your own second factor. Ask another admin.")
UNKNOWN_ROLE = _("Unknown role: choose from the roles listed.")
USERNAME_TAKEN = _("A user with that username already exists.")
TEAM_NAME_TAKEN = _("A team with that name already exists.")
PASSWORD_ALREADY_SET = _("This account already has a password.")


def is_active_user(user: User | AnonymousUser | None) -> bool:
    """Return whether `user` is a signed-in, active account."""
    return bool(user is not None and user.is_authenticated and user.is_active)


class AccessChangeRefused(Exception):
    """A change to accounts or access that the policy does not allow; `str()` says why."""


def can_manage_access(user: User | AnonymousUser) -> bool:
    """Return whether `user` may use the access-management pages at all."""
    return bool(user.is_active and user.has_perm(MANAGE_ACCESS_PERMISSION))


def can_change_roles_of(actor: User | AnonymousUser, target: User) -> bool:
    """Return whether `actor` may change the roles, designation or status of `target`.

    Nobody changes their own access: one stolen admin session must not be enough to keep
    itself in power or to hide its own changes from a second admin.
    """
    return can_manage_access(actor) and actor.pk != target.pk


def can_publish_rules(user: User | AnonymousUser) -> bool:
    """Return whether `user` may publish a new version of the confidentiality rules."""
    return bool(user.is_active and user.has_perm(PUBLISH_RULES_PERMISSION))
