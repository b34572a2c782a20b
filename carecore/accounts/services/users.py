"""Creating and (de)activating accounts, the privacy officer designation, onboarding links.

Clearing lockouts and resetting second factors belong to the sign-in services; the functions
here apply the access policy and delegate to them, so the pages have one place to call.
"""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from carecore.audit.events import EventType
from carecore.audit.services import audit_event_record

from ..models import Team, User
from ..permissions import (
    NOT_ALLOWED_TO_MANAGE_ACCESS,
    PASSWORD_ALREADY_SET,
    SELF_PRIVACY_OFFICER_CHANGE_REFUSED,
    SELF_SECOND_FACTOR_RESET_REFUSED,
    SELF_STATUS_CHANGE_REFUSED,
    TEAM_NAME_TAKEN,
    USERNAME_TAKEN,
    AccessChangeRefused,
    can_change_roles_of,
    can_manage_access,
)
from ..selectors import username_taken
from .otp import otp_devices_reset
from .roles import roles_validate
from .sessions import user_sessions_end
from .signin import lockout_clear


class OnboardingTokenGenerator(PasswordResetTokenGenerator):
    """Tokens for a new account's set-password link.

    Its own salt, so a token made here is never accepted by any other token check. Like a
    password-reset token it dies once the password is set (the hash it covers changes) and
    after PASSWORD_RESET_TIMEOUT.
    """

    key_salt = "carecore.accounts.onboarding"


onboarding_token_generator = OnboardingTokenGenerator()


def _refuse_unless_manager(actor: User) -> None:
    if not can_manage_access(actor):
        raise AccessChangeRefused(NOT_ALLOWED_TO_MANAGE_ACCESS)


def _refuse_self(actor: User, user: User, message: object) -> None:
    _refuse_unless_manager(actor)
    if not can_change_roles_of(actor, user):
        raise AccessChangeRefused(message)


def _lock(user: User) -> User:
    # Read the state under a row lock: two admins acting on one account at once must each
    # see the other's result, or the audit trail's old/new values would not chain.
    return User.objects.select_for_update().get(pk=user.pk)


@transaction.atomic
def user_create(
    *,
    actor: User,
    username: str,
    first_name: str,
    last_name: str,
    email: str,
    roles: set[str],
) -> User:
    """Create an account with `roles` and no usable password, to be set through its link."""
    _refuse_unless_manager(actor)
    role_names = roles_validate(roles)
    # Case-insensitive: "Amira" and "amira" as two accounts invite sign-in mix-ups.
    if username_taken(username):
        raise AccessChangeRefused(USERNAME_TAKEN)
    user = User(
        username=username,
        first_name=first_name,
        last_name=last_name,
        email=User.objects.normalize_email(email),
    )
    # Nobody, the admin included, ever knows this account's password: the person sets it
    # themselves through the one-time link.
    user.set_unusable_password()
    user.full_clean()
    user.save()
    user.groups.add(*Group.objects.filter(name__in=role_names))
    audit_event_record(
        event_type=EventType.USER_CREATED,
        actor=actor,
        target=user,
        details={"roles": sorted(role_names)},
    )
    return user


@transaction.atomic
def onboarding_path_make(*, actor: User, user: User) -> str:
    """Return the path of a one-time link with which `user` sets their first password."""
    _refuse_unless_manager(actor)
    if user.has_usable_password() or not user.is_active:
        raise AccessChangeRefused(PASSWORD_ALREADY_SET)
    # The link is a credential: who saw it, and when, belongs in the trail.
    audit_event_record(event_type=EventType.ONBOARDING_LINK_ISSUED, actor=actor, target=user)
    return reverse(
        "accounts:password_set",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": onboarding_token_generator.make_token(user),
        },
    )


@transaction.atomic
def user_password_initial_set(*, user: User, password: str) -> None:
    """Set the first password of `user`, who arrived through a valid onboarding link."""
    locked = _lock(user)
    if locked.has_usable_password():
        raise AccessChangeRefused(PASSWORD_ALREADY_SET)
    user.set_password(password)
    user.save(update_fields=["password"])
    audit_event_record(
        event_type=EventType.PASSWORD_CHANGED,
        actor=user,
        target=user,
        details={"initial": True},
    )


@transaction.atomic
def user_deactivate(*, actor: User, user: User) -> None:
    """Deactivate `user` and end every session they have."""
    _refuse_self(actor, user, SELF_STATUS_CHANGE_REFUSED)
    if not _lock(user).is_active:
        return
    user.is_active = False
    user.save(update_fields=["is_active"])
    ended = user_sessions_end(user=user)
    audit_event_record(
        event_type=EventType.USER_DEACTIVATED,
        actor=actor,
        target=user,
        details={"sessions_ended": ended},
    )


@transaction.atomic
def user_reactivate(*, actor: User, user: User) -> None:
    """Let `user` sign in again."""
    _refuse_self(actor, user, SELF_STATUS_CHANGE_REFUSED)
    if _lock(user).is_active:
        return
    user.is_active = True
    user.save(update_fields=["is_active"])
    audit_event_record(event_type=EventType.USER_REACTIVATED, actor=actor, target=user)


@transaction.atomic
def privacy_officer_set(*, actor: User, user: User, value: bool) -> None:
    """Grant or remove the privacy officer designation of `user`, auditing old and new."""
    _refuse_self(actor, user, SELF_PRIVACY_OFFICER_CHANGE_REFUSED)
    old = _lock(user).is_privacy_officer
    if old == value:
        return
    user.is_privacy_officer = value
    user.save(update_fields=["is_privacy_officer"])
    audit_event_record(
        event_type=EventType.PRIVACY_OFFICER_CHANGED,
        actor=actor,
        target=user,
        details={"old": old, "new": value},
    )


@transaction.atomic
def user_lockout_clear(*, actor: User, username: str) -> int:
    """Clear the active lockouts of `username`; return how many were cleared."""
    _refuse_unless_manager(actor)
    return lockout_clear(actor=actor, username=username)


@transaction.atomic
def user_second_factor_reset(*, actor: User, user: User) -> None:
    """Remove the second-factor devices of `user`, who enrols again at next sign-in."""
    # Not on oneself: a stolen admin session must not be able to swap in its own device.
    _refuse_self(actor, user, SELF_SECOND_FACTOR_RESET_REFUSED)
    otp_devices_reset(actor=actor, user=user)


@transaction.atomic
def team_create(*, actor: User, name: str) -> Team:
    """Create an organisational team named `name`."""
    _refuse_unless_manager(actor)
    name = " ".join(name.split())
    if Team.objects.filter(name__iexact=name).exists():
        raise AccessChangeRefused(TEAM_NAME_TAKEN)
    team = Team.objects.create(name=name)
    audit_event_record(event_type=EventType.TEAM_CREATED, actor=actor, target=team)
    return team


@transaction.atomic
def user_team_set(*, actor: User, user: User, team: Team | None) -> None:
    """Put `user` in `team` (or in none), auditing the old and new team ids."""
    # A team is not a privilege (it only groups people for oversight figures), so admins may
    # set their own as well.
    _refuse_unless_manager(actor)
    old = _lock(user).team_id
    new = team.pk if team is not None else None
    if old == new:
        return
    user.team_id = new
    user.save(update_fields=["team"])
    audit_event_record(
        event_type=EventType.USER_TEAM_CHANGED,
        actor=actor,
        target=user,
        details={"old_team": old, "new_team": new},
    )
